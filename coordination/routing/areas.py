"""Which areas contain a place: a grid spatial index with exact point-in-polygon tests.

Boundaries are GeoJSON Polygons or MultiPolygons, holes included, read with the even-odd
rule (a point is inside when a ray from it crosses the area's rings an odd number of
times). The city's bounding box is cut into a grid of about eight cells per area. When
the index is built, each cell learns, for every area whose bounding box overlaps it,
whether the cell lies wholly inside the area (no edge of the area passes through the
cell and its centre is inside), wholly outside, or on the area's boundary. A lookup finds
the point's cell and runs the exact crossing-number test only for the areas whose
boundary passes through that cell, and only over the few edges that a ray from that cell
can cross (those spanning the cell's row and reaching its column).

Why not ``shapely.STRtree.query(Point(lon, lat), predicate="intersects")``: measured on the
benchmark's 3,000 areas it costs about 37 µs a lookup (9 µs of it building the Point), more
than half of what a whole decision may take; this index answers the same question in about
5 µs (building it takes about half a second), and the tests check it against STRtree on
random points. shapely is
still used, optionally, to repair invalid boundaries (``repair=True``).

A point exactly on an edge shared by two areas of one level belongs to exactly one of them
(the crossing test counts an edge's lower end but not its upper end, and both neighbours
store the shared edge identically), so a tiling of the city gives every point at most one
street and one community.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from .model import AreaShape

__all__ = ["LEVELS", "AreaIndex"]

LEVELS = ("district", "street", "community")
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# Finer grids answer faster (fewer boundary cells) and build slower; measured on the
# benchmark's city: 4 cells an area, 6-10 µs a lookup; 8, about 5 µs; 16, about 4.5 µs.
CELLS_PER_AREA = 8

Point = tuple[float, float]
Ring = list[Point]
# An edge, stored the same way by both areas that share it: (y_low, y_high, x at y_low,
# dx/dy). Horizontal edges are never crossed by a horizontal ray and are left out.
Edge = tuple[float, float, float, float]
# A grid cell: codes and indexes of the areas wholly containing it, and for each area whose
# boundary passes through it, (index, the edges a ray from the cell may cross).
_Cell = tuple[tuple[str, ...], tuple[int, ...], tuple[tuple[int, tuple[Edge, ...]], ...]]


class _Polygonal:
    """One area's rings and bounding box."""

    __slots__ = ("rings", "xmax", "xmin", "ymax", "ymin")

    def __init__(self, rings: list[Ring]) -> None:
        self.rings = rings
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        self.xmin, self.xmax = min(xs), max(xs)
        self.ymin, self.ymax = min(ys), max(ys)


def _crosses_odd(edges: Iterable[Edge], x: float, y: float) -> bool:
    """Whether a ray from (x, y) towards +x crosses an odd number of ``edges``."""
    odd = False
    for y_low, y_high, x_low, slope in edges:
        if y_low <= y < y_high and x < x_low + (y - y_low) * slope:
            odd = not odd
    return odd


def _read_ring(raw: Any) -> Ring:
    ring = [(float(position[0]), float(position[1])) for position in raw]
    if len(ring) < 3:
        raise ValueError("a ring needs at least three positions")
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _geojson_rings(geometry: Any) -> list[Ring]:
    """Every ring (shells and holes) of a GeoJSON Polygon or MultiPolygon."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = list(geometry["coordinates"])
    else:
        raise ValueError(f"expected a GeoJSON Polygon or MultiPolygon, got {kind!r}")
    return [_read_ring(ring) for polygon in polygons for ring in polygon]


def _repaired_rings(geometry: Any) -> list[Ring]:
    """The rings of ``geometry`` after shapely's ``make_valid``, if it is invalid."""
    import shapely  # deferred: only needed to repair
    from shapely.geometry import shape

    rings = _geojson_rings(geometry)  # refuses what is not a (Multi)Polygon first
    shaped = shape(geometry)
    if shaped.is_valid:
        return rings
    rings = []
    # "structure" unions overlapping parts (what a drawn boundary means); the default
    # "linework" would keep their overlap out, as the even-odd rule does.
    repaired = shapely.make_valid(shaped, method="structure", keep_collapsed=False)
    for part in shapely.get_parts(repaired):
        for polygon in shapely.get_parts(part):  # a collection may hold multipolygons
            if isinstance(polygon, shapely.Polygon):
                rings.append([(x, y) for x, y, *_ in polygon.exterior.coords])
                rings.extend([(x, y) for x, y, *_ in hole.coords] for hole in polygon.interiors)
    return rings


class AreaIndex:
    """The areas of a city, answering "which areas contain this place?".

    Areas are kept sorted by level (district, street, community, then any other level)
    and code, so that answers come out in that order without sorting each time.
    """

    __slots__ = (
        "_cell_h",
        "_cell_w",
        "_cells",
        "_codes",
        "_levels",
        "_levels_view",
        "_nx",
        "_ny",
        "_parents",
        "_polygons",
        "_x0",
        "_y0",
    )

    def __init__(
        self,
        shapes: Iterable[AreaShape],
        *,
        repair: bool = False,
        cells_per_area: float = CELLS_PER_AREA,
    ) -> None:
        """Index ``shapes``; ``repair`` runs invalid boundaries through shapely's make_valid.

        Raises ValueError for duplicate codes and unreadable boundaries.
        """
        ordered = sorted(shapes, key=lambda s: (_LEVEL_RANK.get(s.level, len(LEVELS)), s.code))
        codes = [s.code for s in ordered]
        dupes = sorted(code for code, count in Counter(codes).items() if count > 1)
        if dupes:
            raise ValueError(f"duplicate area codes: {', '.join(dupes)}")
        polygons = []
        for area in ordered:
            try:
                rings = (_repaired_rings if repair else _geojson_rings)(area.geometry)
            except (KeyError, TypeError, ValueError, IndexError) as error:
                raise ValueError(f"area {area.code}: unreadable boundary ({error})") from error
            if not rings:
                raise ValueError(f"area {area.code}: boundary encloses nothing")
            polygons.append(_Polygonal(rings))
        self._codes = tuple(codes)
        self._levels = {s.code: s.level for s in ordered}
        self._levels_view = MappingProxyType(self._levels)
        self._parents = {s.code: s.parent for s in ordered}
        self._polygons = tuple(polygons)
        self._build_grid(cells_per_area)

    def _build_grid(self, cells_per_area: float) -> None:
        polygons = self._polygons
        if not polygons:
            self._x0 = self._y0 = 0.0
            self._cell_w = self._cell_h = 1.0
            self._nx = self._ny = 1
            self._cells: tuple[_Cell, ...] = (((), (), ()),)
            return
        x0 = min(p.xmin for p in polygons)
        y0 = min(p.ymin for p in polygons)
        width = max(p.xmax for p in polygons) - x0 or 1.0
        height = max(p.ymax for p in polygons) - y0 or 1.0
        target = max(1, round(len(polygons) * cells_per_area))
        nx = max(1, round(math.sqrt(target * width / height)))
        ny = max(1, math.ceil(target / nx))
        cell_w, cell_h = width / nx, height / ny
        self._x0, self._y0, self._cell_w, self._cell_h = x0, y0, cell_w, cell_h
        self._nx, self._ny = nx, ny

        # Cells are found with the same monotone arithmetic as ``containing`` uses, so
        # whatever lies between two points lies in the cells between theirs.
        last_column, last_row = nx - 1, ny - 1
        inside: list[list[int]] = [[] for _ in range(nx * ny)]
        boundary: list[list[tuple[int, tuple[Edge, ...]]]] = [[] for _ in range(nx * ny)]
        for index, p in enumerate(polygons):
            # 1. The cells each edge may pass through (those of its bounding box), and for
            # each row of cells, the edges spanning it with the last column they reach.
            marked: dict[int, set[int]] = {}
            row_edges: dict[int, list[tuple[Edge, int]]] = {}
            for ring in p.rings:
                cols = [min(last_column, int((x - x0) / cell_w)) for x, _ in ring]
                rows = [min(last_row, int((y - y0) / cell_h)) for _, y in ring]
                for k in range(len(ring) - 1):
                    (x1, y1), (x2, y2) = ring[k], ring[k + 1]
                    c1, c2 = (
                        (cols[k], cols[k + 1]) if cols[k] <= cols[k + 1] else (cols[k + 1], cols[k])
                    )
                    r1, r2 = (
                        (rows[k], rows[k + 1]) if rows[k] <= rows[k + 1] else (rows[k + 1], rows[k])
                    )
                    span = range(c1, c2 + 1)
                    for j in range(r1, r2 + 1):
                        if j in marked:
                            marked[j].update(span)
                        else:
                            marked[j] = set(span)
                    if y1 == y2:
                        continue  # a horizontal ray never crosses it
                    if y1 > y2:
                        x1, y1, x2, y2 = x2, y2, x1, y1
                    edge = (y1, y2, x1, (x2 - x1) / (y2 - y1))
                    for j in range(r1, r2 + 1):
                        row_edges.setdefault(j, []).append((edge, c2))
            i_lo = min(last_column, int((p.xmin - x0) / cell_w))
            i_hi = min(last_column, int((p.xmax - x0) / cell_w))
            j_lo = min(last_row, int((p.ymin - y0) / cell_h))
            j_hi = min(last_row, int((p.ymax - y0) / cell_h))
            for j in range(j_lo, j_hi + 1):
                edges_j = row_edges.get(j, [])
                crossed = marked.get(j, set())
                # 2. A marked cell keeps the edges a ray from it (towards +x) may cross:
                # those spanning its row and reaching its column. Sorted by lower end, so
                # a test can stop at the first edge above the point.
                for i in sorted(crossed):
                    near = sorted(edge for edge, reach in edges_j if reach >= i)
                    boundary[j * nx + i].append((index, tuple(near)))
                # 3. An unmarked cell holds no boundary: it is wholly inside or outside.
                # Along a row, a run of them shares one answer (the path between their
                # centres meets no edge): one test per run.
                status: bool | None = None
                cy = y0 + (j + 0.5) * cell_h
                for i in range(i_lo, i_hi + 1):
                    if i in crossed:
                        status = None
                        continue
                    if status is None:
                        status = _crosses_odd(
                            (edge for edge, _ in edges_j), x0 + (i + 0.5) * cell_w, cy
                        )
                    if status:
                        inside[j * nx + i].append(index)
        codes = self._codes
        self._cells = tuple(
            (tuple(codes[k] for k in certain), tuple(certain), tuple(maybe))
            for certain, maybe in zip(inside, boundary, strict=True)
        )

    def containing(self, lon: float | None, lat: float | None) -> tuple[str, ...]:
        """Codes of the areas containing the point, district first, then street, community."""
        if lon is None or lat is None:
            return ()
        i = (lon - self._x0) / self._cell_w
        j = (lat - self._y0) / self._cell_h
        # Also false for NaN, so a coordinate sent as NaN finds nothing.
        if not (0 <= i <= self._nx and 0 <= j <= self._ny):
            return ()
        i = int(i)
        j = int(j)
        if i == self._nx:
            i -= 1  # on the far edge of the grid
        if j == self._ny:
            j -= 1
        certain_codes, certain, maybe = self._cells[j * self._nx + i]
        if not maybe:
            return certain_codes
        found = []
        for k, edges in maybe:
            # Crossing number: count the edges a ray from the point towards +x crosses.
            odd = False
            for y_low, y_high, x_low, slope in edges:
                if y_low > lat:
                    break
                if lat < y_high and lon < x_low + (lat - y_low) * slope:
                    odd = not odd
            if odd:
                found.append(k)
        if not found:
            return certain_codes
        codes = self._codes
        if not certain:
            return tuple([codes[k] for k in found])  # indexes ascend already
        return tuple([codes[k] for k in sorted(certain + tuple(found))])

    def level_of(self, code: str) -> str | None:
        """The level of area ``code`` ("district", "street", "community"), None if unknown."""
        return self._levels.get(code)

    @property
    def levels(self) -> Mapping[str, str]:
        """Area code -> level, for every area."""
        return self._levels_view

    def parent_of(self, code: str) -> str | None:
        return self._parents.get(code)

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The declared parents of ``code``, nearest first (stops at a cycle)."""
        out: list[str] = []
        parent = self._parents.get(code)
        while parent is not None and parent not in out and parent != code:
            out.append(parent)
            parent = self._parents.get(parent)
        return tuple(out)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every area code, in level then code order."""
        return self._codes

    def __contains__(self, code: object) -> bool:
        return code in self._levels

    def __len__(self) -> int:
        return len(self._codes)
