"""Child specifications: how a supervisor starts, restarts and stops one child (OTP semantics)."""

from dataclasses import dataclass
from typing import Callable

import pykka

PERMANENT = "permanent"  # always restarted
TRANSIENT = "transient"  # restarted only after an abnormal exit
TEMPORARY = "temporary"  # never restarted; forgotten once it exits
RESTART_TYPES = (PERMANENT, TRANSIENT, TEMPORARY)

DEFAULT_SHUTDOWN_SECONDS = 5.0
DEFAULT_START_SECONDS = 30.0


@dataclass
class ChildSpec:
    """`start` starts the child and returns its ActorRef; `start_timeout` bounds its `on_start`,
    `shutdown_timeout` its stop."""

    id: str
    start: Callable[[], pykka.ActorRef]
    restart: str = PERMANENT
    shutdown_timeout: float = DEFAULT_SHUTDOWN_SECONDS
    start_timeout: float = DEFAULT_START_SECONDS

    def __post_init__(self):
        if self.restart not in RESTART_TYPES:
            raise ValueError(f"child {self.id!r}: restart must be one of {RESTART_TYPES}, got {self.restart!r}")

    def should_restart(self, abnormal: bool) -> bool:
        """Whether this child comes back after an exit (abnormal = crashed, not stopped normally)."""
        return self.restart == PERMANENT or (self.restart == TRANSIENT and abnormal)
