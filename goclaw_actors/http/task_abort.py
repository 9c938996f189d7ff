"""Abort a task (SPEC §3.7): cancel it durably, then interrupt its running attempt at once."""

from goclaw_actors.errors import TaskNotFound
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.store.sqlite_reads import get_task


def abort_task(ctx: GatewayContext, task_id: str) -> bool:
    """Cancel `task_id` (and its delegation children); False when it was already terminal.

    Raises TaskNotFound. The cancel is committed before the lane is told, so the interrupted
    attempt never records an outcome; a lane that misses the message notices at its next heartbeat.
    """
    task = ctx.read(get_task, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    aborted = bool(ctx.store.tasks.cancel(task_id=task_id))
    if aborted:
        ctx.interrupt_task(task.agent_id, task_id)
    return aborted
