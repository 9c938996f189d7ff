"""ACP: JSON-RPC 2.0 over WebSocket at /ws (SPEC §9.3) — the dashboard's and CLI's protocol."""
