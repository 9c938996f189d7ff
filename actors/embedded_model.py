"""EmbeddedModel: owns the process's one embedded model engine (loaded lazily on first use).

Providers call the engine directly from the worker's green thread (so streamed tokens arrive there);
the actor gives it out and frees the model when the daemon stops or the actor is restarted.
"""

import logging
from pathlib import Path
from typing import Any

import pykka

from goclaw_actors.brain.embedded.engine import EmbeddedEngine

log = logging.getLogger("goclaw.embedded")


class EmbeddedModel(pykka.ThreadingActor):
    """One EmbeddedEngine per process, shared by every agent that runs on the embedded model."""

    def __init__(self, setting: str | None, home: Path):
        super().__init__()
        self.engine = EmbeddedEngine(setting, home)

    def get_engine(self) -> EmbeddedEngine:
        """The engine (not loaded until its first completion)."""
        return self.engine

    def describe(self) -> dict[str, Any]:
        """Model setting, file and whether it is in memory."""
        return {"setting": self.engine.setting, "loaded": self.engine.loaded,
                "model_path": str(self.engine.model_path or "")}

    def on_stop(self) -> None:
        self._close()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._close()

    def _close(self) -> None:
        try:
            self.engine.close()
        except Exception as exc:  # noqa: BLE001 - stopping anyway; the OS frees what is left
            log.warning("embedded model close failed", extra={"error": str(exc)})
