"""How an async delegation's result reaches the parent agent's next turn (SPEC §7.2, §4.6 step 7)."""

from typing import Any

from goclaw_actors.store.sqlite_delegations import COMPLETED


def result_text(delegation: dict[str, Any]) -> str:
    """`[Delegation Complete] Agent "<id>" completed the task:\\n<result>` or `[Delegation Failed] Agent "<id>"
    failed: <error>` for an ended delegation row."""
    if delegation["status"] == COMPLETED:
        return f'[Delegation Complete] Agent "{delegation["child_agent"]}" completed the task:\n' \
               f'{delegation["result"] or ""}'
    return f'[Delegation Failed] Agent "{delegation["child_agent"]}" failed: ' \
           f'{delegation["error_msg"] or delegation["status"]}'


def with_results(history: list[dict[str, Any]], results: list[str]) -> list[dict[str, Any]]:
    """The turn's messages after the system prompt: the history's leading system messages (a compaction
    summary), then each result as a user message, then the rest of the history."""
    if not results:
        return history
    lead = 0
    while lead < len(history) and history[lead].get("role") == "system":
        lead += 1
    return history[:lead] + [{"role": "user", "content": text} for text in results] + history[lead:]
