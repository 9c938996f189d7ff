"""Running a function on the gevent hub from a native thread and waiting for its result there.

Guest code runs on threadpool threads; what host functions need (policy, store, HTTP, the log) lives in
greenlets and actors of the hub, which a native thread must not touch directly.

    bridge = HubBridge()                        # made on the hub's thread
    value = bridge.call(lambda: store.kv.put_kv(key="k", value="v"), timeout=30)   # from a thread
"""

from typing import Any, Callable

import gevent

from goclaw_actors.native_event import NativeEvent


class HubBridge:
    """Hands calls from native threads to the hub this object was made on."""

    def __init__(self):
        self._hub = gevent.get_hub()

    def post(self, fn: Callable[[], Any]) -> None:
        """Run `fn()` in a new greenlet of the hub without waiting (calls posted from one thread run in
        order); its errors are the hub's to report."""
        self._hub.loop.run_callback_threadsafe(gevent.spawn, fn)

    def call(self, fn: Callable[[], Any], timeout: float) -> Any:
        """`fn()` run in a new greenlet of the hub; its result, or its exception raised here. Raises
        TimeoutError when it has not finished after `timeout` seconds (it goes on running)."""
        done = NativeEvent()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc
            finally:
                done.set()

        self._hub.loop.run_callback_threadsafe(gevent.spawn, run)
        if not done.wait(timeout):
            raise TimeoutError(f"host call did not finish within {timeout:g}s")
        if "error" in box:
            raise box["error"]
        return box.get("value")
