"""Errors of the OpenAI-compatible API in OpenAI's format (SPEC §9.4)."""

import math
from typing import Any

from goclaw_actors.attempt_failure import (CONTEXT_LENGTH_EXCEEDED, INPUT_BLOCKED, PROVIDER_UNAVAILABLE,
                                           TASK_TIMEOUT, UPSTREAM_AUTHENTICATION, UPSTREAM_INVALID_REQUEST,
                                           UPSTREAM_RATE_LIMITED, AttemptFailure)
from goclaw_actors.brain.turn import BRAIN_ERROR_PREFIX
from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR
from goclaw_actors.store.task_row import TaskRow

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
               429: "rate_limit_error"}
SERVER_ERROR = "server_error"  # every other status
DEFAULT_RETRY_AFTER_SECONDS = 1  # when a rate-limited provider did not say how long to wait
OPENAI_PATH_PREFIX = "/v1/"  # paths whose errors use this format, also those bottle raises itself


class OpenAIError(Exception):
    """A request that ends with an OpenAI-format error: HTTP `status`, `message`, `code`, the `param` it
    concerns, and response headers (Retry-After)."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The error document."""
        return error_body(self.status, self.message, self.code, self.param)


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """`{"error": {message, type, param, code}}`; the type follows from the status."""
    return {"error": {"message": message, "type": ERROR_TYPES.get(status, SERVER_ERROR), "param": param,
                      "code": code}}


def invalid_param(param: str, message: str) -> OpenAIError:
    """400 for a request parameter the gateway refuses, naming it (`param` and the message)."""
    return OpenAIError(400, message, "invalid_value", param)


def model_not_found(model: str) -> OpenAIError:
    """404 `model_not_found`: no active agent answers to `model`."""
    return OpenAIError(404, f"The model '{model}' does not exist", "model_not_found")


def task_failed(error: str | None) -> OpenAIError:
    """500 `task_failed`: `Task failed: <error>`."""
    return OpenAIError(500, f"Task failed: {error or 'unknown error'}", "task_failed")


def ended_task_error(task: TaskRow, failure: AttemptFailure) -> OpenAIError:
    """The error of a task that ended without a reply, by the kind of its last attempt's failure (SPEC §9.4)."""
    error = task.error or "unknown error"
    kind = TASK_TIMEOUT if error == TIMEOUT_ERROR else failure.kind
    if task.status == "CANCELED":
        return OpenAIError(409, f"Task canceled: {error}", "task_canceled")
    if kind == INPUT_BLOCKED:
        return OpenAIError(400, f"Task failed: {error}", INPUT_BLOCKED)
    if kind in (CONTEXT_LENGTH_EXCEEDED, UPSTREAM_INVALID_REQUEST):
        return OpenAIError(400, error.removeprefix(BRAIN_ERROR_PREFIX), kind)
    if kind in (UPSTREAM_RATE_LIMITED, PROVIDER_UNAVAILABLE):
        seconds = failure.retry_after if failure.retry_after is not None else DEFAULT_RETRY_AFTER_SECONDS
        status = 429 if kind == UPSTREAM_RATE_LIMITED else 503
        return OpenAIError(status, error.removeprefix(BRAIN_ERROR_PREFIX), kind,
                           headers={"Retry-After": str(max(1, math.ceil(seconds)))})
    if kind == UPSTREAM_AUTHENTICATION:
        return OpenAIError(502, error.removeprefix(BRAIN_ERROR_PREFIX), kind)
    if kind == TASK_TIMEOUT:
        return OpenAIError(504, f"Task failed: {error}", TASK_TIMEOUT)
    return task_failed(task.error)


def router_error_body(status: int, message: str, method: str) -> dict[str, Any]:
    """An error the router raised itself (wrong method, unknown path) in OpenAI's format."""
    if status == 405:
        return error_body(405, f"Method {method} not allowed", "method_not_allowed")
    return error_body(status, message)
