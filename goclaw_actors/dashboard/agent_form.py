"""The new-agent form (Ctrl+N): a few fields filled in turn, checked before `agent.create` is called."""

from dataclasses import dataclass, field

from goclaw_actors.dashboard.input_line import InputLine
from goclaw_actors.dashboard.text_fit import cell_width
from goclaw_actors.http.acp.methods_agents import AGENT_ID_RE as AGENT_ID

FIELDS = (("agent_id", "Agent id"), ("display_name", "Display name (optional)"),
          ("provider", "Provider (optional: automatic)"), ("model", "Model (optional)"),
          ("soul", "Soul: its system prompt (optional)"))


@dataclass
class AgentForm:
    """The form's fields and which one is being edited; `error` explains a refused submit."""

    values: dict[str, str] = field(default_factory=lambda: {name: "" for name, _ in FIELDS})
    index: int = 0
    editor: InputLine = field(default_factory=InputLine)
    error: str = ""

    @property
    def current(self) -> str:
        """The field being edited."""
        return FIELDS[self.index][0]

    def next_field(self, step: int = 1) -> None:
        """Keep the edited value and move to another field (wrapping)."""
        self.values[self.current] = self.editor.text.strip()
        self.index = (self.index + step) % len(FIELDS)
        self.editor = InputLine(self.values[self.current], len(self.values[self.current]))

    def on_last_field(self) -> bool:
        """Whether Enter submits."""
        return self.index == len(FIELDS) - 1

    def submit(self) -> dict[str, str] | None:
        """The `agent.create` params when the form is valid; else None with `error` set."""
        self.values[self.current] = self.editor.text.strip()
        agent_id = self.values["agent_id"]
        if not AGENT_ID.match(agent_id):
            self.error = 'agent id: letters, digits and "-", not starting or ending with "-"'
            self.index = 0
            self.editor = InputLine(agent_id, len(agent_id))
            return None
        self.error = ""
        return {name: value for name, value in self.values.items() if value}

    def cursor_row(self) -> int:
        """The row of the edited field in `lines()`."""
        return 2 + self.index

    def cursor_column(self) -> int:
        """The cursor's column on that row."""
        return cell_width(FIELDS[self.index][1] + ": ") + cell_width(self.editor.text[:self.editor.cursor])

    def lines(self) -> list[tuple[str, bool]]:
        """(text, is the edited field) for each row of the form."""
        out = [("New agent (Enter: next field, create on the last · Esc: cancel)", False), ("", False)]
        for position, (name, label) in enumerate(FIELDS):
            value = self.editor.text if position == self.index else self.values[name]
            out.append((f"{label}: {value}", position == self.index))
        if self.error:
            out += [("", False), (f"! {self.error}", False)]
        return out
