"""Checks of `POST /v1/chat/completions` parameters at the edge (SPEC §9.4): every value that reaches a
provider is well-formed, so a bad request is a 400 naming the parameter, never a local failure of the
brain that would count against a provider.
"""

import re
from typing import Any

from goclaw_actors.brain.structured_output import check_response_format
from goclaw_actors.http.openai_errors import OpenAIError, invalid_param

# name: (minimum, maximum) of the sampling numbers a provider accepts
NUMBER_RANGES = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
INTEGER_RANGES = {"top_k": (0, 1_000_000), "max_tokens": (1, 2**31 - 1), "max_completion_tokens": (1, 2**31 - 1)}
MAX_STOP_SEQUENCES = 16
TOOL_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOOL_CHOICE_WORDS = ("none", "auto", "required")


def check_request(request: dict[str, Any]) -> None:
    """Raise OpenAIError (400, with `param`) for the first parameter a provider could not take."""
    n = request.get("n")
    if n is not None and (type(n) is not int or n != 1):
        raise OpenAIError(400, "Only n=1 is supported", "invalid_value", "n")
    for name in ("model", "user"):
        if request.get(name) is not None and not isinstance(request[name], str):
            raise invalid_param(name, f"{name} must be a string")
    for name in ("stream", "parallel_tool_calls"):
        if request.get(name) is not None and not isinstance(request[name], bool):
            raise invalid_param(name, f"{name} must be a boolean")
    if request.get("stream_options") is not None and not isinstance(request["stream_options"], dict):
        raise invalid_param("stream_options", "stream_options must be an object")
    for name, (low, high) in NUMBER_RANGES.items():
        _check_number(request.get(name), name, low, high, integer=False)
    for name, (low, high) in INTEGER_RANGES.items():
        _check_number(request.get(name), name, low, high, integer=True)
    _check_stop(request.get("stop"))
    if request.get("response_format") is not None:
        try:
            check_response_format(request["response_format"])
        except ValueError as exc:
            raise invalid_param("response_format", f"response_format: {exc}") from None
    tools = request.get("tools")
    if tools is not None:
        check_tools(tools)
    if request.get("tool_choice") is not None:
        _check_tool_choice(request["tool_choice"])


def check_tools(tools: Any) -> None:
    """`tools`: a list of `{type: "function", function: {name, description?, parameters?}}`."""
    if not isinstance(tools, list):
        raise invalid_param("tools", "tools must be an array of function tools")
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise invalid_param(where, f"{where} must be a function tool")
        function = tool.get("function")
        if not isinstance(function, dict):
            raise invalid_param(f"{where}.function", f"{where}.function must be an object")
        _check_function_name(function.get("name"), f"{where}.function.name")
        if function.get("description") is not None and not isinstance(function["description"], str):
            raise invalid_param(f"{where}.function.description", f"{where}.function.description must be a string")
        if function.get("parameters") is not None and not isinstance(function["parameters"], dict):
            raise invalid_param(f"{where}.function.parameters", f"{where}.function.parameters must be an object")


def checked_tool_calls(calls: Any, where: str) -> list[dict[str, Any]]:
    """An assistant message's `tool_calls` as `[{id, type, function: {name, arguments}}]` (extra keys
    dropped); raises OpenAIError naming the first malformed one."""
    if not isinstance(calls, list):
        raise invalid_param(where, f"{where} must be an array")
    checked = []
    for index, call in enumerate(calls):
        at = f"{where}[{index}]"
        if not isinstance(call, dict):
            raise invalid_param(at, f"{at} must be an object")
        if not isinstance(call.get("id"), str) or not call["id"]:
            raise invalid_param(f"{at}.id", f"{at}.id must be a non-empty string")
        if call.get("type", "function") != "function":
            raise invalid_param(f"{at}.type", f"{at}.type must be \"function\"")
        function = call.get("function")
        if not isinstance(function, dict):
            raise invalid_param(f"{at}.function", f"{at}.function must be an object")
        _check_function_name(function.get("name"), f"{at}.function.name")
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            raise invalid_param(f"{at}.function.arguments", f"{at}.function.arguments must be a JSON string")
        checked.append({"id": call["id"], "type": "function",
                        "function": {"name": function["name"], "arguments": arguments}})
    return checked


def _check_number(value: Any, name: str, low: float, high: float, integer: bool) -> None:
    if value is None:
        return
    kind = "an integer" if integer else "a number"
    wrong_type = isinstance(value, bool) or not isinstance(value, int if integer else (int, float))
    if wrong_type or not low <= value <= high:  # NaN and infinities fail the comparison too
        raise invalid_param(name, f"{name} must be {kind} between {low:g} and {high:g}")


def _check_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    if (not isinstance(stop, list) or len(stop) > MAX_STOP_SEQUENCES
            or not all(isinstance(item, str) for item in stop)):
        raise invalid_param("stop", f"stop must be a string or an array of at most {MAX_STOP_SEQUENCES} strings")


def _check_function_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not TOOL_NAME_RE.match(name):
        raise invalid_param(where, f"{where} must be 1 to 64 letters, digits, underscores or dashes")


def _check_tool_choice(choice: Any) -> None:
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_WORDS:
            raise invalid_param("tool_choice", "tool_choice must be none, auto, required or a named function")
        return
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(function, dict) or choice.get("type", "function") != "function":
        raise invalid_param("tool_choice", "tool_choice must be none, auto, required or a named function")
    _check_function_name(function.get("name"), "tool_choice.function.name")
