"""How actors talk to the store: write requests answered after their group commit."""

from typing import Any, Callable

import gevent
from gevent.event import AsyncResult
from gevent.timeout import Timeout

from actors.address import Address
from goclaw_actors import telemetry
from goclaw_actors.errors import StoreError
from goclaw_actors.store.api.facade import StoreApi
from goclaw_actors.store.group_commit import WriteEnvelope, WriteRequest

STORE_CALL_TIMEOUT = 30.0  # seconds a caller waits for its write to commit
STORE_DOWN_RETRY = 0.02  # seconds between lookups while the store restarts


class StoreClient(StoreApi):
    """Submit writes to the store actor found at `address`, through the typed facade by noun (StoreApi).

    Usage::

        store = StoreClient(store_address)
        task = store.tasks.claim(agent_id="default", lease_seconds=30)
        done = store.tasks.succeed.submit(...); claim = store.tasks.claim_batch.submit(...)   # same batch
        tasks = claim.get()

    `submit`, `result`, `call` and `send` below are the transport the facade uses; code outside the store
    client names no operation by string (tests/unit/test_store_api.py holds it to that).
    """

    def __init__(self, address: Address, timeout: float = STORE_CALL_TIMEOUT):
        super().__init__(self)
        self.address = address
        self.timeout = timeout

    def submit(self, op: str, **kwargs: Any) -> AsyncResult:
        """Queue one write; the returned future yields a WriteResult after the commit."""
        future = AsyncResult()
        envelope = WriteEnvelope(WriteRequest(op, kwargs, telemetry.traceparent()), future)
        deadline = gevent.get_hub().loop.now() + self.timeout
        while True:
            if self.address.tell(envelope):
                return future
            if gevent.get_hub().loop.now() > deadline:
                raise StoreError("store is not running")
            gevent.sleep(STORE_DOWN_RETRY)

    def result(self, future: AsyncResult) -> Any:
        """The value of a submitted write, raising its error."""
        try:
            outcome = future.get(timeout=self.timeout)
        except Timeout as exc:
            raise StoreError(f"store did not answer within {self.timeout:g}s") from exc
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    def call(self, op: str, **kwargs: Any) -> Any:
        """Submit one write and wait for its committed value (or raise its error)."""
        return self.result(self.submit(op, **kwargs))

    def send(self, op: str, on_error: Callable[[Exception], None], **kwargs: Any) -> None:
        """Queue one write without waiting for its commit (it commits in order with later writes); a failure
        is handed to `on_error` from a green thread."""
        future = self.submit(op, **kwargs)
        gevent.spawn(self._report, future, on_error)

    def _report(self, future: AsyncResult, on_error: Callable[[Exception], None]) -> None:
        try:
            self.result(future)
        except Exception as exc:  # noqa: BLE001 - the writer is gone; its error goes to the caller's handler
            on_error(exc)
