"""The optional steps of a turn, as TurnDeps hooks: safety filter, knowledge in the system prompt, compaction,
structured output.

Each returns a plain callable; supervisors/brain_wiring.py plugs in the daemon's store and logger.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from goclaw_actors.agent_memory.prompt_blocks import Knowledge, prompt_blocks
from goclaw_actors.brain import compaction, safety_filter, structured_output
from goclaw_actors.brain.prompt_profile import PromptProfile
from goclaw_actors.brain.providers.base import ChatRequest
from goclaw_actors.brain.tool_loop import CallModel
from goclaw_actors.store.task_row import TaskRow

Log = Callable[..., None]


def input_checker(warn: Log) -> Callable[[str], None]:
    """Raises SafetyBlocked on a prompt injection; logs suspicious-but-allowed content."""

    def check(text: str) -> None:
        for warning in safety_filter.check_input(text):
            warn("suspicious input allowed", detail=warning)

    return check


def history_compactor(call_model: CallModel, model: str, limit: int, save: Callable[[str, str, list[Any], str], Any],
                      warn: Log) -> Callable[[TaskRow, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Compacts a (session, agent) history near the context `limit` (the agent's PromptProfile.context_limit;
    harder after a reported overflow); `save(session, agent, ids, summary)` archives what was summarised."""

    def summarise(older: list[dict[str, Any]]) -> str:
        request = ChatRequest(model=model, messages=[{"role": "user", "content": compaction.summary_prompt(older)}])
        return call_model(request, None).content

    def prepare(task: TaskRow, history: list[dict[str, Any]], overflowed: bool = False) -> list[dict[str, Any]]:
        # After the provider reported a context overflow our estimate was too low: compact for half the window.
        plan = compaction.compact(history, limit // 2 if overflowed else limit, summarise)
        if plan is None:
            return history
        if plan.summary_error:
            warn("history summary failed; truncated instead", error=plan.summary_error, task_id=task.id)
        save(task.session_id, task.agent_id, plan.archive_ids, plan.summary["content"])
        return plan.messages

    return prepare


def knowledge_prompt(profile: PromptProfile, read_knowledge: Callable[[str], Knowledge],
                     record_turn: Callable[[str, list[str]], Any],
                     skills_for: Callable[[TaskRow], Sequence[tuple[str, str]]] = lambda task: ()
                     ) -> Callable[[TaskRow], str]:
    """The system prompt of each turn (streaming or not): the profile's prompt with the skills the task names
    (`skills_for`), the agent's core memory, pins and shared knowledge as read now; then, when the agent has
    memories, one store write reinforces those injected and decays them all (SPEC §6)."""

    def build(task: TaskRow) -> str:
        blocks = prompt_blocks(read_knowledge(task.agent_id))
        if blocks.has_memories:
            record_turn(task.agent_id, list(blocks.injected_keys))
        return profile.system_prompt(blocks, skills_for(task))

    return build


def structured_spec(task: TaskRow, agent_structured: dict[str, Any] | None,
                    home: Path) -> structured_output.StructuredSpec | None:
    """The response format this task must satisfy: the request's, else the agent's `structured_output`."""
    response_format = task.payload.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema"):
        return structured_output.StructuredSpec(response_format)
    return structured_output.spec_from_agent(agent_structured, home)


def reply_finisher(call_model: CallModel, agent_structured: dict[str, Any] | None,
                   home: Path) -> Callable[[TaskRow, ChatRequest, str], str]:
    """Validates the reply against the structured spec, re-prompting per SPEC §4.9; returns the text to store."""

    def finish(task: TaskRow, request: ChatRequest, reply: str) -> str:
        spec = structured_spec(task, agent_structured, home)
        if spec is None:
            return reply
        first = [reply]

        def call(messages: list[dict[str, Any]]) -> str:
            if first:
                return first.pop()
            return call_model(replace(request, messages=messages, tools=[], tool_choice=None, stream=False),
                              None).content

        result = structured_output.run_structured(call, request.messages, spec.response_format,
                                                  spec.max_retries, spec.strict)
        return result.reply

    return finish


def with_schema_instruction(system_prompt: str, task: TaskRow, agent_structured: dict[str, Any] | None,
                            home: Path) -> str:
    """The system prompt plus the schema instruction when the task needs structured output."""
    spec = structured_spec(task, agent_structured, home)
    if spec is None:
        return system_prompt
    return system_prompt + "\n\n" + structured_output.schema_instruction(spec.response_format)
