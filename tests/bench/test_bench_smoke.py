"""Every benchmark runs once at a tiny size, so the suite cannot rot (not the figures: those
are ``make bench``'s, in docs/performance.md).

Each test starts real processes (gunicorn, run_scheduler, qcluster) on a fresh database of
its own, as the benchmarks do. The endpoint test runs with the Python load generator, and
with wrk too when it is installed; the PostgreSQL one needs PostgreSQL and Redis on
loopback. What is missing is skipped, with the reason.
"""

from __future__ import annotations

import os

import pytest

from bench import common, editor, endpoint, report, scheduler, steadiness
from bench.__main__ import PROFILES
from bench.loadgen import _ms, _percentile_ms, wrk_available


@pytest.fixture(scope="module")
def env():
    with common.fresh_backend("sqlite") as environment:
        yield environment


@pytest.mark.parametrize(
    "loadgen",
    [
        "python",
        pytest.param(
            "wrk",
            marks=pytest.mark.skipif(
                not wrk_available(), reason="wrk is not installed (apt-get install wrk)"
            ),
        ),
    ],
)
def test_endpoint(env, loadgen, monkeypatch):
    if loadgen == "python":
        monkeypatch.setenv("BENCH_LOADGEN", "python")
    result = endpoint.bench_endpoint(
        {**env, "BENCH_CONN_MAX_AGE": "600"}, connections=2, seconds=1, rounds=1, warmup=0
    )
    assert result["ours"]["rps"] > 0 and result["baseline"]["rps"] > 0
    assert result["ours"]["errors"] == result["baseline"]["errors"] == 0
    assert result["runs_logged"] >= result["requests_served"] > 0
    # n8n's scenario, sent without credentials, beside its DRF view
    assert result["echo"]["rps"] > 0 and result["echo_baseline"]["rps"] > 0
    assert result["echo"]["errors"] == result["echo_baseline"]["errors"] == 0
    assert result["n8n_ratio"] == round(result["echo"]["rps"] / endpoint.N8N_RPS, 2)
    text = report.markdown({"profile": "tiny", "machine": common.machine(), "endpoint": result})
    assert "| Endpoint: n8n's scenario (a JSON body echoed with computed fields" in text
    assert "| n8n's scenario: DRF view |" in text
    # the run log's floor: the DRF view plus a logged run's statements by hand
    assert result["floor"]["rps"] > 0 and result["floor"]["errors"] == 0
    assert result["floor_ratio"] == round(result["floor"]["rps"] / result["baseline"]["rps"], 3)
    assert "| the run log's floor: DRF view + a logged run's statements |" in text
    assert "extra: the run log's floor" in text
    floor_runs = common.sql_value(
        env,
        "SELECT count(*) FROM workflows_run r WHERE r.source = 'bench-floor' "
        "AND r.status = 'succeeded' AND r.finished_at IS NOT NULL "
        "AND (SELECT count(*) FROM workflows_steprun s WHERE s.run_id = r.id) = 2",
    )
    assert floor_runs >= result["floor"]["requests"] > 0  # each ended, with its two steps


def test_wrk_durations_are_read_in_milliseconds():
    assert (_ms("850.00us"), _ms("12.5ms"), _ms("1.20s")) == (0.85, 12.5, 1200.0)


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/api/1.1/wf/bench-create-customer
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.61ms    1.02ms  11.30ms   62.50%
    Req/Sec   262.50     12.99    280.00     99.50%
  Latency Distribution
     50%    7.40ms
     75%    8.02ms
     90%    9.10ms
     99%   11.30ms
  263 requests in 1.00s, 98.12KB read
"""


def test_wrk_percentiles_are_read_from_the_distribution_not_the_thread_stats():
    assert (_percentile_ms(WRK_OUTPUT, 50), _percentile_ms(WRK_OUTPUT, 99)) == (7.4, 11.3)


def test_engine_alone(env):
    result = endpoint.bench_engine(env, runs=10, warmup=2)
    assert result["engine_us"] > 0 and result["orm_us"] > 0 and result["logged_runs"] == 10


def test_lateness(env):
    result = scheduler.bench_lateness(env, 3, first=0.5, span=0.5, warmup=1)
    assert result["runs"] == 3 and result["statuses"] == {"succeeded": 3}
    assert 0 <= result["p50_s"] <= result["p99_s"] <= result["max_s"]


def test_throughput(env):
    result = scheduler.bench_throughput(env, 2, rounds=1)
    assert result["ours_statuses"] == result["raw_statuses"] == {"succeeded": 2}
    assert result["ours_runs_per_s"] > 0 and result["raw_runs_per_s"] > 0
    assert result["noop_runs_per_s"] > 0


def test_bulk(env):
    result = scheduler.bench_bulk(env, 50)
    assert result["items"] == 50 and result["write_s"] > 0 and result["cancel_s"] >= 0
    # write_s is rounded to the millisecond, the scaled figure is not
    assert result["write_s_at_100k"] == pytest.approx(result["write_s"] * 2000, abs=1.0)


def test_admin_pages(env):
    result = common.script(env, "bench.admin_pages", "--rows=100", "--views=1")
    assert result["rows"] == 100 and len(result["pages"]) == 12
    assert all(page["median_s"] > 0 for page in result["pages"].values())


def test_dashboard(env):
    result = common.script(env, "bench.dashboard", "--runs=300", "--views=1", "--writes=20")
    assert result["runs"] == 300 and result["first_rollup_runs"] > 0
    assert set(result["pages"]) == {
        "index without the dashboard",
        "index, 24h",
        "dashboard context alone, 24h",
        "index, 7d",
        "dashboard context alone, 7d",
    }
    assert result["scrape"]["bytes"] > 0 and len(result["index_cost"]["with_index_us"]) == 5
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "backends": {"sqlite": {"dashboard": result}},
        }
    )
    assert "## Runs dashboard and /metrics" in text and "Admin index with the runs" in text


def test_schema_changes(env):
    result = common.script(env, "bench.schema_changes", "--rows=1000")
    assert result["rows"] == 1000 and result["writes"] > 0
    for change in ("add_nullable_field", "add_indexed_field"):
        assert result[change]["change_s"] > 0 and result[change]["longest_write_s"] >= 0
    text = report.markdown(
        {"profile": "tiny", "machine": common.machine(), "backends": {"sqlite": {"schema": result}}}
    )
    assert "## Changing a large data type" in text and "Add a nullable field" in text


def test_steadiness(env):
    result = steadiness.bench_steadiness(env, 20, every=0.2)
    assert len(result["tenths"]) == 10 and result["memory"]["end"]["largest_mib"] > 0


@pytest.mark.skipif(not common.pg_reachable(), reason="PostgreSQL or Redis is not reachable")
def test_postgresql_and_redis():
    with common.fresh_backend("pg") as pg_env:
        assert pg_env["REDIS_URL"] == common.REDIS_URL
        assert scheduler.bench_bulk(pg_env, 50)["items"] == 50


def test_csv_import(env):
    result = common.script(env, "bench.csv_import", "--rows=50", "--rounds=1")
    assert result["rows"] == 50 and result["ours_s"] > 0 and result["baseline_s"] > 0
    assert result["ours_s_at_100k"] == pytest.approx(result["ours_s"] * 2000, rel=0.01)
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "only": ["csv"],
            "backends": {"pg": {"csv": result}},
        }
    )
    assert "## CSV import" in text and "## Scheduler" not in text
    assert "| CSV import, 100,000 rows of 6 fields (PostgreSQL + Redis) (50 measured" in text
    assert "| < 30 s |" in text


def test_app_import(env):
    result = common.script(env, "bench.app_import", "--rows=300")
    assert result["counts"] == {"user": 6, "unit": 84, "order": 90, "review": 60, "payment": 60}
    assert result["ours_s"] > 0 and result["baseline_s"] > 0
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "only": ["app_import"],
            "backends": {"pg": {"app_import": result}},
        }
    )
    assert "## Bringing a Bubble app over" in text and "## Scheduler" not in text
    assert "| Bubble app import, 100,000 rows over 5 linked types (PostgreSQL + Redis) (300" in text
    assert "| < 120 s |" in text


def test_pruning():
    # a database of its own: the other benchmarks' runs would be pruned with its history
    with common.fresh_backend("sqlite") as own:
        result = common.script(own, "bench.pruning", "--rows=1000")
    assert (result["pruned_runs"], result["pruned_steps"]) == (1000, 2000)
    assert result["pruned_scheduled_runs"] == 100
    assert result["left_behind"] == {"runs": 0, "scheduled_runs": 0}
    assert result["writer_rows_kept"] and result["during"]["writes"] > 0
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "backends": {"sqlite": {"pruning": result}},
        }
    )
    assert "## Pruning run history" in text
    assert "| Prune 1,000 runs (2,000 steps, 100 scheduled runs), a writer writing runs" in text


def test_deploys(env):
    """Deploying a backend and calling it with versions kept (bench/deploys.py), reported."""
    result = common.script(env, "bench.deploys", "--workflows=5", "--versions=2", "--calls=5")
    assert result["workflows"] == 5 and result["versions_kept"] == 1 + 5 + 2
    assert result["deploy_s"] > 0 and result["call_many_versions_ms"] > 0
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "backends": {"sqlite": {"deploys": result}},
        }
    )
    assert "| Deploy 5 workflows to live (SQLite + ORM broker) |" in text
    assert "| A call with 8 versions kept (SQLite + ORM broker) |" in text


def test_statements(env):
    """Hand-written SQL against the ORM, use by use (bench/statements.py), reported."""
    result = common.script(env, "bench.statements", "--calls=10")
    assert result["api_call_us"] > 0 and result["scheduled_run_us"] > 0
    uses = {use["use"]: use for use in result["uses"]}
    assert "API key with its user (authentication)" in uses
    assert all(use["hand_us"] > 0 and use["orm_us"] > 0 for use in uses.values())
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "only": ["statements"],
            "backends": {"sqlite": {"statements": result}},
        }
    )
    assert "## Hand-written SQL against the ORM" in text
    assert "| API key with its user (authentication) | SQLite + ORM broker |" in text


def test_runs_admin(env):
    """The Runs list's benchmark (bench/runs_admin.py): every view answers, its report."""
    result = common.script(
        env, "bench.runs_admin", "--rows=300", "--views=1", "--writes=20", "--rounds=1"
    )
    assert result["rows"] == 300 and len(result["pages"]) == 24
    assert all(page["median_s"] > 0 for page in result["pages"].values())
    assert result["pages"]["failed"]["rows_shown"] > 0
    assert result["write_cost"]["alternating"] is True
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "only": ["runs"],
            "backends": {"sqlite": {"runs": result}},
        }
    )
    assert "## Runs list" in text and "| search: no match |" in text
    assert "| Admin Runs list, 300 runs, slowest search of 11 (SQLite + ORM broker)" in text


def test_report_names_each_missed_goal_and_its_reason():
    results = {
        "profile": "quick",
        "machine": common.machine(),
        "total_s": 300,
        "load_before": [0.1, 0.1, 0.1],
        "endpoint": {
            "server": "gunicorn",
            "client": "wrk",
            "rounds": 3,
            "seconds": 5,
            "ours": {"rps": 70.0, "p50_ms": 100.0, "p99_ms": 150.0, "requests": 350},
            "baseline": {"rps": 140.0, "p50_ms": 50.0, "p99_ms": 80.0, "requests": 700},
            "rps_ratio": 0.5,
            "cost_ratio": 2.0,
            "runs_logged": 351,
            "requests_served": 350,
        },
        "backends": {
            "sqlite": {
                "lateness": {"runs": 5, "p50_s": 0.1, "p99_s": 0.2, "max_s": 0.3},
                "throughput": {
                    "runs": 5,
                    "rounds": 1,
                    "ours_runs_per_s": 90.0,
                    "raw_runs_per_s": 100.0,
                    "noop_runs_per_s": 300.0,
                    "ratio": 0.9,
                    "ratio_noop": 0.3,
                    "ours_rounds": [90.0],
                    "raw_rounds": [100.0],
                },
                "bulk": {
                    "items": 50,
                    "write_s": 0.002,
                    "cancel_s": 0.003,
                    "write_s_at_100k": 4.0,
                    "cancel_s_at_100k": 6.0,
                },
                "admin": {"error": "RuntimeError: boom"},
            }
        },
    }
    text = report.markdown(results)
    assert text.startswith("# Performance")
    assert "| Endpoint: requests/s, create one thing and return it (SQLite) | 70/s" in text
    assert "| 50% | ≥ 77% (cost ≤ 1.3×) | **no** |" in text
    assert "| 0.100 / 0.200 / 0.300 s | – | – | p99 ≤ 1 s | yes |" in text
    assert "| 90% | ≥ 80% | yes |" in text
    assert "(50 measured, ×2000) | 6.000 s | – | – | < 5 s | **no** |" in text
    assert "not measured: RuntimeError: boom" in text
    missed = text.split("## Goals missed")[1]
    assert "**Endpoint cost against the DRF view.**" in missed
    assert "**Cancelling 100,000 runs (SQLite + ORM broker).**" in missed
    assert "Scheduler throughput" not in missed  # met: not explained
    assert report.errors(results) == ["admin (sqlite)"]


def test_profiles_cover_every_benchmark():
    for sizes in PROFILES.values():
        assert set(sizes) == {
            "endpoint",
            "engine",
            "lateness",
            "throughput",
            "bulk",
            "admin_rows",
            "steadiness",
            "outbound",
            "editor",
            "schema",
            "csv",
            "dashboard",
            "runs",
            "pruning",
            "app_import",
            "deploys",
            "statements",
        }
    assert PROFILES["full"]["csv"]["rows"] == PROFILES["quick"]["csv"]["rows"] == 100_000
    assert PROFILES["full"]["app_import"] == PROFILES["quick"]["app_import"] == 100_000
    assert PROFILES["full"]["bulk"] == PROFILES["full"]["steadiness"] == 100_000
    assert PROFILES["full"]["admin_rows"] == PROFILES["quick"]["schema"] == 1_000_000


def test_outbound(env):
    from bench import outbound

    result = outbound.bench_outbound(env, wait=2, connections=1)
    assert result["baseline"]["requests"] > 0 and result["baseline"]["errors"] == 0
    for shape in outbound.SHAPES:
        assert result[shape]["slow_run"]["status"] == 200
        assert result[shape]["errors"] == 0
    text = report.markdown(
        {
            "profile": "tiny",
            "machine": common.machine(),
            "backends": {"sqlite": {"outbound": result}},
        }
    )
    assert "## A slow outbound call" in text


@pytest.mark.skipif(
    not os.access(editor.CHROMIUM, os.X_OK), reason=f"Chromium not found at {editor.CHROMIUM}"
)
def test_editor(env):
    result = editor.bench_editor(env, loads=1, warmup=0, steps=8, views=1)
    assert result["steps"] == 8 and result["clicked_step"] == 5
    for name in editor.PAGES:
        page = result["pages"][name]
        assert 0 < page["html_ms"] <= page["interactive_ms"] and page["cpu_ms"] > 0
    for name in ("long", "one"):
        page = result["pages"][name]
        assert page["ready_ms"] <= page["interactive_ms"] and page["checked_ms"] > 0
        assert page["click_ms"] > 0 and page["key_ms"] > 0 and page["typed_checked_ms"] > 0
    assert result["bytes"]["check_long"] > result["bytes"]["check_one"] > 0
    text = report.markdown(
        {"profile": "tiny", "machine": common.machine(), "only": ["editor"], "editor": result}
    )
    assert "## Workflow editor" in text and "Editor of a 8-step workflow: interactive" in text
    assert "on its own (`.venv/bin/python -m bench --only editor --tiny`)" in text


def test_the_editor_workflow_is_the_mix_the_issue_names():
    steps = editor.definition(50)["actions"]
    types = [step["type"] for step in steps]
    assert len(steps) == 50 and types[-1] == "return_data"
    assert {"make_changes", "create_thing", "send_email", "schedule_workflow"} <= set(types)
    assert steps[editor.clicked_step(50)]["type"] == "make_changes"
    assert [s["type"] for s in editor.definition(1)["actions"]] == ["make_changes"]
