"""Builds the HeartbeatActor from the runtime: the workspace, and the interval of the configuration in force
(`heartbeat_interval_minutes`; `GOCLAW_DEBUG_HEARTBEAT_INTERVAL_MS` replaces it in tests)."""

import pykka

from actors.heartbeat import HeartbeatActor, HeartbeatSettings
from goclaw_actors.startup import HEARTBEAT_INTERVAL_ENV
from supervisors.runtime import Runtime


def heartbeat_seconds(rt: Runtime) -> float:
    """Seconds between heartbeats now (0: disabled)."""
    override_ms = rt.environ.get(HEARTBEAT_INTERVAL_ENV, "").strip()  # checked at start-up: digits or empty
    if override_ms:
        return int(override_ms) / 1000.0
    return float(rt.config.heartbeat_interval_minutes) * 60.0 if rt.config is not None else 0.0


def start_heartbeat(rt: Runtime) -> pykka.ActorRef:
    """Start the HeartbeatActor (it appends the replies of beats that ended while the daemon was down) as
    `heartbeat`."""
    settings = HeartbeatSettings(workspace=rt.home / "workspace", interval_seconds=lambda: heartbeat_seconds(rt))
    return rt.registry.register("heartbeat", HeartbeatActor.start(rt.daemon_ports(), settings))
