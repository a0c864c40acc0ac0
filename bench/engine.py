"""The engine alone, in-process: microseconds per run of the endpoint benchmark's workflow.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.engine [--runs N] [--profile]

No HTTP, no server: ``workflows.engine.run`` of ``bench-create-customer`` as the API calls
it (compiled workflow, the caller as actor, run log written), many times after a warm-up,
against the same ORM work done by hand (the insert in a transaction and the DRF serializer
of bench/baseline.py). Prints one JSON line; ``--profile`` prints pyinstrument's tree of
the engine runs instead (how the hot spots in docs/performance.md were found).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import django

WORKFLOW = "bench-create-customer"
PARAMS = {"name": "Ada Lovelace", "email": "ada@example.com"}


def _timed(fn: Callable[[], object], runs: int, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean µs per call of ``fn`` (``runs`` calls in all)."""
    per_round = max(1, runs // rounds)
    means = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            fn()
        means.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(means)


def measure(runs: int, warmup: int, profile: bool = False) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from bench.baseline import CustomerOut
    from examples.models import Customer
    from workflows import engine
    from workflows.choices import RunSource
    from workflows.engine.cache import get_compiled
    from workflows.models import Run, Workflow

    user, _ = get_user_model().objects.get_or_create(username="bench-engine")
    workflow = Workflow.objects.get(name=WORKFLOW)

    def ours() -> None:
        result = engine.run(get_compiled(workflow), PARAMS, user, source=RunSource.API)
        assert result.ok, result.error

    def by_hand() -> None:
        with transaction.atomic():
            customer = Customer.objects.create(user=user, **PARAMS)
        CustomerOut(customer).data  # noqa: B018 - the serialization is the work

    for _ in range(warmup):
        ours()
        by_hand()
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            ours()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
        return {}
    runs_before = Run.objects.count()
    ours_us = _timed(ours, runs)
    by_hand_us = _timed(by_hand, runs)
    return {
        "runs": runs,
        "engine_us": round(ours_us, 1),
        "orm_us": round(by_hand_us, 1),
        "ratio": round(ours_us / by_hand_us, 2),
        "logged_runs": Run.objects.count() - runs_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    django.setup()
    result = measure(args.runs, args.warmup, args.profile)
    if result:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
