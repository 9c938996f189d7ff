"""A skill's instructions, read when a turn uses the skill (SPEC §8.1): the SKILL.md body with the files it
references under `scripts/`, `references/` and `assets/` inlined (64 KB each, 256 KB in all).
"""

import re
from pathlib import Path

from goclaw_actors.skills.catalog import Skill, read_skill_doc
from goclaw_actors.skills.skill_md import SkillFormatError

INLINE_DIRS = ("scripts", "references", "assets")
MAX_INLINE_FILE = 64 * 1024
MAX_INLINE_TOTAL = 256 * 1024
_REFERENCE = re.compile(r"(?<![\w./-])((?:scripts|references|assets)/[\w][\w./-]*)")


class SkillUnavailable(Exception):
    """The skill cannot be injected (no instructions, unreadable, a script or WASM skill without a body)."""


def load_instructions(skill: Skill) -> str:
    """The instructions to inject; raises SkillUnavailable."""
    skill_md = skill.skill_md
    if skill_md is None:
        raise SkillUnavailable(f"skill {skill.name!r} has no SKILL.md instructions")
    try:
        doc = read_skill_doc(skill_md)
    except SkillFormatError as exc:
        raise SkillUnavailable(f"skill {skill.name!r}: {exc}") from None
    body = doc.instructions.strip()
    if not body:
        raise SkillUnavailable(f"skill {skill.name!r} has no instructions")
    return body + inlined_files(skill.path, body)


def inlined_files(directory: Path, body: str) -> str:
    """Fenced copies of the files `body` references under the inline directories, within the size caps."""
    parts, total = [], 0
    root = directory.resolve()
    for reference in dict.fromkeys(match.rstrip(".") for match in _REFERENCE.findall(body)):
        path = (directory / reference)
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if not resolved.is_file() or not resolved.is_relative_to(root / reference.split("/", 1)[0]):
            continue  # a reference that leaves the skill's own directories is never read
        data = resolved.read_bytes()[:MAX_INLINE_FILE + 1]
        note = ""
        if len(data) > MAX_INLINE_FILE:
            data, note = data[:MAX_INLINE_FILE], f"\n[{reference} truncated at {MAX_INLINE_FILE} bytes]"
        if total + len(data) > MAX_INLINE_TOTAL:
            parts.append(f"\n\n[{reference} not inlined: skill files exceed {MAX_INLINE_TOTAL} bytes in all]")
            continue
        total += len(data)
        text = data.decode("utf-8", errors="replace")
        parts.append(f"\n\n## {reference}\n\n```\n{text}{'' if text.endswith(chr(10)) else chr(10)}```{note}")
    return "".join(parts)
