"""The daemon's file watchers under `services` (SPEC §1.3, §2.7, §6, §8.1): ConfigWatcher (config.yaml and
SOUL.md) and PolicyWatcher (policy.yaml), each watching GOCLAW_HOME, the directory holding its files; PinWatcher,
watching the directories of the agents' pinned files; and the SkillWatcher (supervisors/skill_wiring.py)."""

import pykka

from actors.file_watcher import FileWatcher
from actors.pin_watcher import PinPorts, PinWatcher
from goclaw_actors.agent_memory.pins import FilePin, pin_roots, token_count
from goclaw_actors.config.defaults import DEFAULT_AGENT_ID
from goclaw_actors.config.loader import CONFIG_FILE
from goclaw_actors.errors import StartupError
from goclaw_actors.file_watch import DirectoryWatch
from goclaw_actors.http.acp.methods_pins import PIN_WATCHER
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.knowledge_reads import file_pins
from supervisors.child_spec import PERMANENT, ChildSpec
from supervisors.config_reload import reload_config
from supervisors.policy_reload import POLICY_FILE, reload_policy
from supervisors.runtime import Runtime
from supervisors.skill_wiring import skill_watcher_spec

SOUL_FILE = "SOUL.md"

log = get_logger("watchers")


def watcher_specs(rt: Runtime) -> list[ChildSpec]:
    """The child specs of ConfigWatcher, PolicyWatcher, PinWatcher and SkillWatcher."""
    config_handlers = {CONFIG_FILE: lambda: reload_config(rt), SOUL_FILE: lambda: reload_soul(rt)}
    policy_handlers = {POLICY_FILE: lambda: reload_policy(rt)}
    return [ChildSpec("config_watcher", lambda: start_watcher(rt, "config_watcher", config_handlers),
                      restart=PERMANENT),
            ChildSpec("policy_watcher", lambda: start_watcher(rt, "policy_watcher", policy_handlers),
                      restart=PERMANENT),
            ChildSpec(PIN_WATCHER, lambda: rt.registry.register(PIN_WATCHER, PinWatcher.start(
                PIN_WATCHER, pin_ports(rt))), restart=PERMANENT)] + (
        [skill_watcher_spec(rt)] if rt.skills is not None else [])


def pin_ports(rt: Runtime) -> PinPorts:
    """The PinWatcher's view of the daemon: file pins from the read pool, the path policy in force, and the
    audited store write of a refreshed pin."""

    def refresh(pin: dict, fresh: FilePin) -> None:
        rt.audited_write(rt.store.memory.pin_refresh, "pin.refresh", "file_changed",
                         subject=f"{pin['agent_id']}:{pin['source']}", agent_id=pin["agent_id"], source=pin["source"],
                         content=fresh.content, token_count=token_count(fresh.content), file_mtime=fresh.mtime)

    return PinPorts(file_pins=lambda: rt.reads.run(file_pins),
                    roots=lambda: pin_roots(rt.home, rt.current_policy().paths), refresh=refresh)


def start_watcher(rt: Runtime, name: str, handlers: dict) -> pykka.ActorRef:
    """Watch GOCLAW_HOME for `handlers`' files and start the FileWatcher applying their changes; raises
    StartupError(E_CONFIG_WATCHER_START), also kept as the daemon's start failure, when it cannot watch."""
    try:
        watch = DirectoryWatch(rt.home, handlers)
    except StartupError as exc:
        rt.start_failure = rt.start_failure or exc
        raise
    return rt.registry.register(name, FileWatcher.start(name, watch, handlers))


def reload_soul(rt: Runtime) -> None:
    """SOUL.md changed: the `default` agent's next turn uses its new text (or the built-in prompt)."""
    if rt.refresh_processor(DEFAULT_AGENT_ID):
        log.info("SOUL.md changed; default agent prompt replaced")
