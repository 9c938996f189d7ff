"""Agents working with each other (SPEC §7.2, §7.3, §12): delegation, messages and teams, as plain logic."""
