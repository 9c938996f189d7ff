"""PinWatcher (SPEC §1.2, §6): keeps every agent's file pins current. The directories holding pinned files
are watched with watchfiles (through FileWatcher's loop, in the threadpool), and every pin is checked at
least every `poll_seconds` (10 s) and whenever pins are added; a changed file is read again and stored
(audited), a vanished one keeps its last content and is warned about once.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gevent

from actors.address import fixed_address
from actors.file_watcher import FileWatcher, FilesChanged
from goclaw_actors.agent_memory.pin_refresh import check_file_pin
from goclaw_actors.agent_memory.pins import FilePin
from goclaw_actors.file_watch import FilesWatch
from goclaw_actors.logs.system_log import get_logger

POLL_SECONDS = 10.0

log = get_logger("watchers")


@dataclass(frozen=True)
class PinPorts:
    """What the watcher needs of the daemon: the file pins, the path policy's roots, and the audited write."""

    file_pins: Callable[[], list[dict[str, Any]]]
    roots: Callable[[], tuple[list[Path], Path]]  # (allowed roots, workspace)
    refresh: Callable[[dict[str, Any], FilePin], Any]


@dataclass(frozen=True)
class _Poll:
    """Told every poll_seconds: check every pin."""


class PinWatcher(FileWatcher):
    """A FileWatcher whose watched directories follow the pins; `pins_changed()` asks for a check now."""

    def __init__(self, name: str, ports: PinPorts, poll_seconds: float = POLL_SECONDS):
        super().__init__(name, FilesWatch(), {})
        self.ports = ports
        self.poll_seconds = poll_seconds
        self.warned: dict[tuple[str, str], str] = {}  # (agent, source) -> the problem last warned about
        self.poller: gevent.Greenlet | None = None
        self.refreshed = 0

    def on_start(self) -> None:
        super().on_start()
        self.poller = gevent.spawn(self._poll_loop)
        self._check(None)

    def on_stop(self) -> None:
        if self.poller is not None:
            self.poller.kill(block=False)
        super().on_stop()

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, FilesChanged):
            self._check(message.names)
            return None
        if isinstance(message, _Poll):
            self._check(None)
            return None
        return super().on_receive(message)

    def pins_changed(self) -> None:
        """A pin was added or removed: check now and watch its directory."""
        self._check(None)

    def _poll_loop(self) -> None:
        me = fixed_address(self.name, self.actor_ref)
        while True:
            gevent.sleep(self.poll_seconds)
            if not me.tell(_Poll()):
                return

    def _check(self, paths: frozenset[str] | None) -> None:
        """Check the pins whose file is among `paths` (every file pin when None)."""
        try:
            pins = self.ports.file_pins()
            roots, workspace = self.ports.roots()
        except Exception as exc:  # noqa: BLE001 - the next poll tries again
            log.error("pinned files not checked", error=repr(exc))
            return
        if paths is None:
            self.watch.watch_directories({os.path.dirname(pin["source"]) for pin in pins})
        for pin in pins:
            if paths is None or pin["source"] in paths:
                self._check_pin(pin, roots, workspace)

    def _check_pin(self, pin: dict[str, Any], roots: list[Path], workspace: Path) -> None:
        where = (pin["agent_id"], pin["source"])
        check = check_file_pin(pin, roots, workspace)
        if check.problem:
            if self.warned.get(where) != check.problem_key:
                self.warned[where] = check.problem_key
                log.warn(check.problem, agent_id=pin["agent_id"], source=pin["source"])
            return
        self.warned.pop(where, None)
        if check.fresh is None:
            return
        try:
            self.ports.refresh(pin, check.fresh)
        except Exception as exc:  # noqa: BLE001 - stays stale until the next check
            log.error("pinned file not refreshed", agent_id=pin["agent_id"], source=pin["source"], error=repr(exc))
            return
        self.refreshed += 1
        log.info("pinned file refreshed", agent_id=pin["agent_id"], source=pin["source"])
