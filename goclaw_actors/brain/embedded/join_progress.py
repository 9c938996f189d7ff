"""Progress of joining the embedded model's parts: a bar on a terminal, log lines otherwise."""

import sys
import time
from typing import Callable, TextIO

from goclaw_actors.logs.system_log import get_logger

log = get_logger("embedded_model")

# Redraw the terminal bar at most this often (seconds).
BAR_INTERVAL = 0.1
# Without a terminal, log one line each time this fraction of the bytes has been joined.
LOG_STEP = 0.1
BAR_WIDTH = 30

Progress = Callable[[int, int], None]


def join_progress(label: str, stream: TextIO | None = None) -> Progress:
    """A `progress(done_bytes, total_bytes)` callable for joining `label`: a bar on `stream` (stderr by
    default) when it is a terminal, else an INFO log line every 10%."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return _TerminalBar(label, stream)
    return _LogLines(label)


class _TerminalBar:
    def __init__(self, label: str, stream: TextIO):
        self.label = label
        self.stream = stream
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.drawn_at < BAR_INTERVAL:
            return
        self.drawn_at = now
        fraction = done / total if total else 1.0
        filled = int(fraction * BAR_WIDTH)
        self.stream.write(f"\rjoining {self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                          f"{fraction:4.0%} {done / 2**20:.0f}/{total / 2**20:.0f} MiB")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


class _LogLines:
    def __init__(self, label: str):
        self.label = label
        self.next_step = 0.0

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if fraction + 1e-9 < self.next_step:
            return
        log.info("joining embedded model", model=self.label, percent=int(fraction * 100),
                 done_bytes=done, total_bytes=total)
        self.next_step = (int(fraction / LOG_STEP) + 1) * LOG_STEP
