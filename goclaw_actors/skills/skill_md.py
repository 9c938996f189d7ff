"""SKILL.md in its three forms (SPEC §8.1): YAML front matter with a Markdown body, a plain YAML document,
or legacy `name:`/`description:` lines with the first fenced block as the script.

    doc = parse_skill_md(text)        # SkillDoc(name="pdf", instructions="…", …); raises SkillFormatError
"""

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from goclaw_actors.config.loader import parse_config_text
from goclaw_actors.errors import ConfigError

MAX_SKILL_MD_BYTES = 1024 * 1024

_NAME_LINE = re.compile(r"^name:\s*(.+?)\s*$", re.MULTILINE)
_DESCRIPTION_LINE = re.compile(r"^description:\s*(.+?)\s*$", re.MULTILINE)
_FENCED = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)```", re.DOTALL)


class SkillFormatError(ValueError):
    """A SKILL.md that cannot be read as a skill (the message says why)."""


@dataclass(frozen=True)
class SkillDoc:
    """What a SKILL.md says. `form` is `frontmatter`, `yaml` or `legacy`; `script` makes it a script skill."""

    name: str
    description: str = ""
    instructions: str = ""
    script: str = ""
    form: str = "frontmatter"
    license: str = ""
    compatibility: str = ""
    allowed_tools: str = ""
    bins: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_script(self) -> bool:
        """A script (legacy) skill rather than an instruction skill."""
        return bool(self.script.strip())


def parse_skill_md(text: str) -> SkillDoc:
    """The skill a SKILL.md describes; raises SkillFormatError (unclosed front matter, bad YAML, no name)."""
    front, body = split_front_matter(text)
    if front is not None:
        return _from_mapping(_yaml_mapping(front, "front matter"), body.strip(), "frontmatter")
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        data = None
    if isinstance(data, dict) and str(data.get("name") or "").strip():
        return _from_mapping(data, "", "yaml")
    return _legacy(text)


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter, body) when the first line is `---`; (None, text) otherwise. Raises SkillFormatError
    when the opening `---` has no closing `---` line."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    raise SkillFormatError("unclosed front matter: opening --- has no closing ---")


def has_front_matter(text: str) -> bool:
    """Whether `text` opens with a closed YAML front matter block (the canonical form installs require)."""
    try:
        front, _ = split_front_matter(text)
    except SkillFormatError:
        return False
    return front is not None


def _yaml_mapping(text: str, what: str) -> dict[str, Any]:
    try:
        return parse_config_text(text, what)
    except ConfigError as exc:
        raise SkillFormatError(" ".join(str(exc).split())) from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise SkillFormatError(f"{key} must be text")
    return str(value).strip()


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, (str, int, float)) for item in value):
        raise SkillFormatError(f"{key} must be a list of names")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _from_mapping(data: dict[str, Any], body: str, form: str) -> SkillDoc:
    name = _text(data, "name")
    if not name:
        raise SkillFormatError("missing skill name")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise SkillFormatError("metadata must be a mapping")
    return SkillDoc(name=name, description=_text(data, "description"), instructions=body,
                    script=_text(data, "script"), form=form, license=_text(data, "license"),
                    compatibility=_text(data, "compatibility"), allowed_tools=_text(data, "allowed-tools"),
                    bins=_strings(data.get("bins"), "bins"), metadata=metadata)


def _legacy(text: str) -> SkillDoc:
    name = _NAME_LINE.search(text)
    if name is None:
        raise SkillFormatError("missing skill name")
    script = _FENCED.search(text)
    if script is None:
        raise SkillFormatError("missing script section (a fenced ``` block)")
    description = _DESCRIPTION_LINE.search(text)
    return SkillDoc(name=name.group(1).strip(), description=description.group(1).strip() if description else "",
                    script=script.group(1).strip(), form="legacy")
