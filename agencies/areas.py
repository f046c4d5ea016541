"""Which named area a point lies in: for places shown to the public as an area, not a spot.

``area_locator()`` answers a :class:`AreaLocator` for the areas as they are now: one query to
see whether they changed since the process last built one (at most every
``DISPLAY_STAMP_SECONDS``), otherwise the kept one. Lookups
go through a grid of bounding boxes, then the exact polygon test
(``agencies.geometry.point_in_geometry``), so a page of a thousand points costs milliseconds.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from platform_gov.stamps import shown_table_stamp

from .geometry import GeometryError, point_in_geometry
from .models import Area

# Grid cells of 0.05° (about 5 km); an area spanning more cells than this is checked on
# every lookup instead (a district or two), which keeps the grid small.
CELL_DEGREES = 0.05
MAX_CELLS_PER_AREA = 400
# The finer the level, the better the answer: a community before its street and district.
LEVEL_RANK = {Area.Level.COMMUNITY: 0, Area.Level.STREET: 1, Area.Level.DISTRICT: 2}


@dataclass(frozen=True)
class LocatedArea:
    code: str
    name_zh: str
    name_en: str
    level: str

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        return self.name_en if language.startswith("en") and self.name_en else self.name_zh


@dataclass(frozen=True)
class _Entry:
    area: LocatedArea
    geometry: dict[str, Any]
    box: tuple[float, float, float, float]  # west, south, east, north
    rank: tuple[int, float]


def _box(geometry: dict[str, Any]) -> tuple[float, float, float, float] | None:
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    polygons = [coordinates] if geometry.get("type") == "Polygon" else coordinates or []
    xs: list[float] = []
    ys: list[float] = []
    for polygon in polygons:
        for position in (polygon or [[]])[0]:
            xs.append(float(position[0]))
            ys.append(float(position[1]))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


class AreaLocator:
    """The finest area containing a point, among the areas it was built from."""

    def __init__(self, areas: list[Area]) -> None:
        self._cells: dict[tuple[int, int], list[_Entry]] = {}
        self._wide: list[_Entry] = []
        for area in areas:
            try:
                box = _box(area.geometry)
            except (TypeError, ValueError, IndexError, AttributeError):
                continue
            if box is None:
                continue
            west, south, east, north = box
            entry = _Entry(
                area=LocatedArea(area.code, area.name_zh, area.name_en, area.level),
                geometry=area.geometry,
                box=box,
                rank=(LEVEL_RANK.get(area.level, 3), (east - west) * (north - south)),
            )
            x0, x1 = math.floor(west / CELL_DEGREES), math.floor(east / CELL_DEGREES)
            y0, y1 = math.floor(south / CELL_DEGREES), math.floor(north / CELL_DEGREES)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS_PER_AREA:
                self._wide.append(entry)
                continue
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    self._cells.setdefault((x, y), []).append(entry)

    def at(self, *, lon: float | None, lat: float | None) -> LocatedArea | None:
        """The finest area (community, then street, then district; the smaller first) that
        contains the point; None without a point or outside every area."""
        if lon is None or lat is None:
            return None
        cell = (math.floor(lon / CELL_DEGREES), math.floor(lat / CELL_DEGREES))
        best: _Entry | None = None
        for entry in (*self._cells.get(cell, ()), *self._wide):
            west, south, east, north = entry.box
            if not (west <= lon <= east and south <= lat <= north):
                continue
            if best is not None and entry.rank >= best.rank:
                continue
            try:
                inside = point_in_geometry(entry.geometry, lon=lon, lat=lat)
            except (GeometryError, TypeError, ValueError, IndexError, KeyError):
                inside = False
            if inside:
                best = entry
        return best.area if best else None


_lock = threading.Lock()
_kept: tuple[tuple[Any, ...], AreaLocator] | None = None


def area_locator() -> AreaLocator:
    """An :class:`AreaLocator` of the areas as they are now (built again after a change)."""
    global _kept
    # Only shown (the public area of a place): asked at most every DISPLAY_STAMP_SECONDS.
    version = shown_table_stamp("areas", Area.objects.all())
    kept = _kept
    if kept is not None and kept[0] == version:
        return kept[1]
    with _lock:
        locator = AreaLocator(
            list(Area.objects.only("code", "name_zh", "name_en", "level", "geometry"))
        )
        _kept = (version, locator)
    return locator
