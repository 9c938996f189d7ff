"""Queue upkeep: expired leases, interrupted attempts, ageing and retention."""

from typing import Protocol


class MaintenanceApi(Protocol):
    """Queue upkeep: expired leases, interrupted attempts, ageing and retention."""

    def requeue_expired_leases(self) -> int:
        """Requeue up to REAP_BATCH CLAIMED/RUNNING tasks whose lease has expired; returns how many."""
        ...

    def recover_interrupted(self) -> int:
        """At start-up: requeue every CLAIMED/RUNNING task and drop its partial assistant replies."""
        ...

    def age_queued(self) -> int:
        """Give due QUEUED tasks that waited over 30 s since their last update one priority point (max 10)."""
        ...

    def delete_expired(self, table: str, keys: list[int], cutoff: str) -> int:
        """Delete the rows of `table` with these keys that are still expired at `cutoff`; returns how many."""
        ...
