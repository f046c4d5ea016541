"""Where an issue is, as the hot room counts it: the areas containing its place.

One index of the city's areas per process (``coordination.routing.areas.AreaIndex``, the
routing engine's own point-in-area lookup), rebuilt when an area changes.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from agencies.models import Area
from coordination.routing.areas import AreaIndex
from coordination.routing.model import AreaShape
from platform_gov.stamps import table_stamp

# Grid cells for "nearby" lookups: 0.01 degree, about 1.1 km north-south.
CELL_DEGREES = 0.01
_CELL_ROW = 100_000


@dataclass(frozen=True)
class Places:
    """The city's areas: the index, and each area's id, name, level and centre by code."""

    index: AreaIndex
    ids: dict[str, int]
    levels: dict[str, str]
    centres: dict[str, tuple[float, float]]  # (lat, lon) of the area's bounding box

    def containing(self, lat: float | None, lon: float | None) -> tuple[str, ...]:
        """Codes of the areas containing the point, district first."""
        return self.index.containing(lon, lat)

    def finest(self, codes: tuple[str, ...], *, coarsest_level: str = "street") -> str | None:
        """The code warnings count by: the street (or ``coarsest_level``) the place is in,
        or the finest area when there is no street."""
        for code in codes:
            if self.levels.get(code) == coarsest_level:
                return code
        return codes[-1] if codes else None


_lock = threading.Lock()
_cached: tuple[tuple, Places] | None = None


def _centre(geometry) -> tuple[float, float] | None:
    points: list[tuple[float, float]] = []

    def walk(node) -> None:
        if (
            isinstance(node, list | tuple)
            and len(node) >= 2
            and all(isinstance(v, int | float) for v in node[:2])
        ):
            points.append((float(node[0]), float(node[1])))
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)

    walk((geometry or {}).get("coordinates", []))
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return ((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)


def city_places() -> Places:
    """The areas' index, built once per process and rebuilt after any change to an area."""
    global _cached
    key = table_stamp(Area.objects.all())
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    rows = list(Area.objects.values_list("pk", "code", "level", "geometry", "parent__code"))
    shapes = [
        AreaShape(code=code, level=level, geometry=geometry, parent=parent)
        for _pk, code, level, geometry, parent in rows
    ]
    try:
        index = AreaIndex(shapes)
    except ValueError:
        try:  # a self-crossing boundary drawn by hand: repaired, as routing would
            index = AreaIndex(shapes, repair=True)
        except ValueError:  # unreadable: better no areas than no hot issues
            index = AreaIndex([])
    centres = {code: c for _pk, code, _l, geometry, _p in rows if (c := _centre(geometry))}
    places = Places(
        index=index,
        ids={code: pk for pk, code, *_rest in rows},
        levels={code: level for _pk, code, level, *_rest in rows},
        centres=centres,
    )
    with _lock:
        _cached = (key, places)
    return places


def cell_of(lat: float | None, lon: float | None) -> int | None:
    """The grid cell of a point (about 1 km square), None without one."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    row = math.floor((lat + 90) / CELL_DEGREES)
    column = math.floor((lon + 180) / CELL_DEGREES)
    return row * _CELL_ROW + column


def cells_around(lat: float, lon: float, *, km: float = 1.0) -> list[int]:
    """The cells within ``km`` of a point (a square of them, the point's in the middle)."""
    centre = cell_of(lat, lon)
    if centre is None:
        return []
    rows = max(1, math.ceil(km / 111.0 / CELL_DEGREES))
    columns = max(1, math.ceil(km / (111.0 * max(0.1, math.cos(math.radians(lat)))) / CELL_DEGREES))
    return [
        centre + dr * _CELL_ROW + dc
        for dr in range(-rows, rows + 1)
        for dc in range(-columns, columns + 1)
    ]
