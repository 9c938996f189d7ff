"""Applying an edited config.yaml to the running daemon (SPEC §2.7).

A valid edit becomes the configuration in force: everything read through `Runtime.config` (plans, the
gateway's security settings, the approval timeout, hop limits, replay window) takes it at its next use,
the log level and the `telemetry.*` settings change at once (spans still open under the previous
telemetry settings are dropped), and the agents are reconciled: new ones start, removed ones are drained
and stopped, an agent whose lanes change (worker count, timeouts) is drained and restarted, and every other
agent whose settings or inherited LLM settings changed gets a new brain for its next attempt; MCP servers
added to, removed from or changed in `mcp.servers` or an agent's `mcp_servers` start, stop or restart. Agents that
did not change, and their running tasks, are not touched; `default` is reconfigured, never removed.
An invalid edit keeps the running configuration (logged); so does one whose `delegation_max_hops` an agent
created at runtime has too few lanes for. `bind_addr` needs a restart (logged).
"""

from typing import Callable

from goclaw_actors.config.config_diff import ConfigChanges, config_changes
from goclaw_actors.config.hop_limit import check_hop_room
from goclaw_actors.config.loader import load_config
from goclaw_actors.config.model import Config
from goclaw_actors.errors import ConfigError
from goclaw_actors.http.security_settings import security_settings
from goclaw_actors.logs.system_log import get_logger, set_log_level
from goclaw_actors.startup import lane_settings
from goclaw_actors.telemetry import lifecycle as telemetry_lifecycle
from goclaw_actors.telemetry.settings import telemetry_settings
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.sqlite_reads import active_agents
from supervisors.agent_control import remove_agent, restart_agent, start_agent
from supervisors.mcp_wiring import reconcile_mcp
from supervisors.runtime import Runtime
from supervisors.telegram_wiring import reconcile_telegram

log = get_logger("config")


def reload_config(rt: Runtime) -> bool:
    """Load config.yaml again and apply it if it is valid and different; True when applied."""
    running = rt.config
    try:
        config = load_config(rt.home, rt.environ)
        security_settings(config)  # bad gateway keys reject the whole edit, not only the gateway's part
        _check_runtime_agents(rt, config)
        telemetry_settings(config)  # and so do bad telemetry settings
    except ConfigError as exc:
        log.warn("config.yaml not applied; the running configuration stays", config_hash=running.config_hash,
                 error=str(exc))
        return False
    if config.raw == running.raw:
        return False
    changes = config_changes(running, config)
    for warning in config.warnings:
        log.warn(warning)
    for key in changes.restart_only:
        log.warn("config change takes effect after a restart", key=key, running=getattr(running, key),
                 configured=getattr(config, key))
    rt.config = config
    set_log_level(config.log_level)
    if rt.skills is not None and running.raw.get("skills") != config.raw.get("skills"):
        rt.skills.reload()  # other skill roots or legacy mode (WASM limits apply at the next call anyway)
    telemetry_lifecycle.apply(config)
    if changes.agents_touched:
        _reconcile_agents(rt, config, changes)
        reconcile_mcp(rt, config)
    reconcile_telegram(rt, running)
    log.info("config reloaded", config_hash=config.config_hash, added=[a.agent_id for a in changes.added],
             removed=list(changes.removed), changed=[a.agent_id for a in changes.changed],
             brains_changed=changes.brains_changed)
    return True


def _check_runtime_agents(rt: Runtime, config: Config) -> None:
    """The hop limit of SPEC §2.3 holds for the agents created at runtime too (not in config.yaml): ConfigError
    when the edit would give one of them fewer lanes than `delegation_max_hops` + 1."""
    for row in rt.reads.run(active_agents):
        if config.agent(row["agent_id"]) is None:
            check_hop_room(config.delegation_max_hops, row["agent_id"], int(row["worker_count"] or 1))


def _reconcile_agents(rt: Runtime, config: Config, changes: ConfigChanges) -> None:
    """Start, stop, restart or rebrain the agents `changes` names; each failure is logged, not fatal."""
    running = {lane.agent_id: lane for lane in rt.lanes}
    for agent_id in changes.removed:
        _each(agent_id, "stop", lambda agent_id=agent_id: remove_agent(rt, config, agent_id))
    for agent in (*changes.added, *changes.changed):
        _each(agent.agent_id, "record", lambda agent=agent: rt.store.agents.upsert_agent(
            agent_id=agent.agent_id, fields=agent.to_row()))
    for agent in changes.added:
        if agent.agent_id not in running:
            _each(agent.agent_id, "start", lambda agent=agent: start_agent(rt, config, agent.agent_id))
    reconfigured = {agent.agent_id for agent in (*changes.added, *changes.changed)}
    for agent_id, lanes in running.items():
        if agent_id not in changes.removed:
            _each(agent_id, "reconfigure", lambda agent_id=agent_id, lanes=lanes: _reconfigure(
                rt, config, agent_id, lanes, changes.brains_changed or agent_id in reconfigured))


def _reconfigure(rt: Runtime, config: Config, agent_id: str, lanes, new_brain: bool) -> None:
    """Restart a running agent whose lane settings changed; else give it a new brain when asked."""
    row = rt.reads.run(agent_row, agent_id)
    if row is None or row["status"] != "active":
        return
    if lane_settings(row, config) != lanes:
        restart_agent(rt, config, agent_id)
        log.info("agent restarted with new settings", agent_id=agent_id)
    elif new_brain and rt.refresh_processor(agent_id):
        log.info("agent reconfigured", agent_id=agent_id)


def _each(agent_id: str, step: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - one agent failing to change must not stop the others
        log.error("config reload: agent not updated", agent_id=agent_id, step=step, error=str(exc))
