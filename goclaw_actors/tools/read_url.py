"""`read_url{url}` (SPEC §5.1): fetch a page through the URL guard and return its readable text."""

from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.html_text import html_to_text, looks_like_html
from goclaw_actors.tools.pinned_http import fetch
from goclaw_actors.tools.tool_env import ToolEnv

MAX_CHARS = 8000
TRUNCATED_SUFFIX = f"\n\n[Content truncated at {MAX_CHARS} characters]"
SCHEMA = {"type": "object", "properties": {"url": {"type": "string", "description": "http or https URL"}},
          "required": ["url"], "additionalProperties": False}


def read_url(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The page at `url` as text (HTML converted), cut at 8000 characters; status ≥ 400 is an error."""
    fetched = fetch(arguments["url"], env.guard())
    if fetched.status >= 400:
        raise ToolError(f"HTTP {fetched.status} from {fetched.url}")
    text = fetched.text()
    if looks_like_html(fetched.headers.get("Content-Type", ""), text):
        text = html_to_text(text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + TRUNCATED_SUFFIX
    return text
