"""ACP configuration methods: `config.list`, `config.set`, `config.model.set`, `policy.domain.add`,
`plan.list`, `plan.execute`, `plan.cancel`, `skill.enable`.

config.yaml and policy.yaml are changed in place (other keys kept, atomic replace), one write at a
time; the new policy is installed in the PolicyActor at once.
"""

from typing import Any, Callable

import gevent.lock

from goclaw_actors.config.config_writer import set_config_keys
from goclaw_actors.config.embedded_model_setting import KNOWN_MODELS, MODELS_DIR, check_embedded_model
from goclaw_actors.config.loader import CONFIG_FILE, read_config_file
from goclaw_actors.config.provider_names import MODEL_KEYS, check_provider_name
from goclaw_actors.config.text_values import check_model_name, check_secret_name, check_secret_value, check_text
from goclaw_actors.errors import ConfigError, PolicyError
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import internal, invalid
from goclaw_actors.http.acp.params import check_agent_scope, text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.plans.plan_lookup import PlanNotFound, configured_plans
from goclaw_actors.policy.domain_names import normalise_domain
from goclaw_actors.policy.policy_edit import add_domain
from goclaw_actors.store.api_reads import plan_execution
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
        session_id = text(call.params, "session_id")
        return call.ctx.execute_plan(plan.name, checked(check_text, session_id, "session_id") if session_id else None)
    except PlanNotFound as exc:
        raise internal(str(exc)) from exc


def plan_cancel(call: Call) -> dict[str, Any]:
    """Cancel a running plan execution whose step agents the caller may all use:
    `{execution_id, canceled, status}` (`canceled` false when it had already ended)."""
    execution_id = text(call.params, "execution_id")
    if not execution_id:
        raise invalid("execution_id is required")
    execution = call.ctx.read(plan_execution, execution_id)
    if execution is None:
        raise internal(f"plan execution not found: {execution_id}")
    for agent in sorted({step["agent_id"] for step in execution["steps"]}):
        check_agent_scope(call, agent)
    return call.ctx.cancel_plan(execution_id)


def skill_enable(call: Call) -> dict[str, Any]:
    """Re-enable a skill (state `active`, fault count reset): a quarantined WASM skill runs again."""
    name = text(call.params, "name")
    if not name:
        raise invalid("name is required")
    return {"name": name, "state": call.ctx.skills().enable(checked(check_text, name, "name"))}


def checked(check: Callable[..., Any], value: Any, *args: Any) -> Any:
    """`check(value, *args)`, a ConfigError or PolicyError becoming a 1000 answer with its message."""
    try:
        return check(value, *args)
    except (ConfigError, PolicyError) as exc:
        raise invalid(str(exc)) from None


def _model_values(call: Call, provider: str) -> tuple[str, dict[str, Any]]:
    """The model named by the params and the config.yaml keys to write for `provider`."""
    model = text(call.params, "model")
    values: dict[str, Any] = {"llm.provider": provider}
    if provider not in MODEL_KEYS:
        return (checked(check_model_name, model, "model") if model else ""), values
    if not model:
        raise invalid("model is required")
    if provider == "embedded":
        model = checked(check_embedded_model, model, "model")
        if model not in KNOWN_MODELS and not (call.ctx.home / MODELS_DIR / model).is_file():
            raise invalid(f"model {model!r} is not a file in $GOCLAW_HOME/{MODELS_DIR}")
    else:
        model = checked(check_model_name, model, "model")
    values[f"llm.{MODEL_KEYS[provider]}"] = model
    return model, values


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
        """Store a named API key under `api_keys.<key>` (name: letters, digits, _ and -; value: printable
        ASCII without spaces)."""
        key, value = text(call.params, "key"), call.params.get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not key or not isinstance(value, str) or not value.strip():
            raise invalid("key and value are required")
        key = checked(check_secret_name, key, "key")
        write_config(call, {f"api_keys.{key}": checked(check_secret_value, value.strip(), "value")})
        return {"key": key, "saved": True}

    def model_set(call: Call) -> dict[str, Any]:
        """Write `llm.provider` and that provider's model key (the config watcher applies it live); an
        embedded model is named, never given as a path: a known model or a .gguf file in models/."""
        requested = call.params.get("provider")
        provider = checked(check_provider_name, requested or DEFAULT_PROVIDER, "provider", True)
        if not provider:
            raise invalid(f"unknown provider: {str(requested)[:64]}")
        model, values = _model_values(call, provider)
        write_config(call, values)
        return {"provider": provider, "model": model, "saved": True}

    def domain_add(call: Call) -> dict[str, Any]:
        """Allow a domain (a host name, or .domain / *.domain with its subdomains): appended to policy.yaml's
        `allow_domains` and in force at once."""
        domain = text(call.params, "domain")
        if not domain:
            raise invalid("domain is required")
        checked(normalise_domain, domain)
        with writing:
            try:
                entry, policy = add_domain(call.ctx.home / POLICY_FILE, domain)
            except (PolicyError, OSError) as exc:
                raise internal(f"cannot update {POLICY_FILE}: {exc}") from exc
            call.ctx.ask("policy", "replace", policy)
        return {"domain": entry, "allowed": True}

    return {
        "config.list": Method(config_list, Scope.DAEMON),
        "config.set": Method(config_set, Scope.DAEMON, mutating=True),
        "config.model.set": Method(model_set, Scope.DAEMON, mutating=True),
        "policy.domain.add": Method(domain_add, Scope.DAEMON, mutating=True),
        "plan.list": Method(plan_list, Scope.AGENTS),
        "plan.execute": Method(plan_execute, Scope.AGENTS, mutating=True),
        "plan.cancel": Method(plan_cancel, Scope.AGENTS, mutating=True),
        "skill.enable": Method(skill_enable, Scope.DAEMON, mutating=True),
    }
