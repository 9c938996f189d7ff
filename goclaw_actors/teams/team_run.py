"""A team task (SPEC §12): the lead agent fans the prompt out to its members as delegations, gathers their
results, and answers with them.

Everything is durable: each member's delegation carries the key `team:<task_id>:<agent_id>`, so a lead task
that is retried (or recovered after a crash) finds the children it made and waits for them instead of
making new ones; it waits outside its worker lane, so members can run on the lead's own lanes.
"""

import dataclasses
from typing import Any

from goclaw_actors.delegation.links import AgentLinks
from goclaw_actors.delegation.routing import child_hop, hop_of
from goclaw_actors.processor import Emit, Processor, lane_waiting
from goclaw_actors.queue.states import SUCCEEDED
from goclaw_actors.queue.task_wait import await_terminal, is_done
from goclaw_actors.store.sqlite_delegations import TEAM, reply_of
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.tools.errors import ToolError

TEAM_SOURCE = "team"
WAIT_SLICE_SECONDS = 3600.0  # a member is awaited until it ends; the lead task's own timeout bounds the wait


def team_payload(prompt: str, members: list[dict[str, str]]) -> dict[str, Any]:
    """The lead task's payload: the prompt and a snapshot of the members it fans out to."""
    return {"content": prompt, "source": TEAM_SOURCE, "team": {"members": members}}


def member_prompt(lead_agent: str, role: str, prompt: str) -> str:
    """What a member is asked."""
    return f"[Team task from @{lead_agent}; your role: {role}]\n{prompt}"


def gathered_prompt(prompt: str, results: list[tuple[dict[str, str], str | None, str | None]]) -> str:
    """What the lead is asked once every member has answered: the task, then each member's result (or error)."""
    parts = [f"Team task: {prompt}", "", "Your team's results:"]
    for member, reply, error in results:
        parts.append(f"--- @{member['agent_id']} ({member['role']}) ---")
        parts.append(reply if error is None else f"[failed: {error}]")
    parts += ["", "Combine them into one answer to the team task."]
    return "\n".join(parts)


class TeamProcessor:
    """Runs team tasks (payload `team`) as fan-out, gather and a final turn of `inner`; other tasks go to `inner`."""

    def __init__(self, inner: Processor, links: AgentLinks):
        self.inner = inner
        self.links = links
        self.name = getattr(inner, "name", "processor")
        self.profile = getattr(inner, "profile", None)  # for context.show

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """One attempt of the task."""
        team = task.payload.get("team")
        if not isinstance(team, dict):
            return self.inner.process(task, emit)
        prompt = str(task.payload.get("content") or "").strip()
        members = [m for m in team.get("members") or [] if isinstance(m, dict) and m.get("agent_id")]
        children = self._fan_out(task, prompt, members)
        with lane_waiting(emit)():
            results = [self._gather(member, child) for member, child in zip(members, children)]
        gathered = dataclasses.replace(task, payload={**task.payload, "content": gathered_prompt(prompt, results)})
        return self.inner.process(gathered, emit)

    def _fan_out(self, task: TaskRow, prompt: str, members: list[dict[str, str]]) -> list[str | ToolError]:
        """Start (or find again) each member's delegation; its child task id, or why it could not start."""
        try:
            hop = child_hop(hop_of(task.payload), self.links.max_hops())
        except ToolError as exc:
            raise RuntimeError(f"team task not started: {exc}") from exc
        children: list[str | ToolError] = []
        for member in members:
            try:
                children.append(self.links.write(
                    self.links.store.delegations.start_delegation, parent_task_id=task.id, parent_agent=task.agent_id,
                    child_agent=member["agent_id"], session_id=task.session_id,
                    prompt=member_prompt(task.agent_id, member.get("role", ""), prompt), hop=hop, mode=TEAM,
                    idempotency_key=f"team:{task.id}:{member['agent_id']}")["task_id"])
            except ToolError as exc:
                children.append(exc)
        return children

    def _gather(self, member: dict[str, str], child: str | ToolError) -> tuple[dict[str, str], str | None, str | None]:
        """Wait for one member's child task: (member, reply, error)."""
        if isinstance(child, ToolError):
            return member, None, str(child)
        with self.links.watch_task(child) as watch:
            task = await_terminal(watch.queue, lambda: self.links.task(child), WAIT_SLICE_SECONDS)
            while not is_done(task):
                task = await_terminal(watch.queue, lambda: self.links.task(child), WAIT_SLICE_SECONDS)
        if task is None:
            return member, None, "its task disappeared"
        if task.status == SUCCEEDED:
            return member, reply_of(task.result) or "", None
        return member, None, task.error or task.status.lower()
