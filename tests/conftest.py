"""Fixtures shared by every test package."""

pytest_plugins = ["tests.unit.store_fixtures", "tests.pg_fixtures"]
