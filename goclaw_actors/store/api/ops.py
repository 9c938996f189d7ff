"""Typed store operations: one write op of a noun interface, called, pipelined or queued through a transport.

An `Op` is declared once per operation on a noun facade (`enqueue = Op(TasksApi.enqueue)`); read from a
facade instance it is a `BoundOp` that sends the write as one request (its op name and keyword arguments)
through the facade's transport, so type checkers see the interface's signature and return type.
"""

import inspect
from typing import Any, Callable, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from goclaw_actors.store.group_commit import WriteRequest

P = ParamSpec("P")
R = TypeVar("R")


class Transport(Protocol):
    """How write requests reach the backend: `StoreClient` (the store actor's group commit) implements it."""

    def submit(self, op: str, **kwargs: Any) -> Any:
        """Queue one write; returns a future for `result`."""
        ...

    def result(self, future: Any) -> Any:
        """The committed value of a submitted write, raising its error."""
        ...

    def call(self, op: str, **kwargs: Any) -> Any:
        """Submit one write and wait for its committed value."""
        ...

    def send(self, op: str, on_error: Callable[[Exception], None], **kwargs: Any) -> None:
        """Queue one write without waiting; a failure goes to `on_error`."""
        ...


class Pending(Generic[R]):
    """A submitted write whose batch may not have committed yet; `get()` waits for its value."""

    __slots__ = ("future", "_transport")

    def __init__(self, future: Any, transport: Transport):
        self.future = future
        self._transport = transport

    def get(self) -> R:
        """The committed value (waits for the commit), raising the write's error."""
        return self._transport.result(self.future)


class Op(Generic[P, R]):
    """One store operation of a noun facade, typed by the interface method it names."""

    def __init__(self, method: Callable[Concatenate[Any, P], R]):
        self.name: str = method.__name__
        self.signature = inspect.signature(method)
        self._self = next(iter(self.signature.parameters))

    def __set_name__(self, owner: type, attr: str) -> None:
        if attr != self.name:
            raise TypeError(f"{owner.__name__}.{attr} must be declared as Op of `{attr}`, not `{self.name}`")

    @overload
    def __get__(self, noun: None, owner: type) -> "Op[P, R]": ...

    @overload
    def __get__(self, noun: "Noun", owner: type) -> "BoundOp[P, R]": ...

    def __get__(self, noun: "Noun | None", owner: type) -> "Op[P, R] | BoundOp[P, R]":
        if noun is None:
            return self
        bound = BoundOp(self, noun.transport)
        noun.__dict__[self.name] = bound  # cached: later lookups skip this descriptor
        return bound

    def keywords(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by name (a request carries keywords only); positional ones are named after the
        interface's parameters."""
        if not args:
            return kwargs
        named: dict[str, Any] = {}
        for name, value in self.signature.bind(None, *args, **kwargs).arguments.items():
            kind = self.signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                named.update(value)
            elif name != self._self:
                named[name] = value
        return named

    def request(self, *args: P.args, **kwargs: P.kwargs) -> WriteRequest:
        """This operation as a `WriteRequest` for `run_batch` (startup and commands that own a connection)."""
        return WriteRequest(self.name, self.keywords(args, kwargs))


class BoundOp(Generic[P, R]):
    """A store operation bound to a transport: call it (wait for the commit), `submit` it (pipeline several
    writes into one batch, then `get()` each), or `send` it (queue it; errors go to a handler)."""

    __slots__ = ("op", "name", "_transport")

    def __init__(self, op: Op[P, R], transport: Transport):
        self.op = op
        self.name = op.name
        self._transport = transport

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._transport.call(self.name, **self.op.keywords(args, kwargs))

    def submit(self, *args: P.args, **kwargs: P.kwargs) -> Pending[R]:
        """Queue the write now (it commits with the requests around it); `get()` on the result waits."""
        return Pending(self._transport.submit(self.name, **self.op.keywords(args, kwargs)), self._transport)

    def send(self, on_error: Callable[[Exception], None], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Queue the write without waiting for it; a failure is handed to `on_error` from a green thread."""
        self._transport.send(self.name, on_error, **self.op.keywords(args, kwargs))


class Noun:
    """Base of the noun facades (`store.tasks`, `store.approvals`, …): holds the transport its ops use."""

    interface: type  # the Protocol whose operations this facade declares

    def __init__(self, transport: Transport):
        self.transport = transport
