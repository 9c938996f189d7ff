"""Path policy for file tools (SPEC §5.3) and race-free file operations inside the allowed roots.

A path is made absolute (relative to the workspace), resolved through symlinks and must lie inside an
`allow_paths` root (only the workspace when none is listed). The operations then walk from the root one
component at a time with O_NOFOLLOW, so a directory swapped for a symlink after the check makes the
operation fail instead of escaping the root.
"""

import os
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from goclaw_actors.tools.errors import PolicyDenied, ToolError

PATH_DENIED = "path_denied"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class JailedPath:
    """A checked path: the resolved location and the root it lies in."""

    path: Path
    root: Path

    @property
    def parts(self) -> tuple[str, ...]:
        """Components below the root."""
        return self.path.relative_to(self.root).parts


def path_denied(raw: str, why: str = "is outside the allowed paths") -> PolicyDenied:
    """A path denial (audited with reason `path_denied`)."""
    return PolicyDenied(PATH_DENIED, f"path denied: {raw!r} {why}")


def allowed_roots(paths: Iterable[str], workspace: Path) -> list[Path]:
    """The resolved roots: `allow_paths` entries (relative ones under the workspace), else the workspace."""
    roots = []
    for entry in paths:
        root = Path(os.path.expanduser(entry))
        roots.append(Path(os.path.realpath(root if root.is_absolute() else workspace / root)))
    return roots or [Path(os.path.realpath(workspace))]


def jail(raw: str, roots: list[Path], base: Path) -> JailedPath:
    """Check `raw` against the roots; raises PolicyDenied (`path_denied`) for anything outside them."""
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise path_denied(str(raw), "is not a valid path")
    candidate = Path(raw.strip())
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = Path(os.path.realpath(candidate))
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return JailedPath(resolved, root)
    raise path_denied(raw)


def open_dir(root: Path, parts: Iterable[str], create: bool = False) -> int:
    """A descriptor of root/parts reached without following any symlink (directories made when `create`)."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        return fd
    except OSError:
        os.close(fd)
        raise


def _moved(target: JailedPath, exc: OSError) -> ToolError:
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        return ToolError(f"{target.path}: {exc.strerror}")
    return path_denied(str(target.path), f"changed while in use ({exc.strerror})")


def read_bytes(target: JailedPath, limit: int) -> bytes:
    """Up to `limit + 1` bytes of a file (so callers can tell it was longer)."""
    try:
        parent = open_dir(target.root, target.parts[:-1])
        try:
            fd = os.open(target.parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=parent) if target.parts else -1
        finally:
            os.close(parent)
    except OSError as exc:
        raise _moved(target, exc) from exc
    if fd < 0:
        raise ToolError(f"{target.path} is a directory")
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit + 1)


def list_entries(target: JailedPath) -> list[tuple[str, bool]]:
    """(name, is_directory) of every entry of a directory, unsorted."""
    try:
        fd = open_dir(target.root, target.parts)
    except OSError as exc:
        raise _moved(target, exc) from exc
    try:
        with os.scandir(fd) as entries:
            return [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
    finally:
        os.close(fd)


def write_bytes(target: JailedPath, data: bytes) -> None:
    """Replace the file atomically (temp file + fsync + rename in its directory), parents created."""
    if not target.parts:
        raise ToolError(f"{target.path} is a directory")
    name = target.parts[-1]
    try:
        parent = open_dir(target.root, target.parts[:-1], create=True)
    except OSError as exc:
        raise _moved(target, exc) from exc
    temp = f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        mode = _existing_mode(name, parent)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
        os.fsync(parent)
    except OSError as exc:
        _remove_quietly(temp, parent)
        raise _moved(target, exc) from exc
    finally:
        os.close(parent)


def _existing_mode(name: str, parent: int) -> int:
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return 0o644
    if not stat.S_ISREG(info.st_mode):
        raise IsADirectoryError(21, "not a regular file")
    return info.st_mode & 0o777


def _remove_quietly(name: str, parent: int) -> None:
    try:
        os.unlink(name, dir_fd=parent)
    except OSError:
        pass  # nothing was left behind
