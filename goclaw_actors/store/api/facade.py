"""The typed store facade: every write operation of the store, grouped by noun (`store.tasks.enqueue(...)`).

Each operation is declared by its noun interface (goclaw_actors/store/api/<noun>.py) and sent as one write
request through a transport (the store actor's group commit), so callers and type checkers see what the
store does. A new operation: implement it on the backend, add it to WRITE_OPS, declare it on its noun
interface, and add one `Op` line to that noun's facade below.
"""

from goclaw_actors.store.api.ops import Noun, Op, Transport
from goclaw_actors.store.api.tasks import TasksApi
from goclaw_actors.store.api.sessions import SessionsApi
from goclaw_actors.store.api.approvals import ApprovalsApi
from goclaw_actors.store.api.plans import PlansApi
from goclaw_actors.store.api.schedules import SchedulesApi
from goclaw_actors.store.api.channels import ChannelsApi
from goclaw_actors.store.api.kv import KvApi
from goclaw_actors.store.api.audit import AuditApi
from goclaw_actors.store.api.agents import AgentsApi
from goclaw_actors.store.api.delegations import DelegationsApi
from goclaw_actors.store.api.memory import MemoryApi
from goclaw_actors.store.api.dedup import DedupApi
from goclaw_actors.store.api.skills import SkillsApi
from goclaw_actors.store.api.maintenance import MaintenanceApi


class TasksStore(Noun):
    """`store.tasks`: the operations of TasksApi, sent through the transport."""

    interface = TasksApi
    enqueue = Op(TasksApi.enqueue)
    cancel = Op(TasksApi.cancel)
    cancel_agent_backlog = Op(TasksApi.cancel_agent_backlog)
    claim = Op(TasksApi.claim)
    claim_batch = Op(TasksApi.claim_batch)
    claim_and_start = Op(TasksApi.claim_and_start)
    start = Op(TasksApi.start)
    heartbeat = Op(TasksApi.heartbeat)
    succeed = Op(TasksApi.succeed)
    fail = Op(TasksApi.fail)
    record_outcomes = Op(TasksApi.record_outcomes)
    release_for_shutdown = Op(TasksApi.release_for_shutdown)


class SessionsStore(Noun):
    """`store.sessions`: the operations of SessionsApi, sent through the transport."""

    interface = SessionsApi
    enqueue_line = Op(SessionsApi.enqueue_line)
    enqueue_chat_with_history = Op(SessionsApi.enqueue_chat_with_history)
    replace_history = Op(SessionsApi.replace_history)
    compact_history = Op(SessionsApi.compact_history)
    clear_history = Op(SessionsApi.clear_history)
    purge_session = Op(SessionsApi.purge_session)
    save_loop_checkpoint = Op(SessionsApi.save_loop_checkpoint)


class ApprovalsStore(Noun):
    """`store.approvals`: the operations of ApprovalsApi, sent through the transport."""

    interface = ApprovalsApi
    create_approval = Op(ApprovalsApi.create_approval)
    resolve_approval = Op(ApprovalsApi.resolve_approval)
    expire_approvals = Op(ApprovalsApi.expire_approvals)


class PlansStore(Noun):
    """`store.plans`: the operations of PlansApi, sent through the transport."""

    interface = PlansApi
    create_plan_execution = Op(PlansApi.create_plan_execution)
    start_plan_step = Op(PlansApi.start_plan_step)
    refuse_plan_step = Op(PlansApi.refuse_plan_step)
    finish_plan_step = Op(PlansApi.finish_plan_step)
    cancel_plan_step_task = Op(PlansApi.cancel_plan_step_task)
    set_plan_execution = Op(PlansApi.set_plan_execution)
    cancel_plan_execution = Op(PlansApi.cancel_plan_execution)


class SchedulesStore(Noun):
    """`store.schedules`: the operations of SchedulesApi, sent through the transport."""

    interface = SchedulesApi
    add_schedule = Op(SchedulesApi.add_schedule)
    remove_schedule = Op(SchedulesApi.remove_schedule)
    set_schedule_enabled = Op(SchedulesApi.set_schedule_enabled)
    fire_schedule = Op(SchedulesApi.fire_schedule)


class KvStore(Noun):
    """`store.kv`: the operations of KvApi, sent through the transport."""

    interface = KvApi
    put_kv = Op(KvApi.put_kv)
    delete_kv = Op(KvApi.delete_kv)


class AuditStore(Noun):
    """`store.audit`: the operations of AuditApi, sent through the transport."""

    interface = AuditApi
    write_audit = Op(AuditApi.write_audit)
    record_policy_version = Op(AuditApi.record_policy_version)
    record_alert = Op(AuditApi.record_alert)


class AgentsStore(Noun):
    """`store.agents`: the operations of AgentsApi, sent through the transport."""

    interface = AgentsApi
    upsert_agent = Op(AgentsApi.upsert_agent)
    set_agent_status = Op(AgentsApi.set_agent_status)
    set_team = Op(AgentsApi.set_team)


class DelegationsStore(Noun):
    """`store.delegations`: the operations of DelegationsApi, sent through the transport."""

    interface = DelegationsApi
    start_delegation = Op(DelegationsApi.start_delegation)
    abort_delegation = Op(DelegationsApi.abort_delegation)
    take_delegation_results = Op(DelegationsApi.take_delegation_results)
    send_agent_message = Op(DelegationsApi.send_agent_message)
    read_agent_messages = Op(DelegationsApi.read_agent_messages)


class MemoryStore(Noun):
    """`store.memory`: the operations of MemoryApi, sent through the transport."""

    interface = MemoryApi
    memory_set = Op(MemoryApi.memory_set)
    memory_delete = Op(MemoryApi.memory_delete)
    memory_clear = Op(MemoryApi.memory_clear)
    memory_turn = Op(MemoryApi.memory_turn)
    pin_add = Op(MemoryApi.pin_add)
    pin_remove = Op(MemoryApi.pin_remove)
    pin_refresh = Op(MemoryApi.pin_refresh)
    share_add = Op(MemoryApi.share_add)
    share_remove = Op(MemoryApi.share_remove)


class DedupStore(Noun):
    """`store.dedup`: the operations of DedupApi, sent through the transport."""

    interface = DedupApi
    dedup_begin = Op(DedupApi.dedup_begin)
    dedup_finish = Op(DedupApi.dedup_finish)


class SkillsStore(Noun):
    """`store.skills`: the operations of SkillsApi, sent through the transport."""

    interface = SkillsApi
    enable_skill = Op(SkillsApi.enable_skill)
    register_skill_module = Op(SkillsApi.register_skill_module)
    record_skill_fault = Op(SkillsApi.record_skill_fault)
    register_installed_skill = Op(SkillsApi.register_installed_skill)
    remove_installed_skill = Op(SkillsApi.remove_installed_skill)


class MaintenanceStore(Noun):
    """`store.maintenance`: the operations of MaintenanceApi, sent through the transport."""

    interface = MaintenanceApi
    requeue_expired_leases = Op(MaintenanceApi.requeue_expired_leases)
    recover_interrupted = Op(MaintenanceApi.recover_interrupted)
    age_queued = Op(MaintenanceApi.age_queued)
    delete_expired = Op(MaintenanceApi.delete_expired)


class ChannelsStore(Noun):
    """`store.channels`: the operations of ChannelsApi, sent through the transport."""

    interface = ChannelsApi
    telegram_intake = Op(ChannelsApi.telegram_intake)
    telegram_reply_message = Op(ChannelsApi.telegram_reply_message)
    telegram_reply_delivered = Op(ChannelsApi.telegram_reply_delivered)


NOUNS: dict[str, type[Noun]] = {"tasks": TasksStore, "sessions": SessionsStore, "approvals": ApprovalsStore, "plans": PlansStore, "schedules": SchedulesStore, "kv": KvStore, "audit": AuditStore, "agents": AgentsStore, "delegations": DelegationsStore, "memory": MemoryStore, "dedup": DedupStore, "skills": SkillsStore, "maintenance": MaintenanceStore, "channels": ChannelsStore}
"""Every noun facade by its attribute name on `StoreApi`."""


class StoreApi:
    """All store writes by noun; `transport` carries each one (see actors/store_client.py).

    Usage::

        store.tasks.enqueue(session_id=sid, payload={"content": "hi"})   # waits for the commit
        claim = store.tasks.claim_batch.submit(agent_id="default", lease_seconds=30, limit=4)  # pipelined
        tasks = claim.get()
        store.audit.write_audit.send(on_error, action="x", decision="allow", reason="r")  # queued, not awaited
    """

    tasks: TasksStore
    sessions: SessionsStore
    approvals: ApprovalsStore
    plans: PlansStore
    schedules: SchedulesStore
    kv: KvStore
    audit: AuditStore
    agents: AgentsStore
    delegations: DelegationsStore
    memory: MemoryStore
    dedup: DedupStore
    skills: SkillsStore
    maintenance: MaintenanceStore
    channels: ChannelsStore

    def __init__(self, transport: Transport):
        self.tasks = TasksStore(transport)
        self.sessions = SessionsStore(transport)
        self.approvals = ApprovalsStore(transport)
        self.plans = PlansStore(transport)
        self.schedules = SchedulesStore(transport)
        self.kv = KvStore(transport)
        self.audit = AuditStore(transport)
        self.agents = AgentsStore(transport)
        self.delegations = DelegationsStore(transport)
        self.memory = MemoryStore(transport)
        self.dedup = DedupStore(transport)
        self.skills = SkillsStore(transport)
        self.maintenance = MaintenanceStore(transport)
        self.channels = ChannelsStore(transport)
