"""Deploying a large backend, and what keeping many versions costs a call.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.deploys --workflows N --versions V

Makes ``N`` API workflows (a parameter, a condition, four steps each: the size of a real
backend's), then measures:

* a deploy of all of them (``versions.deploy.deploy``: the snapshot, its checks — every
  workflow compiled —, the changes against live and the INSERT), after one workflow
  changed, median of a few (goal: under 1 s for 200 workflows);
* the cost of a call to ``/api/1.1/wf/<name>`` (Django's test client in this process, the
  whole request: middleware, authentication, the run and its log) with one version kept
  and again after ``V`` more deploys, medians of the same number of calls measured in the
  same run: the ratio is what the kept versions cost a call (goal: no growth).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import django

GOAL_S = 1.0  # docs/performance.md: deploying 200 workflows takes under a second
CALLS = 300


def definition(i: int, word: str = "v1") -> dict[str, Any]:
    return {
        "name": f"bench-wf-{i}",
        "expose": True,
        "auth": "none",
        "only_when": "params.n >= 0",
        "parameters": [{"key": "n", "type": "number"}],
        "actions": [
            {"type": "log", "message": "start {{ params.n }}"},
            {"id": "a", "type": "return_data", "data": {"n": "{{ params.n + 1 }}", "w": word}},
            {"type": "log", "message": "after {{ steps.a.n }}", "only_when": "params.n > 5"},
            {"type": "log", "message": "done"},
        ],
    }


def populate(workflows: int) -> None:
    from django.db import transaction

    from workflows.definitions import save_definition

    with transaction.atomic():
        for i in range(workflows):
            save_definition(definition(i))


def timed_deploys(rounds: int) -> list[float]:
    from workflows.definitions import save_definition
    from workflows.versions.deploy import deploy

    times = []
    for r in range(rounds):
        save_definition(definition(0, word=f"round-{r}"))
        started = time.perf_counter()
        deploy(message=f"round {r}")
        times.append(time.perf_counter() - started)
    return times


def call_cost(calls: int) -> float:
    """Median seconds per call of bench-wf-1, over ``calls`` calls (after a warm-up)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # an allowed host of the settings
    for _ in range(20):
        client.post("/api/1.1/wf/bench-wf-1", {"n": 1}, content_type="application/json")
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.post("/api/1.1/wf/bench-wf-1", {"n": 1}, content_type="application/json")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    return statistics.median(times)


def measure(workflows: int, versions: int, calls: int = CALLS) -> dict[str, Any]:
    from workflows.definitions import save_definition
    from workflows.models import Version
    from workflows.versions.deploy import deploy

    populate(workflows)
    deploy(message="first")
    deploys = timed_deploys(5)
    one_version = call_cost(calls)
    for v in range(versions):
        save_definition(definition(2, word=f"v{v}"))
        deploy(message=f"version {v}")
    many_versions = call_cost(calls)
    return {
        "workflows": workflows,
        "deploy_s": statistics.median(deploys),
        "deploys_s": deploys,
        "versions_kept": Version.objects.count(),
        "call_one_version_ms": one_version * 1000,
        "call_many_versions_ms": many_versions * 1000,
        "calls": calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--calls", type=int, default=CALLS)
    args = parser.parse_args()
    django.setup()
    print(json.dumps(measure(args.workflows, args.versions, args.calls)))


if __name__ == "__main__":
    main()
