"""Exceptions raised inside the daemon; the edges turn them into the contract's error values."""


class GoclawError(Exception):
    """Base of every goclaw error."""


class StartupError(GoclawError):
    """Start-up failed with one of SPEC §13's reason codes (e.g. `E_STORE_OPEN`)."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


class ConfigError(GoclawError):
    """config.yaml or the environment holds an invalid value."""


class PolicyError(GoclawError):
    """policy.yaml is invalid (unknown capability, wrong types)."""


class StoreError(GoclawError):
    """A store operation failed."""


class IllegalTransition(StoreError):
    """A task state change that the state machine forbids, or whose guard no longer holds."""


class TaskNotFound(StoreError):
    """No task has the given id."""

    def __init__(self, task_id: str):
        super().__init__(f"task not found: {task_id}")
        self.task_id = task_id


class AgentNotFound(StoreError):
    """Enqueue addressed an unknown or stopped agent."""

    def __init__(self, agent_id: str):
        super().__init__(f'agent "{agent_id}" not found')
        self.agent_id = agent_id


class QueueSaturated(StoreError):
    """The agent's queue is at its `max_queue_depth`."""

    def __init__(self):
        super().__init__("queue saturated; retry later")


class IdempotencyConflict(StoreError):
    """A tool call reused an idempotency key with a different request."""

    def __init__(self):
        super().__init__("idempotency conflict")
