"""Token buckets keyed by caller, with idle buckets evicted (the gateway's rate limit, SPEC §9.2)."""

import time
from dataclasses import dataclass
from typing import Callable

SWEEP_INTERVAL_SECONDS = 60.0  # how often idle buckets are looked for


@dataclass
class TokenBucket:
    """Holds up to `capacity` tokens, refilled at `rate` tokens per second; a request takes one."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last update."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, now: float) -> bool:
        """Take one token if there is one."""
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def full_at(self) -> float:
        """When this bucket will be full again (from then on it is the same as a fresh one)."""
        return self.updated + (self.capacity - self.tokens) / self.rate


class BucketTable:
    """One bucket per caller id; a bucket that has refilled completely is dropped on the next sweep.

        table = BucketTable()
        table.take("ip:127.0.0.1", per_minute=60, burst=10)  # True while tokens remain
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sweep_interval: float = SWEEP_INTERVAL_SECONDS):
        self.clock = clock
        self.sweep_interval = sweep_interval
        self.buckets: dict[str, TokenBucket] = {}
        self.next_sweep = clock() + sweep_interval

    def take(self, caller: str, per_minute: int, burst: int) -> bool:
        """Whether `caller` may make a request now (taking a token if so)."""
        now = self.clock()
        return self._bucket(caller, per_minute, burst, now).take(now)

    def has_token(self, caller: str, per_minute: int, burst: int) -> bool:
        """Whether `caller`'s bucket holds a token now (none is taken)."""
        now = self.clock()
        if caller not in self.buckets:
            return burst >= 1
        bucket = self._bucket(caller, per_minute, burst, now)
        bucket.refill(now)
        return bucket.tokens >= 1.0

    def _bucket(self, caller: str, per_minute: int, burst: int, now: float) -> TokenBucket:
        """`caller`'s bucket (a full one if it has none), following reloaded settings."""
        if now >= self.next_sweep:
            self.sweep(now)
        rate = per_minute / 60.0
        bucket = self.buckets.get(caller)
        if bucket is None:
            bucket = self.buckets[caller] = TokenBucket(float(burst), rate, float(burst), now)
        elif bucket.rate != rate or bucket.capacity != burst:  # settings were reloaded
            bucket.refill(now)
            bucket.rate, bucket.capacity = rate, float(burst)
            bucket.tokens = min(bucket.tokens, bucket.capacity)
        return bucket

    def sweep(self, now: float) -> int:
        """Drop the buckets that are full again; returns how many were dropped."""
        idle = [caller for caller, bucket in self.buckets.items() if bucket.full_at() <= now]
        for caller in idle:
            del self.buckets[caller]
        self.next_sweep = now + self.sweep_interval
        return len(idle)
