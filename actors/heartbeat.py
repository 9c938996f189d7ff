"""HeartbeatActor (SPEC §10): at every heartbeat slot, a `heartbeat` task for `default` when HEARTBEAT.md has
content; each beat's reply appended to HEARTBEAT_RESULTS.md once.

Nothing here must survive a restart: the slot key makes each beat's enqueue happen once, and replies are
collected from the tasks themselves (at start, when a beat ends, and at each slot) after a watermark kept
in kv_store, the results file's markers making each append happen once.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gevent
import pykka

from actors.daemon_ports import DaemonPorts
from goclaw_actors.heartbeat import (HEARTBEAT_AGENT, HEARTBEAT_SESSION, HEARTBEAT_TASK, append_result, beat_key,
                                     heartbeat_payload, read_checklist, reply_text, slot_of)
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.queue.states import SUCCEEDED, TERMINAL
from goclaw_actors.queue.task_wait import await_terminal
from goclaw_actors.store.heartbeat_reads import APPENDED_KEY, beat_running, beats_after
from goclaw_actors.store.kv_reads import get_kv
from goclaw_actors.store.sqlite_reads import get_task

log = get_logger("heartbeat")

BEAT_WAIT_SECONDS = 3600.0  # how long one watch waits for a beat to end before the next slot's collection


@dataclass(frozen=True)
class HeartbeatSettings:
    """`interval_seconds()` is read at every slot (0 disables; config hot reload applies); `clock` gives epoch
    seconds."""

    workspace: Path
    interval_seconds: Callable[[], float]
    clock: Callable[[], float] = field(default=time.time)


@dataclass(frozen=True)
class _Beat:
    """Timer: the slot `slot` has come."""

    slot: int


@dataclass(frozen=True)
class _Collect:
    """A beat ended (or the actor started): append the replies not yet appended."""


class HeartbeatActor(pykka.ThreadingActor):
    """Fires heartbeats and collects their replies.

    Usage::

        heartbeat = HeartbeatActor.start(ports, HeartbeatSettings(workspace, lambda: 1800.0)).proxy()
        heartbeat.beat().get()      # {"status": "enqueued", "task_id": …} or {"status": "skipped", "reason": …}
        heartbeat.collect().get()   # how many replies were appended
    """

    def __init__(self, ports: DaemonPorts, settings: HeartbeatSettings):
        super().__init__()
        self.ports = ports
        self.settings = settings
        self.loop: gevent.Greenlet | None = None
        self.watchers: set[gevent.Greenlet] = set()

    def on_start(self) -> None:
        self.actor_ref.tell(_Collect())  # replies of beats that ended while the daemon was down
        self.loop = gevent.spawn(self._slot_loop)

    def on_stop(self) -> None:
        self._stop_greenlets()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._stop_greenlets()

    def on_receive(self, message: Any) -> None:
        try:
            if isinstance(message, _Beat):
                self.collect()
                self.beat(message.slot)
            elif isinstance(message, _Collect):
                self.collect()
        except Exception as exc:  # an exception here would stop the actor; the next slot tries again
            log.error("heartbeat failed", error=f"{type(exc).__name__}: {exc}")

    def beat(self, slot: int | None = None) -> dict[str, Any]:
        """Enqueue the beat of `slot` (default: the current one) when HEARTBEAT.md has content and no beat is
        still running; returns `{status: "enqueued", task_id, slot}` or `{status: "skipped", reason}`."""
        interval = self.settings.interval_seconds()
        if interval <= 0:
            return {"status": "skipped", "reason": "disabled"}
        slot = slot_of(self.settings.clock(), interval) if slot is None else slot
        checklist = read_checklist(self.settings.workspace)
        if checklist is None:
            return {"status": "skipped", "reason": "HEARTBEAT.md has no content"}
        if self.ports.read(beat_running):
            log.info("heartbeat skipped: the previous one is still running", slot=slot)
            return {"status": "skipped", "reason": "previous heartbeat still running"}
        enqueued = self.ports.store.tasks.enqueue(
            session_id=HEARTBEAT_SESSION, payload=heartbeat_payload(checklist, slot), agent_id=HEARTBEAT_AGENT,
            task_type=HEARTBEAT_TASK, idempotency_key=beat_key(interval, slot))
        task_id = enqueued["task_id"]
        if enqueued["created"]:
            log.info("heartbeat enqueued", task_id=task_id, slot=slot)
        self._watch(task_id)
        return {"status": "enqueued", "task_id": task_id, "slot": slot}

    def collect(self) -> int:
        """Append the replies of the beats that ended since the last one handled; returns how many were appended."""
        mark = self.ports.read(get_kv, APPENDED_KEY)
        appended = 0
        for task in self.ports.read(beats_after, mark):
            if task["status"] not in TERMINAL:
                break  # later beats wait for this one, so the watermark never passes an unfinished beat
            if task["status"] == SUCCEEDED and append_result(self.settings.workspace, task["id"], task["updated_at"],
                                                             reply_text(task["result"])):
                appended += 1
                log.info("heartbeat result appended", task_id=task["id"])
            self.ports.store.kv.put_kv(key=APPENDED_KEY, value=f"{task['created_at']}|{task['id']}")
        return appended

    def _watch(self, task_id: str) -> None:
        """Collect as soon as the beat's task ends (a green thread; the slot loop collects anyway)."""
        def wait() -> None:
            try:
                with self.ports.watch(task_id=task_id) as watch:
                    await_terminal(watch.queue, lambda: self.ports.read(get_task, task_id), BEAT_WAIT_SECONDS)
                self.actor_ref.tell(_Collect())
            except pykka.ActorDeadError:
                pass  # stopping: the next start collects
            except Exception as exc:  # the slot loop collects anyway
                log.warn("heartbeat watch failed", task_id=task_id, error=str(exc))
            finally:
                self.watchers.discard(greenlet)

        greenlet = gevent.spawn(wait)
        self.watchers.add(greenlet)

    def _slot_loop(self) -> None:
        """Tell the actor at each slot boundary (re-reading the interval each time; idle while disabled)."""
        while True:
            interval = self.settings.interval_seconds()
            if interval <= 0:
                gevent.sleep(60.0)
                continue
            now = self.settings.clock()
            slot = slot_of(now, interval) + 1
            gevent.sleep(max(0.0, slot * interval - now))
            try:
                self.actor_ref.tell(_Beat(slot))
            except pykka.ActorDeadError:
                return

    def _stop_greenlets(self) -> None:
        if self.loop is not None:
            self.loop.kill(block=False)
            self.loop = None
        gevent.killall(list(self.watchers), block=False)
        self.watchers.clear()
