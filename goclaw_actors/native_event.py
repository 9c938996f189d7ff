"""A one-shot event made of a native lock, for waits on native threads (threadpool, writer, ticker).

`monkey.get_original("threading", "Event")` is not native: the original class still builds its Condition
from the patched threading module, i.e. from gevent locks, and a gevent lock waited on from a native thread
can hang or fail ("Semaphore released too many times"). Setting never blocks, so the hub may set it.
"""

from gevent import monkey

_allocate_lock = monkey.get_original("_thread", "allocate_lock")


class NativeEvent:
    """Set once, waited on by any number of native threads."""

    def __init__(self):
        self._guard = _allocate_lock()
        self._gate = _allocate_lock()
        self._gate.acquire()  # released by set(): every waiter passes it in turn
        self._flag = False

    def set(self) -> None:
        """Wake every waiter, now and later."""
        with self._guard:
            if self._flag:
                return
            self._flag = True
        self._gate.release()

    def is_set(self) -> bool:
        """True once set."""
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until set or `timeout` seconds passed; True iff set."""
        if self._flag:
            return True
        if self._gate.acquire(True, -1 if timeout is None else max(0.0, timeout)):
            self._gate.release()  # let the next waiter through
            return True
        return self._flag
