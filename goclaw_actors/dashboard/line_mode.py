"""The plain line mode (a dumb terminal, GOCLAW_NO_TUI=1, or no terminal): a prompt, the reply streamed to
stdout as it comes, status and command output as lines; `y` / `n` answer a pending approval."""

import sys
from typing import TextIO

import gevent
import gevent.event

from goclaw_actors.dashboard.controller import Controller
from goclaw_actors.dashboard.panes import header_rows
from goclaw_actors.dashboard.state import ChatEntry, DashboardState


class LineMode:
    """Reads lines (off the hub, in the threadpool) and prints what the chat receives."""

    def __init__(self, state: DashboardState, controller: Controller, stdin: TextIO | None = None,
                 stdout: TextIO | None = None):
        self.state = state
        self.controller = controller
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._streaming: ChatEntry | None = None
        self._held: list[str] = []
        self._typed = ""
        state.listeners.append(self._print)

    def _print(self, entry: ChatEntry, text: str) -> None:
        if entry.kind == "reply" and not entry.done:  # a reply starting or streaming
            if self._streaming is None:
                self._streaming = entry
                self.stdout.write(f"@{entry.agent}: ")
            self.stdout.write(text)
        elif entry is self._streaming:  # the streamed reply is complete
            self._streaming = None
            self.stdout.write("\n" + "".join(self._held))
            self._held.clear()
        else:
            line = self._line(entry, text)
            if line is None:
                return
            if self._streaming is not None:  # keep the streamed reply on its own lines
                self._held.append(line)
                return
            self.stdout.write(line)
        self.stdout.flush()

    def _line(self, entry: ChatEntry, text: str) -> str | None:
        if entry.kind == "user":
            return None if text == self._typed else f"you → @{entry.agent}: {text}\n"
        if entry.kind == "reply":
            return f"@{entry.agent}: {text}\n"
        return ("! " if entry.kind == "error" else "") + text + "\n"

    def run(self, stop: gevent.event.Event) -> None:
        """Prompt and handle lines until EOF, /quit or `stop`."""
        for row in header_rows(self.state, 200):
            self.stdout.write(row.text.rstrip() + "\n")
        self.stdout.write("Type a message, /help for commands, /quit to leave.\n")
        while not (self.state.quit_requested or stop.is_set()):
            self.stdout.write(f"@{self.state.active_agent}> ")
            self.stdout.flush()
            reader = gevent.get_hub().threadpool.spawn(self.stdin.readline)
            done = gevent.wait([reader, stop], count=1)
            if reader not in done:
                break
            line = reader.get()
            if not line:  # end of input
                self.stdout.write("\n")
                break
            line = line.strip()
            if line.lower() in ("y", "n") and self.state.approvals:
                self.controller.answer_approval(line.lower() == "y")
            else:
                self._typed = line
                self.controller.handle(line)
        self.stdout.flush()
