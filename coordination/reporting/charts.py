"""The charts of the dispatcher's page and the managers' dashboard, as geometry for SVG.

The Content-Security-Policy allows no inline style and no script without a nonce, so charts
are SVG drawn on the server: these helpers turn figures into coordinates in a ``viewBox`` and
the templates draw them (``coordination/_rate_chart.html``, ``coordination/dashboard.html``),
with colours from CSS classes. Nothing here queries or renders; the SVGs scale with their
container.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .selectors import AgencyRates, TrendStep

RATE_CHARTS = (
    ("response_rate", _("Response rate (accepted in time)")),
    ("resolution_rate", _("Resolution rate (resolved without redo)")),
    ("satisfaction_rate", _("Satisfaction rate (rated 4 or 5)")),
    ("bounce_rate", _("Bounce-back rate")),
)
THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


def rate_charts(
    rates: Sequence[AgencyRates], *, keys: Iterable[str] | None = None, ranked: bool = False
) -> list[dict]:
    """One bar chart per rate (all of ``RATE_CHARTS``, or those of ``keys``): a row per agency
    with its percentage, None while there is nothing to measure (drawn as "no data yet").

    ``ranked`` orders each chart best to worst (a higher rate is better; for the bounce-back
    rate, a lower one), agencies with no data last, by name among equals.
    """
    wanted = set(keys) if keys is not None else None
    charts = []
    for key, title in RATE_CHARTS:
        if wanted is not None and key not in wanted:
            continue
        rows = []
        for row in rates:
            value = getattr(row, key)
            rows.append(
                {
                    "agency": row.name,
                    "assigned": row.assigned,
                    "percent": None if value is None else round(value * 100),
                    "value": value,
                }
            )
        if ranked:
            sign = 1 if key == "bounce_rate" else -1
            rows.sort(
                key=lambda r: (
                    r["value"] is None,
                    sign * (r["value"] or 0),
                    r["agency"],
                )
            )
        charts.append({"key": key, "title": title, "rows": rows})
    return charts


def _nice_top(value: int, *, ticks: int = 4) -> tuple[int, int]:
    """The top of an axis at or above ``value`` and its tick step: 1, 2 or 5 × 10ⁿ."""
    if value <= 0:
        return 1, 1
    rough = value / ticks
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    for factor in (1, 2, 5, 10):
        step = max(1, factor * power)
        if step * ticks >= value:
            return step * math.ceil(value / step), step
    return value, value  # not reached: 10 × power always fits


# The trend's canvas, in viewBox units: wide enough for a month of days, with room below for
# the dates and on the left for the counts.
TREND_WIDTH, TREND_HEIGHT = 480, 240
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 34, 6, 10, 30
TREND_LABELS = 8  # at most this many dates under the axis


def trend_chart(steps: Sequence[TrendStep]) -> dict[str, Any]:
    """Columns for issues filed per step, each with the resolved ones beside it."""
    plot_w = TREND_WIDTH - TREND_LEFT - TREND_RIGHT
    plot_h = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    base = TREND_TOP + plot_h
    top, tick = _nice_top(max((s.filed for s in steps), default=0))
    slot = plot_w / max(1, len(steps))
    bar = slot * 0.4
    every = max(1, math.ceil(len(steps) / TREND_LABELS))

    def height(count: int) -> float:
        return round(plot_h * count / top, 1)

    columns = []
    for i, s in enumerate(steps):
        x = TREND_LEFT + i * slot + slot * 0.1
        columns.append(
            {
                "start": s.start,
                "filed": s.filed,
                "resolved": s.resolved,
                "x_filed": round(x, 1),
                "x_resolved": round(x + bar, 1),
                "width": round(bar, 1),
                "h_filed": height(s.filed),
                "y_filed": round(base - height(s.filed), 1),
                "h_resolved": height(s.resolved),
                "y_resolved": round(base - height(s.resolved), 1),
                "label_x": round(TREND_LEFT + (i + 0.5) * slot, 1),
                "labelled": i % every == 0,
            }
        )
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "left": TREND_LEFT,
        "right": TREND_WIDTH - TREND_RIGHT,
        "base": base,
        "label_y": base + 18,
        "ticks": [
            {"value": v, "y": round(base - plot_h * v / top, 1)} for v in range(0, top + 1, tick)
        ],
        "columns": columns,
        "filed": sum(s.filed for s in steps),
        "resolved": sum(s.resolved for s in steps),
    }


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    geometry: dict[str, Any]


MAP_WIDTH, MAP_MAX_HEIGHT, MAP_PAD = 480, 480, 6
SHADES = 4  # shades for counts above 0; shade 0 is "none"


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def shade_of(count: int, most: int) -> int:
    """0 for none; else 1–4 by the share of the busiest area's count (quarters of it)."""
    if count <= 0 or most <= 0:
        return 0
    return min(SHADES, math.ceil(SHADES * count / most))


def area_map(areas: Sequence[MapArea], counts: Mapping[str, int]) -> dict[str, Any] | None:
    """The areas as SVG paths shaded by their counts, with the legend; None without areas.

    Longitude and latitude are projected equirectangularly: x = longitude × cos(the middle
    latitude), y = latitude (north up), which keeps a city's shapes true. Each ring is a
    subpath (the template fills with the even-odd rule, so holes stay holes).
    """
    shapes = [(area, _rings(area.geometry)) for area in areas]
    points = [p for _area, rings in shapes for ring in rings for p in ring]
    if not points:
        return None
    west = min(p[0] for p in points)
    east = max(p[0] for p in points)
    south = min(p[1] for p in points)
    north = max(p[1] for p in points)
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    inner = MAP_WIDTH - 2 * MAP_PAD
    scale = min(inner / span_x, (MAP_MAX_HEIGHT - 2 * MAP_PAD) / span_y)
    offset_x = MAP_PAD + (inner - span_x * scale) / 2
    height = math.ceil(span_y * scale + 2 * MAP_PAD)

    def xy(lon: float, lat: float) -> str:
        x = offset_x + (lon - west) * squeeze * scale
        y = MAP_PAD + (north - lat) * scale
        return f"{x:.1f} {y:.1f}"

    most = max((counts.get(area.code, 0) for area in areas), default=0)
    drawn = []
    for area, rings in shapes:
        path = " ".join(
            "M" + " L".join(xy(p[0], p[1]) for p in ring[:-1] or ring) + " Z"
            for ring in rings
            if ring
        )
        count = counts.get(area.code, 0)
        drawn.append(
            {
                "code": area.code,
                "name": area.name,
                "count": count,
                "shade": shade_of(count, most),
                "d": path,
            }
        )
    legend = [{"shade": 0, "low": 0, "high": 0}]
    for shade in range(1, SHADES + 1):
        low = math.floor((shade - 1) * most / SHADES) + 1
        high = math.floor(shade * most / SHADES)
        if low <= high:
            legend.append({"shade": shade, "low": low, "high": high})
    return {
        "width": MAP_WIDTH,
        "height": height,
        "areas": drawn,
        "ranked": sorted(drawn, key=lambda a: (-a["count"], a["name"])),
        "legend": legend,
        "most": most,
    }
