"""How a tool says no: an error for the model, or a policy denial that is audited with its reason."""


class ToolError(Exception):
    """The tool could not do what was asked; the text goes back to the model as the tool's error."""


class PolicyDenied(ToolError):
    """A policy check inside a tool refused the call (`url_denied`, `path_denied`); audited as a deny."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
