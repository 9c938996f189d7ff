"""Persistence: schema and migrations, the queue backend interface and its SQLite implementation."""
