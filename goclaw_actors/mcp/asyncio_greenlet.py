"""The one asyncio event loop of the daemon, running in one long-lived greenlet (SPEC §8.4).

The official `mcp` SDK is written for asyncio (through anyio). Its loop runs here, in a greenlet of the
gevent hub's thread; any other greenlet hands it a coroutine with `submit` and waits for the result without
blocking the hub. Under `monkey.patch_all()` asyncio's selector is gevent's, so while the loop waits for
I/O the hub runs every other greenlet, and subprocesses, sockets and timers of the SDK work unchanged.

Why this design, measured with the real `@modelcontextprotocol/server-everything` over stdio (`echo` round
trips; BENCHMARKS.md, "MCP client", has the figures and `./scripts/bench_mcp` the comparison):

* the SDK in plain asyncio (no gevent): 0.45-0.50 ms per call;
* the SDK in this greenlet, called from other greenlets: 0.85-0.97 ms per call, while a 1 ms ticker
  greenlet kept ticking (the hub is never held longer than one message's parsing); handing a coroutine
  over and its result back costs about 50 µs;
* the SDK on its own OS thread bridged to gevent: with `selectors`, `socket` and `threading` patched the
  loop needs the unpatched selector and a child watcher of its own, and Python 3.11 then refuses to spawn
  the stdio server from that thread ("child watchers are only available on the default loop"); each call
  would also cross threads twice. Fragile under monkey patching for no gain;
* a hand-written JSON-RPC client on gevent pipes: 0.15-0.19 ms per call, but three transports (stdio,
  streamable HTTP with sessions and resumption, legacy SSE), version negotiation and the stateless 2026-07-28
  revision would be ours to write and keep current.

The greenlet adds well under the 2 ms budget on a machine that is not saturated and keeps the SDK as its
authors test it, so it is the design. One loop serves every server: never one loop per call, never the
threadpool.
"""

import asyncio
from typing import Any, Coroutine

import gevent
from gevent.event import AsyncResult

from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.mcp.sdk_logs import loop_exception, route_sdk_logs

STOP_SECONDS = 10.0  # cancelling every task (closing connections, stopping server processes) on stop

log = get_logger("mcp")


class LoopStopped(RuntimeError):
    """The asyncio greenlet is not running."""


class AsyncioGreenlet:
    """An asyncio loop in a greenlet; `submit(coro)` runs a coroutine on it from any other greenlet.

    Usage::

        loop = AsyncioGreenlet().start()
        loop.submit(client.call_tool("echo", {"message": "hi"}), timeout=30)
        loop.stop()
    """

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None
        self._greenlet: gevent.Greenlet | None = None

    @property
    def running(self) -> bool:
        """Whether the loop runs and accepts coroutines."""
        return self._greenlet is not None and not self._greenlet.dead and self._loop is not None

    def start(self) -> "AsyncioGreenlet":
        """Start the loop's greenlet (once); returns self."""
        if self._greenlet is None:
            route_sdk_logs()
            self._loop = asyncio.new_event_loop()
            self._loop.set_exception_handler(loop_exception)
            self._greenlet = gevent.spawn(self._run, self._loop)
            gevent.sleep(0)  # let it enter run_forever
        return self

    def submit(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run `coro` on the loop and return its result (or raise its exception) in the calling greenlet.
        After `timeout` seconds the coroutine is cancelled and TimeoutError raised."""
        loop = self._loop
        if not self.running or loop is None:
            coro.close()
            raise LoopStopped("the MCP asyncio loop is not running")
        outcome = AsyncResult()
        task_box: list[asyncio.Task] = []

        def begin() -> None:
            task = loop.create_task(coro)
            task_box.append(task)
            task.add_done_callback(lambda done: _deliver(done, outcome))

        loop.call_soon_threadsafe(begin)
        try:
            return outcome.get(timeout=timeout)
        except gevent.Timeout:
            if loop.is_running():
                loop.call_soon_threadsafe(lambda: [task.cancel() for task in task_box])
            raise TimeoutError(f"timed out after {timeout:g}s") from None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> "asyncio.Future[Any]":
        """Start `coro` on the loop without waiting (e.g. a connection's lifetime); returns its future."""
        loop = self._loop
        if not self.running or loop is None:
            coro.close()
            raise LoopStopped("the MCP asyncio loop is not running")
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def call_soon(self, callback: Any, *args: Any) -> None:
        """Run a plain callback on the loop (e.g. setting an asyncio.Event owned by the loop)."""
        if self.running and self._loop is not None:
            self._loop.call_soon_threadsafe(callback, *args)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Cancel every task (each closes its connection), stop the loop and wait for the greenlet."""
        loop, greenlet = self._loop, self._greenlet
        if loop is None or greenlet is None:
            return
        if not greenlet.dead:
            try:
                self.submit(_cancel_all(), timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - stopping goes on
                log.warn("MCP loop: tasks did not all finish on stop", error=str(exc))
            loop.call_soon_threadsafe(loop.stop)
            greenlet.join(timeout=timeout)
        self._loop = self._greenlet = None

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


def _deliver(task: "asyncio.Task[Any]", outcome: AsyncResult) -> None:
    """Hand a finished task's outcome to the waiting greenlet; cancellation (a BaseException, which would
    stop every actor) arrives there as a plain error."""
    if task.cancelled():
        outcome.set_exception(RuntimeError("cancelled"))
        return
    exc = task.exception()
    if exc is None:
        outcome.set(task.result())
    else:
        outcome.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))


async def _cancel_all() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
