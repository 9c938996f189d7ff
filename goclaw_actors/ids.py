"""Identifiers the daemon creates: time-ordered UUIDs (version 7, RFC 9562).

A task id that grows with time lands at the right edge of every index keyed by it, so a commit writes
a few index pages instead of one random page per task (SPEC §1: ids are lower-case UUID strings).
"""

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_RANDOM_BITS = (1 << 74) - 1  # rand_a (12 bits) and rand_b (62 bits)


def time_ordered_uuid() -> str:
    """A new UUIDv7 string: 48 bits of Unix milliseconds, then 74 random bits."""
    random_bits = int.from_bytes(os.urandom(10), "big") & _RANDOM_BITS
    value = (time.time_ns() // 1_000_000) << 80 | _VERSION_7 | (random_bits >> 62) << 64 | _VARIANT_RFC \
        | random_bits & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
