"""The declared supervision tree of the daemon (SPEC §1.3): who starts what, in which order,
and how each part is restarted.

    root (rest_for_one)
    ├── store                     permanent
    ├── event_bus                 permanent
    ├── pg_events                 permanent, PostgreSQL store only: other daemons' events onto this bus
    ├── task_streams              permanent: live chunks of running tasks, replayable while they run
    ├── policy                    permanent
    ├── queue_maintenance         permanent: lease reaper, aging, hourly retention
    ├── agents (one_for_one)
    │   └── agent:<id> (rest_for_one)
    │       ├── agent_actor:<id>  permanent
    │       ├── mcp:<id>:<server> transient: one McpClient per enabled server of the agent's mcp_servers
    │       └── lanes:<id> (one_for_one): dispatcher:<id> + worker:<id>:<n>   permanent
    ├── services (one_for_one)    plan_runner, cron_scheduler, heartbeat; embedded_model (when usable);
    │                             config_watcher (config.yaml, SOUL.md), policy_watcher (policy.yaml),
    │                             skill_watcher (the skill roots, recursively) and pin_watcher (pinned files);
    │                             mcp_global:<server> (transient) per enabled server of mcp.servers;
    │                             telegram (transient, when channels.telegram.enabled)
    └── gateway                   permanent, started last
"""

from typing import Callable

from actors.embedded_model import EmbeddedModel
from actors.event_bus import EventBus
from actors.gateway_actor import GatewayActor
from actors.pg_event_listener import PgEventListener
from actors.policy_actor import PolicyActor
from actors.queue_maintenance import QueueMaintenance
from actors.store_actor import StoreActor
from actors.task_streams import TaskStreams
from goclaw_actors.startup import COMMIT_DELAY_ENV, debug_seconds
from goclaw_actors.store.retention import RetentionSettings
from goclaw_actors.store.store_target import is_postgres
from supervisors.brain_wiring import embedded_available
from supervisors.child_spec import PERMANENT, ChildSpec
from supervisors.cron_wiring import start_cron_scheduler
from supervisors.heartbeat_wiring import start_heartbeat
from supervisors.agent_tree import agent_spec
from supervisors.mcp_wiring import global_mcp_specs
from supervisors.plan_wiring import start_plan_runner
from supervisors.telegram_wiring import telegram_specs
from supervisors.runtime import Runtime
from supervisors.supervisor import Supervisor
from supervisors.watcher_wiring import watcher_specs

STORE_SHUTDOWN_SECONDS = 10.0  # the store flushes and checkpoints the WAL on stop
EMBEDDED_SHUTDOWN_SECONDS = 30.0  # a running generation stops at its next token, then the model is freed


def root_children(rt: Runtime, on_escalate: Callable[[str, str], None]) -> list[ChildSpec]:
    """The root's children, in start order."""
    reg = rt.registry
    return [
        ChildSpec("store", lambda: reg.register("store", StoreActor.start(
            rt.db_path, rt.publish_events, commit_delay=debug_seconds(rt.environ, COMMIT_DELAY_ENV))),
                  shutdown_timeout=STORE_SHUTDOWN_SECONDS),
        ChildSpec("event_bus", lambda: reg.register("event_bus", EventBus.start())),
        *shared_store_specs(rt),
        ChildSpec("task_streams", lambda: reg.register("task_streams", TaskStreams.start())),
        ChildSpec("policy", lambda: reg.register("policy", PolicyActor.start(rt.policy, rt.policy_source,
                                                                               rt.store))),
        ChildSpec("queue_maintenance", lambda: reg.register("queue_maintenance", QueueMaintenance.start(
            rt.store, rt.approvals(), reads=rt.reads, retention_settings=lambda: retention_settings(rt),
            is_scheduler=rt.is_scheduler))),
        ChildSpec("agents", lambda: reg.register("agents", Supervisor.start(
            "agents", [agent_spec(rt, settings) for settings in rt.lanes], strategy="one_for_one",
            on_escalate=None))),
        ChildSpec("services", lambda: reg.register("services", Supervisor.start(
            "services", service_specs(rt), strategy="one_for_one", on_escalate=None))),
        ChildSpec("gateway", lambda: reg.register("gateway", GatewayActor.start(rt.listen, rt.app))),
    ]


def shared_store_specs(rt: Runtime) -> list[ChildSpec]:
    """On a PostgreSQL store shared with other daemons: the listener feeding their events to this bus."""
    if not is_postgres(rt.db_path):
        return []
    return [ChildSpec("pg_events", lambda: rt.registry.register("pg_events", PgEventListener.start(
        rt.db_path, rt.publish_events)))]


def retention_settings(rt: Runtime) -> RetentionSettings | None:
    """The retention settings in force (None without a configuration: nothing is deleted)."""
    return RetentionSettings.from_config(rt.config) if rt.config is not None else None


def service_specs(rt: Runtime) -> list[ChildSpec]:
    """Services started with the daemon: the plan runner, the cron scheduler, the heartbeat, the embedded model
    when it can be used (loaded on first use), the file watchers applying edits of config.yaml, SOUL.md,
    policy.yaml and the skill directories and keeping pinned files current, and the McpClients of the global
    MCP servers, and the Telegram channel when it is enabled."""
    reg = rt.registry
    specs = [ChildSpec("plan_runner", lambda: start_plan_runner(rt), restart=PERMANENT),
             ChildSpec("cron_scheduler", lambda: start_cron_scheduler(rt), restart=PERMANENT)]
    if rt.config is None or rt.home is None:
        return specs
    specs.append(ChildSpec("heartbeat", lambda: start_heartbeat(rt), restart=PERMANENT))
    if embedded_available(rt.config, rt.home):
        specs.append(ChildSpec("embedded_model", lambda: reg.register("embedded_model", EmbeddedModel.start(
            rt.config.get("llm.embedded_model"), rt.home)), shutdown_timeout=EMBEDDED_SHUTDOWN_SECONDS))
    return specs + watcher_specs(rt) + global_mcp_specs(rt) + telegram_specs(rt)


def start_root(rt: Runtime, on_escalate: Callable[[str, str], None]):
    """Start the whole tree; returns the root supervisor's ref."""
    return rt.registry.register("root", Supervisor.start(
        "root", root_children(rt, on_escalate), strategy="rest_for_one", on_escalate=on_escalate))
