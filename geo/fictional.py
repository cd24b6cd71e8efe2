"""A made-up borough of wards, for demonstrations and tests when the real boundaries are absent."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Polygon

from geo.crs import geometry_from_bng
from geo.wards import WardBoundary

# Invented names: none is meant to be a real ward, so demo data is never mistaken for real data.
FICTIONAL_WARD_NAMES: tuple[str, ...] = (
    "Ashby Green",
    "Brackenholme",
    "Coldwater Park",
    "Dunmere Cross",
    "Eastlow Vale",
    "Fennick Heath",
    "Gorsewood",
    "Hollinby",
    "Inchmoor Fields",
    "Juniper Row",
    "Kettlesby Rise",
    "Larkhollow",
)
#: The fictional borough's council, named like the wards (invented, never a real place).
FICTIONAL_COUNCIL_NAME = "Borough of Brackenmere (fictional)"
#: Codes start with "X" so they can never collide with an ONS (E05...) ward code.
FICTIONAL_CODE_PREFIX = "X05"

_COLUMNS, _ROWS = 4, 3
_CELL_WIDTH_M, _CELL_HEIGHT_M = 1200.0, 1000.0
# The south-west corner, in BNG metres: open country in the East Midlands, away from any
# real borough these tests load.
_ORIGIN_E, _ORIGIN_N = 441_000.0, 309_000.0
# Jitter stays far below half a cell, so every quadrilateral stays simple and valid.
_CORNER_JITTER_M = 150.0
_EDGE_WOBBLE_M = 60.0
_DECIMALS = 6  # about 0.1 m: as precise as published boundaries, and shared vertices stay equal

Vertex = tuple[int, int]
Coord = tuple[float, float]


def _edge_points(
    a: Vertex, b: Vertex, corners: dict[Vertex, Coord], rng: np.random.Generator
) -> list[Coord]:
    """Return the points along edge a->b, wobbled sideways so wards do not look ruled."""
    (ax, ay), (bx, by) = corners[a], corners[b]
    dx, dy = bx - ax, by - ay
    length = float(np.hypot(dx, dy))
    nx, ny = -dy / length, dx / length
    points = [(ax, ay)]
    for fraction in (1 / 3, 2 / 3):
        offset = float(rng.uniform(-_EDGE_WOBBLE_M, _EDGE_WOBBLE_M))
        points.append((ax + dx * fraction + nx * offset, ay + dy * fraction + ny * offset))
    points.append((bx, by))
    return points


def fictional_borough(seed: int = 0) -> list[WardBoundary]:
    """Return about a dozen made-up wards tiling a fictional borough, in WGS84 lon/lat.

    The wards form a 4 by 3 grid of irregular quadrilaterals with no gaps and no overlaps:
    neighbours share exactly the same vertices. `seed` changes the shapes, never the codes
    (X05000001 to X05000012, row by row from the south-west) or the names.
    """
    rng = np.random.default_rng(seed)
    corners: dict[Vertex, Coord] = {}
    for i in range(_COLUMNS + 1):
        for j in range(_ROWS + 1):
            interior = 0 < i < _COLUMNS and 0 < j < _ROWS
            jx, jy = rng.uniform(-_CORNER_JITTER_M, _CORNER_JITTER_M, 2) if interior else (0, 0)
            corners[(i, j)] = (
                _ORIGIN_E + i * _CELL_WIDTH_M + float(jx),
                _ORIGIN_N + j * _CELL_HEIGHT_M + float(jy),
            )

    # Each edge is drawn once and reused reversed by the ward on its other side, which is
    # what guarantees the tessellation has neither slivers nor gaps.
    edges: dict[tuple[Vertex, Vertex], list[Coord]] = {}

    def edge(a: Vertex, b: Vertex) -> list[Coord]:
        key = (a, b) if a < b else (b, a)
        if key not in edges:
            edges[key] = _edge_points(key[0], key[1], corners, rng)
        points = edges[key]
        return points if key == (a, b) else points[::-1]

    wards: list[WardBoundary] = []
    for j in range(_ROWS):
        for i in range(_COLUMNS):
            loop = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1), (i, j)]
            ring: list[Coord] = []
            for a, b in itertools.pairwise(loop):
                ring.extend(edge(a, b)[:-1])
            polygon = shapely.transform(
                geometry_from_bng(Polygon(ring)), lambda c: np.round(c, _DECIMALS)
            )
            number = j * _COLUMNS + i + 1
            wards.append(
                WardBoundary(
                    code=f"{FICTIONAL_CODE_PREFIX}{number:06d}",
                    name=FICTIONAL_WARD_NAMES[number - 1],
                    geometry=polygon,
                )
            )
    return wards


def random_points_in(
    boundaries: Sequence[WardBoundary],
    n: int,
    rng: np.random.Generator | random.Random,
) -> list[tuple[float, float]]:
    """Return `n` random (lon, lat) points strictly inside the union of the boundaries.

    Points are uniform in lon/lat (near enough uniform by area at borough scale). `rng` is a
    numpy Generator or a `random.Random`, so callers control reproducibility.
    Raises ValueError for a negative `n` or boundaries that enclose no area.
    """
    if n < 0:
        raise ValueError(f"cannot draw {n} points")
    if n == 0:
        return []
    union = shapely.union_all([b.geometry for b in boundaries])
    if union.is_empty or union.area == 0:
        raise ValueError("the boundaries enclose no area")
    shapely.prepare(union)
    minx, miny, maxx, maxy = (float(v) for v in union.bounds)
    found: list[tuple[float, float]] = []
    while len(found) < n:
        # Oversample so that a concave borough still fills the quota in a few rounds.
        batch = max(64, 2 * (n - len(found)))
        if isinstance(rng, random.Random):
            xs = np.array([rng.uniform(minx, maxx) for _ in range(batch)])
            ys = np.array([rng.uniform(miny, maxy) for _ in range(batch)])
        else:
            xs = rng.uniform(minx, maxx, batch)
            ys = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(union, xs, ys)
        found.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    return found[:n]
