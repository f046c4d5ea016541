"""Plain GeoJSON polygon checks, enough for the areas of one city.

Coordinates are ``[lon, lat]`` pairs as GeoJSON requires. The ray-casting test treats a
point on the boundary as inside only by accident of floating point; areas of a city are
drawn without gaps, so the containing area is found by its neighbours otherwise.
"""

from __future__ import annotations

from typing import Any

Ring = list[list[float]]


class GeometryError(ValueError):
    """The value is not a GeoJSON Polygon or MultiPolygon this platform can use."""


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    raise GeometryError(f"expected a Polygon or MultiPolygon, got {kind!r}")


def validate_geometry(geometry: Any) -> None:
    """Raise GeometryError unless ``geometry`` is a usable GeoJSON (Multi)Polygon."""
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        raise GeometryError("expected a GeoJSON object with 'type' and 'coordinates'")
    try:
        polygons = _polygons(geometry)
    except (KeyError, TypeError) as error:
        raise GeometryError("malformed coordinates") from error
    if not polygons:
        raise GeometryError("a MultiPolygon needs at least one polygon")
    for polygon in polygons:
        if not polygon:
            raise GeometryError("a polygon needs an outer ring")
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise GeometryError("each ring needs at least four positions and must be closed")
            for position in ring:
                if (
                    not isinstance(position, list | tuple)
                    or len(position) < 2
                    or not all(isinstance(c, int | float) for c in position[:2])
                ):
                    raise GeometryError("each position must be [longitude, latitude]")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise GeometryError("longitude or latitude out of range")


def _in_ring(ring: Ring, lon: float, lat: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_geometry(geometry: dict[str, Any], *, lon: float, lat: float) -> bool:
    """True when the point lies inside the outer ring and outside every hole of a polygon."""
    for polygon in _polygons(geometry):
        outer, *holes = polygon
        if _in_ring(outer, lon, lat) and not any(_in_ring(h, lon, lat) for h in holes):
            return True
    return False


def rectangle(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON Polygon for a lon/lat box, closed, counter-clockwise."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }
