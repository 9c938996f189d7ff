"""The epoch ticker: a real OS thread advancing the engine's epoch, so a guest past its deadline is
interrupted even though guest code never yields to gevent (SPEC §8.3)."""

from gevent import monkey

_start_thread = monkey.get_original("_thread", "start_new_thread")
# Native locks, not threading.Event (see goclaw_actors.native_event).
_allocate_lock = monkey.get_original("_thread", "allocate_lock")

TICK_SECONDS = 0.05


def deadline_ticks(timeout_seconds: float, tick: float = TICK_SECONDS) -> int:
    """Epoch ticks a store may run for `timeout_seconds` (never less than the timeout)."""
    return max(1, int(-(-timeout_seconds // tick))) + 1


class EpochTicker:
    """Calls `engine.increment_epoch()` every TICK_SECONDS on its own native thread until `stop()`."""

    def __init__(self, engine, tick: float = TICK_SECONDS):
        self.engine = engine
        self.tick = tick
        self._running = _allocate_lock()  # held while ticking: released by stop()
        self._running.acquire()
        self._ended = _allocate_lock()  # held by the thread until it ends
        self._ended.acquire()
        self._stopping = False
        _start_thread(self._run, ())

    def _run(self) -> None:
        try:
            while not self._running.acquire(True, self.tick):
                self.engine.increment_epoch()
        finally:
            self._ended.release()

    def stop(self) -> None:
        """Stop ticking (returns once the thread has ended, or after 5 s)."""
        if self._stopping:
            return
        self._stopping = True
        self._running.release()
        if self._ended.acquire(True, 5):
            self._ended.release()
