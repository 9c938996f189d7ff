"""AgentActor: holds one agent's configuration and the processor its lanes run tasks through."""

from dataclasses import dataclass
from typing import Any

import pykka

from goclaw_actors.brain.prompt_profile import PromptProfile
from goclaw_actors.processor import Processor


@dataclass(frozen=True)
class GetProcessor:
    """Ask: the processor for the next attempt (lanes run it in their own greenlet)."""


class AgentActor(pykka.ThreadingActor):
    """The agent's brain holder; lanes ask it for the processor at the start of every attempt, so a
    reconfigured agent takes effect on the next task without restarting its lanes.
    """

    def __init__(self, agent_id: str, processor: Processor, settings: dict[str, Any] | None = None):
        super().__init__()
        self.agent_id = agent_id
        self.processor = processor
        self.settings = dict(settings or {})

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, GetProcessor):
            return self.processor
        return None

    def set_processor(self, processor: Processor) -> None:
        """Use `processor` from the next attempt on (attempts already running keep theirs)."""
        self.processor = processor

    def prompt_profile(self) -> PromptProfile:
        """The agent's prompt parts and context window as its current processor uses them."""
        return getattr(self.processor, "profile", None) or PromptProfile(self.agent_id, "")

    def describe(self) -> dict[str, Any]:
        """The agent's id, processor name and settings."""
        return {"agent_id": self.agent_id, "processor": getattr(self.processor, "name", "processor"),
                **self.settings}
