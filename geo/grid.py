"""Square hotspot cells on the British National Grid (250 m by default), and their outlines in WGS84."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import Polygon

from geo.proximity import from_bng_arrays, to_bng_arrays

DEFAULT_CELL_M = 250
# Points along each side of a cell's outline when it is taken back to lon/lat: a straight
# grid line is very nearly straight in lon/lat too, but the corners alone would not be exact.
_POINTS_PER_SIDE = 4


@dataclass(frozen=True, order=True)
class Cell:
    """One square of the grid: column and row count `size` metres from the BNG false origin."""

    col: int
    row: int
    size: int = DEFAULT_CELL_M

    @property
    def south_west(self) -> tuple[int, int]:
        """The (easting, northing) in metres of the cell's south-west corner."""
        return self.col * self.size, self.row * self.size

    @property
    def centre_bng(self) -> tuple[float, float]:
        """The (easting, northing) in metres of the cell's centre."""
        east, north = self.south_west
        return east + self.size / 2, north + self.size / 2

    @property
    def label(self) -> str:
        """A grid reference for people: the south-west corner in metres, e.g. "E523000 N177250"."""
        east, north = self.south_west
        return f"E{east} N{north}"

    def polygon_bng(self) -> Polygon:
        """Return the cell's outline in British National Grid metres."""
        east, north = self.south_west
        s = self.size
        return Polygon([(east, north), (east + s, north), (east + s, north + s), (east, north + s)])

    def polygon_wgs84(self) -> Polygon:
        """Return the cell's outline in WGS84 lon/lat (anticlockwise, as RFC 7946 asks)."""
        east, north = self.south_west
        s = float(self.size)
        steps = np.arange(_POINTS_PER_SIDE) * (s / _POINTS_PER_SIDE)
        ring_e = np.concatenate(
            [
                east + steps,
                np.full(_POINTS_PER_SIDE, east + s),
                east + s - steps,
                np.full(_POINTS_PER_SIDE, east),
            ]
        )
        ring_n = np.concatenate(
            [
                np.full(_POINTS_PER_SIDE, north),
                north + steps,
                np.full(_POINTS_PER_SIDE, north + s),
                north + s - steps,
            ]
        )
        lons, lats = from_bng_arrays(ring_e, ring_n)
        return Polygon(zip(lons.tolist(), lats.tolist(), strict=True))


def _check_size(size: int) -> int:
    if int(size) != size or size < 1:
        raise ValueError(f"a cell size is a whole number of metres, not {size!r}")
    return int(size)


def cell_at_bng(easting: float, northing: float, size: int = DEFAULT_CELL_M) -> Cell:
    """Return the cell holding a BNG position; a point on a grid line belongs to the cell east or north of it."""
    size = _check_size(size)
    return Cell(int(np.floor(easting / size)), int(np.floor(northing / size)), size)


def cell_at(lon: float, lat: float, size: int = DEFAULT_CELL_M) -> Cell:
    """Return the cell holding a WGS84 (lon, lat) position."""
    east, north = to_bng_arrays([lon], [lat])
    return cell_at_bng(float(east[0]), float(north[0]), size)


@dataclass(frozen=True)
class CellCount:
    """How many points fall in one cell."""

    cell: Cell
    count: int


def count_cells(lons: Any, lats: Any, size: int = DEFAULT_CELL_M) -> list[CellCount]:
    """Count WGS84 points per grid cell, busiest first (then south to north, west to east).

    Points with a NaN coordinate are left out. Cells holding no point are not listed.
    """
    size = _check_size(size)
    east, north = to_bng_arrays(lons, lats)
    keep = np.isfinite(east) & np.isfinite(north)
    if not keep.any():
        return []
    cols = np.floor(east[keep] / size).astype(np.int64)
    rows = np.floor(north[keep] / size).astype(np.int64)
    pairs, counts = np.unique(np.column_stack([cols, rows]), axis=0, return_counts=True)
    found = [
        CellCount(Cell(int(c), int(r), size), int(n))
        for (c, r), n in zip(pairs.tolist(), counts.tolist(), strict=True)
    ]
    found.sort(key=lambda cc: (-cc.count, cc.cell.row, cc.cell.col))
    return found


def cells_covering(
    bounds_bng: tuple[float, float, float, float], size: int = DEFAULT_CELL_M
) -> Iterable[Cell]:
    """Yield every cell touching a (min easting, min northing, max easting, max northing) box."""
    size = _check_size(size)
    first = cell_at_bng(bounds_bng[0], bounds_bng[1], size)
    last = cell_at_bng(bounds_bng[2], bounds_bng[3], size)
    for row in range(first.row, last.row + 1):
        for col in range(first.col, last.col + 1):
            yield Cell(col, row, size)
