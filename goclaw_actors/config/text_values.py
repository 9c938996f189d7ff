"""Rules for the text the daemon persists (config.yaml, policy.yaml, `agents` rows, schedules): Unicode scalar
values only (a lone surrogate cannot be written as UTF-8 and bricks the next start), no control characters,
a bounded length, and the characters each kind of name may hold.

Each check returns the accepted text or raises ConfigError naming the field.
"""

import re
import unicodedata
from typing import Any, Iterator

from goclaw_actors.errors import ConfigError

MAX_NAME = 128           # display names, schedule names, skill names
MAX_MODEL_NAME = 200
MAX_PROMPT = 65_536      # an agent's soul
MAX_SECRET = 4096        # an API key
MULTILINE = "\t\n\r"

MODEL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+=-]*")
ENV_VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
SECRET_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SECRET_VALUE_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: it travels in HTTP headers
SURROGATE_RE = re.compile("[\ud800-\udfff]")


def scalar_problem(text: str, multiline: bool = False) -> str:
    """Why `text` may not be persisted ("" when it may): a lone surrogate or a control character."""
    if SURROGATE_RE.search(text):
        return "must not contain lone surrogates (not valid Unicode text)"
    for char in text:
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE):
            return "must not contain control characters"
    return ""


def check_text(value: Any, key: str, max_length: int = MAX_NAME, multiline: bool = False) -> str:
    """`value` as persistable text: a string of at most `max_length` characters without lone surrogates or
    control characters (tabs and line breaks allowed when `multiline`)."""
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string")
    if len(value) > max_length:
        raise ConfigError(f"{key} must be at most {max_length} characters")
    problem = scalar_problem(value, multiline)
    if problem:
        raise ConfigError(f"{key} {problem}")
    return value


def _matching(value: Any, key: str, pattern: re.Pattern, max_length: int, what: str) -> str:
    text = check_text(value, key, max_length).strip()
    if not pattern.fullmatch(text):
        raise ConfigError(f"{key} must be {what}")
    return text


def check_model_name(value: Any, key: str = "model") -> str:
    """A model name such as `gemini-2.5-flash`, `qwen3:8b` or `anthropic/claude-sonnet-4-5`."""
    return _matching(value, key, MODEL_NAME_RE, MAX_MODEL_NAME,
                     "a model name (letters, digits and . _ : / @ + = -)")


def check_env_var_name(value: Any, key: str = "api_key_env") -> str:
    """The name of an environment variable, such as `CODER_API_KEY`."""
    return _matching(value, key, ENV_VAR_RE, 128, "the name of an environment variable (letters, digits, _)")


def check_secret_name(value: Any, key: str = "key") -> str:
    """The name of a secret under `api_keys`, such as `brave_api_key`."""
    return _matching(value, key, SECRET_NAME_RE, 64, "a key name (letters, digits, _ and -)")


def check_secret_value(value: Any, key: str = "value") -> str:
    """An API key: printable ASCII without spaces, at most 4096 characters."""
    return _matching(value, key, SECRET_VALUE_RE, MAX_SECRET, "printable ASCII without spaces")


def unencodable_path(data: Any, root: str = "") -> str | None:
    """The dotted path (e.g. `llm.gemini_model`, `agents[2].soul`) of the first key or string in `data` that
    is not valid Unicode text, or None. Walks iteratively, each container once (YAML aliases share them)."""
    for path, text in _strings(data, root):
        if SURROGATE_RE.search(text):
            return path or "(top level)"
    return None


def field_label(key: Any) -> str:
    """`key` as it may appear in an error message: as it is when plain, else escaped (never a raw surrogate
    or control character, which would break the log line)."""
    text = str(key)
    return text if text.isprintable() and not SURROGATE_RE.search(text) and len(text) <= MAX_NAME else ascii(text)


def _strings(data: Any, root: str) -> Iterator[tuple[str, str]]:
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [(root, data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, (dict, list, tuple, set, frozenset)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                for key, value in node.items():
                    label = field_label(key)
                    here = f"{path}.{label}" if path else label
                    if isinstance(key, str):
                        yield here, key
                    stack.append((here, value))
            else:
                stack.extend((f"{path}[{index}]", value) for index, value in enumerate(node))
