"""Fixtures shared by every test package."""

import tests.hypothesis_profiles  # noqa: F401 - registers and loads the hypothesis profile

pytest_plugins = ["tests.unit.store_fixtures", "tests.pg_fixtures"]
