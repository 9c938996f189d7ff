"""The processor each agent's lanes run: the brain when a provider is available, else the fallback.

Plain brain logic (goclaw_actors/brain) gets the daemon's store, reads, policy and logs as callables here.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from goclaw_actors.agent_secrets import agent_api_key
from goclaw_actors.brain import pricing
from goclaw_actors.brain.agent_loop import LoopConfig
from goclaw_actors.brain.circuit_breaker import CircuitBreakers
from goclaw_actors.brain.embedded import model_files
from goclaw_actors.brain.failover import FailoverProvider
from goclaw_actors.brain.history_reads import session_history
from goclaw_actors.brain.provider_selection import (ProviderSelection, build_provider, fallback_selections,
                                                    select_provider)
from goclaw_actors.brain.embedded.provider import EmbeddedProvider
from goclaw_actors.brain.providers.base import UNKNOWN, Provider, ProviderError
from goclaw_actors.brain.prompt_profile import PromptProfile
from goclaw_actors.brain.system_prompt import agent_prompt
from goclaw_actors.brain.turn import BrainProcessor, TurnDeps
from goclaw_actors.brain.turn_features import (history_compactor, input_checker, knowledge_prompt, reply_finisher,
                                               structured_spec, with_schema_instruction)
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.delegation.results import result_text
from goclaw_actors.errors import ConfigError
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.processor import FallbackProcessor, Processor
from goclaw_actors.secret_scrub import ScrubberSource, scrubbing_model
from goclaw_actors.skills.eligibility import INSTRUCTION_CAPABILITY
from goclaw_actors.store.delegation_reads import has_delegation_results
from goclaw_actors.store.knowledge_reads import prompt_knowledge
from goclaw_actors.store.kv_reads import get_kv
from goclaw_actors.store.sqlite_loops import latest_loop_checkpoint
from goclaw_actors.store.task_row import TaskRow
from supervisors.tool_wiring import StoreDedup, agent_tools, policy_allows, task_audit, tool_approvals

log = get_logger("brain")


def embedded_available(config: Config, home: Path) -> bool:
    """Whether the embedded model can answer (engine importable and model file present or joinable)."""
    try:
        return model_files.is_available(config.get("llm.embedded_model"), home)
    except Exception as exc:  # noqa: BLE001 - an unusable model is "not available", and logged
        log.warn("embedded model check failed", error=str(exc))
        return False


class EngineHandle:
    """The EmbeddedModel actor's engine, looked up by name at each use (the actor may have restarted)."""

    def __init__(self, rt: Any):
        self._rt = rt

    def _engine(self) -> Any:
        proxy = self._rt.registry.proxy("embedded_model")
        if proxy is None:
            raise ProviderError("embedded model unavailable: its actor is not running", UNKNOWN,
                                provider="embedded")
        return proxy.get_engine().get(timeout=5)

    def complete(self, body: dict[str, Any], on_delta=None) -> Any:
        """Run one completion on the shared engine."""
        return self._engine().complete(body, on_delta)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine(), name)


def make_provider(rt: Any, selection: ProviderSelection) -> Provider:
    """A provider for a selection; embedded ones share the EmbeddedModel actor's engine."""
    if selection.name == "embedded":
        return EmbeddedProvider(EngineHandle(rt), model=selection.model)
    return build_provider(selection)


def with_stored_agent_key(rt: Any, agent: AgentConfig, home: Path | None,
                          environ: Mapping[str, str]) -> tuple[AgentConfig, Mapping[str, str]]:
    """An agent created at runtime with its own `api_key` (kept in secrets.yaml, never in the database) uses
    that key, as if its `api_key_env` named a variable holding it (the key never enters the real
    environment). Raises ConfigError when secrets.yaml cannot be read."""
    if agent.api_key_env:
        if not environ.get(agent.api_key_env, "").strip():
            log.warn("api_key_env names an unset variable; the provider's own key is used", agent_id=agent.agent_id,
                     api_key_env=agent.api_key_env)
        return agent, environ
    if home is None or not rt.runtime_agent(agent.agent_id):
        return agent, environ
    key = agent_api_key(home, agent.agent_id)
    if not key:
        return agent, environ
    variable = f"GOCLAW_AGENT_API_KEY_{agent.agent_id.upper()}"
    return replace(agent, api_key_env=variable), {**environ, variable: key}


def build_processor(rt: Any, agent: AgentConfig, config: Config, home: Path,
                    environ: Mapping[str, str]) -> Processor:
    """The brain of `agent`, or the fallback processor when no provider is available (SPEC §4.3); either has
    the agent's PromptProfile as `profile`."""
    has_embedded = embedded_available(config, home)
    soul = agent_prompt(agent, config, home)  # read once; SOUL.md and config edits build a new brain
    fallback = FallbackProcessor(PromptProfile.for_model(agent.agent_id, soul, "", "none",
                                                         config.get("context_limits")))
    try:
        agent, environ = with_stored_agent_key(rt, agent, home, environ)
    except ConfigError as exc:  # never fall back to another key silently
        log.error("agent's API key unreadable; fallback replies", agent_id=agent.agent_id, error=str(exc))
        return fallback
    selection = select_provider(config, agent, environ, has_embedded)
    if selection is None:
        log.info("no provider configured; fallback replies", agent_id=agent.agent_id)
        return fallback
    chain = [make_provider(rt, selection)]
    chain += [make_provider(rt, extra)
              for extra in fallback_selections(config, environ, has_embedded, primary=selection.name)]
    breakers = CircuitBreakers.from_config(config, lambda key: rt.reads.run(get_kv, key),
                                           lambda key, value: rt.store.kv.put_kv(key=key, value=value))
    provider = FailoverProvider(chain, breakers)
    log.info("agent brain ready", agent_id=agent.agent_id, provider=selection.name, model=selection.model,
             fallbacks=[p.name for p in chain[1:]])
    structured = agent.extra.get("structured_output")
    allows = policy_allows(rt)
    skills = rt.skills.agent_skills(agent.skills_filter) if rt.skills is not None else None

    def matched_skills(task: TaskRow) -> list[tuple[str, str]]:
        named = str(task.payload.get("content") or "")
        return skills.matched(named, log.warn) if skills is not None and allows(INSTRUCTION_CAPABILITY) else []

    profile = PromptProfile.for_model(agent.agent_id, soul, selection.model, selection.name,
                                      config.get("context_limits"))
    knowledge = knowledge_prompt(profile, lambda agent_id: rt.reads.run(prompt_knowledge, agent_id),
                                 lambda agent_id, keys: rt.store.memory.memory_turn(agent_id=agent_id,
                                                                                    injected_keys=keys),
                                 matched_skills)

    def system_prompt(task: TaskRow) -> str:
        return with_schema_instruction(knowledge(task), task, structured, home)

    audit_task = task_audit(rt, agent.agent_id)

    def audit(task: TaskRow, decision: str, capability: str, reason: str) -> None:
        audit_task(task.id, decision, capability, reason)

    own_key = environ.get(agent.api_key_env, "") if agent.api_key_env else ""  # any name, even not secret-looking

    scrubber = ScrubberSource(lambda: rt.config, home, environ, {own_key})  # keys come and go at runtime

    call_model = scrubbing_model(provider.chat, scrubber)

    def delegation_results(task: TaskRow) -> list[str]:
        if not rt.reads.run(has_delegation_results, task.id, task.session_id, task.agent_id):
            return []  # the common case costs one indexed read, no write
        rows = rt.store.delegations.take_delegation_results(task_id=task.id, session_id=task.session_id,
                                                            agent_id=task.agent_id)
        return [result_text(row) for row in rows]

    loop = LoopConfig.from_config(agent.extra.get("loop")) if agent.extra.get("loop") else None
    deps = TurnDeps(
        model=selection.model, provider_name=selection.name, call_model=call_model,
        history=lambda session_id, agent_id: rt.reads.run(session_history, session_id, agent_id),
        system_prompt=system_prompt, tools=agent_tools(rt, agent, config, home, environ),
        allows=allows, current_allows=lambda: rt.current_policy().allows, audit=audit,
        dedup=StoreDedup(rt.store),
        approvals=tool_approvals(rt), check_input=input_checker(log.warn),
        prepare_history=history_compactor(
            call_model, selection.model, profile.context_limit,
            lambda session_id, agent_id, ids, summary: rt.store.sessions.compact_history(
                session_id=session_id, agent_id=agent_id, archive_ids=ids, summary=summary),
            log.warn),
        finish_reply=reply_finisher(call_model, structured, home),
        structured=lambda task: structured_spec(task, structured, home) is not None,
        estimate_cost=pricing.estimate_cost,
        max_tool_turns=int(config.get("tools.max_tool_turns", 3) or 3),
        loop=loop,
        delegation_results=delegation_results,
        scrub=lambda text: scrubber().scrub(text),
        load_checkpoint=lambda task_id: rt.reads.run(latest_loop_checkpoint, task_id),
        save_checkpoint=lambda row: rt.store.sessions.save_loop_checkpoint(checkpoint=row),
        profile=profile,
    )
    return BrainProcessor(deps)
