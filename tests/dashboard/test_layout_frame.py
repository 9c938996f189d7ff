"""Layout arithmetic, pane fitting, the line diff, wide characters and the input line."""

import pytest

from goclaw_actors.dashboard.frame import Row, changed_lines, compose, line_text, pane_rows
from goclaw_actors.dashboard.input_line import InputLine
from goclaw_actors.dashboard.layout import Rect, compute_layout
from goclaw_actors.dashboard.text_fit import cell_width, clean, fit, wrap


@pytest.mark.parametrize("width,height", [(80, 24), (200, 50), (120, 40), (70, 12), (69, 30), (40, 8), (10, 3), (1, 1)])
def test_regions_tile_the_screen_without_overlap(width, height):
    layout = compute_layout(width, height)
    cells = set()
    regions = [layout.header, layout.main, layout.notice, layout.input, layout.footer] + [r for _, r in layout.side]
    for rect in regions:
        for y in range(rect.y, rect.y + rect.h):
            for x in range(rect.x, rect.x + rect.w):
                assert (x, y) not in cells
                assert 0 <= x < width and 0 <= y < height
                cells.add((x, y))
    columns = len({rect.x for _, rect in layout.side})  # a separator column before each side column
    assert len(cells) + columns * layout.main.h == width * height


def test_80x24_and_200x50_layouts():
    small = compute_layout(80, 24)
    assert (small.main, small.input, small.footer) == (Rect(0, 2, 47, 19), Rect(0, 22, 80, 1), Rect(0, 23, 80, 1))
    assert [(name, rect.h) for name, rect in small.side] == [
        ("agents", 4), ("queue", 5), ("supervision", 4), ("events", 4), ("usage", 2)]
    wide = compute_layout(200, 50)
    assert wide.main.w == 98 and {rect.w for _, rect in wide.side} == {50}
    assert [(name, rect.x, rect.h) for name, rect in wide.side] == [
        ("agents", 99, 14), ("queue", 99, 24), ("usage", 99, 7), ("supervision", 150, 27), ("events", 150, 18)]


def test_narrow_or_short_screens_drop_side_panes_in_order():
    assert compute_layout(69, 30).side == []
    assert [name for name, _ in compute_layout(100, 11).side] == ["agents", "queue", "supervision"]
    assert [name for name, _ in compute_layout(100, 8).side] == ["queue"]


def test_compose_fits_every_line_to_the_width():
    layout = compute_layout(80, 24)
    frame = compose(layout, {"header": [Row("x" * 300)], "main": [Row("héllo 世界")], "queue": [Row("q")]})
    assert len(frame) == 24
    assert all(cell_width(line_text(line)) == 80 for line in frame)
    assert line_text(frame[2]).startswith("héllo 世界") and "│" in line_text(frame[2])


def test_only_changed_lines_are_redrawn():
    layout = compute_layout(80, 24)
    first = compose(layout, {"main": [Row("a"), Row("b")]})
    second = compose(layout, {"main": [Row("a"), Row("c")]})
    assert changed_lines(None, first) == list(range(24))
    assert changed_lines(first, first) == []
    assert changed_lines(first, second) == [3]
    assert changed_lines(first, compose(compute_layout(80, 25), {})) == list(range(25))
    restyled = compose(layout, {"main": [Row("a", "error"), Row("b")]})
    assert changed_lines(first, restyled) == [2]


def test_text_is_cleaned_cut_and_wrapped_by_cells():
    assert clean("a\x1b[31mb\tc\r") == "a[31mb    c"
    assert fit("世界x", 3) == "世 " and cell_width(fit("世界x", 4)) == 4
    assert wrap("one two three", 7) == ["one two", "three"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("a\n\nb", 10) == ["a", "", "b"]
    assert pane_rows([Row("long text")], Rect(0, 0, 4, 2)) == [Row("long"), Row("    ")]
    assert pane_rows([Row("\x1b]0;pwned\x07ok")], Rect(0, 0, 12, 1)) == [Row("]0;pwnedok  ")]  # no escapes


def test_the_input_line_edits_scrolls_and_remembers():
    line = InputLine()
    line.insert("helo\x07")
    line.move(-1)
    line.insert("l")
    assert (line.text, line.cursor) == ("hello", 4)
    line.end()
    line.backspace()
    assert line.take() == "hell" and line.text == ""
    line.insert("x" * 50)
    shown, column = line.view(20, "> ")
    assert shown.startswith("> ") and cell_width(shown) <= 20 and column == cell_width(shown)
    line.kill()
    line.recall(1)
    assert line.text == "hell"
    line.recall(-1)
    assert line.text == ""
