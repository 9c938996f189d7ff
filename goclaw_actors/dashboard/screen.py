"""The whole dashboard screen for a size: layout, every pane's rows, the cursor position.

    frame, cursor = render_screen(state, view, 80, 24)
"""

from dataclasses import dataclass, field

from goclaw_actors.dashboard import panes
from goclaw_actors.dashboard.agent_form import AgentForm
from goclaw_actors.dashboard.frame import Frame, Row, compose
from goclaw_actors.dashboard.input_line import InputLine
from goclaw_actors.dashboard.layout import compute_layout
from goclaw_actors.dashboard.state import DashboardState


@dataclass
class ViewState:
    """What only the screen has: the input line and the new-agent form when it is open."""

    input: InputLine = field(default_factory=InputLine)
    form: AgentForm | None = None


def render_screen(state: DashboardState, view: ViewState, width: int, height: int) -> tuple[Frame, tuple[int, int]]:
    """The frame of a `width` × `height` screen and the cursor's (x, y)."""
    layout = compute_layout(width, height)
    main = layout.main
    if view.form is not None:
        main_rows = panes.form_rows(view.form, main.w)
    elif state.view == "activity":
        main_rows = panes.activity_rows(state, main.w, main.h)
    else:
        main_rows = panes.chat_rows(state, main.w, main.h)
    regions: dict[str, list[Row]] = {
        "header": panes.header_rows(state, width),
        "main": main_rows,
        "notice": panes.notice_rows(state),
        "footer": panes.footer_rows(),
    }
    for name, rect in layout.side:
        regions[name] = panes.SIDE_RENDERERS[name](state, rect.w, rect.h)
    if view.form is not None:
        regions["input"] = [Row("(new agent form: Esc cancels)", "dim")]
        cursor = (main.x + view.form.cursor_column(), main.y + view.form.cursor_row())
    else:
        text, column = view.input.view(width, f"@{state.active_agent}> ")
        regions["input"] = [Row(text, "input")]
        cursor = (column, layout.input.y)
    frame = compose(layout, regions)
    x, y = cursor
    return frame, (min(max(0, x), width - 1), min(max(0, y), height - 1))
