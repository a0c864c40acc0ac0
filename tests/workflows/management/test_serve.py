"""``manage.py serve`` watching its children (gunicorn and run_scheduler), with stand-ins
for them: a child stopping on its own stops everything and exits non-zero; SIGTERM exits 0.
The real processes are in tests/e2e/test_serve.py."""

from __future__ import annotations

import io
import signal
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from workflows.management.commands import serve


class FakeChild:
    """A child process whose ``poll()`` answers from a script of return codes (None:
    running); the last answer repeats."""

    def __init__(self, script: list[int | None], on_poll: Callable[[int], None] | None = None):
        self.script = script
        self.polls = 0
        self.on_poll = on_poll
        self.signals: list[int] = []

    def poll(self) -> int | None:
        self.polls += 1
        if self.on_poll:
            self.on_poll(self.polls)
        return self.script[min(self.polls, len(self.script)) - 1]

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.script = [0]  # stops when asked

    def wait(self, timeout: float | None = None) -> int | None:
        return self.poll()

    def kill(self) -> None:
        self.script = [-signal.SIGKILL]


@pytest.fixture
def children(monkeypatch):
    """The children serve starts, in order (gunicorn, run_scheduler), from ``scripts``."""
    started: list[FakeChild] = []
    handlers: dict[int, Callable] = {}
    scripts: list[FakeChild] = []

    def popen(argv, *args, **kwargs):
        child = scripts[len(started)]
        child.argv = argv
        started.append(child)
        return child

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(
        serve.signal, "signal", lambda sig, handler: handlers.update({sig: handler})
    )
    monkeypatch.setattr(serve, "check_port_free", lambda host, port: None)
    monkeypatch.setattr(serve, "wait_until_listening", lambda *args, **kwargs: True)
    monkeypatch.setattr(serve.time, "sleep", lambda seconds: None)
    return scripts, started, handlers


def test_a_failing_scheduler_stops_the_server_and_exits_non_zero(children):
    scripts, started, _ = children
    scripts += [FakeChild([None]), FakeChild([None, None, 2])]
    out = io.StringIO()
    with pytest.raises(
        CommandError, match=r"The scheduler \(run_scheduler\) stopped \(exit code 2\)"
    ) as error:
        call_command("serve", "--port", "8123", stdout=out)
    assert error.value.returncode == 2
    assert "is up" in out.getvalue()
    assert started[0].signals == [signal.SIGTERM]  # gunicorn stopped too
    assert "gunicorn" in started[0].argv and "127.0.0.1:8123" in started[0].argv


def test_a_killed_web_server_exits_non_zero(children):
    scripts, started, _ = children
    scripts += [FakeChild([None, -signal.SIGKILL]), FakeChild([None])]
    with pytest.raises(CommandError, match=r"killed by SIGKILL") as error:
        call_command("serve", "--port", "8123", stdout=io.StringIO())
    assert error.value.returncode == 1
    assert started[1].signals == [signal.SIGTERM]


def test_a_child_stopping_on_its_own_with_code_0_is_still_a_failure(children):
    scripts, _, _ = children
    scripts += [FakeChild([None]), FakeChild([None, 0])]
    with pytest.raises(CommandError, match=r"\(exit code 0\)") as error:
        call_command("serve", "--port", "8123", stdout=io.StringIO())
    assert error.value.returncode == 1


def test_sigterm_stops_both_children_and_exits_0(children):
    scripts, started, handlers = children

    def sigterm_on_third_poll(polls: int) -> None:
        if polls == 3:
            handlers[signal.SIGTERM](signal.SIGTERM, None)

    scripts += [FakeChild([None], on_poll=sigterm_on_third_poll), FakeChild([None])]
    call_command("serve", "--port", "8123", stdout=io.StringIO())  # no CommandError
    assert [child.signals for child in started] == [[signal.SIGTERM], [signal.SIGTERM]]


def test_port_host_and_workers_default_to_the_settings(children, settings):
    settings.PORT, settings.HOST, settings.WEB_WORKERS = 8321, "0.0.0.0", 5  # noqa: S104
    scripts, started, _ = children
    scripts += [FakeChild([None, 1]), FakeChild([None])]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("serve", stdout=out)
    argv = started[0].argv
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8321"
    assert argv[argv.index("--workers") + 1] == "5"
    assert "http://0.0.0.0:8321/admin/" in out.getvalue()


def test_gunicorn_lets_a_workflow_run_to_its_own_timeout(children, settings):
    """gunicorn's default (30 s) killed workers whose workflows may run 300 s."""
    settings.WEB_TIMEOUT = 330
    scripts, started, _ = children
    scripts += [FakeChild([None, 1]), FakeChild([None])]
    with pytest.raises(CommandError):
        call_command("serve", "--port", "8124", stdout=io.StringIO())
    argv = started[0].argv
    assert argv[argv.index("--timeout") + 1] == "330"
