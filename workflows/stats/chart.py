"""The dashboard's chart of runs per hour by status, as SVG drawn on the server: shapes and
labels computed here (``hourly_bars``), written as markup here too (``svg``: a week is 168
bars, which Django's template language would take long to write), so the page needs no
script and no chart library; the same figures are the chart's text table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..choices import RunStatus


@dataclass(frozen=True)
class Series:
    status: str
    label: str
    #: the CSS class of its bars and key (admin/dashboard.html)
    css: str


#: what is stacked, bottom up
SERIES = (
    Series(RunStatus.SUCCEEDED, "Succeeded", "ok"),
    Series(RunStatus.FAILED, "Failed", "failed"),
    Series(RunStatus.CONDITION_NOT_MET, "Condition not met", "skipped"),
)

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 24


def nice_top(value: int) -> int:
    """The chart's top: the smallest 1, 2, 3, 4, 5, 6 or 8 × 10^k at least ``value`` (2 at
    least): the bars fill most of the height."""
    top = 1
    while True:
        for step in (1, 2, 3, 4, 5, 6, 8):
            if top * step >= max(value, 2):
                return top * step
        top *= 10


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def hour_label(slot: datetime, *, with_day: bool) -> str:
    """ "Mon 30, 14:00" (or "14:00") in the current time zone; strftime: a week is 168
    labels, which Django's localized ``date_format`` writes slowly."""
    local = timezone.localtime(slot)
    return f"{local:%a} {local.day}, {local:%H:%M}" if with_day else f"{local:%H:%M}"


def slot_rows(slots: list[datetime], hours: dict[datetime, dict[str, int]]) -> list[dict]:
    """One row per hour: its label, the runs of each series, the total (the text table)."""
    rows = []
    for slot in slots:
        counts = hours.get(slot, {})
        values = [counts.get(series.status, 0) for series in SERIES]
        rows.append(
            {
                "hour": slot,
                "label": hour_label(slot, with_day=True),
                "values": values,
                "total": sum(values),
                "texts": [f"{value:,}" for value in values],
                "total_text": f"{sum(values):,}",
            }
        )
    return rows


def hourly_bars(rows: list[dict]) -> dict[str, Any]:
    """The shapes of a stacked bar per hour (``slot_rows``), with the axes' labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max((row["total"] for row in rows), default=0))
    step = plot_w / max(len(rows), 1)
    gap = 1 if step >= 3 else 0
    bars = []
    for i, row in enumerate(rows):
        x = LEFT + i * step
        segments, y = [], TOP + plot_h
        for series, value in zip(SERIES, row["values"], strict=True):
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            segments.append({"y": round(y, 2), "h": round(h, 2), "css": series.css})
        parts = ", ".join(
            f"{_number(value)} {series.label.lower()}"
            for series, value in zip(SERIES, row["values"], strict=True)
        )
        bars.append(
            {
                "x": round(x + gap / 2, 2),
                "w": round(max(step - gap, 0.5), 2),
                "title": f"{row['label']}: {parts}",
                "segments": segments,
            }
        )
    ticks_y = [
        {"y": round(TOP + plot_h - fraction * plot_h, 2), "label": _number(top * fraction)}
        for fraction in (0, 0.5, 1)
        if top * fraction == int(top * fraction)  # no half a run
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": TOP + plot_h,
        "label_y": HEIGHT - 6,
        "bars": bars,
        "ticks_y": ticks_y,
        "ticks_x": _ticks_x(rows, step),
        "top": top,
    }


def svg(chart: dict[str, Any], label: str) -> SafeString:
    """The chart (``hourly_bars``) as an SVG element, ``label`` its accessible name."""
    c = chart
    parts = [
        f'<svg viewBox="0 0 {c["width"]} {c["height"]}" role="img" aria-label="{escape(label)}"'
        ' class="runs-chart" preserveAspectRatio="xMinYMin meet">'
    ]
    for t in c["ticks_y"]:
        parts.append(
            f'<line class="grid" x1="{c["left"]}" x2="{c["right"]}" y1="{t["y"]}" y2="{t["y"]}"/>'
            f'<text class="axis" x="{c["left"] - 6}" y="{t["y"]}" text-anchor="end"'
            f' dominant-baseline="middle">{escape(t["label"])}</text>'
        )
    for b in c["bars"]:
        parts.append(
            f"<g><title>{escape(b['title'])}</title>"
            f'<rect class="hover" x="{b["x"]}" y="0" width="{b["w"]}" height="{c["bottom"]}"/>'
        )
        for seg in b["segments"]:
            parts.append(
                f'<rect class="bar {seg["css"]}" x="{b["x"]}" y="{seg["y"]}" width="{b["w"]}"'
                f' height="{seg["h"]}"/>'
            )
        parts.append("</g>")
    for t in c["ticks_x"]:
        parts.append(
            f'<line class="tick" x1="{t["x"]}" x2="{t["x"]}" y1="{c["bottom"]}"'
            f' y2="{c["bottom"] + 4}"/><text class="axis" x="{t["x"]}" y="{c["label_y"]}"'
            f' text-anchor="middle">{escape(t["label"])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def _ticks_x(rows: list[dict], step: float) -> list[dict]:
    """Every third hour over a day; each day's start (local time) over a week."""
    ticks = []
    daily = len(rows) > 48
    for i, row in enumerate(rows):
        local = timezone.localtime(row["hour"])
        if daily and local.hour == 0:
            label = date_format(local, "D j")
        elif not daily and local.hour % 3 == 0:
            label = date_format(local, "H:i")
        else:
            continue
        ticks.append({"x": round(LEFT + i * step, 2), "label": label})
    return ticks


def summary(rows: list[dict]) -> str:
    """The chart in one sentence (its ``aria-label``)."""
    totals = [sum(row["values"][i] for row in rows) for i in range(len(SERIES))]
    busiest = max(rows, key=lambda row: row["total"], default=None)
    parts = ", ".join(
        f"{_number(n)} {series.label.lower()}" for series, n in zip(SERIES, totals, strict=True)
    )
    text = f"Runs finished per hour over {len(rows)} hours: {parts}."
    if busiest and busiest["total"]:
        text += f" Busiest hour: {busiest['label']} ({_number(busiest['total'])} runs)."
    return text
