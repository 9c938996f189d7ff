"""Progress on a terminal: a bar for work of known size, a spinner with elapsed time for a wait.

Both draw on one line of a stream (stderr) and only when it is a terminal; callers check `is_terminal`.
"""

import time
from typing import TextIO

import gevent

BAR_INTERVAL = 0.1  # seconds between redraws of a bar
BAR_WIDTH = 30
SPINNER_INTERVAL = 0.1  # seconds between spinner frames
SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
CLEAR_LINE = "\r\033[K"


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is attached to a terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


class ProgressBar:
    """`bar(done_bytes, total_bytes)` redraws `<text> [####....]  45% 12/27 MiB` at most every 0.1 s,
    and ends the line when done reaches total."""

    def __init__(self, text: str, stream: TextIO):
        self.text = text
        self.stream = stream
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.drawn_at < BAR_INTERVAL:
            return
        self.drawn_at = now
        fraction = min(done / total, 1.0) if total else 1.0
        filled = int(fraction * BAR_WIDTH)
        self.stream.write(f"\r{self.text} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                          f"{fraction:4.0%} {done / 2**20:.0f}/{total / 2**20:.0f} MiB")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


class Spinner:
    """`<frame> <text> 3.4s` redrawn on `stream` in a green thread until `stop()` clears the line.

    Usage::

        spinner = Spinner("waiting for the reply", sys.stderr).start()
        ...
        spinner.stop()
    """

    def __init__(self, text: str, stream: TextIO):
        self.text = text
        self.stream = stream
        self.started = time.monotonic()
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> "Spinner":
        """Begin drawing; returns self."""
        self.started = time.monotonic()
        self._greenlet = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        """Stop drawing and clear the line (idempotent)."""
        if self._greenlet is None:
            return
        self._greenlet.kill(block=True)
        self._greenlet = None
        self.stream.write(CLEAR_LINE)
        self.stream.flush()

    def frame(self, index: int) -> str:
        """The text of frame `index` at the current elapsed time."""
        elapsed = time.monotonic() - self.started
        return f"{CLEAR_LINE}{SPINNER_FRAMES[index % len(SPINNER_FRAMES)]} {self.text} {elapsed:.1f}s"

    def _run(self) -> None:
        index = 0
        while True:
            self.stream.write(self.frame(index))
            self.stream.flush()
            index += 1
            gevent.sleep(SPINNER_INTERVAL)
