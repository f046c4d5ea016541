"""The dashboard's map: the city's areas shaded by the open issues filed in the period, or by
their resolution rate (one switch; both from the summaries), and the open issues themselves as
markers (from the record, at most
``MAX_MARKERS``, newest first), for Leaflet (``static/js/dashboard.js``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Area
from coordination.dispatch.permissions import issues_in_figures
from coordination.routing.areas import LEVELS
from issues.models import Issue

MAX_MARKERS = 2000


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _finest_areas() -> tuple[str, list[Area]]:
    """The finest level of areas the city has (community, else street, else district)."""
    areas = list(Area.objects.only("code", "name_zh", "name_en", "level", "geometry", "parent"))
    present = {area.level for area in areas}
    level = next((lv for lv in reversed(LEVELS) if lv in present), "")
    return level, [area for area in areas if area.level == level]


def area_layer(counts: dict[int | None, int], rates: dict[int | None, float | None]) -> dict:
    """The finest areas shaded by ``counts`` (open issues filed in the period, by area id)
    or by ``rates`` (the resolution rate of the work received in the period, by area id;
    None where nothing was resolved to measure), both from the summaries: the same for every
    reader of the same figures, so cached with them."""
    level, areas = _finest_areas()
    # An issue placed in a coarser area than the finest counts for none of the finest: those
    # are said apart, not guessed.
    shown = {area.pk for area in areas}

    def percent(rate: float | None) -> int | None:
        return None if rate is None else round(rate * 100)

    return {
        "level": str(dict(Area.Level.choices).get(level, "")),
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": area.geometry,
                    "properties": {
                        "code": area.code,
                        "name": area.name,
                        "count": counts.get(area.pk, 0),
                        "rate": percent(rates.get(area.pk)),
                    },
                }
                for area in areas
            ],
        },
        "most": max([counts.get(area.pk, 0) for area in areas] or [0]),
        "elsewhere": sum(n for pk, n in counts.items() if pk not in shown),
    }


def dashboard_map(user, layer: dict, period) -> dict:
    """The area layer, the tile settings, and the open issues of the period the reader may
    see as markers (the newest ``MAX_MARKERS``)."""
    start = _midnight(period.first)
    end = _midnight(period.last + timedelta(days=1))
    markers = list(
        issues_in_figures(user)
        .filter(
            status__in=Issue.OPEN_STATUSES,
            created_at__gte=start,
            created_at__lt=end,
            lat__isnull=False,
            lon__isnull=False,
        )
        .order_by("-created_at")
        .values_list("pk", "tracking_number", "lat", "lon")[:MAX_MARKERS]
    )
    return {
        **layer,
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "markers": [[number, lat, lon] for _pk, number, lat, lon in markers],
        "capped": len(markers) >= MAX_MARKERS,
        # The names of the two ways to see the open issues (the map's layer switcher).
        "layers": {"markers": _("Open issues, clustered"), "heat": _("Open issues, heat map")},
        "no_data": _("no data yet"),
    }
