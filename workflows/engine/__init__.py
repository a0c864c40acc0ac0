"""Pure execution: the expression sandbox, compilation of definitions, and the runner.

Nothing in here knows about HTTP requests or queues: callers (REST views, the admin,
the scheduler) hand it a workflow, parameters and an actor and get a ``RunResult`` back.
"""

from .runner import RunResult, run  # noqa: F401
