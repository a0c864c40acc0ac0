"""Reading a Bubble app (bubble_import/source.py): GET only, answers read defensively, the
token in no error."""

from __future__ import annotations

import httpx
import pytest

from bubble_import import source
from bubble_import.source import BubbleApp, SourceError

TOKEN = "t0ken-value"  # noqa: S105 - a test's


def app_answering(handler, **kwargs) -> BubbleApp:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return BubbleApp(
        "https://app.example", token=TOKEN, client=client, sleep=lambda s: None, **kwargs
    )


@pytest.mark.parametrize(
    "body",
    [b"\x80\x81", b"[" * 100_000, b"1" * 5_000, b"<html>maintenance</html>"],
)
def test_an_answer_that_is_not_json_is_a_clear_error(body):
    app = app_answering(lambda request: httpx.Response(200, content=body))
    with pytest.raises(SourceError, match="the answer is not JSON"):
        app.get("/meta")


def test_an_answer_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(source, "MAX_BODY", 1_000)
    app = app_answering(lambda request: httpx.Response(200, content=b"[" + b"1," * 1_000 + b"1]"))
    with pytest.raises(SourceError, match="over 1,000 bytes"):
        app.get("/meta")


def test_a_retry_after_that_is_not_a_number_waits_by_itself():
    waits = []
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "nan"}), httpx.Response(200, json={})]
    )
    client = httpx.Client(transport=httpx.MockTransport(lambda request: next(answers)))
    app = BubbleApp("https://app.example", token=TOKEN, client=client, sleep=waits.append)
    assert app.get("/meta") == {} and waits == [1.0]


def test_a_page_with_counts_that_are_not_numbers_is_read():
    page = {
        "response": {"results": [{"_id": "1"}, 5], "cursor": "abc", "count": [1], "remaining": None}
    }
    app = app_answering(lambda request: httpx.Response(200, json=page))
    read = app.page("unit")
    assert (read.results, read.cursor, read.count, read.remaining) == ([{"_id": "1"}], 0, 0, 0)


def test_only_get_is_sent_and_the_token_only_in_its_header():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.headers.get("Authorization"), str(request.url)))
        return httpx.Response(500)

    app = app_answering(handler)
    with pytest.raises(SourceError) as failed:
        app.page("unit")
    assert seen == [("GET", f"Bearer {TOKEN}", seen[0][2])] and TOKEN not in seen[0][2]
    assert TOKEN not in str(failed.value) and "HTTP 500" in str(failed.value)


def test_a_network_error_names_its_kind_only():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused; headers were Bearer {TOKEN}")

    with pytest.raises(SourceError) as failed:
        app_answering(handler).get("/meta")
    assert str(failed.value).endswith("ConnectError") and TOKEN not in str(failed.value)


@pytest.mark.parametrize("token", [f"{TOKEN}\nmore", f"{TOKEN} more", "tökén"])
def test_a_token_that_cannot_be_a_header_is_refused_unshown(token):
    with pytest.raises(SourceError) as refused:
        BubbleApp("https://app.example", token=token)
    assert token not in str(refused.value)


def test_plain_http_is_for_this_machine_only():
    BubbleApp("http://127.0.0.1:8001", token=TOKEN).close()
    BubbleApp("http://localhost:8001", token=TOKEN).close()
    BubbleApp("http://myapp.example.com").close()  # no token to protect
    with pytest.raises(SourceError, match="unencrypted"):
        BubbleApp("http://myapp.example.com", token=TOKEN)


def test_the_pacer_spaces_requests_across_threads_as_max_rps_says():
    import threading

    from bubble_import.source import Pacer

    now = [100.0]
    waits: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(round(seconds, 6))

    pacer = Pacer(4, clock=lambda: now[0], sleep=sleep)
    threads = [threading.Thread(target=pacer.wait) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the first goes at once; the next four wait a quarter of a second more each
    assert sorted(waits) == [0.25, 0.5, 0.75, 1.0]


def test_the_pacer_refuses_a_rate_that_is_not_above_zero():
    from bubble_import.source import Pacer

    with pytest.raises(ValueError, match="above 0"):
        Pacer(0)


def test_an_admin_import_reads_files_on_the_apps_own_host_through_the_guard(settings):
    """The command trusts the address its operator typed, files on its host included; an
    import started in the admin does not (the app's DNS could point anywhere later)."""
    from bubble_import.files import _read
    from workflows.actions.outbound import BlockedDestination

    from .stand_in import StandIn, running

    stand_in = StandIn(files={"a.png": b"png"})
    with running(stand_in) as app:
        url = f"{app.address}/files/a.png"
        assert _read(BubbleApp(app.address), url) == b"png"
        with pytest.raises(BlockedDestination):
            _read(BubbleApp(app.address, trusted=False), url)
        settings.BUBBLE = {**settings.BUBBLE, "IMPORT_ALLOWED_HOSTS": ["127.0.0.1"]}
        assert _read(BubbleApp(app.address, trusted=False), url) == b"png"
