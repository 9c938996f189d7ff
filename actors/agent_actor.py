"""AgentActor: holds one agent's configuration and the processor its lanes run tasks through."""

from dataclasses import dataclass
from typing import Any

import pykka

from actors.address import Address
from goclaw_actors.brain.prompt_profile import PromptProfile
from goclaw_actors.processor import Processor


@dataclass(frozen=True)
class GetProcessor:
    """Ask: the processor in force (a lane asks once when it starts; lanes run it in their own greenlet)."""


@dataclass(frozen=True)
class UseProcessor:
    """Told to the agent's lanes when its processor changes: run the next attempts with `processor`."""

    processor: Processor


class AgentActor(pykka.ThreadingActor):
    """The agent's brain holder; it tells its lanes each new processor, so a reconfigured agent takes effect
    on the next task without restarting its lanes (a lane that starts asks for the one in force).
    """

    def __init__(self, agent_id: str, processor: Processor, settings: dict[str, Any] | None = None,
                 lanes: list[Address] | None = None):
        super().__init__()
        self.agent_id = agent_id
        self.processor = processor
        self.settings = dict(settings or {})
        self.lanes = list(lanes or [])

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, GetProcessor):
            return self.processor
        return None

    def set_processor(self, processor: Processor) -> None:
        """Use `processor` from the next attempt on (attempts already running keep theirs)."""
        self.processor = processor
        for lane in self.lanes:
            lane.tell(UseProcessor(processor))  # a lane that is down asks for it when it starts

    def prompt_profile(self) -> PromptProfile:
        """The agent's prompt parts and context window as its current processor uses them."""
        return getattr(self.processor, "profile", None) or PromptProfile(self.agent_id, "")

    def describe(self) -> dict[str, Any]:
        """The agent's id, processor name and settings."""
        return {"agent_id": self.agent_id, "processor": getattr(self.processor, "name", "processor"),
                **self.settings}
