"""Read-only queries behind /metrics and /metrics/prometheus (SPEC §9.8).

Histograms are computed in SQL from `task_metrics`: one row per label set with the cumulative count
of observations at or below each bucket bound, their sum and their count.
"""

import sqlite3
from dataclasses import dataclass
from typing import Sequence

TERMINAL_STATUSES = ("SUCCEEDED", "CANCELED", "DEAD_LETTER")
GATEWAY_AUTH_ACTION = "gateway_auth"  # refused credentials are audited too, but they are not policy denies


@dataclass
class Histogram:
    """Observations of one label set: cumulative `buckets[i]` = how many were ≤ bounds[i]."""

    labels: tuple[str, ...]
    buckets: list[int]
    total: float
    count: int

    def merge(self, other: "Histogram") -> None:
        """Add `other`'s observations (same bounds) to this one."""
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets)]
        self.total += other.total
        self.count += other.count


@dataclass(frozen=True)
class QueueCounts:
    """Task counts by what they are doing now."""

    pending: int  # QUEUED or RETRY_WAIT
    running: int  # RUNNING
    active: int  # CLAIMED or RUNNING: lanes busy with a task
    retries: int  # waiting to run again after a failed attempt
    dead_letter: int


def queue_counts(conn: sqlite3.Connection) -> QueueCounts:
    """Pending, running, lane-holding, retrying and dead-lettered task counts."""
    row = conn.execute(
        "SELECT COALESCE(SUM(status IN ('QUEUED', 'RETRY_WAIT')), 0), COALESCE(SUM(status = 'RUNNING'), 0), "
        "COALESCE(SUM(status IN ('CLAIMED', 'RUNNING')), 0), "
        "COALESCE(SUM(status IN ('QUEUED', 'RETRY_WAIT') AND attempt > 0), 0), "
        "COALESCE(SUM(status = 'DEAD_LETTER'), 0) FROM tasks"
    ).fetchone()
    return QueueCounts(*row)


def terminal_task_counts(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(agent_id, status, count) of tasks that reached a terminal status, ordered."""
    marks = ", ".join("?" for _ in TERMINAL_STATUSES)
    return conn.execute(
        f"SELECT agent_id, status, COUNT(*) FROM tasks WHERE status IN ({marks}) "
        "GROUP BY agent_id, status ORDER BY agent_id, status", TERMINAL_STATUSES
    ).fetchall()


@dataclass(frozen=True)
class SinceCounts:
    """Events recorded since a moment (the daemon's start)."""

    policy_denies: int
    agent_messages: int
    delegations: int


def counts_since(conn: sqlite3.Connection, since: str) -> SinceCounts:
    """Policy denials, inter-agent messages and delegations recorded at or after `since` (database time)."""
    denies = conn.execute(
        "SELECT COUNT(*) FROM audit_log WHERE decision = 'deny' AND action != ? AND created_at >= ?",
        (GATEWAY_AUTH_ACTION, since)).fetchone()[0]
    messages = conn.execute("SELECT COUNT(*) FROM agent_messages WHERE created_at >= ?", (since,)).fetchone()[0]
    delegations = conn.execute("SELECT COUNT(*) FROM delegations WHERE created_at >= ?", (since,)).fetchone()[0]
    return SinceCounts(denies, messages, delegations)


def agent_models(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """agent_id -> (provider, model) as stored for each agent ("" where it inherits the global setting)."""
    return {agent_id: (provider or "", model or "")
            for agent_id, provider, model in conn.execute("SELECT agent_id, provider, model FROM agents")}


def token_totals(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(agent_id, prompt_tokens, completion_tokens) summed over the tasks that used a model, ordered."""
    return conn.execute(
        "SELECT agent_id, SUM(prompt_tokens), SUM(completion_tokens) FROM tasks WHERE total_tokens > 0 "
        "GROUP BY agent_id ORDER BY agent_id"
    ).fetchall()


def task_duration_histograms(conn: sqlite3.Connection, bounds_seconds: Sequence[float]) -> list[Histogram]:
    """Run time in seconds of measured attempts, per (agent_id, status)."""
    return _histograms(conn, "m.run_ms / 1000.0", ("m.agent_id", "COALESCE(t.status, 'SUCCEEDED')"),
                       "task_metrics m LEFT JOIN tasks t ON t.id = m.task_id WHERE m.run_ms IS NOT NULL",
                       bounds_seconds)


def queue_wait_histograms(conn: sqlite3.Connection, bounds_seconds: Sequence[float]) -> list[Histogram]:
    """Seconds from enqueue to claim of measured tasks, per agent_id."""
    return _histograms(conn, "queue_wait_ms / 1000.0", ("agent_id",),
                       "task_metrics WHERE queue_wait_ms IS NOT NULL", bounds_seconds)


def model_turn_histograms(conn: sqlite3.Connection, bounds_seconds: Sequence[float]) -> list[Histogram]:
    """Run time in seconds of the measured attempts that used a model (reported tokens), per agent_id."""
    return _histograms(conn, "run_ms / 1000.0", ("agent_id",),
                       "task_metrics WHERE run_ms IS NOT NULL AND prompt_tokens + completion_tokens > 0",
                       bounds_seconds)


def token_histograms(conn: sqlite3.Connection, kind: str, bounds: Sequence[float]) -> list[Histogram]:
    """Tokens per model turn of `kind` ("prompt" or "completion"), per agent_id."""
    column = {"prompt": "prompt_tokens", "completion": "completion_tokens"}[kind]
    return _histograms(conn, column, ("agent_id",),
                       "task_metrics WHERE prompt_tokens + completion_tokens > 0", bounds)


def _histograms(conn: sqlite3.Connection, value: str, labels: tuple[str, ...], source: str,
                bounds: Sequence[float]) -> list[Histogram]:
    """One Histogram per distinct label set of `source` rows, observing the SQL expression `value`."""
    label_sql = ", ".join(labels)
    buckets = "".join(f", SUM(CASE WHEN {value} <= ? THEN 1 ELSE 0 END)" for _ in bounds)
    rows = conn.execute(
        f"SELECT {label_sql}{buckets}, COALESCE(SUM({value}), 0), COUNT(*) FROM {source} "
        f"GROUP BY {label_sql} ORDER BY {label_sql}", tuple(bounds)
    ).fetchall()
    width = len(labels)
    return [Histogram(tuple(row[:width]), list(row[width:width + len(bounds)]), float(row[-2]), row[-1])
            for row in rows]
