"""The task state machine (SPEC §3.3): states, legal transitions, event types and reason codes."""

from goclaw_actors.errors import IllegalTransition

QUEUED = "QUEUED"
CLAIMED = "CLAIMED"
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
RETRY_WAIT = "RETRY_WAIT"
CANCELED = "CANCELED"
DEAD_LETTER = "DEAD_LETTER"

STATES = (QUEUED, CLAIMED, RUNNING, SUCCEEDED, FAILED, RETRY_WAIT, CANCELED, DEAD_LETTER)
TERMINAL = frozenset({SUCCEEDED, CANCELED, DEAD_LETTER})
ACTIVE = frozenset({CLAIMED, RUNNING})

# None stands for "no row yet" (creation).
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({QUEUED}),
    QUEUED: frozenset({CLAIMED, CANCELED}),
    CLAIMED: frozenset({RUNNING, CANCELED, QUEUED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, RETRY_WAIT, CANCELED, QUEUED}),
    RETRY_WAIT: frozenset({QUEUED, FAILED, CANCELED}),
    FAILED: frozenset({DEAD_LETTER, RETRY_WAIT}),
    SUCCEEDED: frozenset(),
    CANCELED: frozenset(),
    DEAD_LETTER: frozenset(),
}

EV_ENQUEUED = "task.enqueued"
EV_CLAIMED = "task.claimed"
EV_RUNNING = "task.running"
EV_SUCCEEDED = "task.succeeded"
EV_RETRY_WAIT = "task.retry_wait"
EV_REQUEUED = "task.requeued"
EV_FAILED = "task.failed"
EV_DEAD_LETTER = "task.dead_letter"
EV_CANCELED = "task.canceled"
EV_LEASE_EXPIRED = "task.lease_expired_requeued"
EV_RECOVERED = "task.recovered"

# Events after which a task may be claimable again (they wake the agent's lanes).
WAKE_EVENTS = frozenset({EV_ENQUEUED, EV_REQUEUED, EV_LEASE_EXPIRED, EV_RECOVERED})

RETRY_PROCESSOR_ERROR = "RETRY_PROCESSOR_ERROR"
DEAD_LETTER_MAX_ATTEMPTS = "DEAD_LETTER_MAX_ATTEMPTS"
DEAD_LETTER_POISON_PILL = "DEAD_LETTER_POISON_PILL"
DEAD_LETTER_NON_RETRIABLE = "DEAD_LETTER_NON_RETRIABLE"  # a failure no retry can change (SPEC §9.4)
ABORTED = "ABORTED"

COMMAND = "command"  # a chat command (SPEC §12): answered without the model
TASK_TYPES = frozenset({"chat", "subtask", "delegation", "agent_message", "schedule", "heartbeat", "plan_step",
                        COMMAND})
NO_HISTORY_TYPES = frozenset({COMMAND})  # neither the line nor its answer joins the conversation history


def is_legal(state_from: str | None, state_to: str) -> bool:
    """True if the state machine allows `state_from` ⇒ `state_to`."""
    return state_to in TRANSITIONS.get(state_from, frozenset())


def check_transition(state_from: str | None, state_to: str) -> None:
    """Raise IllegalTransition unless `state_from` ⇒ `state_to` is allowed."""
    if not is_legal(state_from, state_to):
        raise IllegalTransition(f"illegal task transition {state_from or '(new)'} -> {state_to}")
