"""Command tasks run without the model (SPEC §12): the processor every agent's lanes use answers a `command`
task with the command's reply and hands every other task to the agent's brain (or fallback)."""

from typing import Any, Callable

from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.runner import run_command
from goclaw_actors.processor import Emit, Processor
from goclaw_actors.queue.states import COMMAND
from goclaw_actors.store.task_row import TaskRow


class CommandProcessor:
    """`inner` for turns, `run_command` for command tasks; the reply is streamed as one chunk when asked."""

    def __init__(self, inner: Processor, command_env: Callable[[TaskRow], CommandEnv]):
        self.inner = inner
        self.command_env = command_env
        self.name = getattr(inner, "name", "processor")
        self.profile = getattr(inner, "profile", None)

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """The command's answer as the task's reply, or the inner processor's result."""
        if task.type != COMMAND:
            return self.inner.process(task, emit)
        reply = run_command(str(task.payload.get("content") or ""), self.command_env(task))
        if task.payload.get("stream"):
            emit({"type": "token", "token": reply})
        return {"reply": reply}
