"""A MetricsSnapshot in the Prometheus text exposition format 0.0.4 (SPEC §9.8), rendered by prometheus_client."""

import platform
from typing import Iterable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from goclaw_actors.http.metrics_snapshot import DURATION_BUCKETS, TOKEN_BUCKETS, MetricsSnapshot
from goclaw_actors.store.metrics_reads import Histogram
from goclaw_actors.version import VERSION_LABEL

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def prometheus_text(snapshot: MetricsSnapshot) -> bytes:
    """The /metrics/prometheus body: every family with # HELP and # TYPE, label sets in sorted order."""
    return generate_latest(_SnapshotCollector(snapshot))


class _SnapshotCollector:
    """A prometheus_client collector over one snapshot (generate_latest only calls `collect`)."""

    def __init__(self, snapshot: MetricsSnapshot):
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        yield _gauge("goclaw_pending_tasks", "Tasks waiting to run (QUEUED or RETRY_WAIT).", s.queue.pending)
        yield _gauge("goclaw_running_tasks", "Tasks running now.", s.queue.running)
        yield _gauge("goclaw_active_lanes", "Worker lanes holding a task (CLAIMED or RUNNING).", s.queue.active)
        yield _gauge("goclaw_lease_expiries", "Task leases that expired since start (tasks requeued).",
                     s.lease_expiries)
        yield _gauge("goclaw_retries", "Queued tasks waiting for a retry.", s.queue.retries)
        yield _gauge("goclaw_dlq_size", "Tasks in the dead letter queue.", s.queue.dead_letter)
        yield _gauge("goclaw_alloc_bytes", "Resident memory of the daemon in bytes.", s.alloc_bytes)
        yield _gauge("goclaw_agent_count", "Active agents.", len(s.agents))
        active = GaugeMetricFamily("goclaw_agent_active_tasks", "Tasks an agent's lanes hold now.",
                                   labels=["agent_id"])
        for agent in sorted(s.agents, key=lambda agent: agent["agent_id"]):
            active.add_metric([agent["agent_id"]], agent["active_tasks"])
        yield active
        yield _gauge("goclaw_wasm_memory_pages", "WASM linear memory pages in use by skills.", s.wasm_memory_pages)
        yield _gauge("goclaw_wasm_memory_limit_pages", "WASM linear memory page limit of skills.",
                     s.wasm_memory_limit_pages)
        modules = GaugeMetricFamily("goclaw_wasm_module_memory_pages", "WASM memory pages per loaded skill module.",
                                    labels=["module"])
        for module, pages in sorted(s.wasm_module_pages.items()):
            modules.add_metric([module], pages)
        yield modules
        yield _counter("goclaw_policy_deny_total", "Policy denials since start.", s.since.policy_denies)
        yield _counter("goclaw_agent_messages_total", "Inter-agent messages since start.", s.since.agent_messages)
        yield _counter("goclaw_delegations_total", "Delegations since start.", s.since.delegations)
        yield _counter("goclaw_bus_dropped_events_total", "Events dropped for full event bus subscriber queues.",
                       s.bus_dropped_events)
        retention = CounterMetricFamily("goclaw_retention_deleted_rows_total",
                                        "Rows deleted by retention since start.", labels=["table"])
        for table, count in sorted(s.retention_deleted.items()):
            retention.add_metric([table], count)
        yield retention
        tasks = CounterMetricFamily("goclaw_tasks_total", "Tasks that reached a terminal status.",
                                    labels=["agent_id", "status"])
        for agent_id, status, count in s.tasks_total:
            tasks.add_metric([agent_id, status], count)
        yield tasks
        tokens = CounterMetricFamily("goclaw_llm_tokens_total", "Model tokens used by tasks.",
                                     labels=["provider", "model", "kind"])
        for provider, model, kind, count in s.llm_tokens_total:
            tokens.add_metric([provider, model, kind], count)
        yield tokens
        yield _histogram("goclaw_task_duration_seconds", "Run time of measured task attempts.",
                         ["agent_id", "status"], DURATION_BUCKETS, s.task_duration)
        yield _histogram("goclaw_task_queue_wait_seconds", "Time from enqueue to claim of measured tasks.",
                         ["agent_id"], DURATION_BUCKETS, s.queue_wait)
        yield _histogram("goclaw_llm_request_duration_seconds",
                         "Duration of model turns (task attempts that reported token usage).",
                         ["provider", "model"], DURATION_BUCKETS, s.llm_duration)
        yield _histogram("goclaw_llm_request_tokens", "Tokens per model request.", ["provider", "model", "kind"],
                         TOKEN_BUCKETS, s.llm_tokens)
        info = GaugeMetricFamily("goclaw_build_info", "Build information; the value is always 1.",
                                 labels=["python", "version"])
        info.add_metric([platform.python_version(), VERSION_LABEL], 1)
        yield info


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _histogram(name: str, documentation: str, labels: list[str], bounds: Iterable[float],
               histograms: list[Histogram]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    bounds = list(bounds)
    for histogram in histograms:
        buckets = [(floatToGoString(bound), count) for bound, count in zip(bounds, histogram.buckets)]
        buckets.append(("+Inf", histogram.count))
        family.add_metric(list(histogram.labels), buckets, histogram.total)
    return family
