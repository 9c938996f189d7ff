"""Which instruction skills a message names (SPEC §4.6 step 4): a name of at least 3 characters appearing
as a whole word, longest name first, ties in lexical order."""

import re
from typing import Iterable

MIN_NAME_LENGTH = 3


def named_skills(text: str, names: Iterable[str]) -> list[str]:
    """The names (≥ 3 characters) that appear in `text` as whole words, case-insensitively, ordered longest
    first then lexically."""
    lowered = text.lower()
    found = []
    for name in set(names):
        if len(name) < MIN_NAME_LENGTH:
            continue
        pattern = r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)"
        if re.search(pattern, lowered):
            found.append(name)
    return sorted(found, key=lambda name: (-len(name), name))
