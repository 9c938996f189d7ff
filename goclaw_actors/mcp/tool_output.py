"""What an MCP `tools/call` result says to the model, as text (SPEC §8.4).

Text blocks are kept as they are, embedded text resources by their text, other blocks (images, audio,
binary resources, resource links) by a one-line description; with no block, the structured content is
given as JSON. A result flagged `isError` raises McpToolFailed with that text. Output past
MAX_OUTPUT_CHARS is cut and says so.
"""

import json
from typing import Any

import mcp_types as types

from goclaw_actors.tools.errors import ToolError

MAX_OUTPUT_CHARS = 65_536


class McpToolFailed(ToolError):
    """The server ran the tool and reported an error (`isError`); its text goes back to the model."""


def result_text(result: types.CallToolResult) -> str:
    """The model's view of a tool result; raises McpToolFailed when the server flagged an error."""
    parts = [block_text(block) for block in result.content or []]
    if not parts and result.structured_content is not None:
        parts = [json.dumps(result.structured_content, ensure_ascii=False)]
    text = "\n".join(part for part in parts if part)
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + f"\n[Output truncated at {MAX_OUTPUT_CHARS} characters]"
    if result.is_error:
        raise McpToolFailed(text or "the MCP tool reported an error")
    return text


def block_text(block: Any) -> str:
    """One content block as text."""
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, types.TextResourceContents):
            return resource.text
        return f"[resource {resource.uri} ({resource.mime_type or 'binary'})]"
    if isinstance(block, types.ResourceLink):
        return f"[resource link {block.uri}" + (f": {block.name}" if block.name else "") + "]"
    if isinstance(block, (types.ImageContent, types.AudioContent)):
        kind = "image" if isinstance(block, types.ImageContent) else "audio"
        return f"[{kind} {block.mime_type}, {len(block.data) * 3 // 4} bytes]"
    return f"[{getattr(block, 'type', type(block).__name__)} content]"
