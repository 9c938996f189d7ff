"""FileWatcher: one watched directory and what to do when one of its files changes (ConfigWatcher,
PolicyWatcher, SPEC §1.2, §2.7).

The blocking wait for changes runs in gevent's threadpool; each batch of changed names comes back to
this actor as a message, and the handlers run here, one batch at a time, in the order given. A handler
that fails is logged and the watch goes on; a watch that breaks crashes the actor, so its supervisor
starts a fresh one.
"""

from dataclasses import dataclass
from typing import Any, Callable

import gevent
import pykka

from actors.address import fixed_address
from goclaw_actors.file_watch import DirectoryWatch
from goclaw_actors.logs.system_log import get_logger

STOP_WAIT_SECONDS = 2.0  # how long a stopped watch waits for its watching thread before it is released

log = get_logger("watchers")


@dataclass(frozen=True)
class FilesChanged:
    """Told by the watch loop: these file names changed."""

    names: frozenset[str]


@dataclass(frozen=True)
class _WatchBroke:
    """Told by the watch loop when waiting for changes raised."""

    error: str


class FileWatcher(pykka.ThreadingActor):
    """Runs `handlers[name]()` after the file `name` of the watched directory changed.

    Usage::

        FileWatcher.start("policy_watcher", DirectoryWatch(home, {"policy.yaml"}), {"policy.yaml": reload})
    """

    def __init__(self, name: str, watch: DirectoryWatch, handlers: dict[str, Callable[[], None]]):
        super().__init__()
        self.name = name
        self.watch = watch
        self.handlers = dict(handlers)
        self.loop: gevent.Greenlet | None = None
        self.waiting: Any = None  # the threadpool job of the wait in progress
        self.applied = 0  # batches handled since start

    def on_start(self) -> None:
        self.loop = gevent.spawn(self._watch_loop)
        log.info("watcher started", watcher=self.name, directory=str(self.watch.directory),
                 files=sorted(self.handlers))

    def on_stop(self) -> None:
        self._close()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._close()

    def on_receive(self, message: Any) -> None:
        if isinstance(message, _WatchBroke):
            raise RuntimeError(f"{self.name}: watching {self.watch.directory} failed: {message.error}")
        if not isinstance(message, FilesChanged):
            return
        for name, handler in self.handlers.items():
            if name not in message.names:
                continue
            try:
                handler()
            except Exception as exc:  # noqa: BLE001 - one failed reload must not stop the watch
                log.error("applying a changed file failed", watcher=self.name, file=name, error=repr(exc))
        self.applied += 1

    def _watch_loop(self) -> None:
        pool = gevent.get_hub().threadpool
        me = fixed_address(self.name, self.actor_ref)
        while True:
            self.waiting = pool.spawn(self.watch.wait)
            try:
                changed = self.waiting.get()
            except Exception as exc:  # noqa: BLE001 - handed to the actor, which crashes on it
                me.tell(_WatchBroke(repr(exc)))
                return
            if changed is None:
                return
            if changed and not me.tell(FilesChanged(changed)):
                return

    def _close(self) -> None:
        """Stop the watch and the loop (no new wait starts). The wait in progress returns within STEP_MS and
        releases the watch then, in the background: a restart (SPEC §1.3) does not wait for it."""
        self.watch.stop()
        if self.loop is not None:
            self.loop.kill(block=False)
        if self.waiting is None or self.waiting.ready():
            self.watch.close()
        else:
            gevent.spawn(_close_when_done, self.waiting, self.watch)


def _close_when_done(waiting: Any, watch: Any) -> None:
    """Release `watch` once its stopped wait has returned (it returns within STEP_MS of `stop`)."""
    waiting.wait(timeout=STOP_WAIT_SECONDS)
    watch.close()
