"""Reading closed hours and the runs since together: each run exactly once, even when a
rollup closes hours in the middle of a read."""

from __future__ import annotations

from workflows.choices import RunStatus
from workflows.stats import read, rollup
from workflows.stats.rollup import close_hours

from .conftest import at


def test_a_window_adds_the_closed_hours_and_the_runs_since(finished_run):
    finished_run(at(minutes=10), status=RunStatus.FAILED, duration_ms=300)
    finished_run(at(1, minutes=10), duration_ms=3)
    close_hours(now=at(1, minutes=30))  # closes hour 0 only
    finished_run(at(2, minutes=10), workflow="b")  # live, like the run above
    window = read.window(at())
    assert window.closed_until == at(1)
    assert window.hours == {
        at(): {"failed": 1},
        at(1): {"succeeded": 1},
        at(2): {"succeeded": 1},
    }
    assert window.workflows["wf"].by_status == {"failed": 1, "succeeded": 1}
    assert window.workflows["wf"].counts.duration_ms_sum == 303
    assert window.by_status() == {"failed": 1, "succeeded": 2}
    assert read.window(at(1)).by_status() == {"succeeded": 2}  # from hour 1 on


def test_a_window_starting_after_the_watermark_reads_only_its_runs(finished_run):
    finished_run(at(minutes=10))
    finished_run(at(3, minutes=10))
    assert rollup.closed_until() == rollup.EPOCH  # never rolled up
    assert read.window(at(3)).by_status() == {"succeeded": 1}


def test_a_rollup_during_a_read_is_not_counted_twice(finished_run, monkeypatch):
    """A rollup commits just after the read took the watermark: the totals then hold the
    hour the live part counts too. The watermark read after tells, and the read is done
    again."""
    for minute in (1, 2, 3):
        finished_run(at(minutes=minute))
    seen = []

    def watermark_then_a_rollup():
        value = rollup.closed_until()
        seen.append(value)
        if len(seen) == 1:
            close_hours(now=at(2))
        return value

    monkeypatch.setattr(read, "closed_until", watermark_then_a_rollup)
    totals, watermark = read.totals()
    assert seen == [rollup.EPOCH, at(1), at(1)]  # read, moved: read again, unmoved
    assert watermark == at(1)
    assert {key: counts.count for key, counts in totals.items()} == {("wf", "api", "succeeded"): 3}


def test_the_last_failure_comes_from_the_live_runs_or_the_closed_hours(finished_run):
    old = finished_run(at(minutes=5), status=RunStatus.FAILED, error_code="A", error_message="x")
    close_hours(now=at(2))
    failures = read.last_failures(["wf"], at(), rollup.closed_until())
    assert failures["wf"].run_id == old.pk and failures["wf"].error_code == "A"
    new = finished_run(at(2, minutes=5), status=RunStatus.FAILED, error_code="B")
    failures = read.last_failures(["wf", "none"], at(), rollup.closed_until())
    assert failures == {"wf": read.Failure(new.pk, new.finished_at, "B", "")}
