"""The SQLite queue backend: every write operation of the store, on one connection."""

from goclaw_actors.store.sqlite_agent_messages import AgentMessageSql
from goclaw_actors.store.sqlite_agents import AgentSql
from goclaw_actors.store.sqlite_alerts import AlertSql
from goclaw_actors.store.sqlite_approvals import ApprovalSql
from goclaw_actors.store.sqlite_chat_history import ChatHistorySql
from goclaw_actors.store.sqlite_chat_lines import ChatLineSql
from goclaw_actors.store.sqlite_dedup import DedupSql
from goclaw_actors.store.sqlite_delegations import DelegationSql
from goclaw_actors.store.sqlite_history import HistorySql
from goclaw_actors.store.sqlite_knowledge import KnowledgeSql
from goclaw_actors.store.sqlite_loops import LoopSql
from goclaw_actors.store.sqlite_maintenance import MaintenanceSql
from goclaw_actors.store.sqlite_plans import PlanSql
from goclaw_actors.store.sqlite_policy import PolicySql
from goclaw_actors.store.sqlite_retention import RetentionSql
from goclaw_actors.store.sqlite_schedules import ScheduleSql
from goclaw_actors.store.sqlite_sessions import SessionSql
from goclaw_actors.store.sqlite_skill_state import SkillStateSql
from goclaw_actors.store.sqlite_tasks import TaskLifecycleSql
from goclaw_actors.store.sqlite_teams import TeamSql
from goclaw_actors.store.sqlite_telegram import TelegramSql


class SqliteQueue(TaskLifecycleSql, MaintenanceSql, DedupSql, AgentSql, PolicySql, HistorySql, LoopSql,
                  ChatHistorySql, SessionSql, ApprovalSql, ScheduleSql, SkillStateSql, PlanSql, RetentionSql,
                  AlertSql, DelegationSql, AgentMessageSql, TeamSql, ChatLineSql, KnowledgeSql, TelegramSql):
    """All store write operations against SQLite; methods run inside a transaction the caller opened.

    Usage (the store actor does this inside a group commit)::

        queue = SqliteQueue(conn)
        queue.enqueue(session_id, {"content": "hi"})
        task = queue.claim("default", lease_seconds=30)
    """
