"""The scheduler's part of the ready-made admin groups (see ``workflows.groups``)."""

from __future__ import annotations

from workflows.groups import RUN_VIEWERS, extend_group

SCHEDULERS = "Schedulers"


def register() -> None:
    """Run viewers also read the Scheduler; Schedulers read it, schedule, retry and cancel
    (stop) runs."""
    extend_group(RUN_VIEWERS, "scheduler.view_scheduledrun", "scheduler.view_recurringevent")
    extend_group(
        SCHEDULERS,
        "scheduler.view_scheduledrun",
        "scheduler.add_scheduledrun",
        "scheduler.change_scheduledrun",
        "scheduler.view_recurringevent",
        "scheduler.change_recurringevent",
    )
