"""The daemon's numbers at one moment, gathered for /metrics and /metrics/prometheus (SPEC §9.8).

    snapshot = take_snapshot(ctx, started_at)
    snapshot.json_document()  # the /metrics body
"""

from dataclasses import dataclass
from typing import Any

import psutil

from goclaw_actors.http.context import GatewayContext
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store import metrics_reads as reads
from goclaw_actors.store.metrics_reads import Histogram, QueueCounts, SinceCounts
from goclaw_actors.store.sqlite_reads import active_agents, agent_active_counts

# Bucket bounds: task and model-turn seconds (a turn may run up to task_timeout_seconds), tokens per turn.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                    600.0)
TOKEN_BUCKETS = (16, 64, 256, 1024, 4096, 16384, 65536, 262144)
TOKEN_KINDS = ("prompt", "completion")
AUTO_PROVIDER = "auto"  # label of agents whose provider is chosen at run time (SPEC §4.3)

log = get_logger("gateway")


@dataclass
class MetricsSnapshot:
    """Everything both metrics routes report; histogram label tuples follow the metric's label names."""

    queue: QueueCounts
    since: SinceCounts
    lease_expiries: int
    retention_deleted: dict[str, int]  # rows deleted by retention since start, by table
    bus_dropped_events: int
    alloc_bytes: int
    wasm_memory_pages: int
    wasm_memory_limit_pages: int
    wasm_module_pages: dict[str, int]  # each loaded skill module's linear memory pages
    agents: list[dict[str, Any]]  # {agent_id, active_tasks, worker_count}
    tasks_total: list[tuple[str, str, int]]  # (agent_id, status, count)
    llm_tokens_total: list[tuple[str, str, str, int]]  # (provider, model, kind, tokens)
    task_duration: list[Histogram]  # (agent_id, status)
    queue_wait: list[Histogram]  # (agent_id,)
    llm_duration: list[Histogram]  # (provider, model)
    llm_tokens: list[Histogram]  # (provider, model, kind)

    def json_document(self) -> dict[str, Any]:
        """The /metrics body."""
        return {
            "pending_tasks": self.queue.pending,
            "running_tasks": self.queue.running,
            "active_lanes": self.queue.active,
            "lease_expiries": self.lease_expiries,
            "retries": self.queue.retries,
            "dlq_size": self.queue.dead_letter,
            "policy_deny_rate": self.since.policy_denies,
            "alloc_bytes": self.alloc_bytes,
            "agent_count": len(self.agents),
            "agent_messages_total": self.since.agent_messages,
            "delegations_total": self.since.delegations,
            "bus_dropped_events": self.bus_dropped_events,
            "agents": self.agents,
            "wasm_memory_pages": self.wasm_memory_pages,
            "wasm_memory_limit_pages": self.wasm_memory_limit_pages,
            "retention_deleted_rows": dict(sorted(self.retention_deleted.items())),
        }


@dataclass
class _StoreNumbers:
    queue: QueueCounts
    since: SinceCounts
    agents: list[dict[str, Any]]
    models: dict[str, tuple[str, str]]
    tasks_total: list[tuple[str, str, int]]
    token_totals: list[tuple[str, int, int]]
    task_duration: list[Histogram]
    queue_wait: list[Histogram]
    turn_duration: list[Histogram]
    tokens: dict[str, list[Histogram]]


def _store_numbers(conn, since: str) -> _StoreNumbers:
    """Every store read of a snapshot, on one pooled connection."""
    active = agent_active_counts(conn)
    agents = [{"agent_id": row["agent_id"], "active_tasks": active.get(row["agent_id"], 0),
               "worker_count": row["worker_count"]} for row in active_agents(conn)]
    return _StoreNumbers(
        queue=reads.queue_counts(conn), since=reads.counts_since(conn, since), agents=agents,
        models=reads.agent_models(conn), tasks_total=reads.terminal_task_counts(conn),
        token_totals=reads.token_totals(conn),
        task_duration=reads.task_duration_histograms(conn, DURATION_BUCKETS),
        queue_wait=reads.queue_wait_histograms(conn, DURATION_BUCKETS),
        turn_duration=reads.model_turn_histograms(conn, DURATION_BUCKETS),
        tokens={kind: reads.token_histograms(conn, kind, TOKEN_BUCKETS) for kind in TOKEN_KINDS},
    )


def take_snapshot(ctx: GatewayContext, started_at: str) -> MetricsSnapshot:
    """Read the store, ask the actors and the process; `started_at` (database time) bounds "since start"."""
    numbers = ctx.read(_store_numbers, started_at)
    health = ctx.health()
    maintenance = _ask(ctx, "queue_maintenance", "stats", {})
    model_of = _model_labels(numbers.models, ctx.config())
    return MetricsSnapshot(
        queue=numbers.queue,
        since=numbers.since,
        lease_expiries=int(maintenance.get("lease_expiries", 0)),
        retention_deleted={table: int(count) for table, count in maintenance.get("retention_deleted_rows", {}).items()},
        bus_dropped_events=int(_ask(ctx, "event_bus", "dropped", 0)),
        alloc_bytes=psutil.Process().memory_info().rss,
        wasm_memory_pages=int(health.get("wasm_memory_pages", 0)),
        wasm_memory_limit_pages=int(health.get("wasm_memory_limit_pages", 0)),
        wasm_module_pages=_wasm_module_pages(ctx),
        agents=numbers.agents,
        tasks_total=numbers.tasks_total,
        llm_tokens_total=_token_totals(numbers.token_totals, model_of),
        task_duration=numbers.task_duration,
        queue_wait=numbers.queue_wait,
        llm_duration=_relabel(numbers.turn_duration, lambda agent_id: model_of(agent_id)),
        llm_tokens=sorted((histogram for kind in TOKEN_KINDS for histogram in _relabel(
            numbers.tokens[kind], lambda agent_id, kind=kind: (*model_of(agent_id), kind))),
            key=lambda histogram: histogram.labels),
    )


def _wasm_module_pages(ctx: GatewayContext) -> dict[str, int]:
    """Pages of each loaded WASM module ({} while the skills are not running)."""
    skills = ctx.skills()
    return dict(skills.health().get("wasm_module_memory_pages", {})) if skills is not None else {}


def _ask(ctx: GatewayContext, actor: str, method: str, default: Any) -> Any:
    """An actor's answer; `default` (logged) while it is restarting."""
    try:
        return ctx.ask(actor, method)
    except Exception as exc:  # pykka.ActorDeadError / Timeout: report the rest of the metrics anyway
        log.warn("metrics: actor did not answer", actor=actor, method=method, error=str(exc))
        return default


def _model_labels(models: dict[str, tuple[str, str]], config: Any):
    """agent_id -> (provider, model) labels; agents that inherit take the global LLM settings."""
    global_provider = str(config.get("llm.provider") or config.get("llm_provider") or AUTO_PROVIDER)
    global_model = config.default_model

    def labels(agent_id: str) -> tuple[str, str]:
        provider, model = models.get(agent_id, ("", ""))
        return provider or global_provider, model or global_model

    return labels


def _token_totals(rows: list[tuple[str, int, int]], model_of) -> list[tuple[str, str, str, int]]:
    """Per-agent token sums folded into (provider, model, kind) totals, sorted."""
    totals: dict[tuple[str, str, str], int] = {}
    for agent_id, prompt, completion in rows:
        provider, model = model_of(agent_id)
        for kind, tokens in (("prompt", prompt), ("completion", completion)):
            totals[(provider, model, kind)] = totals.get((provider, model, kind), 0) + int(tokens or 0)
    return [(*labels, tokens) for labels, tokens in sorted(totals.items())]


def _relabel(histograms: list[Histogram], labels_of) -> list[Histogram]:
    """Histograms keyed by agent_id re-keyed by `labels_of(agent_id)`, merging those that meet, sorted."""
    merged: dict[tuple[str, ...], Histogram] = {}
    for histogram in histograms:
        labels = tuple(labels_of(histogram.labels[0]))
        if labels in merged:
            merged[labels].merge(histogram)
        else:
            merged[labels] = Histogram(labels, list(histogram.buckets), histogram.total, histogram.count)
    return [merged[labels] for labels in sorted(merged)]
