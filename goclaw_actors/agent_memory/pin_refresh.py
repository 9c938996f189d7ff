"""Keeping file pins current (SPEC §6 PinWatcher): a pin whose file's mtime changed is read again; the size
limit and the path policy still apply, and a file that vanished (or can no longer be read) keeps the pin's
last content.

    check = check_file_pin(pin, roots, workspace)
    if check.fresh:   store the new content         (check.fresh: FilePin)
    elif check.problem: warn once per check.problem_key
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goclaw_actors.agent_memory.pins import FilePin, PinError, file_target, read_file_pin
from goclaw_actors.tools.errors import PolicyDenied


@dataclass(frozen=True)
class PinCheck:
    """The outcome of looking at one pinned file: new content, a problem (the last content stays), or neither."""

    fresh: FilePin | None = None
    problem: str = ""  # what to warn about
    problem_key: str = ""  # the same problem again is not warned twice

    @property
    def unchanged(self) -> bool:
        """Nothing to store and nothing to warn about."""
        return self.fresh is None and not self.problem


def check_file_pin(pin: dict[str, Any], roots: list[Path], workspace: Path) -> PinCheck:
    """Read the pinned file again if its mtime differs from the one stored with the pin."""
    source = pin["source"]
    try:
        target = file_target(source, roots, workspace)
    except PolicyDenied:
        return PinCheck(problem="pinned file is outside the allowed paths now; its last content stays",
                        problem_key="path_denied")
    try:
        mtime = str(os.stat(target.path).st_mtime_ns)
    except FileNotFoundError:
        return PinCheck(problem="pinned file vanished; its last content stays", problem_key="vanished")
    except OSError as exc:
        return PinCheck(problem=f"pinned file cannot be read ({exc.strerror}); its last content stays",
                        problem_key="unreadable")
    if mtime == pin.get("file_mtime"):
        return PinCheck()
    try:
        return PinCheck(fresh=read_file_pin(target))
    except PinError as exc:
        return PinCheck(problem=f"{exc}; the pin keeps its last content", problem_key=f"refused:{mtime}")
