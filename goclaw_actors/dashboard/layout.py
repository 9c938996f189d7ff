"""Where each pane goes on a screen of a given size (pure arithmetic, recomputed on every resize).

    layout = compute_layout(80, 24)
    layout.main        # Rect of the chat (or activity feed)
    layout.side        # [("agents", Rect), ("queue", Rect), ...] stacked in the side column
"""

from dataclasses import dataclass, field

HEADER_ROWS = 2  # title, then active agent and model
FOOTER_ROWS = 3  # notice or approval prompt, input line, key hints
MIN_SIDE_WIDTH = 30
MAX_SIDE_WIDTH = 80
SIDE_FROM_WIDTH = 70  # narrower screens show the chat only
TWO_COLUMNS_FROM_WIDTH = 160  # wider screens stack the side panes in two columns
MAX_WIDE_COLUMN = 60
PANE_MIN_ROWS = 2  # a title and one line
# Side panes in screen order with their share of the spare rows; dropped last-first when rows run out,
# except that the queue and the agents are kept longest.
SIDE_PANES = (("agents", 2), ("queue", 3), ("supervision", 3), ("events", 3), ("usage", 1))
DROP_ORDER = ("usage", "events", "supervision", "agents")
WIDE_COLUMNS = ((("agents", 2), ("queue", 4), ("usage", 1)), (("supervision", 3), ("events", 2)))


@dataclass(frozen=True)
class Rect:
    """A rectangle of cells: column `x`, row `y`, `w` columns, `h` rows."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Layout:
    """Every region of the screen."""

    width: int
    height: int
    header: Rect
    main: Rect
    notice: Rect
    input: Rect
    footer: Rect
    side: list[tuple[str, Rect]] = field(default_factory=list)


def compute_layout(width: int, height: int) -> Layout:
    """The layout of a `width` × `height` screen (any size; tiny screens get empty regions)."""
    width, height = max(1, width), max(1, height)
    header_rows = min(HEADER_ROWS, height)
    footer_rows = min(FOOTER_ROWS, height - header_rows)
    body_top = header_rows
    body_rows = max(0, height - header_rows - footer_rows)
    footer_top = body_top + body_rows
    notice, input_, footer = (Rect(0, footer_top + i, width, 1 if i < footer_rows else 0) for i in range(3))
    header = Rect(0, 0, width, header_rows)
    if width < SIDE_FROM_WIDTH or body_rows < PANE_MIN_ROWS:
        return Layout(width, height, header, Rect(0, body_top, width, body_rows), notice, input_, footer)
    if width >= TWO_COLUMNS_FROM_WIDTH:
        side_w = min(MAX_WIDE_COLUMN, width // 4)
        main = Rect(0, body_top, width - 2 * (side_w + 1), body_rows)
        side = [(name, Rect(main.w + 1 + column * (side_w + 1), y, side_w, rows))
                for column, panes in enumerate(WIDE_COLUMNS) for name, y, rows in _stack(body_top, body_rows, panes)]
        return Layout(width, height, header, main, notice, input_, footer, side)
    side_w = min(MAX_SIDE_WIDTH, max(MIN_SIDE_WIDTH, width * 2 // 5))
    main = Rect(0, body_top, width - side_w - 1, body_rows)
    side = [(name, Rect(main.w + 1, y, side_w, rows)) for name, y, rows in _stack(body_top, body_rows, SIDE_PANES)]
    return Layout(width, height, header, main, notice, input_, footer, side)


def _stack(top: int, rows: int, weighted: tuple[tuple[str, int], ...]) -> list[tuple[str, int, int]]:
    """(pane, y, rows) of the panes that fit in `rows`, spare rows shared by weight."""
    panes = dict(weighted)
    for name in DROP_ORDER:
        if len(panes) * PANE_MIN_ROWS <= rows:
            break
        panes.pop(name, None)
    while panes and len(panes) * PANE_MIN_ROWS > rows:  # only the queue left and still too small
        panes.popitem()
    spare = rows - len(panes) * PANE_MIN_ROWS
    weights = sum(panes.values()) or 1
    sizes = {name: PANE_MIN_ROWS + spare * weight // weights for name, weight in panes.items()}
    leftover = rows - sum(sizes.values())
    for name in list(sizes)[:leftover]:
        sizes[name] += 1
    out, y = [], top
    for name, size in sizes.items():
        out.append((name, y, size))
        y += size
    return out
