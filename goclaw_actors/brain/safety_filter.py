"""The input safety filter of the turn pipeline (SPEC §4.6): block prompt injection, flag suspicious input.

    blocked, warnings = scan(text)       # inspect without raising
    warnings = check_input(text)         # raises SafetyBlocked on a blocked pattern

A blocked input fails the attempt with
`input blocked by safety filter: prompt injection detected: <category>: <detail>`.
Suspicious but allowed content only yields warnings for the caller to log.

Each blocked pattern follows the spec's wording literally; a "…" there stands for one short
word sequence, never for a whole sentence, so everyday phrases such as "you are now ready"
or "show me the rules of chess" pass; "show/print … prompt" with an indefinite article
("display a prompt") is about prompts in general and passes too.
"""

import base64
import binascii
import re
from dataclasses import dataclass

BLOCKED_PREFIX = "input blocked by safety filter: prompt injection detected: "

ROLE_MANIPULATION = "role manipulation"
PROMPT_LEAKING = "prompt leaking"


@dataclass(frozen=True)
class Finding:
    """A blocked pattern that matched: its category, its detail and the matched text."""

    category: str
    detail: str
    matched: str

    @property
    def reason(self) -> str:
        """`<category>: <detail>`."""
        return f"{self.category}: {self.detail}"


class SafetyBlocked(ValueError):
    """Input rejected by the safety filter; `finding` says which pattern matched."""

    def __init__(self, finding: Finding):
        super().__init__(BLOCKED_PREFIX + finding.reason)
        self.finding = finding


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (category, detail, pattern) in the order they are tried; the first match blocks.
_BLOCKED: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (ROLE_MANIPULATION, "ignore previous instructions",
     _rx(r"\bignore\s+(?:all\s+)?(?:the\s+|your\s+|of\s+the\s+)?(?:previous|above|prior)\s+"
         r"(?:instructions?|prompts?|rules?)\b")),
    (ROLE_MANIPULATION, "identity override",
     _rx(r"\byou\s+are\s+now\s+(?:a|an|the)\s+\w")),
    (ROLE_MANIPULATION, "system prompt override",
     _rx(r"\bnew\s+instructions\b|\boverride\s+(?:the\s+|your\s+)?(?:system\s+)?prompt\b")),
    (ROLE_MANIPULATION, "memory wipe",
     _rx(r"\bforget\s+(?:everything|all|your)\b")),
    (PROMPT_LEAKING, "system prompt extraction",
     _rx(r"\b(?:reveal|show|display|print|output|repeat)\s+(?:(?!an?\s)\w+\s+)?(?:your\s+)?"
         r"(?:system\s+|initial\s+|original\s+|hidden\s+)?(?:prompts?|instructions|rules|guidelines)\b")),
    (PROMPT_LEAKING, "system prompt query",
     _rx(r"\bwhat(?:\s+are|\s+is|'s|\u2019s)\s+your\s+(?:\w+\s+){0,2}prompts?\b")),
)

_SYSTEM_MARKER = _rx(r"\[\s*system\s*\]")
_TEMPLATE_TAG = _rx(r"<\|\s*[a-z_]+\s*\|>|<\s*/?\s*(?:system|im_start|im_end)\s*>|\[/?INST\]|<</?SYS>>")
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
# "ignore", "Ignore" and "IGNORE" encoded at the start of a base64 group, found even inside a token
# that does not decode as a whole.
_BASE64_IGNORE = re.compile(r"aWdub3Jl|SWdub3Jl|SUdOT1JF")

WARN_SYSTEM_MARKER = "suspicious input: [SYSTEM] marker"
WARN_TEMPLATE_TAG = "suspicious input: chat template tag"
WARN_BASE64_IGNORE = 'suspicious input: base64-encoded "ignore"'


def scan(text: str) -> tuple[Finding | None, list[str]]:
    """The first blocked pattern in `text` (or None) and the warnings for suspicious content."""
    blocked = None
    for category, detail, pattern in _BLOCKED:
        match = pattern.search(text)
        if match:
            blocked = Finding(category, detail, match.group(0))
            break
    warnings = []
    if _SYSTEM_MARKER.search(text):
        warnings.append(WARN_SYSTEM_MARKER)
    if _TEMPLATE_TAG.search(text):
        warnings.append(WARN_TEMPLATE_TAG)
    if _has_base64_ignore(text):
        warnings.append(WARN_BASE64_IGNORE)
    return blocked, warnings


def check_input(text: str) -> list[str]:
    """Raise SafetyBlocked when `text` matches a blocked pattern; otherwise return the warnings to log."""
    blocked, warnings = scan(text)
    if blocked is not None:
        raise SafetyBlocked(blocked)
    return warnings


def _has_base64_ignore(text: str) -> bool:
    if _BASE64_IGNORE.search(text):
        return True
    for token in _BASE64_TOKEN.findall(text):
        decoded = _b64decode(token)
        if decoded is not None and b"ignore" in decoded.lower():
            return True
    return False


def _b64decode(token: str) -> bytes | None:
    body = token.rstrip("=")
    padded = body + "=" * (-len(body) % 4)
    altchars = b"-_" if ("-" in body or "_" in body) else None
    try:
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
