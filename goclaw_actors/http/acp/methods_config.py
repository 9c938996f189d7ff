"""ACP configuration methods: `config.list`, `config.set`, `config.model.set`, `policy.domain.add`,
`plan.list`, `plan.execute`, `skill.enable`.

config.yaml and policy.yaml are changed in place (other keys kept, atomic replace), one write at a
time; the new policy is installed in the PolicyActor at once.
"""

from typing import Any

import gevent.lock

from goclaw_actors.brain.provider_selection import _MODEL_KEY as PROVIDER_MODEL_KEYS
from goclaw_actors.brain.provider_selection import PROVIDER_NAMES, normalise_provider_name
from goclaw_actors.config.config_writer import set_config_keys
from goclaw_actors.config.loader import CONFIG_FILE, read_config_file
from goclaw_actors.errors import ConfigError, PolicyError
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import internal, invalid
from goclaw_actors.http.acp.params import check_agent_scope, text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.plans.plan_lookup import PlanNotFound, configured_plans
from goclaw_actors.policy.policy_edit import add_domain
from goclaw_actors.store.sqlite_reads import active_agent_ids

POLICY_FILE = "policy.yaml"
DEFAULT_PROVIDER = "google"
MASK = "****"


def _masked(value: Any) -> str:
    return str(value)[:4] + MASK


def config_list(call: Call) -> dict[str, Any]:
    """The named API keys of config.yaml, each shown as its first 4 characters and `****`."""
    try:
        keys = read_config_file(call.ctx.home / CONFIG_FILE).get("api_keys") or {}
    except ConfigError as exc:
        raise internal(str(exc)) from exc
    return {"api_keys": {str(name): _masked(value) for name, value in keys.items()} if isinstance(keys, dict)
            else {}}


def plan_list(call: Call) -> dict[str, Any]:
    """The valid plans of config.yaml, in config order: `{name, step_count, agent_ids}`."""
    principal = call.conn.principal
    return {"plans": [{"name": plan.name, "step_count": len(plan.steps), "agent_ids": plan.agent_ids}
                      for plan in configured_plans(call.ctx.config(), call.ctx.read(active_agent_ids)) if all(map(principal.allows, plan.agent_ids))]}


def plan_execute(call: Call) -> dict[str, Any]:
    """Start an execution of a configured plan whose agents the caller may use, in `session_id` (or a new
    session): `{execution_id, session_id, plan_name, status: "running"}`."""
    name = text(call.params, "name")
    if not name:
        raise invalid("name is required")
    plan = next((plan for plan in configured_plans(call.ctx.config(), call.ctx.read(active_agent_ids)) if plan.name == name), None)
    if plan is None:
        raise internal(f'plan "{name}" not found')
    for agent in plan.agent_ids:
        check_agent_scope(call, agent)
    try:
        return call.ctx.execute_plan(plan.name, text(call.params, "session_id") or None)
    except PlanNotFound as exc:
        raise internal(str(exc)) from exc


def skill_enable(call: Call) -> dict[str, Any]:
    """Re-enable a skill of the registry (state `active`, fault count reset)."""
    name = text(call.params, "name")
    if not name:
        raise invalid("name is required")
    return {"name": name, "state": call.ctx.store("enable_skill", name=name)}


def methods() -> dict[str, Method]:
    """The configuration methods by name; their file writes share one lock."""
    writing = gevent.lock.Semaphore()

    def write_config(call: Call, values: dict[str, Any]) -> None:
        with writing:
            try:
                set_config_keys(call.ctx.home / CONFIG_FILE, values)
            except (ConfigError, OSError) as exc:
                raise internal(f"cannot write {CONFIG_FILE}: {exc}") from exc

    def config_set(call: Call) -> dict[str, Any]:
        """Store a named API key under `api_keys.<key>`."""
        key, value = text(call.params, "key"), call.params.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not key or "." in key or not isinstance(value, str) or not value.strip():
            raise invalid("key and value are required")
        write_config(call, {f"api_keys.{key}": value.strip()})
        return {"key": key, "saved": True}

    def model_set(call: Call) -> dict[str, Any]:
        """Write `llm.provider` and that provider's model key (the config watcher applies it live)."""
        provider = normalise_provider_name(text(call.params, "provider") or DEFAULT_PROVIDER)
        if provider not in PROVIDER_NAMES:
            raise invalid(f"unknown provider: {text(call.params, 'provider')}")
        model = text(call.params, "model")
        values: dict[str, Any] = {"llm.provider": provider}
        if provider in PROVIDER_MODEL_KEYS:
            if not model:
                raise invalid("model is required")
            values[f"llm.{PROVIDER_MODEL_KEYS[provider]}"] = model
        write_config(call, values)
        return {"provider": provider, "model": model, "saved": True}

    def domain_add(call: Call) -> dict[str, Any]:
        """Allow a domain: appended to policy.yaml's `allow_domains` and in force at once."""
        domain = text(call.params, "domain").lower()
        if not domain:
            raise invalid("domain is required")
        with writing:
            try:
                policy = add_domain(call.ctx.home / POLICY_FILE, domain)
            except (PolicyError, OSError) as exc:
                raise internal(f"cannot update {POLICY_FILE}: {exc}") from exc
            call.ctx.ask("policy", "replace", policy)
        return {"domain": domain, "allowed": True}

    return {
        "config.list": Method(config_list, Scope.DAEMON),
        "config.set": Method(config_set, Scope.DAEMON, mutating=True),
        "config.model.set": Method(model_set, Scope.DAEMON, mutating=True),
        "policy.domain.add": Method(domain_add, Scope.DAEMON, mutating=True),
        "plan.list": Method(plan_list, Scope.AGENTS),
        "plan.execute": Method(plan_execute, Scope.AGENTS, mutating=True),
        "skill.enable": Method(skill_enable, Scope.DAEMON, mutating=True),
    }
