"""Agent teams (SPEC §12 `/agents team <roles…>`): role agents a lead fans work out to, as plain logic."""
