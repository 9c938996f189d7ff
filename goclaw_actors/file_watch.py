"""Watching a directory for changes to a few named files, with watchfiles (SPEC §2.7).

The directory is watched, not the files, so editors' write-to-temp-and-rename saves and deletions are
seen; changes are grouped over DEBOUNCE_MS. Watching starts when the DirectoryWatch is made (changes
from then on are kept until `wait` returns them). `wait` blocks in Rust: call it off the hub, in
gevent's threadpool.

    watch = DirectoryWatch(home, {"policy.yaml"})
    changed = gevent.get_hub().threadpool.apply(watch.wait)   # frozenset({"policy.yaml"})
"""

import os
from pathlib import Path
from typing import Iterable

from gevent import monkey
from watchfiles._rust_notify import RustNotify

from goclaw_actors.errors import StartupError

DEBOUNCE_MS = 150  # changes are grouped for at most this long before they are reported
STEP_MS = 50  # a quiet spell this long after a change ends the group early
WAIT_TIMEOUT_MS = 1000  # `wait` returns an empty set after this long without a change
WATCHER_START_FAILED = "E_CONFIG_WATCHER_START"

_ThreadEvent = monkey.get_original("threading", "Event")  # read from the watching thread, not a greenlet


class DirectoryWatch:
    """A running watch of `directory` reporting changes to `names` (plain file names inside it).

    Raises StartupError(E_CONFIG_WATCHER_START) when the directory cannot be watched.
    """

    def __init__(self, directory: Path, names: Iterable[str]):
        self.directory = Path(directory)
        self.names = frozenset(names)
        self._stop = _ThreadEvent()
        try:
            self._notify = RustNotify([str(self.directory)], False, False, 300, False, False)
        except (OSError, RuntimeError) as exc:
            raise StartupError(WATCHER_START_FAILED, f"cannot watch {self.directory}: {exc}") from exc

    def wait(self, timeout_ms: int = WAIT_TIMEOUT_MS) -> frozenset[str] | None:
        """Block until some of the names changed (returns them), `timeout_ms` passed (an empty set) or the
        watch was stopped (None)."""
        raw = self._notify.watch(DEBOUNCE_MS, STEP_MS, timeout_ms, self._stop)
        if raw == "stop":
            return None
        if isinstance(raw, str):  # "timeout", or "signal" (signals are the main thread's business)
            return frozenset()
        return frozenset(name for name in (os.path.basename(path) for _, path in raw) if name in self.names)

    def stop(self) -> None:
        """Make a running or later `wait` return None within STEP_MS."""
        self._stop.set()

    def close(self) -> None:
        """Stop watching (call once no `wait` runs)."""
        self._notify.close()
