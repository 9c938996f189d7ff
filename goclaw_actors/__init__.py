"""Plain logic of goclaw: configuration, storage, queue rules, protocols. No actors here."""

from goclaw_actors.version import VERSION_LABEL, __version__

__all__ = ["VERSION_LABEL", "__version__"]
