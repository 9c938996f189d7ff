"""Trace ids of tasks enqueued outside any trace, and ratio sampling that treats them fairly.

Such a task is traced under its own id (a UUID is 128 bits, like a trace id), so every attempt of it lands
in the same trace; `forced_trace_id` makes the id generator hand that id to the attempt's root span. A
UUID's low 64 bits start with its fixed variant bits, which would skew the SDK's ratio sampler (it compares
the low 64 bits with the rate): `TaskIdRatio` decides on both halves mixed instead.
"""

import contextvars
from typing import Any

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler, SamplingResult, TraceIdRatioBased

forced_trace_id: contextvars.ContextVar[int] = contextvars.ContextVar("goclaw_forced_trace_id", default=0)


class TaskTraceIds(RandomIdGenerator):
    """Random ids, except the trace id of a root span started while `forced_trace_id` is set."""

    def generate_trace_id(self) -> int:
        """The forced trace id when one is set, else a random one."""
        return forced_trace_id.get() or super().generate_trace_id()


class TaskIdRatio(TraceIdRatioBased):
    """TraceIdRatioBased over the trace id's two 64-bit halves XORed (uniform for random ids and UUIDs alike)."""

    def should_sample(self, parent_context: Any, trace_id: int, *args: Any, **kwargs: Any) -> SamplingResult:
        """Sample when the mixed id is below the rate's bound."""
        return super().should_sample(parent_context, (trace_id >> 64) ^ trace_id, *args, **kwargs)

    def get_description(self) -> str:
        """Its name and rate."""
        return f"TaskIdRatio{{{self.rate}}}"


def sampler(rate: float) -> Sampler:
    """Ratio sampling of new traces at `rate`; spans with a parent follow the parent's decision (at rate 1 the
    SDK's static sampler takes every new trace, without the ratio's arithmetic)."""
    return ParentBased(ALWAYS_ON if rate >= 1.0 else TaskIdRatio(rate))
