"""The scheduler benchmark runs end to end at a tiny size (SQLite), so it cannot rot.

The figures are not checked here: they are measured by ``bench/scheduler.py`` and recorded
in ``docs/performance.md``.
"""

from __future__ import annotations

import pytest

from bench import scheduler as bench


@pytest.fixture(scope="module")
def env():
    with bench.fresh_backend("sqlite") as environment:
        yield environment


def test_lateness(env):
    result = bench.bench_lateness(env, 5, first=0.5, span=0.5)
    assert result["runs"] == 5 and result["statuses"] == {"succeeded": 5}
    assert 0 <= result["p50_s"] <= result["p99_s"] <= result["max_s"]


def test_throughput(env):
    result = bench.bench_throughput(env, 5)
    assert result["ours_statuses"] == {"succeeded": 5}
    assert result["ours_runs_per_s"] > 0 and result["raw_runs_per_s"] > 0
    assert result["raw_saved_failed"] == 0


def test_bulk(env):
    result = bench.bench_bulk(env, 50)
    assert result["items"] == 50 and result["write_s"] > 0 and result["cancel_s"] >= 0


def test_report(tmp_path):
    results = [
        {
            "backend": "sqlite",
            "lateness": {"runs": 5, "p50_s": 0.1, "p99_s": 0.2, "max_s": 0.3},
            "throughput": {
                "runs": 5,
                "ours_runs_per_s": 90.0,
                "raw_runs_per_s": 100.0,
                "raw_saved_runs_per_s": 80.0,
                "ratio": 0.9,
                "ratio_saved": 1.125,
            },
            "bulk": {"items": 50, "write_s_at_100k": 4.0, "cancel_s_at_100k": 6.0},
        }
    ]
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\n## Endpoints\n\nkept\n")
    for _ in range(2):  # a second run replaces the section instead of adding one
        bench.write_section(out, bench.markdown(results, bench.machine(), "quick"))
    text = out.read_text()
    assert text.startswith("# Performance") and "## Endpoints\n\nkept" in text
    assert text.count("## Scheduler") == 1
    assert "| lateness p99 | 0.200 s | ≤ 1 s | yes |" in text
    assert "| 6.00 s | < 5 s | **no** |" in text
