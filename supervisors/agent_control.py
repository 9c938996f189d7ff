"""Starting and removing an agent's subtree while the daemon runs (ACP agent.create / agent.remove, SPEC §4.1).

The subtree is the one the tree declares (`agent_tree.agent_spec`), added to or taken from the `agents`
supervisor; `rt.lanes` follows, so a restart of that supervisor brings back exactly the live agents.
"""

import time

import gevent
import pykka

from actors.address import Address
from actors.worker import Drain, LaneStatus
from goclaw_actors.config.model import Config
from goclaw_actors.errors import AgentNotFound
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.startup import lane_settings
from goclaw_actors.store.agent_reads import agent_row
from supervisors.agent_tree import agent_spec
from supervisors.runtime import Runtime

SUPERVISOR_CALL_SECONDS = 30.0  # starting or stopping a subtree (its lanes stop after their drain)
DRAIN_POLL_SECONDS = 0.05  # how often lanes are checked during a drain

log = get_logger("agents")


def agent_child_id(agent_id: str) -> str:
    """The id of an agent's subtree under the `agents` supervisor."""
    return f"agent:{agent_id}"


def _agents_supervisor(rt: Runtime):
    ref = rt.registry.lookup("agents")
    if ref is None:
        raise pykka.ActorDeadError("agents supervisor is not running")
    return ref.proxy()


def start_agent(rt: Runtime, config: Config, agent_id: str) -> bool:
    """Start the subtree of the active agent row `agent_id`; False if it is already running.

    Raises AgentNotFound when the row is missing or not active.
    """
    row = rt.reads.run(agent_row, agent_id)
    if row is None or row["status"] != "active":
        raise AgentNotFound(agent_id)
    supervisor = _agents_supervisor(rt)
    if supervisor.get_child(agent_child_id(agent_id)).get(timeout=SUPERVISOR_CALL_SECONDS) is not None:
        return False
    settings = lane_settings(row, config)
    supervisor.start_child(agent_spec(rt, settings)).get(timeout=SUPERVISOR_CALL_SECONDS)
    rt.lanes = [lane for lane in rt.lanes if lane.agent_id != agent_id] + [settings]
    log.info("agent started", agent_id=agent_id, worker_count=settings.worker_count)
    return True


def remove_agent(rt: Runtime, config: Config, agent_id: str) -> int:
    """Drain and stop an agent (SPEC §4.1): `draining` (no new work), lanes finish their attempt for up
    to `drain_timeout_seconds`, the subtree stops (unfinished attempts are released), what is left is
    canceled with reason `agent_deleted`, then `stopped`. Returns how many tasks were canceled.

    Raises AgentNotFound when the agent is not active.
    """
    row = rt.reads.run(agent_row, agent_id)
    if row is None or row["status"] != "active":
        raise AgentNotFound(agent_id)
    rt.store.agents.set_agent_status(agent_id=agent_id, status="draining")
    _drain_and_stop(rt, config, agent_id)
    canceled = rt.store.tasks.cancel_agent_backlog(agent_id=agent_id)
    rt.store.agents.set_agent_status(agent_id=agent_id, status="stopped")
    log.info("agent removed", agent_id=agent_id, canceled=canceled)
    return canceled


def restart_agent(rt: Runtime, config: Config, agent_id: str) -> None:
    """Restart a running agent under new lane settings (worker count, timings): its lanes stop claiming,
    finish their attempts for up to `drain_timeout_seconds`, the subtree stops (unfinished attempts are
    released to the queue) and starts again. Its queued tasks stay queued; other agents are not touched.
    """
    _drain_and_stop(rt, config, agent_id)
    start_agent(rt, config, agent_id)


def _drain_and_stop(rt: Runtime, config: Config, agent_id: str) -> None:
    """Drain an agent's lanes for up to `drain_timeout_seconds`, then stop its subtree."""
    if not drain_workers(rt, f"worker:{agent_id}:", config.drain_timeout_seconds):
        log.warn("agent drain timeout; releasing unfinished tasks", agent_id=agent_id,
                 drain_timeout_seconds=config.drain_timeout_seconds)
    _agents_supervisor(rt).terminate_child(agent_child_id(agent_id)).get(timeout=SUPERVISOR_CALL_SECONDS)
    rt.lanes = [lane for lane in rt.lanes if lane.agent_id != agent_id]


def drain_workers(rt: Runtime, prefix: str, seconds: float) -> bool:
    """Tell the workers registered under `prefix` to stop claiming and wait up to `seconds` for their
    attempts to finish; True if they all finished."""
    workers = [rt.registry.address(name) for name in rt.registry.names(prefix)]
    for worker in workers:
        worker.tell(Drain())
    return drain_lanes(workers, seconds)


def drain_lanes(workers: list[Address], seconds: float) -> bool:
    """Wait until no lane runs an attempt, for at most `seconds`; True if they all finished."""
    deadline = time.monotonic() + seconds
    while any(_busy(worker) for worker in workers):
        if time.monotonic() >= deadline:
            return False
        gevent.sleep(DRAIN_POLL_SECONDS)
    return True


def _busy(worker: Address) -> bool:
    try:
        return bool(worker.ask(LaneStatus(), timeout=1)["busy"])
    except (pykka.ActorDeadError, pykka.Timeout, TypeError):  # TypeError: a failed handler answered None
        return False
