"""Numbered, checksummed schema migrations (SPEC §3.1): the schema's history as data.

A migration is never edited once released: a change is a new, higher-numbered entry.
Each entry is a version, a fixed checksum string and either SQL statements or a
function run on the open connection (for data normalisation).
"""

from dataclasses import dataclass, field
from typing import Callable

LATEST_VERSION = 20
LATEST_CHECKSUM = "gc-v20-2026-11-29-telegram-channel"


@dataclass(frozen=True)
class Migration:
    """One schema step: `statements` run in order, then `apply` (if any) on the connection."""

    version: int
    checksum: str
    statements: tuple[str, ...] = ()
    apply: Callable | None = field(default=None, compare=False)


def _normalise_legacy(conn) -> None:
    """Map legacy statuses onto the 8-state machine and fold a legacy `history` table into `messages`."""
    conn.execute("UPDATE tasks SET status = 'QUEUED' WHERE status = 'PENDING'")
    conn.execute("UPDATE tasks SET status = 'SUCCEEDED' WHERE status = 'COMPLETED'")
    has_history = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'"
    ).fetchone()
    if not has_history:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(history)")}
    if {"session_id", "role", "content"} <= columns:
        created = "created_at" if "created_at" in columns else "CURRENT_TIMESTAMP"
        conn.execute(
            "INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) "
            f"SELECT session_id, 'default', role, content, 0, {created} FROM history"
        )
        conn.execute(
            "INSERT OR IGNORE INTO sessions (id, created_at, updated_at) "
            "SELECT DISTINCT session_id, MIN(created_at), MAX(created_at) FROM messages GROUP BY session_id"
        )
    conn.execute("DROP TABLE history")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "gc-v01-2025-06-02-core-queue", (
        """CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            soul_hash TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            agent_id TEXT NOT NULL DEFAULT 'default',
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
            content TEXT NOT NULL DEFAULT '',
            tokens INTEGER NOT NULL DEFAULT 0,
            tool_call_id TEXT,
            tool_calls_json TEXT,
            created_at TEXT NOT NULL,
            archived_at TEXT)""",
        """CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            type TEXT NOT NULL DEFAULT 'chat',
            status TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            attempt INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL DEFAULT 3,
            available_at TEXT NOT NULL,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            last_error_code TEXT,
            last_error_fingerprint TEXT,
            poison_count INTEGER NOT NULL DEFAULT 0,
            policy_version TEXT,
            lease_owner TEXT,
            lease_expires_at TEXT,
            payload TEXT NOT NULL DEFAULT '{}',
            result TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS task_events (
            event_id INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            state_from TEXT,
            state_to TEXT,
            payload_json TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS kv_store (
            key TEXT PRIMARY KEY,
            value TEXT,
            updated_at TEXT NOT NULL)""",
    )),
    Migration(2, "gc-v02-2025-06-09-legacy-normalise", apply=_normalise_legacy),
    Migration(3, "gc-v03-2025-06-20-queue-indexes", (
        "CREATE INDEX IF NOT EXISTS idx_tasks_claim ON tasks (status, available_at, priority, created_at)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_lease ON tasks (lease_expires_at)",
        "CREATE INDEX IF NOT EXISTS idx_messages_session ON messages (session_id, agent_id, id)",
        "CREATE INDEX IF NOT EXISTS idx_events_session ON task_events (session_id, event_id)",
        "CREATE INDEX IF NOT EXISTS idx_events_task ON task_events (task_id, event_id)",
    )),
    Migration(4, "gc-v04-2025-07-01-tool-call-dedup", (
        """CREATE TABLE IF NOT EXISTS tool_call_dedup (
            idempotency_key TEXT PRIMARY KEY,
            tool_name TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            side_effect_status TEXT NOT NULL CHECK (side_effect_status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
            result_hash TEXT,
            result_json TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
    )),
    Migration(5, "gc-v05-2025-07-15-policy-audit", (
        """CREATE TABLE IF NOT EXISTS policy_versions (
            policy_version TEXT PRIMARY KEY,
            checksum TEXT NOT NULL,
            loaded_at TEXT NOT NULL,
            source TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS audit_log (
            audit_id TEXT PRIMARY KEY,
            trace_id TEXT,
            subject TEXT,
            action TEXT NOT NULL,
            decision TEXT NOT NULL,
            reason TEXT,
            policy_version TEXT,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS idx_audit_trace ON audit_log (trace_id, created_at)",
        """CREATE TABLE IF NOT EXISTS data_redactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            field_name TEXT NOT NULL,
            redaction_reason TEXT NOT NULL,
            policy_version TEXT,
            redacted_by TEXT,
            created_at TEXT NOT NULL)""",
    )),
    Migration(6, "gc-v06-2025-08-04-skills-approvals-schedules", (
        """CREATE TABLE IF NOT EXISTS skill_registry (
            skill_id TEXT PRIMARY KEY,
            version TEXT,
            abi_version TEXT,
            content_hash TEXT,
            state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'quarantined')),
            source TEXT,
            source_url TEXT,
            ref TEXT,
            installed_at TEXT,
            last_fault_at TEXT,
            fault_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS approvals (
            approval_id TEXT PRIMARY KEY,
            task_id TEXT,
            action TEXT NOT NULL,
            details TEXT,
            status TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'DENIED')),
            expires_at TEXT NOT NULL,
            resolved_at TEXT,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS schedules (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            cron_expr TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '',
            session_id TEXT,
            agent_id TEXT NOT NULL DEFAULT 'default',
            enabled INTEGER NOT NULL DEFAULT 1,
            next_run_at TEXT,
            last_run_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS idx_schedules_due ON schedules (enabled, next_run_at)",
    )),
    Migration(7, "gc-v07-2025-09-01-multi-agent", (
        "ALTER TABLE tasks ADD COLUMN parent_task_id TEXT",
        "ALTER TABLE tasks ADD COLUMN agent_id TEXT NOT NULL DEFAULT 'default'",
        "CREATE INDEX IF NOT EXISTS idx_tasks_agent ON tasks (agent_id, status, available_at)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_lane ON tasks (agent_id, status, priority DESC, created_at, id)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_parent ON tasks (parent_task_id)",
        """CREATE TABLE IF NOT EXISTS agents (
            agent_id TEXT PRIMARY KEY,
            display_name TEXT,
            provider TEXT,
            model TEXT,
            soul TEXT,
            worker_count INTEGER NOT NULL DEFAULT 4,
            task_timeout_seconds INTEGER NOT NULL DEFAULT 600,
            max_queue_depth INTEGER NOT NULL DEFAULT 0,
            skills_filter TEXT,
            policy_overrides TEXT,
            api_key_env TEXT,
            agent_emoji TEXT,
            preferred_search TEXT,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'draining')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS agent_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            from_agent TEXT NOT NULL,
            to_agent TEXT NOT NULL,
            content TEXT NOT NULL,
            read_at TEXT,
            created_at TEXT NOT NULL)""",
    )),
    Migration(8, "gc-v08-2025-09-22-delegations", (
        """CREATE TABLE IF NOT EXISTS delegations (
            id TEXT PRIMARY KEY,
            task_id TEXT,
            parent_agent TEXT NOT NULL,
            child_agent TEXT NOT NULL,
            prompt TEXT NOT NULL,
            status TEXT NOT NULL,
            result TEXT,
            error_msg TEXT,
            created_at TEXT NOT NULL,
            completed_at TEXT,
            injected INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE IF NOT EXISTS agent_collaboration_metrics (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            from_agent TEXT NOT NULL,
            to_agent TEXT NOT NULL,
            delegations INTEGER NOT NULL DEFAULT 0,
            messages INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            UNIQUE (from_agent, to_agent))""",
        """CREATE TABLE IF NOT EXISTS task_context (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            root_task_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (root_task_id, key))""",
    )),
    Migration(9, "gc-v09-2025-10-13-memory", (
        """CREATE TABLE IF NOT EXISTS agent_memories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            source TEXT,
            relevance_score REAL NOT NULL DEFAULT 1.0,
            access_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_accessed TEXT,
            UNIQUE (agent_id, key))""",
    )),
    Migration(10, "gc-v10-2025-11-03-pins-shares", (
        """CREATE TABLE IF NOT EXISTS agent_pins (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id TEXT NOT NULL,
            pin_type TEXT NOT NULL CHECK (pin_type IN ('file', 'text')),
            source TEXT NOT NULL,
            content TEXT NOT NULL,
            token_count INTEGER NOT NULL DEFAULT 0,
            shared INTEGER NOT NULL DEFAULT 0,
            last_read TEXT,
            file_mtime TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (agent_id, source))""",
        """CREATE TABLE IF NOT EXISTS agent_shares (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_agent_id TEXT NOT NULL,
            target_agent_id TEXT NOT NULL,
            share_type TEXT NOT NULL CHECK (share_type IN ('memory', 'pin', 'all')),
            item_key TEXT,
            created_at TEXT NOT NULL)""",
    )),
    Migration(11, "gc-v11-2025-12-01-usage-metrics", (
        "ALTER TABLE tasks ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tasks ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tasks ADD COLUMN total_tokens INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tasks ADD COLUMN estimated_cost_usd REAL NOT NULL DEFAULT 0",
        """CREATE TABLE IF NOT EXISTS task_metrics (
            task_id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            queue_wait_ms INTEGER,
            run_ms INTEGER,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            estimated_cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS agent_activity_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id TEXT NOT NULL,
            activity TEXT NOT NULL,
            details TEXT,
            created_at TEXT NOT NULL)""",
    )),
    Migration(12, "gc-v12-2026-01-12-plans", (
        """CREATE TABLE IF NOT EXISTS plan_executions (
            id TEXT PRIMARY KEY,
            plan_name TEXT NOT NULL,
            session_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled')),
            total_steps INTEGER NOT NULL DEFAULT 0,
            completed_steps INTEGER NOT NULL DEFAULT 0,
            current_wave INTEGER NOT NULL DEFAULT 0,
            total_cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS plan_execution_steps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            execution_id TEXT NOT NULL REFERENCES plan_executions (id) ON DELETE CASCADE,
            step_id TEXT NOT NULL,
            step_index INTEGER NOT NULL,
            wave_number INTEGER NOT NULL,
            agent_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            task_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
            result TEXT,
            error TEXT,
            cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
    )),
    Migration(13, "gc-v13-2026-01-26-event-runs-idempotency", (
        "ALTER TABLE task_events ADD COLUMN run_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE task_events ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tasks ADD COLUMN run_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tasks ADD COLUMN idempotency_key TEXT",
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_tasks_idempotency ON tasks (idempotency_key) "
        "WHERE idempotency_key IS NOT NULL",
    )),
    Migration(14, "gc-v14-2026-02-16-loop-checkpoints", (
        """CREATE TABLE IF NOT EXISTS loop_checkpoints (
            loop_id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            current_step INTEGER NOT NULL DEFAULT 0,
            max_steps INTEGER NOT NULL,
            tokens_used INTEGER NOT NULL DEFAULT 0,
            max_tokens INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            max_duration INTEGER NOT NULL,
            status TEXT NOT NULL,
            messages TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS idx_loop_task ON loop_checkpoints (task_id)",
    )),
    # Task listings (REST, A2A) page newest first without sorting the table (nor reading its payloads).
    Migration(15, "gc-v15-2026-03-02-task-listing-indexes", (
        "CREATE INDEX IF NOT EXISTS idx_tasks_created ON tasks (created_at, id)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_status_created ON tasks (status, created_at, id)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_session_created ON tasks (session_id, created_at, id)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_agent_created ON tasks (agent_id, created_at, id)",
    )),
    # Delegations know their session, parent task and kind, and which task consumed an async result; inter-agent
    # messages are written once per call and read once per task; teams; plan steps whose enqueue was refused.
    Migration(16, "gc-v16-2026-03-09-agent-collaboration", (
        "ALTER TABLE delegations ADD COLUMN session_id TEXT",
        "ALTER TABLE delegations ADD COLUMN parent_task_id TEXT",
        "ALTER TABLE delegations ADD COLUMN mode TEXT NOT NULL DEFAULT 'async'",
        "ALTER TABLE delegations ADD COLUMN injected_task_id TEXT",
        "CREATE INDEX IF NOT EXISTS idx_delegations_task ON delegations (task_id)",
        "CREATE INDEX IF NOT EXISTS idx_delegations_parent ON delegations (parent_agent, session_id, injected)",
        "ALTER TABLE agent_messages ADD COLUMN message_depth INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE agent_messages ADD COLUMN task_id TEXT",
        "ALTER TABLE agent_messages ADD COLUMN idempotency_key TEXT",
        "ALTER TABLE agent_messages ADD COLUMN read_task_id TEXT",
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_agent_messages_idempotency ON agent_messages (idempotency_key) "
        "WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS idx_agent_messages_inbox ON agent_messages (to_agent, read_at, id)",
        """CREATE TABLE IF NOT EXISTS agent_teams (
            lead_agent TEXT PRIMARY KEY,
            members TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS plan_step_refusals (
            execution_id TEXT NOT NULL REFERENCES plan_executions (id) ON DELETE CASCADE,
            step_index INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            error TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (execution_id, step_index, attempt))""",
    )),
    # The sticky @mention target of a chat session (SPEC §7.1); shares looked up by their target agent
    # for every prompt, file pins by the PinWatcher, memories in injection order.
    Migration(17, "gc-v17-2026-11-29-chat-targets-knowledge", (
        "ALTER TABLE sessions ADD COLUMN sticky_agent_id TEXT",
        "CREATE INDEX IF NOT EXISTS idx_agent_shares_target ON agent_shares (target_agent_id, source_agent_id)",
        "CREATE INDEX IF NOT EXISTS idx_agent_shares_source ON agent_shares (source_agent_id, target_agent_id)",
        "CREATE INDEX IF NOT EXISTS idx_agent_pins_type ON agent_pins (pin_type, agent_id)",
        "CREATE INDEX IF NOT EXISTS idx_agent_memories_rank ON agent_memories "
        "(agent_id, relevance_score DESC, key)",
    )),
    # The W3C trace context of whatever enqueued the task (SPEC §11.3): its attempts continue that trace.
    Migration(18, "gc-v18-2026-11-29-task-traceparent", (
        "ALTER TABLE tasks ADD COLUMN traceparent TEXT",
    )),
    # Aging (SPEC §3.9) walks only the queued tasks below the top priority, longest unchanged first, in
    # batches: with a deep backlog one aging pass no longer rewrites every queued row in one transaction.
    Migration(19, "gc-v19-2026-11-29-aging-index", (
        "CREATE INDEX IF NOT EXISTS idx_tasks_aging ON tasks (updated_at) WHERE status = 'QUEUED' AND priority < 10",
    )),
    # The Telegram channel (SPEC §10): the last update taken in per bot (committed with the task it made),
    # each user's sticky @mention target, and the replies still to deliver (resumed after a restart).
    Migration(LATEST_VERSION, LATEST_CHECKSUM, (
        """CREATE TABLE IF NOT EXISTS channel_offsets (
            channel TEXT PRIMARY KEY,
            update_offset INTEGER NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS telegram_users (
            user_id INTEGER PRIMARY KEY,
            sticky_agent_id TEXT,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS telegram_replies (
            task_id TEXT PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            reply_to INTEGER,
            message_id INTEGER,
            delivered_at TEXT,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS idx_telegram_replies_pending ON telegram_replies (delivered_at, created_at)",
    )),
)


def checksum_for(version: int) -> str | None:
    """The project's checksum for `version`, or None if the project has no such migration."""
    for migration in MIGRATIONS:
        if migration.version == version:
            return migration.checksum
    return None
