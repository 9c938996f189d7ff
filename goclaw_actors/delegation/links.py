"""What the multi-agent tools and team runs use of the daemon, as plain callables (wired in supervisors/)."""

from dataclasses import dataclass
from typing import Any, Callable, ParamSpec, TypeVar

from goclaw_actors.errors import StoreError
from goclaw_actors.store.api.facade import StoreApi
from goclaw_actors.store.sqlite_reads import get_task
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.tools.errors import ToolError

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_TIMEOUT_SECONDS = 120.0
MAX_TIMEOUT_SECONDS = 300.0


@dataclass
class AgentLinks:
    """Routes from an agent's tools to the other agents: durable writes, reads, task watches, interrupts and
    the configuration in force."""

    store: StoreApi  # durable writes by noun, each committed when it returns
    read: Callable[..., Any]  # read(fn, *args): fn(conn, *args) on a read connection
    watch_task: Callable[[str], Any]  # a `with`-able subscription (`.queue`) to one task's committed events
    interrupt: Callable[[str, str], None]  # interrupt(agent_id, task_id): stop a running attempt at once
    settings: Callable[[], Any]  # the Config in force

    def write(self, op: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`op(...)` (a store write such as `links.store.delegations.start_delegation`), a refused write (unknown
        agent, saturated queue) becoming the tool's error text."""
        try:
            return op(*args, **kwargs)
        except StoreError as exc:
            raise ToolError(str(exc)) from exc

    def task(self, task_id: str) -> TaskRow | None:
        """A task row, or None."""
        return self.read(get_task, task_id)

    def max_hops(self) -> int:
        """`delegation_max_hops` in force."""
        return int(self.settings().delegation_max_hops)

    def timeout_seconds(self, requested: Any = None) -> float:
        """How long a synchronous delegation waits: `requested`, else `delegation_timeout_seconds`, at most 300."""
        configured = self.settings().get("delegation_timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        seconds = requested if isinstance(requested, (int, float)) and requested > 0 else configured
        return min(float(seconds or DEFAULT_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS)

    def capabilities(self, agent_id: str) -> list[str]:
        """The routing labels (`capabilities`) of a configured agent ([] for others)."""
        agent = self.settings().agent(agent_id)
        labels = agent.extra.get("capabilities") if agent is not None else None
        return [str(label) for label in labels] if isinstance(labels, list) else []
