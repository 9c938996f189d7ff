"""Per-agent lane settings: how many workers, and the timings each worker runs under."""

from dataclasses import dataclass

DEFAULT_LEASE_SECONDS = 30.0  # task lease length (SPEC §3.5)
DEFAULT_TICK_SECONDS = 10.0  # lease heartbeat / cancel check interval
DEFAULT_TASK_TIMEOUT_SECONDS = 600.0  # per-attempt execution limit
DEFAULT_DRAIN_SECONDS = 5.0  # shutdown / agent-removal drain
FALLBACK_POLL_SECONDS = 0.25  # lanes look for due work at least this often


@dataclass(frozen=True)
class LaneSettings:
    """Timings and size of one agent's lanes."""

    agent_id: str
    worker_count: int = 4
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    tick_seconds: float = DEFAULT_TICK_SECONDS
    task_timeout_seconds: float = DEFAULT_TASK_TIMEOUT_SECONDS
    drain_seconds: float = DEFAULT_DRAIN_SECONDS
    poll_seconds: float = FALLBACK_POLL_SECONDS
