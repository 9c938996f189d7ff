"""The MCP client: server entries, tool names, the asyncio greenlet and the SDK session (SPEC §8.4)."""
