"""Per-provider circuit breakers (SPEC §4.5): open after N consecutive failures, one half-open trial after
the cooldown, closed again by a success. State is persisted under `cb:<provider>` through two callables."""

import json
import time
from typing import Any, Callable

from goclaw_actors.config.model import Config
from goclaw_actors.logs.system_log import get_logger

DEFAULT_THRESHOLD = 5
DEFAULT_COOLDOWN_SECONDS = 300.0
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

Load = Callable[[str], str | None]
Save = Callable[[str, str], None]

log = get_logger("brain")


def breaker_key(provider: str) -> str:
    """The kv_store key of a provider's breaker."""
    return f"cb:{provider}"


class CircuitBreaker:
    """One provider's breaker. Ask `allow()` before a call, then report `record_success()` or
    `record_failure()`. A half-open trial that never reports back is replaced after another cooldown.

        breaker = CircuitBreaker("openai", kv.get, kv.set, threshold=5, cooldown=300)
        if breaker.allow():
            ...  # call, then breaker.record_success() / breaker.record_failure()
    """

    def __init__(self, provider: str, load: Load, save: Save, threshold: int = DEFAULT_THRESHOLD,
                 cooldown: float = DEFAULT_COOLDOWN_SECONDS, clock: Callable[[], float] = time.time):
        self.provider = provider
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self._save = save
        self._clock = clock
        self.state, self.failures, self.opened_at, self.trial_started_at = CLOSED, 0, 0.0, 0.0
        self._restore(load(breaker_key(provider)))

    def allow(self) -> bool:
        """Whether a call may go to the provider now (True moves an expired open breaker to half-open)."""
        if self.state == CLOSED:
            return True
        now = self._clock()
        started = self.opened_at if self.state == OPEN else self.trial_started_at
        if now - started < self.cooldown:
            return False
        self.state, self.trial_started_at = HALF_OPEN, now
        self._persist()
        return True

    def seconds_until_trial(self) -> float:
        """How long until `allow()` lets a call through again (0 when it would now)."""
        if self.state == CLOSED:
            return 0.0
        started = self.opened_at if self.state == OPEN else self.trial_started_at
        return max(0.0, self.cooldown - (self._clock() - started))

    def release(self) -> None:
        """The call ended without a verdict on the provider (it failed on our side before any answer):
        a half-open breaker lets the next trial through at once instead of waiting for this one."""
        if self.state == HALF_OPEN:
            self.trial_started_at = 0.0
            self._persist()

    def record_success(self) -> None:
        """The provider answered: close the breaker."""
        if self.state != CLOSED or self.failures:
            self.state, self.failures = CLOSED, 0
            self._persist()

    def record_failure(self) -> None:
        """The provider failed: count it, and open the breaker at the threshold or after a failed trial."""
        self.failures += 1
        if self.state == HALF_OPEN or self.failures >= self.threshold:
            if self.state != OPEN:
                log.warn("circuit breaker opened", provider=self.provider, failures=self.failures,
                         cooldown_seconds=self.cooldown)
            self.state, self.opened_at = OPEN, self._clock()
        self._persist()

    def snapshot(self) -> dict[str, Any]:
        """The persisted form of the state."""
        return {"state": self.state, "failures": self.failures, "opened_at": self.opened_at,
                "trial_started_at": self.trial_started_at}

    def _persist(self) -> None:
        self._save(breaker_key(self.provider), json.dumps(self.snapshot()))

    def _restore(self, text: str | None) -> None:
        if not text:
            return
        try:
            data = json.loads(text)
            state = data["state"]
            if state not in (CLOSED, OPEN, HALF_OPEN):
                raise ValueError(f"unknown state {state!r}")
            self.state, self.failures = state, int(data.get("failures") or 0)
            self.opened_at = float(data.get("opened_at") or 0.0)
            self.trial_started_at = float(data.get("trial_started_at") or 0.0)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warn("stored circuit breaker state unreadable; starting closed", provider=self.provider,
                     error=str(exc))
            self.state, self.failures, self.opened_at, self.trial_started_at = CLOSED, 0, 0.0, 0.0


class CircuitBreakers:
    """The breakers of all providers, created on first use with shared settings and persistence.

        breakers = CircuitBreakers.from_config(config, kv_get, kv_set)
        breakers.get("anthropic").allow()
    """

    def __init__(self, load: Load, save: Save, threshold: int = DEFAULT_THRESHOLD,
                 cooldown: float = DEFAULT_COOLDOWN_SECONDS, clock: Callable[[], float] = time.time):
        self.load, self.save, self.threshold, self.cooldown, self.clock = load, save, threshold, cooldown, clock
        self._breakers: dict[str, CircuitBreaker] = {}

    @classmethod
    def from_config(cls, config: Config, load: Load, save: Save,
                    clock: Callable[[], float] = time.time) -> "CircuitBreakers":
        """Breakers with `llm.failover_threshold` and `llm.failover_cooldown_seconds` (defaults 5, 300)."""
        return cls(load, save, int(_number(config.get("llm.failover_threshold"), DEFAULT_THRESHOLD)),
                   _number(config.get("llm.failover_cooldown_seconds"), DEFAULT_COOLDOWN_SECONDS), clock)

    def get(self, provider: str) -> CircuitBreaker:
        """The breaker of `provider` (its stored state loaded the first time)."""
        if provider not in self._breakers:
            self._breakers[provider] = CircuitBreaker(provider, self.load, self.save, self.threshold,
                                                      self.cooldown, self.clock)
        return self._breakers[provider]


def _number(value: Any, default: float) -> float:
    """A positive number from config, else `default`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
