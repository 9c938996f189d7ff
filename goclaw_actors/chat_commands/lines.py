"""What a typed line is (SPEC §7.1, §12): a slash command, an @mention, or plain text.

    parse_line("/memory search go")   # Command("memory", ["search", "go"], "search go", "memory")
    parse_line("@@coder fix it")      # Mention("coder", "fix it")
    parse_line("hello @coder")        # Text("hello @coder")

Lines starting with `/` are commands, never mentions; `@id` and `@@id` mention agent `id` (a word of
letters, digits, `_`, `.` and `-` followed by whitespace or the end of the line).
"""

import re
from dataclasses import dataclass

from goclaw_actors.config.agent_entry import AGENT_ID_RE

MENTION_RE = re.compile(r"@{1,2}(" + AGENT_ID_RE.pattern + r")(?:\s+(.*))?", re.DOTALL)
ALIASES = {"agent": "agents"}  # `/agent …` is `/agents …`


@dataclass(frozen=True)
class Text:
    """A line for the conversation's agent, as typed (stripped)."""

    text: str


@dataclass(frozen=True)
class Mention:
    """`@agent text` (text "" for `@agent` alone, a switch)."""

    agent: str
    text: str = ""


@dataclass(frozen=True)
class Command:
    """A slash command: canonical name, the words after it, the text after the name as typed, the name as typed."""

    name: str
    args: tuple[str, ...]
    rest: str
    typed: str

    def rest_after(self, words: int) -> str:
        """The text after the first `words` arguments, as typed (e.g. a soul, a value with spaces)."""
        text = self.rest
        for _ in range(words):
            text = text.lstrip()
            text = text[len(text.split(None, 1)[0]):] if text else ""
        return text.strip()


Line = Text | Mention | Command


def parse_line(line: str) -> Line:
    """Classify one typed line (surrounding whitespace ignored)."""
    stripped = line.strip()
    if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
        parts = stripped[1:].split(None, 1)
        name, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        lowered = name.lower()
        return Command(ALIASES.get(lowered, lowered), tuple(rest.split()), rest.strip(), name)
    match = MENTION_RE.fullmatch(stripped)
    if match is not None:
        return Mention(match.group(1), (match.group(2) or "").strip())
    return Text(stripped)
