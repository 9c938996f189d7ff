"""Operator logic behind the CLI: daemon probing, backup and restore, doctor checks, .env import, chat."""
