"""Progress of joining the embedded model's parts: a bar on a terminal, log lines otherwise."""

import sys
from typing import Callable, TextIO

from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.terminal_progress import ProgressBar, is_terminal

log = get_logger("embedded_model")

# Without a terminal, log one line each time this fraction of the bytes has been joined.
LOG_STEP = 0.1

Progress = Callable[[int, int], None]


def join_progress(label: str, stream: TextIO | None = None) -> Progress:
    """A `progress(done_bytes, total_bytes)` callable for joining `label`: a bar on `stream` (stderr by
    default) when it is a terminal, else an INFO log line every 10%."""
    stream = stream if stream is not None else sys.stderr
    if is_terminal(stream):
        return ProgressBar(f"joining {label}", stream)
    return _LogLines(label)


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
