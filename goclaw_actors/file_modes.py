"""Permissions of GOCLAW_HOME (SPEC §2.1): the home and its directories are 0700 and its files 0600, since
they hold prompts, chat history, the gateway token and API keys. The daemon creates them so and tightens
loose ones at start (logged); `goclaw doctor` reports them with `mode_problems`.

    for problem in mode_problems(home):
        print(problem.describe())   # "config.yaml is 0644 (group/other can access it); expected 0600"
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from goclaw_actors.atomic_file import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

LOOSE_BITS = 0o077  # any access by group or others
TOKEN_FILE = "auth.token"
DIRECTORIES = ("logs", "skills", "installed", "workspace", "models", "backups")
FILE_DIRECTORIES = ("", "logs", "backups")  # every regular file directly in these is private
WORKSPACE_FILES = ("workspace/HEARTBEAT.md", "workspace/HEARTBEAT_RESULTS.md")


@dataclass(frozen=True)
class ModeProblem:
    """A path of the home that group or others may access."""

    path: Path
    mode: int        # permission bits found
    expected: int    # 0700 for directories, 0600 for files

    @property
    def is_token(self) -> bool:
        """Whether this is the gateway token file (its exposure gives the daemon away)."""
        return self.path.name == TOKEN_FILE

    def describe(self, home: Path | None = None) -> str:
        """One line for logs and `goclaw doctor`."""
        name = str(self.path.relative_to(home)) if home is not None and self.path != home else str(self.path)
        return (f"{name} is {self.mode:04o} (group/other can access it); expected {self.expected:04o}")


def home_paths(home: Path) -> list[Path]:
    """The home, its directories, every regular file directly in it, in logs/ and in backups/ (the database
    and its -wal/-shm, config, policy, token, secrets, logs, backups) and the workspace's own files."""
    home = Path(home)
    paths = [home, *(home / name for name in DIRECTORIES), *(home / name for name in WORKSPACE_FILES)]
    for directory in FILE_DIRECTORIES:
        try:
            paths += sorted(path for path in (home / directory).iterdir() if path.is_file() and not path.is_symlink())
        except OSError:
            pass  # not there (yet), or not readable: its own entry is checked
    return [path for path in paths if path.exists() and (path == home or not path.is_symlink())]


def mode_problems(home: Path) -> list[ModeProblem]:
    """Every path of `home_paths` whose group or other permission bits are set (paths that cannot be
    inspected are passed over)."""
    problems = []
    for path in home_paths(home):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & LOOSE_BITS:
            problems.append(ModeProblem(path, mode, PRIVATE_DIR_MODE if path.is_dir() else PRIVATE_FILE_MODE))
    return problems


def tighten_modes(home: Path) -> tuple[list[ModeProblem], list[tuple[ModeProblem, str]]]:
    """Remove group/other access from every problem path; returns (fixed, [(not fixed, why)])."""
    fixed, failed = [], []
    for problem in mode_problems(home):
        try:
            os.chmod(problem.path, problem.mode & ~LOOSE_BITS)
            fixed.append(problem)
        except OSError as exc:
            failed.append((problem, exc.strerror or str(exc)))
    return fixed, failed


def ensure_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing (so that whatever opens it next, e.g. SQLite or a
    log handler, keeps that mode), else remove group/other access from it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & LOOSE_BITS and not path.is_symlink():
            os.chmod(path, mode & ~LOOSE_BITS)
        return
    os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) with mode 0700."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
