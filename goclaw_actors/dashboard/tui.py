"""The full-screen dashboard on blessed: read keys, redraw the lines that changed, re-lay out on resize.

Runs in its own green thread and never blocks the hub: keys are read with a short timeout (select is
gevent's), and everything that talks to the daemon runs in other green threads.
"""

import signal
import sys
from typing import Any, TextIO

import blessed
import gevent
import gevent.event

from goclaw_actors.dashboard.frame import Frame, Line, changed_lines
from goclaw_actors.dashboard.keys import KeyHandler
from goclaw_actors.dashboard.screen import ViewState, render_screen
from goclaw_actors.dashboard.state import DashboardState

KEY_WAIT_SECONDS = 0.05
STYLES = {"header": "reverse", "subheader": "bold", "title": "bold", "dim": "bright_black", "error": "red",
          "prompt": "black_on_yellow", "user": "cyan", "active": "bold", "info": "green", "input": ""}


def _styled(term: blessed.Terminal, line: Line, last_row: bool) -> str:
    out = []
    for index, row in enumerate(line):
        text = row.text
        if last_row and index == len(line) - 1 and text:
            text = text[:-1]  # never write the bottom-right cell: some terminals scroll when it is written
        attribute = STYLES.get(row.style, "")
        out.append(getattr(term, attribute)(text) if attribute else text)
    return "".join(out)


class Tui:
    """The blessed screen of one dashboard run."""

    def __init__(self, state: DashboardState, keys: KeyHandler, view: ViewState, term: blessed.Terminal | None = None,
                 out: TextIO | None = None):
        self.state = state
        self.keys = keys
        self.view = view
        self.term = term or blessed.Terminal()
        self.out = out or sys.stdout
        self.resized = gevent.event.Event()
        self._frame: Frame | None = None
        self._drawn = (-1, (0, 0))  # (revision, size) of the frame on screen

    def run(self, stop: gevent.event.Event) -> None:
        """Show the dashboard until quit (`/quit`, Ctrl+C) or `stop`; the terminal is restored on return."""
        term = self.term
        previous: Any = signal.getsignal(signal.SIGWINCH)
        winch = gevent.signal_handler(signal.SIGWINCH, self.resized.set)
        try:
            with term.fullscreen(), term.cbreak(), term.keypad():
                self.out.write(term.clear)
                while not (self.state.quit_requested or stop.is_set()):
                    self.draw()
                    key = term.inkey(timeout=KEY_WAIT_SECONDS)
                    while key:
                        self.keys.on_key(key.name, str(key))
                        key = term.inkey(timeout=0)
                self.out.write(term.normal)
                self.out.flush()
        finally:
            winch.cancel()
            if previous is not None:
                signal.signal(signal.SIGWINCH, previous)

    def draw(self) -> None:
        """Redraw what changed since the last frame (everything after a resize)."""
        size = (self.term.width, self.term.height)
        if self.resized.is_set() or size != self._drawn[1]:
            self.resized.clear()
            self._frame = None
            self.out.write(self.term.normal + self.term.clear)
        elif self.state.revision == self._drawn[0]:
            return
        frame, cursor = render_screen(self.state, self.view, *size)
        self.keys.page = max(1, size[1] - 5)
        parts = [self.term.move_xy(0, y) + _styled(self.term, frame[y], y == len(frame) - 1)
                 for y in changed_lines(self._frame, frame)]
        parts.append(self.term.move_xy(*cursor))
        self.out.write("".join(parts))
        self.out.flush()
        self._frame = frame
        self._drawn = (self.state.revision, size)
