"""Horizontal bar charts as inline SVG geometry; every bar carries its value as text."""

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 290.0
BAR_AREA = 300.0
VALUE_WIDTH = 210.0
ROW_HEIGHT = 24.0
BAR_HEIGHT = 16.0


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # shown right of the bar, e.g. "12 (3 neu)"
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    bars: list[Bar]
    width: float
    height: float
    label_width: float = LABEL_WIDTH
    bar_height: float = BAR_HEIGHT

    @property
    def description(self) -> str:
        """The values as one sentence, for screen readers (the SVG is one image to them)."""
        return "; ".join(f"{bar.label}: {bar.text}" for bar in self.bars)


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, int, str]]) -> BarChart:
    """`items`: (label, value, text); bar lengths are relative to the largest value."""
    largest = max((value for _label, value, _text in items), default=0) or 1
    bars = [
        Bar(label, value, text, index * ROW_HEIGHT + 4, round(BAR_AREA * value / largest, 1))
        for index, (label, value, text) in enumerate(items)
    ]
    return BarChart(chart_id, title, bars, LABEL_WIDTH + BAR_AREA + VALUE_WIDTH, len(bars) * ROW_HEIGHT + 8)
