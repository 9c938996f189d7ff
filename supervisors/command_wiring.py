"""Chat command tasks (SPEC §12) wired to the running daemon: every agent's lanes run its processor inside a
CommandProcessor, whose commands call the daemon's ACP methods as the person who typed them."""

from typing import Any, Callable

from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.processor import CommandProcessor
from goclaw_actors.http.acp.local_call import call_method
from goclaw_actors.http.principal import principal_for
from goclaw_actors.processor import Processor
from goclaw_actors.store.task_row import TaskRow


def with_commands(rt: Any, processor: Processor) -> CommandProcessor:
    """`processor` for turns, the chat commands for command tasks."""
    return CommandProcessor(processor, command_env_factory(rt, getattr(processor, "profile", None)))


def command_env_factory(rt: Any, profile: Any) -> Callable[[TaskRow], CommandEnv]:
    """The CommandEnv of each command task: its agent and session, the sender's scope kept in its payload."""
    model = "/".join(part for part in (profile.provider, profile.model) if part) if profile and profile.model else ""

    def make(task: TaskRow) -> CommandEnv:
        principal = principal_for(task.payload.get("scope"))

        def call(method: str, params: dict[str, Any]) -> Any:
            if rt.gateway is None:
                raise RuntimeError("the daemon's API is not running")
            return call_method(rt.gateway, principal, method, params, trace_id=task.id)

        return CommandEnv(agent_id=task.agent_id, session_id=task.session_id, principal=principal, call=call,
                          policy=rt.current_policy, model=model,
                          skills=lambda: rt.skills.status() if rt.skills is not None else [],
                          clear_history=lambda: rt.store.sessions.clear_history(session_id=task.session_id,
                                                                                agent_id=task.agent_id))

    return make
