"""Errors of the OpenAI-compatible API in OpenAI's format (SPEC §9.4)."""

from typing import Any

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
               429: "rate_limit_error"}
SERVER_ERROR = "server_error"  # every other status
OPENAI_PATH_PREFIX = "/v1/"  # paths whose errors use this format, also those bottle raises itself


class OpenAIError(Exception):
    """A request that ends with an OpenAI-format error: HTTP `status`, `message` and `code`."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self) -> dict[str, Any]:
        """The error document."""
        return error_body(self.status, self.message, self.code)


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """`{"error": {message, type, param: null, code}}`; the type follows from the status."""
    return {"error": {"message": message, "type": ERROR_TYPES.get(status, SERVER_ERROR), "param": None,
                      "code": code}}


def task_failed(error: str | None) -> OpenAIError:
    """500 `task_failed`: `Task failed: <error>`."""
    return OpenAIError(500, f"Task failed: {error or 'unknown error'}", "task_failed")


def router_error_body(status: int, message: str, method: str) -> dict[str, Any]:
    """An error the router raised itself (wrong method, unknown path) in OpenAI's format."""
    if status == 405:
        return error_body(405, f"Method {method} not allowed", "method_not_allowed")
    return error_body(status, message)
