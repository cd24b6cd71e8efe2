"""Server-rendered bar charts: the geometry of each figure's SVG (the template draws it).

No chart library and no script: each chart is an SVG with a text alternative, drawn beside a
table holding the same numbers. A withheld count ("fewer than 5", "suppressed") has no bar
length to give away: it is drawn as a short hatched stub with its words beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from enforcement.measures.anonymise import Value
from enforcement.measures.dashboard import FigureView

# Drawn half the page wide: a narrow view box keeps the text at body size when scaled.
WIDTH = 460
LEFT = 4
BAR_MAX = 320
ROW = 48  # a label line, then the bar
BAR_HEIGHT = 18
STUB = 14  # the hatched stub of a withheld count


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    label_y: int
    bar_y: int
    width: float
    withheld: bool
    previous: bool = False

    @property
    def text_x(self) -> float:
        return LEFT + self.width + 6


@dataclass(frozen=True)
class ShareBar:
    label: str
    value_text: str
    label_y: int
    bar_y: int
    width: float
    target_x: float | None
    target_text: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    height: int
    bars: list[Bar]
    share: ShareBar | None
    width: int = WIDTH
    left: int = LEFT
    bar_max: int = BAR_MAX
    bar_height: int = BAR_HEIGHT

    @property
    def empty(self) -> bool:
        """No bar to draw: every count is zero and there is no share above zero.

        A withheld count is something to show (its hatched stub says so), and so is a share.
        """
        share_drawn = self.share is not None and self.share.width > 0
        return not share_drawn and not any(b.withheld or b.width > 0 for b in self.bars)


def value_text(value: Value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(share: Fraction | None) -> str:
    """A share as a whole percentage, never rounded to 0% or 100% when it is neither."""
    if share is None:
        return "not available"
    whole = math.floor(share * 100 + Fraction(1, 2))  # halves round up
    if share > 0 and whole == 0:
        return "less than 1%"
    if share < 1 and whole >= 100:
        return "more than 99%"
    return f"{whole}%"


def _scale(values: list[Value]) -> int:
    numbers = [v for v in values if isinstance(v, int)]
    return max([*numbers, 1])


def bar_chart(figure: FigureView, quarter_label: str) -> Chart:
    """Lay out a measure's chart: its share against the target (if any), then a bar per category."""
    spec = figure.measure
    y = 0
    share_bar: ShareBar | None = None
    words: list[str] = []
    if spec.share is not None:
        target = spec.target.share if spec.target is not None else None
        share = figure.share
        width = 0.0 if share is None else float(min(share, Fraction(1))) * BAR_MAX
        share_bar = ShareBar(
            label=spec.share.label,
            value_text=percent(share),
            label_y=y + 16,
            bar_y=y + 24,
            width=width,
            target_x=None if target is None else LEFT + float(target) * BAR_MAX,
            target_text="" if target is None else f"target {percent(target)}",
        )
        words.append(f"{spec.share.label}: {percent(share)}")
        if target is not None:
            words.append(f"target {percent(target)}")
        y += ROW + 6
    codes = list(spec.chart_codes)
    values = [figure.values.get(code, 0) for code in codes]
    previous_code = spec.target.increase_of if spec.target is not None else None
    previous_value = (
        figure.previous.get(previous_code, 0)
        if figure.previous is not None and previous_code is not None
        else None
    )
    scale = _scale([*values, *([previous_value] if previous_value is not None else [])])
    bars: list[Bar] = []

    def add(label: str, value: Value, previous: bool = False) -> None:
        nonlocal y
        withheld = not isinstance(value, int)
        width = STUB if withheld else BAR_MAX * int(value) / scale
        bars.append(Bar(label, value_text(value), y + 16, y + 24, width, withheld, previous))
        words.append(f"{label}: {value_text(value)}")
        y += ROW

    for code, value in zip(codes, values, strict=True):
        add(spec.label_of(code), value)
    if previous_value is not None and previous_code is not None:
        add(f"{spec.label_of(previous_code)}, previous quarter", previous_value, previous=True)
    return Chart(
        id=f"chart-{spec.key}",
        title=f"{spec.title}, {quarter_label}",
        description="Bar chart. " + "; ".join(words) + ". The table beside it gives the figures.",
        height=y + 8,
        bars=bars,
        share=share_bar,
    )


def headline(figure: FigureView) -> str:
    """The figure a measure is summed up by: its share (with the counts), or its main count."""
    spec = figure.measure
    if spec.share is not None:
        numerator = sum(
            v for c in spec.share.numerator if isinstance(v := figure.values.get(c, 0), int)
        )
        denominator_values = [figure.values.get(c, 0) for c in spec.share.denominator]
        if figure.share is not None and all(isinstance(v, int) for v in denominator_values):
            denominator = sum(int(v) for v in denominator_values)
            return f"{numerator:,} of {denominator:,} ({percent(figure.share)})"
        return "not available"
    target = spec.target
    code = (
        spec.total
        or (target.count_of if target is not None else None)
        or (target.increase_of if target is not None else None)
        or spec.codes[0]
    )
    return f"{value_text(figure.values.get(code, 0))} ({_lower_first(spec.label_of(code))})"


def _lower_first(label: str) -> str:
    """Lower-case a label's first word unless it is an acronym ("NRM referrals" stays)."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def target_status(figure: FigureView) -> tuple[str, str]:
    """Say where the figure stands against the strategy's target, with a tag colour."""
    target = figure.measure.target
    if target is None:
        return "No target set", "govuk-tag--grey"
    numeric = target.share is not None or target.count is not None or target.increase_of is not None
    if not numeric:
        return "No number set", "govuk-tag--grey"
    if figure.target_met is True:
        return "Met", "govuk-tag--green"
    if figure.target_met is False:
        return "Not met", "govuk-tag--red"
    return "Not known", "govuk-tag--grey"
