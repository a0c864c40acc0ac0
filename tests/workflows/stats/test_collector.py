"""The run figures of /metrics: they move when runs happen and stay right when the rollup
closes an hour (every run counted once: not twice, not lost)."""

from __future__ import annotations

import datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from workflows import engine
from workflows.choices import RunSource
from workflows.models import Run
from workflows.stats.collector import RunStatsCollector
from workflows.stats.rollup import close_hours

from .conftest import at


@pytest.fixture
def scrape(db):
    registry = CollectorRegistry()
    registry.register(RunStatsCollector())

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    value.registry = registry
    return value


@pytest.fixture
def workflows(make_workflow):
    return {
        "greet": make_workflow("greet", actions=[{"type": "log", "message": "hi"}]),
        "divide": make_workflow(
            "divide",
            parameters=[{"key": "n", "type": "number"}],
            actions=[{"type": "log", "message": "{{ 1 / params.n }}"}],
        ),
    }


def test_registering_reads_nothing(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        CollectorRegistry().register(RunStatsCollector())


def test_the_numbers_move_when_runs_happen_and_survive_the_rollup(scrape, workflows, time_machine):
    time_machine.move_to(at(minutes=30), tick=False)
    ok = {"workflow": "greet", "source": "cli", "status": "succeeded"}
    failed = {"workflow": "divide", "source": "cli", "status": "failed"}
    assert scrape("bubble_runs_total", **ok) is None
    engine.run(workflows["greet"], {})
    engine.run(workflows["greet"], {})
    assert not engine.run(workflows["divide"], {"n": 0}).ok
    assert scrape("bubble_runs_total", **ok) == 2
    assert scrape("bubble_runs_total", **failed) == 1
    assert scrape("bubble_run_duration_seconds_count", workflow="greet") == 2
    assert scrape("bubble_run_duration_seconds_bucket", workflow="greet", le="+Inf") == 2
    assert scrape("bubble_run_duration_seconds_bucket", workflow="greet", le="3600.0") == 2
    total_seconds = scrape("bubble_run_duration_seconds_sum", workflow="greet")
    assert total_seconds > 0

    time_machine.move_to(at(1, minutes=5), tick=False)
    assert close_hours() == 3  # the hour of those runs closes: the same numbers
    assert scrape("bubble_runs_total", **ok) == 2
    assert scrape("bubble_runs_total", **failed) == 1
    assert scrape("bubble_run_duration_seconds_sum", workflow="greet") == pytest.approx(
        total_seconds
    )

    engine.run(workflows["greet"], {})  # a run of the open hour adds to the closed ones
    assert scrape("bubble_runs_total", **ok) == 3
    assert scrape("bubble_run_duration_seconds_count", workflow="greet") == 3
    time_machine.move_to(at(2, minutes=5), tick=False)
    close_hours()
    assert scrape("bubble_runs_total", **ok) == 3
    assert scrape("bubble_run_stats_lag_seconds") == 5 * 60


def test_runs_in_progress_and_runs_without_a_duration(scrape, time_machine, db):
    time_machine.move_to(at(minutes=30), tick=False)
    Run.objects.create(workflow_name="w", source=RunSource.SCHEDULED)  # running
    Run.objects.create(
        workflow_name="w", source=RunSource.SCHEDULED, status="failed", finished_at=at(minutes=1)
    )  # ended by the reaper: no duration
    assert scrape("bubble_runs_in_progress") == 1
    assert scrape("bubble_runs_total", workflow="w", source="scheduled", status="failed") == 1
    assert scrape("bubble_run_duration_seconds_count", workflow="w") == 0


def test_the_text_format_names_the_metrics(scrape, workflows, time_machine):
    time_machine.move_to(at(minutes=30), tick=False)
    engine.run(workflows["greet"], {})
    text = generate_latest(scrape.registry).decode()
    assert "# TYPE bubble_runs_total counter" in text
    assert 'bubble_runs_total{source="cli",status="succeeded",workflow="greet"} 1.0' in text
    assert "# TYPE bubble_run_duration_seconds histogram" in text
    assert 'bubble_run_duration_seconds_bucket{le="0.005",workflow="greet"}' in text


def test_a_scrape_reads_a_few_rows_whatever_the_history(
    scrape, django_assert_max_num_queries, time_machine, db
):
    time_machine.move_to(at(24 * 30), tick=False)
    Run.objects.bulk_create(
        Run(
            workflow_name=f"w{i % 3}",
            status="succeeded",
            started_at=at(i),
            finished_at=at(i) + datetime.timedelta(seconds=1),
            duration_ms=1000,
        )
        for i in range(24 * 29)
    )
    close_hours()
    with django_assert_max_num_queries(6) as queries:
        assert scrape("bubble_runs_total", workflow="w0", source="api", status="succeeded") == 232
    assert not any("workflows_runstatshour" in q["sql"] for q in queries.captured_queries)
