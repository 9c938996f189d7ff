"""The subtree of one agent (SPEC §1.3): its AgentActor, the McpClients of its MCP servers, then its lanes
(a dispatcher and `worker_count` workers). The daemon's tree (supervisors/tree.py) starts one per agent;
agent_control adds and removes them at run time.

    agent:<id> (rest_for_one)
    ├── agent_actor:<id>  permanent
    ├── mcp:<id>:<server> transient
    └── lanes:<id> (one_for_one): dispatcher:<id> + worker:<id>:<n>
"""

from actors.agent_actor import AgentActor, GetProcessor
from actors.lane_dispatcher import LaneDispatcher
from actors.worker import WorkerActor
from goclaw_actors.queue.lane_settings import LaneSettings
from supervisors.child_spec import PERMANENT, ChildSpec
from supervisors.mcp_wiring import agent_mcp_specs
from supervisors.runtime import Runtime
from supervisors.supervisor import Supervisor


def worker_name(agent_id: str, index: int) -> str:
    """Registry name of lane `index` of `agent_id`."""
    return f"worker:{agent_id}:{index}"


def agent_spec(rt: Runtime, settings: LaneSettings) -> ChildSpec:
    """The sub-tree of one agent: its AgentActor, its MCP servers' McpClients, then its lanes."""
    agent_id = settings.agent_id
    reg = rt.registry
    name = f"agent:{agent_id}"
    lanes = [reg.address(worker_name(agent_id, index)) for index in range(settings.worker_count)]

    def children() -> list[ChildSpec]:  # at each start: the MCP servers configured then
        return [
            ChildSpec(f"agent_actor:{agent_id}", lambda: reg.register(
                f"agent_actor:{agent_id}", AgentActor.start(agent_id, rt.processor_for(agent_id), lanes=lanes))),
            *agent_mcp_specs(rt, agent_id),
            ChildSpec(f"lanes:{agent_id}", lambda: reg.register(f"lanes:{agent_id}", Supervisor.start(
                f"lanes:{agent_id}", lane_specs(rt, settings), strategy="one_for_one", on_escalate=None))),
        ]

    return ChildSpec(name, lambda: reg.register(name, Supervisor.start(
        name, children(), strategy="rest_for_one", on_escalate=None)), restart=PERMANENT)


def lane_specs(rt: Runtime, settings: LaneSettings) -> list[ChildSpec]:
    """The dispatcher then `worker_count` workers of one agent."""
    agent_id = settings.agent_id
    reg = rt.registry
    dispatcher_name = f"dispatcher:{agent_id}"
    workers = [reg.address(worker_name(agent_id, index)) for index in range(settings.worker_count)]
    agent = reg.address(f"agent_actor:{agent_id}")

    def processor():
        return agent.ask(GetProcessor(), timeout=5)

    def start_worker(index: int):
        return reg.register(worker_name(agent_id, index), WorkerActor.start(
            settings, index, rt.store, reg.address(dispatcher_name), processor, reg.address("policy"),
            reg.address("task_streams")))

    specs = [ChildSpec(dispatcher_name, lambda: reg.register(dispatcher_name, LaneDispatcher.start(
        settings, workers, reg.address("event_bus"), rt.reads)))]
    for index in range(settings.worker_count):
        specs.append(ChildSpec(worker_name(agent_id, index), lambda index=index: start_worker(index)))
    return specs
