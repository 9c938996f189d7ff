"""Usage of a model call when the provider reports none (SPEC §4.11)."""

from typing import Any

from goclaw_actors.brain.providers.base import Usage
from goclaw_actors.tokens import estimate_message_tokens, estimate_tokens


def estimate_usage(messages: list[dict[str, Any]], reply: str) -> Usage:
    """Estimated usage of a call: every message sent is prompt, the reply is completion."""
    return Usage(prompt_tokens=sum(estimate_message_tokens(m) for m in messages),
                 completion_tokens=estimate_tokens(reply), reported=False)


def effective_usage(reported: Usage | None, messages: list[dict[str, Any]], reply: str) -> Usage:
    """The provider's usage when it reported any, else the estimate for `messages` and `reply`."""
    if reported is not None and reported.reported:
        return reported
    return estimate_usage(messages, reply)
