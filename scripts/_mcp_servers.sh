# Shared by scripts/test and scripts/bench_mcp: the real MCP server the MCP client is tested and measured
# against (@modelcontextprotocol/server-everything, pinned), installed with npm into .mcp-servers/ (gitignored).
# Usage: . scripts/_mcp_servers.sh   (from the repository root)
MCP_EVERYTHING_VERSION=2026.8.31
if [ "$(cat .mcp-servers/.installed 2>/dev/null)" != "$MCP_EVERYTHING_VERSION" ]; then
  npm install --silent --no-audit --no-fund --no-save --prefix .mcp-servers \
    "@modelcontextprotocol/server-everything@$MCP_EVERYTHING_VERSION" >&2
  echo "$MCP_EVERYTHING_VERSION" > .mcp-servers/.installed
fi
