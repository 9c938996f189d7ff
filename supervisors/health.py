"""The /healthz document, gathered from the running tree (SPEC §9.8)."""

from typing import Any

import pykka

from goclaw_actors.store.database import check_health
from goclaw_actors.version import VERSION_LABEL
from supervisors.runtime import Runtime

ASK_TIMEOUT = 2.0  # seconds an actor gets to answer a health question
NO_SKILLS = {"skill_runtime": "wasmtime", "skill_detail": "skills not started", "wasm_memory_pages": 0,
             "wasm_memory_limit_pages": 0}



class HealthProbe:
    """Answers health questions by asking the actors and a read connection."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def health(self) -> dict[str, Any]:
        """The /healthz body; `healthy` is false when the database check fails."""
        rt = self.runtime
        try:
            db_ok = bool(rt.reads.run(check_health))
        except Exception:
            db_ok = False
        skills = rt.skills.health() if rt.skills is not None else NO_SKILLS
        return {
            "healthy": db_ok,
            "db_ok": db_ok,
            "policy_version": self._ask("policy", "version", default=""),
            "skill_runtime": skills["skill_runtime"],
            "skill_detail": skills["skill_detail"],
            "replay_backlog_events": 0,
            "agent_count": len(rt.lanes),
            "bus_dropped_events": self._ask("event_bus", "dropped", default=0),
            "wasm_memory_pages": skills["wasm_memory_pages"],
            "wasm_memory_limit_pages": skills["wasm_memory_limit_pages"],
            "version": VERSION_LABEL,
        }

    def _ask(self, name: str, method: str, default: Any) -> Any:
        proxy = self.runtime.registry.proxy(name)
        if proxy is None:
            return default
        try:
            return getattr(proxy, method)().get(timeout=ASK_TIMEOUT)
        except (pykka.ActorDeadError, pykka.Timeout):
            return default
