"""Which run the lines being logged belong to (workflows/log_context.py): named once the
run's row exists, forgotten when its function returns, the outer run's again after a run
inside it."""

from __future__ import annotations

import pytest

from workflows import log_context


@log_context.logged_run
def a_run(run_id: str, inside=None, fail: bool = False) -> list:
    seen = [log_context.current_run_id()]  # before its row exists: none of its own
    log_context.set_run(run_id)
    seen.append(log_context.current_run_id())
    if inside is not None:
        seen.append(inside())
        seen.append(log_context.current_run_id())
    if fail:
        raise RuntimeError("crashed")
    return seen


def test_a_run_names_its_lines_until_it_returns():
    assert log_context.current_run_id() is None
    assert a_run("r1") == [None, "r1"]
    assert log_context.current_run_id() is None


def test_a_run_inside_a_run_gives_the_outer_one_back():
    seen = a_run("outer", inside=lambda: a_run("inner"))
    assert seen == [None, "outer", [None, "inner"], "outer"]


def test_forgotten_when_the_run_raises():
    with pytest.raises(RuntimeError):
        a_run("r2", fail=True)
    assert log_context.current_run_id() is None
