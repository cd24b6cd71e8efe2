"""The action plan's measures (appendix 6 of the strategy), one registered query each.

Importing the package registers every measure, in the order the dashboard shows them.
"""

from enforcement.measures import catalogue, partners
from enforcement.measures.quarters import Quarter
from enforcement.measures.registry import (
    WARD_UNKNOWN,
    Category,
    Cells,
    Measure,
    MeasureResult,
    RecordLink,
    Share,
    Target,
    get,
    measures,
    run,
)

__all__ = [
    "WARD_UNKNOWN",
    "Category",
    "Cells",
    "Measure",
    "MeasureResult",
    "Quarter",
    "RecordLink",
    "Share",
    "Target",
    "catalogue",
    "get",
    "measures",
    "partners",
    "run",
]
