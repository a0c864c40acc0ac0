"""What a confirmation page says an action touches (scheduler/admin_confirm.py)."""

from __future__ import annotations

from scheduler.admin_confirm import Touched, plural, touched
from scheduler.models import ScheduledRun


def test_one_workflow_is_named_with_the_count():
    assert Touched(1204, (("process-order", 1204),)).describe("scheduled run") == (
        "1,204 scheduled runs of process-order"
    )
    assert Touched(1, (("a", 1),)).describe("scheduled run") == "1 scheduled run of a"
    assert Touched(0, ()).describe("scheduled run") == "no scheduled run"


def test_several_workflows_each_get_their_share_and_the_rest_is_summed():
    by = tuple((f"wf-{i}", 10 - i) for i in range(7))
    assert Touched(sum(n for _, n in by), by).describe("scheduled run") == (
        "49 scheduled runs (10 of wf-0, 9 of wf-1, 8 of wf-2, 7 of wf-3, 6 of wf-4, "
        "9 of 2 other workflows)"
    )


def test_touched_counts_by_workflow_most_first(sched, wf, other_wf):
    for _ in range(3):
        sched(workflow=other_wf)
    sched()
    found = touched(ScheduledRun.objects.all())
    assert found == Touched(4, (("nightly-report", 3), ("send-reminder", 1)))
    assert plural(1, "run") == "1 run" and plural(2_000, "run") == "2,000 runs"
