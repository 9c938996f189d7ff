"""Hypothesis profiles of the suite: `ci` (the default: bounded, reproducible, fast) and `thorough` (many more
examples, random seeds; `HYPOTHESIS_PROFILE=thorough ./scripts/test tests/gateway -k fuzz --timeout 0`).

Tests size their runs with `examples(n)`: n examples under `ci`, proportionally more under `thorough`.
"""

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 100
_COMMON = {"deadline": None, "print_blob": True, "suppress_health_check": list(HealthCheck)}

settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", max_examples=20 * CI_EXAMPLES, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> settings:
    """Settings running `n` examples under the `ci` profile, scaled by the loaded profile's size."""
    return settings(max_examples=max(1, n * settings.default.max_examples // CI_EXAMPLES))
