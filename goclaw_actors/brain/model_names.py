"""One spelling for a model name, whoever serves it (used for price and context-window lookups)."""

import re

_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")


def normalise_model(model: str) -> str:
    """Lower case, without a `models/` or `vendor/` prefix and without a release-date or `-latest` suffix:
    `anthropic/claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`."""
    name = model.strip().lower()
    if name.startswith("models/"):
        name = name[len("models/"):]
    name = name.rsplit("/", 1)[-1]
    return _DATE_SUFFIX.sub("", name)
