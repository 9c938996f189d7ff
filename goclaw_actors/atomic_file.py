"""Atomic file writes: a temp file in the same directory, fsync, then rename."""

import os
import tempfile
from pathlib import Path

PRIVATE_FILE_MODE = 0o600  # every file of GOCLAW_HOME: it holds prompts, history, keys
PRIVATE_DIR_MODE = 0o700


def write_atomic(path: Path, text: str, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace `path` with `text` so readers see the old or the new file, never a partial one. The file is
    private (0600) unless told otherwise; a missing directory is created private (0700)."""
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
