"""Reads of organisations and areas that are more than a ``.get()``: which areas hold a place,
and the city's areas as GeoJSON for the maps."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from platform_gov.stamps import table_stamp

from .geometry import _polygons, point_in_geometry
from .models import Area

LEVEL_DEPTH = {Area.Level.DISTRICT: 0, Area.Level.STREET: 1, Area.Level.COMMUNITY: 2}


@dataclass(frozen=True)
class _Shape:
    pk: int
    code: str
    level: str
    parent_id: int | None
    bbox: tuple[float, float, float, float]  # west, south, east, north
    geometry: dict[str, Any]


def _bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    lons = [p[0] for polygon in _polygons(geometry) for ring in polygon for p in ring]
    lats = [p[1] for polygon in _polygons(geometry) for ring in polygon for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


class _AreaCache:
    """The areas' shapes with their bounding boxes, read once per process and read again when
    an area is added, removed or changed (one small aggregate query tells: how many, the
    newest id, the latest change)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._shapes: list[_Shape] = []

    def shapes(self) -> list[_Shape]:
        stamp = table_stamp(Area.objects.all())
        with self._lock:
            if stamp != self._stamp:
                self._shapes = [
                    _Shape(a.pk, a.code, a.level, a.parent_id, _bbox(a.geometry), a.geometry)
                    for a in Area.objects.only("pk", "code", "level", "parent_id", "geometry")
                ]
                self._stamp = stamp
            return self._shapes


_cache = _AreaCache()


def area_ids_at(*, lon: float, lat: float) -> list[int]:
    """The ids of the areas holding the place, district first (empty: outside them all)."""
    found = [
        shape
        for shape in _cache.shapes()
        if shape.bbox[0] <= lon <= shape.bbox[2]
        and shape.bbox[1] <= lat <= shape.bbox[3]
        and point_in_geometry(shape.geometry, lon=lon, lat=lat)
    ]
    found.sort(key=lambda s: (LEVEL_DEPTH.get(s.level, 9), s.code))
    return [shape.pk for shape in found]


def city_has_areas() -> bool:
    return bool(_cache.shapes())


def place_in_city(*, lon: float, lat: float) -> bool:
    """Whether the place lies in the city: inside one of its top areas. A platform with no
    areas yet has no city limits to check, so every place is in it."""
    shapes = _cache.shapes()
    if not shapes:
        return True
    return any(
        shape.parent_id is None
        and shape.bbox[0] <= lon <= shape.bbox[2]
        and shape.bbox[1] <= lat <= shape.bbox[3]
        and point_in_geometry(shape.geometry, lon=lon, lat=lat)
        for shape in shapes
    )


def areas_geojson() -> dict[str, Any]:
    """The city's areas as a GeoJSON FeatureCollection, named in the active language, the
    largest first (so the smaller ones are drawn on top)."""
    areas = sorted(
        Area.objects.select_related("parent"),
        key=lambda a: (LEVEL_DEPTH.get(a.level, 9), a.code),
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": area.code,
                "geometry": area.geometry,
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent": area.parent.code if area.parent_id else None,
                },
            }
            for area in areas
        ],
    }
