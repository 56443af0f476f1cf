"""SVG charts from the bins the overview's queries compute (sql/review/bins_*.sql).

This module only lays the bars out: numbers in, geometry out, rounded to a
tenth of a pixel so the same bins always give the same bytes. The markup is
written by the template `_charts.html`, whose autoescape covers every label
(a run id is user text). Each bar carries `data-n` (its count) and a
`<title>` so a test, or a user hovering it, can read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH = 360
HEIGHT = 150
PAD_LEFT = 44
PAD_RIGHT = 8
PAD_TOP = 10
PAD_BOTTOM = 28
COLORS = {"all": "#4c78a8", "chosen": "#2f9e6a", "rejected": "#d1495b"}


def number(value: float | int | None) -> str:
    """A short, stable label: integers as they are, other numbers to 3 significant digits."""
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"


def _px(value: float) -> float:
    return round(value, 1)


def histogram(title: str, bins: Sequence[dict[str, Any]], note: str = "",
              label: str = "range") -> dict[str, Any]:
    """One bar per bin (`lo`, `hi`, `n`): the chart dict `_charts.html` draws."""
    return grouped(title, [("all", bins)], note=note, label=label)


def grouped(title: str, series: Sequence[tuple[str, Sequence[dict[str, Any]]]], note: str = "",
            label: str = "range") -> dict[str, Any]:
    """Bars of several series side by side in each bin (the bins of every series are the same)."""
    n_bins = max((len(b) for _, b in series), default=0)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = max((row["n"] for _, bins in series for row in bins), default=0)
    slot = plot_w / n_bins if n_bins else plot_w
    bar_w = max(slot * 0.9 / max(len(series), 1), 0.5)
    bars = []
    for s, (name, bins) in enumerate(series):
        for i, row in enumerate(bins):
            h = plot_h * row["n"] / top if top else 0.0
            lo, hi = row.get("lo"), row.get("hi")
            span = number(lo) if lo == hi else f"{number(lo)}–{number(hi)}"
            bars.append({
                "x": _px(PAD_LEFT + i * slot + slot * 0.05 + s * bar_w), "y": _px(PAD_TOP + plot_h - h),
                "w": _px(bar_w), "h": _px(h), "n": row["n"], "series": name,
                "color": COLORS.get(name, COLORS["all"]),
                "title": f"{name + ' ' if len(series) > 1 else ''}{label} {span}: {row['n']:,}",
            })
    first = series[0][1] if series and series[0][1] else []
    return {
        "title": title, "note": note, "width": WIDTH, "height": HEIGHT, "bars": bars,
        "series": [name for name, _ in series] if len(series) > 1 else [],
        "colors": {name: COLORS.get(name, COLORS["all"]) for name, _ in series},
        "axis": {"x0": PAD_LEFT, "x1": WIDTH - PAD_RIGHT, "y0": PAD_TOP, "y1": HEIGHT - PAD_BOTTOM},
        "y_max": number(top),
        "x_min": number(first[0]["lo"]) if first else "",
        "x_max": number(first[-1]["hi"]) if first else "",
        "empty": not first or top == 0,
    }


def overview_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The overview's charts from `browse.overview` bins."""
    candidates = [{"lo": r["k"], "hi": r["k"], "n": r["turns"]} for r in data["candidates"]]
    return {
        "main": [
            histogram("Candidate scores", data["score"], note="every candidate of the step, all runs", label="score"),
            histogram("Margin (|score_diff|)", data["margin"], note="pairs an export writes", label="margin"),
            grouped("Response length, chosen vs rejected",
                    [("chosen", data["length"]["chosen"]), ("rejected", data["length"]["rejected"])],
                    note="characters, log scale", label="length"),
            histogram("Candidates per turn", candidates, note="turns by their number of candidates",
                      label="candidates"),
        ],
        "by_run": [histogram(run_id, bins, label="score") for run_id, bins in data["score_by_run"].items()],
    }
