"""PgEventListener: publishes on this daemon's bus the task events other daemons commit to the shared
PostgreSQL store (their NOTIFYs), so lanes wake and clients follow tasks whichever daemon runs them."""

import logging
from typing import Any, Callable

import gevent
import pykka

from goclaw_actors.store.pg_event_feed import EventFeed

log = logging.getLogger("goclaw.bus")

WAIT_SECONDS = 1.0  # one LISTEN wait; the loop checks for stop between waits
RECONNECT_SECONDS = 1.0  # after a lost connection (lanes still poll meanwhile)


class PgEventListener(pykka.ThreadingActor):
    """Runs one green loop: wait for notifications, read the announced events, hand them to `publish`."""

    def __init__(self, target: Any, publish: Callable[[list[dict[str, Any]]], None]):
        super().__init__()
        self.target = target
        self.publish = publish
        self.loop: gevent.Greenlet | None = None
        self.feed: EventFeed | None = None
        self.relayed = 0

    def on_start(self) -> None:
        self.feed = self._connect()  # a first failure stops the start: the supervisor reports it
        self.loop = gevent.spawn(self._listen_forever)

    def _connect(self) -> EventFeed:
        return EventFeed(self.target.dsn, self.target.instance_id, self.target.connect_timeout)

    def _listen_forever(self) -> None:
        while True:
            try:
                if self.feed is None:
                    self.feed = self._connect()
                events = self.feed.next_events(WAIT_SECONDS)
                if events:
                    self.relayed += len(events)
                    self.publish(events)
            except Exception as exc:  # noqa: BLE001 - reconnect; the rows are durable, clients replay them
                log.warning("event feed lost its connection", extra={"error": str(exc).split("\n")[0]})
                self._close_feed()
                gevent.sleep(RECONNECT_SECONDS)

    def _close_feed(self) -> None:
        if self.feed is not None:
            try:
                self.feed.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self.feed = None

    def on_stop(self) -> None:
        if self.loop is not None:
            self.loop.kill(block=True)
        self._close_feed()

    def stats(self) -> dict[str, int]:
        """Events relayed from other daemons since start."""
        return {"relayed": self.relayed}
