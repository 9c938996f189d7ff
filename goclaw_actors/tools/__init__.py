"""Built-in tools agents call (SPEC §5.1): one module per tool or family, plus the guards they share."""
