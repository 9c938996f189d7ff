"""Watching a directory for changes to a few named files, with watchfiles (SPEC §2.7, §8.1).

The directory is watched, not the files, so editors' write-to-temp-and-rename saves and deletions are
seen; changes are grouped over DEBOUNCE_MS. A watch may also cover several directories recursively
and name what changed with a function of the path (the skill roots). Watching starts when the DirectoryWatch is made (changes
from then on are kept until `wait` returns them). `wait` blocks in Rust: call it off the hub, in
gevent's threadpool.

    watch = DirectoryWatch(home, {"policy.yaml"})
    changed = gevent.get_hub().threadpool.apply(watch.wait)   # frozenset({"policy.yaml"})

`FilesWatch` reports changed paths (absolute) in a set of directories that can be changed while it runs
(the PinWatcher's pinned files).
"""

import os
from pathlib import Path
from typing import Callable, Iterable

from gevent import monkey
from watchfiles._rust_notify import RustNotify

from goclaw_actors.errors import StartupError

DEBOUNCE_MS = 150  # changes are grouped for at most this long before they are reported
STEP_MS = 50  # a quiet spell this long after a change ends the group early
WAIT_TIMEOUT_MS = 1000  # `wait` returns an empty set after this long without a change
WATCHER_START_FAILED = "E_CONFIG_WATCHER_START"

_ThreadEvent = monkey.get_original("threading", "Event")  # read from the watching thread, not a greenlet
_ThreadLock = monkey.get_original("threading", "Lock")


class DirectoryWatch:
    """A running watch of `directory` reporting changes to `names` (plain file names inside it), or of
    several directories (recursively with `recursive`) reporting `names(path)` for each changed path that
    it does not map to None.

    Raises StartupError(`start_error`, default E_CONFIG_WATCHER_START) when a directory cannot be watched.
    """

    def __init__(self, directory: Path | list[Path], names: Iterable[str] | Callable[[str], str | None],
                 recursive: bool = False, start_error: str = WATCHER_START_FAILED):
        self.directories = [Path(d) for d in directory] if isinstance(directory, (list, tuple)) else [Path(directory)]
        self.directory = self.directories[0]
        if callable(names):
            self.names, self._key = frozenset(), names
        else:
            self.names = frozenset(names)
            self._key = lambda path: name if (name := os.path.basename(path)) in self.names else None
        self._stop = _ThreadEvent()
        try:
            self._notify = RustNotify([str(d) for d in self.directories], False, False, 300, recursive, False)
        except (OSError, RuntimeError) as exc:
            shown = ", ".join(str(d) for d in self.directories)
            raise StartupError(start_error, f"cannot watch {shown}: {exc}") from exc

    def wait(self, timeout_ms: int = WAIT_TIMEOUT_MS) -> frozenset[str] | None:
        """Block until some of the names changed (returns them), `timeout_ms` passed (an empty set) or the
        watch was stopped (None)."""
        raw = self._notify.watch(DEBOUNCE_MS, STEP_MS, timeout_ms, self._stop)
        if raw == "stop":
            return None
        if isinstance(raw, str):  # "timeout", or "signal" (signals are the main thread's business)
            return frozenset()
        return frozenset(key for key in (self._key(path) for _, path in raw) if key is not None)

    def stop(self) -> None:
        """Make a running or later `wait` return None within STEP_MS."""
        self._stop.set()

    def close(self) -> None:
        """Stop watching (call once no `wait` runs)."""
        self._notify.close()


class FilesWatch:
    """A watch of some directories (not their subdirectories) reporting the absolute paths that changed in
    them; `watch_directories` changes the set while a `wait` runs. A directory that is missing or cannot be
    watched is left out (reported by `unwatched`)."""

    directory = "(pinned files)"

    def __init__(self) -> None:
        self._wake = _ThreadEvent()  # set to end a running wait: stop, or new directories
        self._lock = _ThreadLock()
        self._stopped = False
        self._pending: frozenset[str] | None = None
        self._notify: RustNotify | None = None
        self.directories: frozenset[str] = frozenset()
        self.unwatched: frozenset[str] = frozenset()

    def watch_directories(self, directories: Iterable[str]) -> None:
        """Watch these directories from the next wait on (the running one returns early)."""
        wanted = frozenset(directories)
        with self._lock:
            if wanted == self.directories and self._pending is None:
                return
            self._pending = wanted
        self._wake.set()

    def wait(self, timeout_ms: int = WAIT_TIMEOUT_MS) -> frozenset[str] | None:
        """Block until files changed (their paths), `timeout_ms` passed or the directories changed (an empty
        set), or the watch was stopped (None)."""
        self._retarget()
        if self._stopped:
            return None
        if self._notify is None:
            self._wake.wait(timeout_ms / 1000.0)
            raw = "stop" if self._wake.is_set() else "timeout"
        else:
            raw = self._notify.watch(DEBOUNCE_MS, STEP_MS, timeout_ms, self._wake)
        if raw == "stop":
            self._wake.clear()
            return None if self._stopped else frozenset()
        if isinstance(raw, str):
            return frozenset()
        return frozenset(path for _, path in raw)

    def _retarget(self) -> None:
        with self._lock:
            wanted, self._pending = self._pending, None
        if wanted is None or self._stopped:
            return
        if self._notify is not None:
            self._notify.close()
            self._notify = None
        existing = sorted(path for path in wanted if os.path.isdir(path))
        self.directories, self.unwatched = wanted, wanted - frozenset(existing)
        if existing:
            try:
                self._notify = RustNotify(existing, False, False, 300, False, True)
            except (OSError, RuntimeError):
                self.unwatched = wanted

    def stop(self) -> None:
        """Make a running or later `wait` return None."""
        self._stopped = True
        self._wake.set()

    def close(self) -> None:
        """Stop watching (call once no `wait` runs)."""
        if self._notify is not None:
            self._notify.close()
            self._notify = None
