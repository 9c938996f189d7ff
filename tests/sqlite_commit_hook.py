"""A slow disk for tests: SQLite's own commit hook (sqlite3_commit_hook) on a live connection, which sleeps in
C before each COMMIT completes, like an fsync that takes that long. Nothing of ours is replaced.

    with slow_commits(conn, seconds=0.05) as hook:
        ...                      # every COMMIT on `conn` now takes 50 ms more
    assert len(hook.windows) >= 1
"""

import ctypes
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_COMMIT_HOOK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


def _loaded_sqlite() -> ctypes.CDLL:
    """The libsqlite3 this process's `sqlite3` module runs on (the same copy, so the hook lands on it)."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "libsqlite3" in Path(path).name:
            lib = ctypes.CDLL(path)
            lib.sqlite3_commit_hook.restype = ctypes.c_void_p
            lib.sqlite3_commit_hook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            lib.sqlite3_db_filename.restype = ctypes.c_char_p
            lib.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            return lib
    raise RuntimeError("the sqlite3 module is not linked to a shared libsqlite3")


def _handle(lib: ctypes.CDLL, conn: sqlite3.Connection, path: Path) -> int:
    """The `sqlite3 *` inside a Connection (the first field after the object header), checked by its file."""
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not handle or Path(lib.sqlite3_db_filename(handle, b"main").decode()).resolve() != path.resolve():
        raise RuntimeError("could not find the sqlite3 handle of the connection")
    return handle


class CommitHook:
    """Records when each commit it delayed was held: `windows` of (start, end) `time.perf_counter()`."""

    def __init__(self, seconds: float):
        self.microseconds = int(seconds * 1_000_000)
        self.windows: list[tuple[float, float]] = []
        self._usleep = ctypes.CDLL(None).usleep  # a C sleep: the GIL is released while it waits

        def hook(_data) -> int:
            started = time.perf_counter()
            self._usleep(self.microseconds)
            self.windows.append((started, time.perf_counter()))
            return 0  # go on with the COMMIT

        self.callback = _COMMIT_HOOK(hook)


@contextmanager
def slow_commits(conn: sqlite3.Connection, path: Path, seconds: float) -> Iterator[CommitHook]:
    """Delay every COMMIT on `conn` (the connection of database file `path`) by `seconds`, in C."""
    lib = _loaded_sqlite()
    handle = _handle(lib, conn, path)
    hook = CommitHook(seconds)
    lib.sqlite3_commit_hook(handle, ctypes.cast(hook.callback, ctypes.c_void_p), None)
    try:
        yield hook
    finally:
        lib.sqlite3_commit_hook(handle, None, None)
