"""Parsing untrusted JSON at the gateway's edges (OpenAI, REST, A2A, ACP) into values the daemon can keep.

`json.loads` alone accepts text the rest of the daemon cannot handle: strings holding lone surrogates
(`"\\ud800"`, which no UTF-8 encoder accepts, so storing or answering them fails) and nesting deep enough
to exhaust the interpreter's recursion limit. `parse_json` refuses both, as it refuses invalid UTF-8
and malformed JSON, with one InvalidJson whose message is safe to show a client.
"""

import json
from typing import Any

MAX_DEPTH = 100  # nested arrays/objects; far beyond any request schema, far below the recursion limit
INT64_MAX = 2 ** 63 - 1  # the largest integer SQLite stores


class InvalidJson(ValueError):
    """The input is not JSON the gateway accepts; the message is plain and names no internal detail."""


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of `raw` (UTF-8 bytes or text); raises InvalidJson for invalid UTF-8, malformed JSON,
    nesting deeper than MAX_DEPTH, or a string (or key) with a lone surrogate."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson("request body is not valid UTF-8") from None
    try:
        value = json.loads(raw)
    except RecursionError:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # malformed, or an integer with more digits than Python converts
        raise InvalidJson("malformed JSON") from None
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Raise InvalidJson if `value` nests deeper than MAX_DEPTH or holds a string with a lone surrogate."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not is_scalar_text(item):
                raise InvalidJson("string holds a lone surrogate (not valid Unicode)")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)


def is_scalar_text(text: str) -> bool:
    """Whether `text` consists of Unicode scalar values only (no lone surrogate), i.e. encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bounded_int(value: Any, minimum: int = -INT64_MAX - 1, maximum: int = INT64_MAX) -> int | None:
    """`value` as an int when it is a whole number (not a bool) within [minimum, maximum], else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if minimum <= value <= maximum else None


def rpc_id(message: Any) -> Any:
    """The id to answer a JSON-RPC `message` with: its own when it is a string or a number (JSON-RPC 2.0
    §4), else null (an id that is an object, an array or a boolean is never echoed)."""
    value = message.get("id") if isinstance(message, dict) else None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return value if not isinstance(value, str) or is_scalar_text(value) else None
