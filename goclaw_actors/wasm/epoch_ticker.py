"""The epoch ticker: a real OS thread advancing the engine's epoch, so a guest past its deadline is
interrupted even though guest code never yields to gevent (SPEC §8.3)."""

from gevent import monkey

from goclaw_actors.native_event import NativeEvent

_start_thread = monkey.get_original("_thread", "start_new_thread")

TICK_SECONDS = 0.05


def deadline_ticks(timeout_seconds: float, tick: float = TICK_SECONDS) -> int:
    """Epoch ticks a store may run for `timeout_seconds` (never less than the timeout)."""
    return max(1, int(-(-timeout_seconds // tick))) + 1


class EpochTicker:
    """Calls `engine.increment_epoch()` every TICK_SECONDS on its own native thread until `stop()`."""

    def __init__(self, engine, tick: float = TICK_SECONDS):
        self.engine = engine
        self.tick = tick
        self._stop = NativeEvent()
        self._stopped = NativeEvent()
        _start_thread(self._run, ())

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.tick):
                self.engine.increment_epoch()
        finally:
            self._stopped.set()

    def stop(self) -> None:
        """Stop ticking (returns once the thread has ended, or after 5 s)."""
        self._stop.set()
        self._stopped.wait(5)
