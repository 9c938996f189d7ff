"""SPEC §2.3's rule between delegation hops and lanes: `delegation_max_hops` ≤ `worker_count − 1` of every agent,
checked for config.yaml's agents at load and for agents created while the daemon runs."""

from goclaw_actors.errors import ConfigError


def check_hop_room(hops: int, agent_id: str, worker_count: int, origin: str = "delegation_max_hops") -> None:
    """Raise ConfigError when an agent with `worker_count` lanes has fewer than `hops` + 1 of them."""
    if hops > worker_count - 1:
        raise ConfigError(f"{origin} ({hops}) must be at most worker_count - 1 ({worker_count - 1}) of agent "
                          f"{agent_id!r}, or a chain of delegations could hold all its lanes; give that agent "
                          f"more workers or set delegation_max_hops: {max(worker_count - 1, 0)}")


def lanes_for_hops(hops: int, wanted: int) -> int:
    """`wanted` lanes, or more when the hop limit needs more (hops + 1)."""
    return max(wanted, hops + 1)
