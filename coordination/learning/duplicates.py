"""The arithmetic of duplicates: grid cells of the map, text fingerprints and their likeness.

Plain functions, no queries (``selectors.similar_issues`` and ``services`` use them):

- **Place.** The map is cut into squares of ``CELL_METERS`` (250 m) of latitude and the
  same number of degrees of longitude (narrower away from the equator), numbered by
  ``cell_of``. The cells a circle of radius D can touch are ``cells_near``: the index finds
  the issues filed in them within the time window, and ``distance_m`` (haversine) then
  checks the true distance. Issues without a place share the cell ``NO_PLACE``.
- **Text.** ``shingles`` are the distinct pairs of characters of the normalised title and
  description (the classifier's normalisation: NFKC, lower case, white space only between
  Latin words), hashed with CRC-32: Chinese words are mostly two characters, and English
  words contribute their letter pairs. ``likeness`` is the cosine of two such sets,
  ``|A ∩ B| / sqrt(|A| |B|)``: 1 for the same text, about 0.3-0.6 for two residents' words
  on one problem, near 0.1 for unrelated complaints of one kind (measured in
  ``bench.similar``).
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from coordination.triage.features import normalize_text

CELL_METERS = 250.0
METERS_PER_DEGREE_LAT = 110_574.0
METERS_PER_DEGREE_LON = 111_320.0
_CELL_DEG = CELL_METERS / METERS_PER_DEGREE_LAT
# Cells are packed into one integer: row * _ROW + column, both offset to be positive.
_ROW = 10_000_000
_OFFSET_COL = 2_000_000
_OFFSET_ROW = 1_000_000
NO_PLACE = -1
_EARTH_RADIUS_M = 6_371_008.8
# Near the poles a cell is a sliver of longitude; no city needs more columns than this.
_MAX_COLUMNS = 200


def _row_col(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL_DEG), math.floor(lon / _CELL_DEG)


def cell_of(lat: float | None, lon: float | None) -> int:
    """The grid cell of a place; ``NO_PLACE`` without one."""
    if lat is None or lon is None:
        return NO_PLACE
    row, col = _row_col(lat, lon)
    return (row + _OFFSET_ROW) * _ROW + (col + _OFFSET_COL)


def cells_near(lat: float, lon: float, meters: float) -> list[int]:
    """Every cell that a point within ``meters`` of (lat, lon) can lie in."""
    row, col = _row_col(lat, lon)
    rows = math.ceil(meters / CELL_METERS) + 1
    # A degree of longitude shrinks with the cosine of the latitude; take the widest band.
    widest = max(abs(lat) + (rows + 1) * _CELL_DEG, 0.0)
    shrink = max(math.cos(math.radians(min(widest, 89.9))), 1e-6)
    cols = min(
        math.ceil(meters / (CELL_METERS * shrink * METERS_PER_DEGREE_LON / METERS_PER_DEGREE_LAT))
        + 1,
        _MAX_COLUMNS,
    )
    return [
        (r + _OFFSET_ROW) * _ROW + (c + _OFFSET_COL)
        for r in range(row - rows, row + rows + 1)
        for c in range(col - cols, col + cols + 1)
    ]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def shingles(title: str, description: str) -> bytes:
    """The sorted CRC-32 hashes of the distinct character pairs of both fields, as bytes."""
    hashes: set[int] = set()
    for text in (title, description):
        text = normalize_text(text)
        hashes.update(zlib.crc32(text[i : i + 2].encode()) for i in range(len(text) - 1))
    return np.array(sorted(hashes), dtype="<u4").tobytes()


def as_array(raw: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<u4")


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two shingle sets (sorted, distinct): 0 (nothing shared) to 1 (the same)."""
    if not len(a) or not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / math.sqrt(len(a) * len(b))


def likeness_many(mine: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """``likeness(mine, other)`` for every other at once (one pass of numpy over all their
    hashes: a thousand candidates cost about a millisecond, not one call each)."""
    if not others:
        return np.zeros(0)
    sizes = np.fromiter((len(o) for o in others), np.int64, len(others))
    if not len(mine) or not sizes.sum():
        return np.zeros(len(others))
    shared = np.isin(np.concatenate(others), mine)
    owner = np.repeat(np.arange(len(others)), sizes)
    hits = np.bincount(owner, weights=shared, minlength=len(others))
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = hits / np.sqrt(sizes * len(mine))
    return np.nan_to_num(scores)


def distances_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """``distance_m`` from one point to many (haversine, vectorised)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
