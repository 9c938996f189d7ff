"""The editable input line: text, cursor, and the history of sent lines (Up/Down)."""

from dataclasses import dataclass, field

from goclaw_actors.dashboard.text_fit import cell_width, tail

HISTORY_SIZE = 200


@dataclass
class InputLine:
    """A one-line editor."""

    text: str = ""
    cursor: int = 0
    history: list[str] = field(default_factory=list)
    _back: int = 0  # how far Up has gone into the history

    def insert(self, chars: str) -> None:
        """Type `chars` at the cursor (control characters and newlines are ignored)."""
        chars = "".join(char for char in chars if char.isprintable())
        self.text = self.text[:self.cursor] + chars + self.text[self.cursor:]
        self.cursor += len(chars)

    def backspace(self) -> None:
        """Delete the character before the cursor."""
        if self.cursor:
            self.text = self.text[:self.cursor - 1] + self.text[self.cursor:]
            self.cursor -= 1

    def delete(self) -> None:
        """Delete the character under the cursor."""
        self.text = self.text[:self.cursor] + self.text[self.cursor + 1:]

    def move(self, delta: int) -> None:
        """Move the cursor by `delta` characters."""
        self.cursor = max(0, min(len(self.text), self.cursor + delta))

    def home(self) -> None:
        """Cursor to the start."""
        self.cursor = 0

    def end(self) -> None:
        """Cursor to the end."""
        self.cursor = len(self.text)

    def kill(self) -> None:
        """Clear the line."""
        self.text, self.cursor = "", 0

    def take(self) -> str:
        """The line as sent: returned, remembered in the history, and cleared."""
        line = self.text
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history = (self.history + [line])[-HISTORY_SIZE:]
        self._back = 0
        self.kill()
        return line

    def recall(self, step: int) -> None:
        """Up (`step` 1) or Down (-1) through the history."""
        self._back = max(0, min(len(self.history), self._back + step))
        self.text = self.history[-self._back] if self._back else ""
        self.cursor = len(self.text)

    def view(self, width: int, prompt: str) -> tuple[str, int]:
        """What fits in `width` cells after `prompt` (scrolled to keep the cursor in view), and the cursor's
        column."""
        room = max(1, width - cell_width(prompt) - 1)
        before = tail(self.text[:self.cursor], room)
        shown = before + self.text[self.cursor:]
        return prompt + shown, cell_width(prompt) + cell_width(before)
