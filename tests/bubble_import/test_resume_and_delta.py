"""An import killed mid-copy continues where it stopped with one row per Bubble id; a
rehearsal then ``--since-last`` copies what changed and finds what was deleted, removed
only with ``--apply-deletions``; 429s are waited out (docs/coming-from-bubble.md)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from bubble_import.models import BubbleImport
from workflows import data_types

from .stand_in import StandIn, running, unit_row
from .test_import import bring_over


def units():
    return data_types.get_model("Unit").objects


def many_units(count: int) -> StandIn:
    stand_in = StandIn()
    stand_in.rows["unit"] += [unit_row(n) for n in range(count - len(stand_in.rows["unit"]))]
    return stand_in


def unit_pages(app: StandIn) -> list[str]:
    return [path for _, path, _ in app.requests if path.endswith("/obj/unit")]


def test_a_stopped_import_continues_where_it_stopped(data_model, token):
    stand_in = many_units(250)
    stand_in.fail_once = {("unit", 200)}
    with running(stand_in) as app:
        with pytest.raises(CommandError, match="run the same command again"):
            bring_over(app.address, "--pages-in-flight", "1")
        assert units().count() == 200
        assert BubbleImport.objects.get().status == BubbleImport.Status.RUNNING
        before = len(unit_pages(app))
        out, status = bring_over(app.address)
        assert "Continuing the import" in out
        # only the page that failed and what follows were read again
        assert len(unit_pages(app)) - before == 1
    assert status == 0, out
    assert units().count() == 250
    assert units().values("unique_id").distinct().count() == 250
    assert BubbleImport.objects.get().status == BubbleImport.Status.FINISHED


def test_pages_read_ahead_in_threads_write_every_row_once(data_model, token):
    with running(many_units(1234)) as app:
        out, status = bring_over(app.address, "--pages-in-flight", "8")
    assert status == 0, out
    assert units().count() == 1234
    prices = sorted(units().exclude(price__isnull=True).values_list("price", flat=True))
    assert len(prices) == 1234


def test_the_same_import_again_changes_nothing_and_doubles_nothing(data_model, token):
    with running() as app:
        bring_over(app.address)
        first = list(units().order_by("unique_id").values())
        out, status = bring_over(app.address)
    assert status == 0, out
    assert list(units().order_by("unique_id").values()) == first
    assert get_user_model().objects.count() == 2
    assert BubbleImport.objects.count() == 2


def test_since_last_copies_what_changed_and_reports_deletions(data_model, token):
    stand_in = StandIn()
    with running(stand_in) as app:
        bring_over(app.address)
        later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
        stand_in.rows["unit"][0].update({"Unit name": "Renamed", "Modified Date": later})
        stand_in.rows["unit"].append(unit_row(1, **{"Modified Date": later}))
        gone = stand_in.rows["review"].pop(0)["_id"]
        out, status = bring_over(app.address, "--since-last")
        assert status == 0, out
        assert units().get(unique_id=stand_in.rows["unit"][0]["_id"]).unit_name == "Renamed"
        assert units().count() == 5
        Review = data_types.get_model("Review")
        assert Review.objects.filter(unique_id=gone).exists()
        assert "review: 1 rows deleted on Bubble, not deleted here" in out
        latest = BubbleImport.objects.first()
        counts = {t["bubble_name"]: t["copied"] for t in latest.report["types"]}
        assert counts == {"user": 0, "unit": 2, "order": 0, "review": 0}

        out, status = bring_over(app.address, "--since-last", "--apply-deletions")
    assert status == 0, out
    assert not Review.objects.filter(unique_id=gone).exists()
    assert "review: 1 rows deleted on Bubble, deleted here" in out


def test_since_last_needs_an_earlier_import(data_model, token):
    with running() as app, pytest.raises(CommandError, match="never imported here"):
        bring_over(app.address, "--since-last")


def test_apply_deletions_goes_with_since_last(data_model, token):
    with pytest.raises(CommandError, match="goes with --since-last"):
        bring_over("https://app.example", "--apply-deletions")


def test_rate_limits_are_waited_out(data_model, token):
    stand_in = StandIn(throttle=3)
    with running(stand_in) as app:
        out, status = bring_over(app.address)
    assert status == 0, out
    assert units().count() == 4


def test_a_users_deleted_on_bubble_are_deactivated_not_deleted(data_model, token):
    stand_in = StandIn()
    with running(stand_in) as app:
        bring_over(app.address)
        gone = stand_in.rows["user"].pop(1)["_id"]
        bring_over(app.address, "--since-last", "--apply-deletions")
    account = get_user_model().objects.get(bubble_unique_id__unique_id=gone)
    assert account.is_active is False


def test_an_app_answering_no_rows_though_some_remain_is_a_clear_error(data_model, token):
    stand_in = StandIn()
    stand_in.rows["unit"] = {"results": [], "remaining": 5}  # served as is (not a list)
    refused = pytest.raises(CommandError, match="no rows at cursor 0 though 5 remain")
    with running(stand_in) as app, refused:
        bring_over(app.address, "--types", "unit")
