"""What each key does on the dashboard (no terminal here: keys arrive as blessed names or characters).

Enter sends the line; y / n answer the pending approval while the input is empty; Tab switches to the
next agent; PgUp / PgDn scroll; Ctrl+A toggles the activity feed; Ctrl+N opens the new-agent form
(Esc closes it); Up / Down recall sent lines; Ctrl+U clears the line; Ctrl+C quits (also /quit).
"""

from goclaw_actors.dashboard.agent_form import AgentForm
from goclaw_actors.dashboard.controller import Controller
from goclaw_actors.dashboard.input_line import InputLine
from goclaw_actors.dashboard.screen import ViewState
from goclaw_actors.dashboard.state import DashboardState

CTRL_A, CTRL_C, CTRL_N, CTRL_U = "\x01", "\x03", "\x0e", "\x15"
EDIT_KEYS = {
    "KEY_BACKSPACE": InputLine.backspace, "KEY_DELETE": InputLine.delete, "KEY_HOME": InputLine.home,
    "KEY_END": InputLine.end, "KEY_LEFT": lambda line: line.move(-1), "KEY_RIGHT": lambda line: line.move(1),
}


class KeyHandler:
    """Applies keys to the state, the input line and the form; `page` is the chat's height in rows."""

    def __init__(self, state: DashboardState, controller: Controller, view: ViewState):
        self.state = state
        self.controller = controller
        self.view = view
        self.page = 10

    def on_key(self, name: str | None, char: str) -> None:
        """One key: `name` as blessed names it (`KEY_ENTER` …) or None for a plain character `char`."""
        if char == CTRL_C:
            self.state.quit_requested = True
        elif self.view.form is not None:
            self._form_key(name, char)
        else:
            self._main_key(name, char)
        self.state.touch()

    def _edit(self, line: InputLine, name: str | None, char: str) -> None:
        if name in EDIT_KEYS:
            EDIT_KEYS[name](line)
        elif char == CTRL_U:
            line.kill()
        elif name is None and char:
            line.insert(char)

    def _form_key(self, name: str | None, char: str) -> None:
        form = self.view.form
        if name == "KEY_ESCAPE":
            self.view.form = None
        elif name == "KEY_ENTER" and form.on_last_field():
            params = form.submit()
            if params is not None:
                self.view.form = None
                self.controller.spawn(self._create, params)
        elif name in ("KEY_ENTER", "KEY_TAB", "KEY_DOWN"):
            form.next_field()
        elif name in ("KEY_BTAB", "KEY_UP"):
            form.next_field(-1)
        else:
            self._edit(form.editor, name, char)

    def _create(self, params: dict[str, str]) -> None:
        self.controller.handle_call(self.controller.create_agent, params)

    def _main_key(self, name: str | None, char: str) -> None:
        line = self.view.input
        if name == "KEY_ENTER":
            text = line.take()
            if text.strip():
                self.controller.submit(text)
        elif name is None and char in ("y", "n", "Y", "N") and not line.text and self.state.approvals:
            self.controller.spawn(self.controller.answer_approval, char.lower() == "y")
        elif name == "KEY_PGUP":
            self.state.scroll += max(1, self.page - 1)
        elif name == "KEY_PGDOWN":
            self.state.scroll = max(0, self.state.scroll - max(1, self.page - 1))
        elif name == "KEY_TAB":
            self._next_agent()
        elif char == CTRL_A:
            self.state.view = "activity" if self.state.view == "chat" else "chat"
            self.state.scroll = 0
        elif char == CTRL_N:
            self.view.form = AgentForm()
        elif name == "KEY_UP":
            line.recall(1)
        elif name == "KEY_DOWN":
            line.recall(-1)
        else:
            self._edit(line, name, char)

    def _next_agent(self) -> None:
        ids = self.state.agent_ids()
        if ids:
            position = ids.index(self.state.active_agent) if self.state.active_agent in ids else -1
            self.controller.spawn(self.controller.handle_call, self.controller.switch_agent,
                                  ids[(position + 1) % len(ids)])
