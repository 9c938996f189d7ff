"""A whole screen as lines of styled segments, and the diff between two screens.

Panes render to rows (`Row`: text and a style name); `compose` places them by the layout into one
`Line` per screen row; `changed_lines` tells which rows differ from the previous frame, so only those
are redrawn (no clearing, no flicker).
"""

from typing import Iterable, NamedTuple

from goclaw_actors.dashboard.layout import Layout, Rect
from goclaw_actors.dashboard.text_fit import cell_width, clean, fit

SEPARATOR = "│"


class Row(NamedTuple):
    """One row of a pane: its text and a style name (`""` plain; see tui.STYLES)."""

    text: str
    style: str = ""


Line = tuple[Row, ...]  # a screen row: segments left to right, exactly the screen's width in cells
Frame = list[Line]


def pane_rows(rows: Iterable[Row], rect: Rect) -> list[Row]:
    """`rows` fitted to `rect`: control characters removed, each cut or padded to its width, and exactly
    `rect.h` of them."""
    fitted = [Row(fit(clean(row.text), rect.w), row.style) for row in list(rows)[:rect.h]]
    return fitted + [Row(" " * rect.w)] * (rect.h - len(fitted))


def compose(layout: Layout, regions: dict[str, list[Row]]) -> Frame:
    """The frame for `layout` from the rows of each region (`header`, `main`, `notice`, `input`, `footer`
    and the side panes by name); a missing region is blank; a one-column gap between panes is a line."""
    placed: list[list[tuple[int, Row]]] = [[] for _ in range(layout.height)]
    full = [("header", layout.header), ("main", layout.main), ("notice", layout.notice), ("input", layout.input),
            ("footer", layout.footer), *layout.side]
    for name, rect in full:
        for offset, row in enumerate(pane_rows(regions.get(name, []), rect)):
            if 0 <= rect.y + offset < layout.height:
                placed[rect.y + offset].append((rect.x, row))
    frame: Frame = []
    for segments in placed:
        line: list[Row] = []
        x = 0
        for start, row in sorted(segments, key=lambda segment: segment[0]):
            if start > x:
                line.append(Row(SEPARATOR, "dim") if start - x == 1 else Row(" " * (start - x)))
            line.append(row)
            x = start + cell_width(row.text)
        if x < layout.width:
            line.append(Row(" " * (layout.width - x)))
        frame.append(tuple(line))
    return frame


def changed_lines(previous: Frame | None, current: Frame) -> list[int]:
    """Rows of `current` that differ from `previous` (every row when there is no comparable previous)."""
    if previous is None or len(previous) != len(current):
        return list(range(len(current)))
    return [y for y, line in enumerate(current) if line != previous[y]]


def line_text(line: Line) -> str:
    """The plain text of a screen row."""
    return "".join(row.text for row in line)
