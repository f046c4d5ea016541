"""GeoJSON boundaries of areas: what is accepted, and which points fall inside."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from agencies.geometry import GeometryError, point_in_geometry, rectangle, validate_geometry
from agencies.models import Area


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def ring(west, south, east, north) -> list[list[float]]:
    return rectangle(west, south, east, north)["coordinates"][0]


SQUARE = rectangle(116.0, 39.0, 117.0, 40.0)
SQUARE_WITH_HOLE = polygon(ring(116.0, 39.0, 117.0, 40.0), ring(116.4, 39.4, 116.6, 39.6))
TWO_ISLANDS = {
    "type": "MultiPolygon",
    "coordinates": [
        [ring(116.0, 39.0, 116.2, 39.2)],
        [ring(116.8, 39.8, 117.0, 40.0)],
    ],
}
# An L-shape: its bounding box covers the notch at the top right, the polygon does not.
L_SHAPE = polygon(
    [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0], [0.0, 0.0]]
)


# ------------------------------------------------------------------- validate_geometry


@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param(SQUARE, id="polygon"),
        pytest.param(SQUARE_WITH_HOLE, id="polygon-with-hole"),
        pytest.param(TWO_ISLANDS, id="multipolygon"),
        pytest.param(L_SHAPE, id="concave-polygon"),
        pytest.param(rectangle(-180, -90, 180, 90), id="whole-world-edges"),
        pytest.param(
            polygon([[116, 39], [117, 39], [117, 40, 55.0], [116, 39]]), id="altitude-ignored"
        ),
    ],
)
def test_valid_polygons_are_accepted(geometry):
    assert validate_geometry(geometry) is None


@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param(polygon([[116, 39], [117, 39], [117, 40], [116, 40]]), id="ring-not-closed"),
        pytest.param(polygon([[116, 39], [117, 39], [116, 39]]), id="ring-too-short"),
        pytest.param({"type": "Point", "coordinates": [116.4, 39.9]}, id="point"),
        pytest.param(
            {"type": "LineString", "coordinates": [[116, 39], [117, 40]]}, id="linestring"
        ),
        pytest.param({"coordinates": SQUARE["coordinates"]}, id="no-type"),
        pytest.param({"type": "Polygon"}, id="no-coordinates"),
        pytest.param([[116, 39], [117, 39], [117, 40], [116, 39]], id="not-an-object"),
        pytest.param(None, id="none"),
        pytest.param("POLYGON((116 39, 117 39, 117 40, 116 39))", id="wkt-string"),
        pytest.param(rectangle(116.0, 39.0, 181.0, 40.0), id="longitude-above-180"),
        pytest.param(rectangle(-181.0, 39.0, 116.0, 40.0), id="longitude-below-minus-180"),
        pytest.param(rectangle(116.0, 39.0, 117.0, 91.0), id="latitude-above-90"),
        pytest.param(rectangle(116.0, -91.0, 117.0, 40.0), id="latitude-below-minus-90"),
        pytest.param(rectangle(39.9, 116.4, 40.0, 116.5), id="latitude-and-longitude-swapped"),
        pytest.param(
            polygon([[116, 39], [117, 39], ["117", "40"], [116, 39]]), id="text-coordinates"
        ),
        pytest.param(polygon([[116, 39], [117, 39], [117], [116, 39]]), id="one-number"),
        pytest.param({"type": "Polygon", "coordinates": []}, id="polygon-without-rings"),
        pytest.param({"type": "MultiPolygon", "coordinates": []}, id="empty-multipolygon"),
        pytest.param(
            {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 1, 1)], []]},
            id="multipolygon-with-empty-part",
        ),
        pytest.param(
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1]]]]},
            id="multipolygon-ring-not-closed",
        ),
        pytest.param(
            polygon(ring(116.0, 39.0, 117.0, 40.0), [[116.4, 39.4], [116.6, 39.4], [116.4, 39.4]]),
            id="bad-hole",
        ),
    ],
)
def test_unusable_geometry_is_rejected(geometry):
    with pytest.raises(GeometryError):
        validate_geometry(geometry)


def test_geometry_error_is_a_value_error():
    assert issubclass(GeometryError, ValueError)


def test_rectangle_is_a_closed_counter_clockwise_ring():
    outer = rectangle(1.0, 2.0, 3.0, 4.0)["coordinates"][0]

    assert outer[0] == outer[-1] == [1.0, 2.0]
    # Shoelace sum is positive for a counter-clockwise ring.
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(outer))
    assert area2 > 0


# ------------------------------------------------------------------- point_in_geometry


@pytest.mark.parametrize(
    ("geometry", "lon", "lat", "inside"),
    [
        pytest.param(SQUARE, 116.5, 39.5, True, id="centre-of-square"),
        pytest.param(SQUARE, 116.01, 39.99, True, id="near-a-corner-inside"),
        pytest.param(SQUARE, 117.5, 39.5, False, id="east-of-square"),
        pytest.param(SQUARE, 116.5, 38.5, False, id="south-of-square"),
        pytest.param(SQUARE, 39.5, 116.5, False, id="lat-lon-swapped"),
        pytest.param(SQUARE_WITH_HOLE, 116.5, 39.5, False, id="inside-the-hole"),
        pytest.param(SQUARE_WITH_HOLE, 116.2, 39.5, True, id="between-outer-ring-and-hole"),
        pytest.param(SQUARE_WITH_HOLE, 117.5, 39.5, False, id="outside-polygon-with-hole"),
        pytest.param(TWO_ISLANDS, 116.1, 39.1, True, id="first-part-of-multipolygon"),
        pytest.param(TWO_ISLANDS, 116.9, 39.9, True, id="second-part-of-multipolygon"),
        pytest.param(TWO_ISLANDS, 116.5, 39.5, False, id="between-the-parts"),
        pytest.param(L_SHAPE, 0.5, 1.5, True, id="in-the-arm-of-an-l"),
        pytest.param(L_SHAPE, 1.5, 0.5, True, id="in-the-foot-of-an-l"),
        pytest.param(L_SHAPE, 1.5, 1.5, False, id="in-the-notch-of-an-l"),
    ],
)
def test_point_in_geometry(geometry, lon, lat, inside):
    assert point_in_geometry(geometry, lon=lon, lat=lat) is inside


def test_point_in_geometry_ignores_ring_orientation():
    clockwise = polygon(list(reversed(ring(116.0, 39.0, 117.0, 40.0))))

    assert point_in_geometry(clockwise, lon=116.5, lat=39.5)
    assert not point_in_geometry(clockwise, lon=118.0, lat=39.5)


# ------------------------------------------------------------------------- Area.clean


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [116.4, 39.9]},
        polygon([[116, 39], [117, 39], [117, 40], [116, 40]]),
        rectangle(116.0, 39.0, 117.0, 95.0),
        {},
    ],
)
def test_area_with_unusable_boundary_fails_validation_on_geometry(geometry):
    area = Area(code="chaoyang", name_zh="朝阳区", level=Area.Level.DISTRICT, geometry=geometry)

    with pytest.raises(ValidationError) as caught:
        area.clean()

    assert set(caught.value.error_dict) == {"geometry"}
    assert caught.value.error_dict["geometry"][0].message


def test_area_with_a_valid_boundary_is_clean_and_contains_its_points():
    area = Area(code="chaoyang", name_zh="朝阳区", level=Area.Level.DISTRICT, geometry=SQUARE)

    area.clean()

    assert area.contains(lon=116.5, lat=39.5)
    assert not area.contains(lon=118.0, lat=39.5)
