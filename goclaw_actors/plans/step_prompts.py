"""What a plan step's task is asked (SPEC §7.4): earlier steps' outputs filled in, a retry told what failed."""

import re
from typing import Mapping

OUTPUT_REFERENCE = re.compile(r"\{([^{}]+)\.output\}")
RETRY_PREFIX = "Previous attempt failed: "


def substitute_outputs(prompt: str, outputs: Mapping[str, str]) -> str:
    """`prompt` with each `{<step_id>.output}` replaced by that step's reply text.

    A reference to a step without an output (unknown, or not run yet) stays as written.
    """
    return OUTPUT_REFERENCE.sub(lambda match: outputs.get(match.group(1), match.group(0)), prompt)


def retry_prompt(prompt: str, previous_error: str) -> str:
    """The prompt of a retried step: the previous attempt's error first, then the prompt."""
    return f"{RETRY_PREFIX}{previous_error}\n\n{prompt}"


def step_prompt(template: str, outputs: Mapping[str, str], previous_error: str | None = None) -> str:
    """The content of a step's task: outputs substituted, prefixed by the previous error on a retry."""
    prompt = substitute_outputs(template, outputs)
    return prompt if previous_error is None else retry_prompt(prompt, previous_error)
