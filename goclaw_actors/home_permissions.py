"""Who may read GOCLAW_HOME: the home directory is 0700, auth.token and every file holding secrets or
data (config.yaml, policy.yaml, the database, logs, backups) is 0600.

`permission_problems(home)` lists what is looser than that; the daemon and `goclaw doctor` share it.
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

HOME_MODE = 0o700
FILE_MODE = 0o600
TOKEN_FILE = "auth.token"
PRIVATE_DIRS = ("logs", "backups")  # every file in these is private too


@dataclass(frozen=True)
class PermissionProblem:
    """`path` has `mode` where at most `expected` is wanted."""

    path: Path
    mode: int
    expected: int

    @property
    def is_token(self) -> bool:
        """Whether this is the gateway token file (its exposure gives away the daemon)."""
        return self.path.name == TOKEN_FILE

    def describe(self) -> str:
        """`<path> is 0644, expected 0600`."""
        return f"{self.path} is {self.mode:04o}, expected {self.expected:04o}"


def private_files(home: Path) -> list[Path]:
    """The files whose mode must be FILE_MODE: the regular files in `home`, `logs/` and `backups/`."""
    files = []
    for directory in (home, *(home / name for name in PRIVATE_DIRS)):
        try:
            entries = sorted(directory.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        files.extend(entry for entry in entries if entry.is_file() and not entry.is_symlink())
    return files


def loose_mode(path: Path, expected: int) -> PermissionProblem | None:
    """A problem when `path` grants more than `expected` (group or others bits, or more owner bits)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    return PermissionProblem(path, mode, expected) if mode & ~expected else None


def permission_problems(home: Path) -> list[PermissionProblem]:
    """Everything in `home` looser than HOME_MODE / FILE_MODE, the home directory first."""
    problems = [loose_mode(home, HOME_MODE)] + [loose_mode(path, FILE_MODE) for path in private_files(home)]
    return [problem for problem in problems if problem is not None]
