"""Bar charts drawn as SVG by a template: the geometry, computed here from the figures.

No script and no style attribute (the strict CSP stays): widths and positions are SVG
attributes. Every chart has a title and a description, and its figures stand in a
table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ROW = 10  # height of one bar's row in the viewBox (bars are 7 high)
LABEL_WIDTH = 40  # the left part of the 140-wide viewBox holds the labels


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: float
    width: float  # in viewBox units, of the 90 after the labels
    text_y: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = LABEL_WIDTH


def bars(
    chart_id: str, title: str, rows: Sequence[tuple[str, float]], unit: str = ""
) -> Chart:
    """One horizontal bar per (label, value), scaled to the largest value."""
    largest = max((value for _label, value in rows), default=0) or 1
    drawn = tuple(
        Bar(
            label=label,
            value=value,
            y=index * ROW + 1.5,
            width=round(90 * value / largest, 2),
            text_y=index * ROW + 7,
        )
        for index, (label, value) in enumerate(rows)
    )
    description = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in rows)
    return Chart(chart_id, title, description, drawn, max(1, len(rows)) * ROW)


def _number(value: float) -> str:
    return f"{value:g}"
