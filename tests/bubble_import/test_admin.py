"""The admin's "Bring a Bubble app over": superusers only; the plan as a table (the token
never in the page); the start hands the import to a django-q2 worker; its page shows a
progress bar per type while it runs and the report when it ends; the outbound guard
applies unless the operator allows the host (docs/coming-from-bubble.md)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from bubble_import import tasks
from bubble_import.models import BubbleImport, ImportedType

from .stand_in import TOKEN, running

ADD = "/admin/bubble_import/bubbleimport/add/"


@pytest.fixture
def allowed(settings):
    settings.BUBBLE = {**settings.BUBBLE, "IMPORT_ALLOWED_HOSTS": ["127.0.0.1"]}


def form(address: str, **more):
    return {"address": address, "token": TOKEN, "pages_in_flight": 4, **more}


def test_only_superusers_see_it(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(ADD).status_code == 403
    assert client.get("/admin/bubble_import/bubbleimport/").status_code == 403


def test_the_plan_is_a_table_and_the_token_stays_out_of_the_page(admin_client, allowed):
    with running() as app:
        page = admin_client.post(ADD, form(app.address, plan="1"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "The plan, read from its Swagger file" in html
    assert "unit → data type Unit, at <code>/api/1.1/obj/unit</code>" in html
    assert "<td>Unit name</td><td><code>unit_name</code></td>" in html
    assert "process-order" in html and 'id="start-import"' in html
    assert TOKEN not in html
    assert "BUBBLE_SOURCE_API_TOKEN=… python manage.py import_bubble_app" in html
    assert not BubbleImport.objects.exists()


def test_the_guard_refuses_a_private_address_unless_allowed(admin_client):
    with running() as app:
        page = admin_client.post(ADD, form(app.address, plan="1"))
    assert "not allowed" in page.content.decode() or "private" in page.content.decode()
    assert app.requests == []


def test_start_hands_the_import_to_a_worker(admin_client, allowed, data_model):
    broker = get_broker()  # the ORM's queue, or Redis's where REDIS_URL is set
    before = broker.queue_size()
    with running() as app:
        answer = admin_client.post(ADD, form(app.address, start="1"))
    bubble_import = BubbleImport.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{bubble_import.pk}/change/")
    assert broker.queue_size() == before + 1  # waiting for a worker
    assert bubble_import.token and TOKEN not in bubble_import.token  # kept encrypted


def test_the_worker_runs_it_and_the_page_shows_the_report(
    admin_client, allowed, data_model, monkeypatch
):
    monkeypatch.setattr(tasks, "async_task", lambda task, pk, **kw: tasks.run_import(pk))
    with running() as app:
        answer = admin_client.post(ADD, form(app.address, start="1"))
        page = admin_client.get(answer["Location"])
    html = page.content.decode()
    bubble_import = BubbleImport.objects.get()
    assert bubble_import.status == BubbleImport.Status.FINISHED
    assert bubble_import.token == ""  # wiped once it ended
    assert "Finished: every row arrived" in html
    assert "<code>/api/1.1/obj/unit</code></td><td>4</td><td>4</td><td>4</td>" in html
    assert "Links to rows that no longer exist, left out (1)" in html
    assert 'http-equiv="refresh"' not in html


def test_a_running_import_shows_each_types_progress(admin_client, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    bubble_import = BubbleImport.objects.create(app="https://app.example/api/1.1")
    ImportedType.objects.create(
        bubble_import=bubble_import,
        bubble_name="unit",
        data_type="Unit",
        bubble_count=1000,
        copied=400,
        started_at=now - datetime.timedelta(seconds=40),
    )
    html = admin_client.get(f"/admin/bubble_import/bubbleimport/{bubble_import.pk}/change/")
    html = html.content.decode()
    assert '<progress max="100" value="40"' in html
    assert "400 of 1000" in html
    assert 'http-equiv="refresh"' in html
    # 10 rows a second, 600 rows left: a minute
    assert "<td>10.0</td>" in html and "<td>1 min 00 s</td>" in html


def test_a_stopped_import_is_continued_from_its_page(admin_client, monkeypatch):
    started = []
    monkeypatch.setattr(tasks, "async_task", lambda task, pk, **kw: started.append(pk))
    bubble_import = BubbleImport.objects.create(
        app="https://app.example/api/1.1", error="SourceError: GET …: HTTP 500"
    )
    url = f"/admin/bubble_import/bubbleimport/{bubble_import.pk}/change/"
    assert "It stopped: SourceError" in admin_client.get(url).content.decode()
    admin_client.post(url, {"continue": "1"})
    assert started == [bubble_import.pk]


def test_a_sealed_token_is_good_for_its_app_and_an_hour_only(time_machine):
    from bubble_import.sealed import NotSealed, seal, unseal
    from workflows import secrets

    time_machine.move_to(timezone.now(), tick=False)
    sealed = seal(TOKEN, "https://app.example")
    assert unseal(sealed, "https://app.example", max_age=3600) == TOKEN
    with pytest.raises(NotSealed, match="another address"):
        unseal(sealed, "https://evil.example")
    for secret in (TOKEN, '{"token": "x"}'):  # another ciphertext of the project's key
        with pytest.raises(NotSealed, match="cannot be read|not a sealed import token"):
            unseal(secrets.encrypt(secret), "https://app.example")
    time_machine.shift(3601)
    with pytest.raises(NotSealed, match="too old"):
        unseal(sealed, "https://app.example", max_age=3600)


def test_the_token_is_wiped_when_the_import_ends_however_it_ends(
    admin_client, allowed, data_model, monkeypatch
):
    monkeypatch.setattr(tasks, "async_task", lambda task, pk, **kw: tasks.run_import(pk))
    with running() as app:
        admin_client.post(ADD, form(app.address, start="1"))
    assert BubbleImport.objects.get().token == ""  # finished
    with running() as other:  # another app (another port) whose types exist here: refused
        admin_client.post(ADD, form(other.address, start="1"))
    refused = BubbleImport.objects.get(app=f"{other.address}/api/1.1")
    assert refused.status == BubbleImport.Status.FAILED and refused.token == ""
    assert "no import of this app made it" in refused.error


def test_the_list_sums_each_imports_rows_in_one_query(admin_client, django_assert_max_num_queries):
    for n in range(5):
        bubble_import = BubbleImport.objects.create(app=f"https://app{n}.example/api/1.1")
        for name in ("unit", "order"):
            ImportedType.objects.create(
                bubble_import=bubble_import,
                bubble_name=name,
                data_type=name,
                copied=3,
                bubble_count=5,
            )
    admin_client.get("/admin/bubble_import/bubbleimport/")  # warm the session and caches
    with django_assert_max_num_queries(8):  # 12 with a query per import
        page = admin_client.get("/admin/bubble_import/bubbleimport/").content.decode()
    assert page.count("6 of 10") == 5
