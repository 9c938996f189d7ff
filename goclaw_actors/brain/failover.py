"""Failover over an ordered provider chain with per-provider circuit breakers (SPEC §4.5)."""

from dataclasses import replace
from typing import Sequence

from goclaw_actors import telemetry
from goclaw_actors.brain.circuit_breaker import CircuitBreaker, CircuitBreakers
from goclaw_actors.brain.providers.base import (CONTEXT_OVERFLOW, UNKNOWN, ChatRequest, ChatResponse, OnToken,
                                                Provider, ProviderError)
from goclaw_actors.logs.system_log import get_logger

log = get_logger("brain")


class FailoverProvider:
    """A Provider that tries the agent's provider, then its fallbacks, in order. Every error class but
    CONTEXT_OVERFLOW moves on (that one is raised at once); providers whose breaker is open are skipped;
    a stream moves on only while nothing has been emitted. Name, model and capabilities are the primary's.

        chain = FailoverProvider([primary, *fallbacks], CircuitBreakers(kv_get, kv_set))
        reply = chain.chat(request, on_token)   # reply.provider says who answered
    """

    def __init__(self, providers: Sequence[Provider], breakers: CircuitBreakers):
        if not providers:
            raise ValueError("a failover chain needs at least one provider")
        self.providers = list(providers)
        self.breakers = breakers

    @property
    def name(self) -> str:
        """The primary provider's name."""
        return self.providers[0].name

    @property
    def model(self) -> str:
        """The primary provider's model."""
        return self.providers[0].model

    @property
    def supports_tools(self) -> bool:
        """Whether the primary provider takes native tools."""
        return self.providers[0].supports_tools

    @property
    def native_structured_output(self) -> bool:
        """Whether the primary provider enforces `response_format` itself."""
        return self.providers[0].native_structured_output

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """The first successful answer along the chain. When all fail: the one error if a single provider
        was tried, else a ProviderError listing every failure, classified like the last one; when every
        breaker was open, a ProviderError with `circuit_open` and the seconds until the first trial.

        Only transient failures (timeouts, connection errors, 5xx, 429) count toward a breaker: a provider
        that answered a bad request is healthy, and a failure on our side says nothing about it.
        """
        failures: list[str] = []
        last: ProviderError | None = None
        waits: list[float] = []
        for index, provider in enumerate(self.providers):
            breaker = self.breakers.get(provider.name)
            if not breaker.allow():
                failures.append(f"{provider.name}: circuit open")
                waits.append(breaker.seconds_until_trial())
                continue
            emitted = False

            def relay(token: str) -> None:
                nonlocal emitted
                emitted = True
                on_token(token)

            model = request.model if index == 0 and request.model else provider.model
            try:
                response = telemetry.llm_call(provider, replace(request, model=model), relay if on_token else None)
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # a provider bug fails over like any UNKNOWN error, and is logged
                error = ProviderError(f"{provider.name}: {type(exc).__name__}: {exc}", UNKNOWN,
                                      provider=provider.name, transient=False)
            else:
                breaker.record_success()
                response.provider = response.provider or provider.name
                return response
            _report(breaker, error)
            if error.error_class == CONTEXT_OVERFLOW:
                raise error  # the provider is healthy; the request is too big for it
            log.warn("provider call failed", provider=provider.name, error_class=error.error_class,
                     error=str(error), streamed=emitted, transient=error.transient)
            if emitted:
                raise error
            failures.append(str(error))
            last = error
        if last is None:
            raise ProviderError("all providers failed: " + "; ".join(failures), UNKNOWN, provider=self.name,
                                retry_after=min(waits) if waits else None, transient=False, circuit_open=True)
        if len(failures) == 1:
            raise last
        raise ProviderError("all providers failed: " + "; ".join(failures), last.error_class, status=last.status,
                            provider=self.name, retry_after=last.retry_after, transient=last.transient)


def _report(breaker: CircuitBreaker, error: ProviderError) -> None:
    """Tell the breaker what a failed call says about its provider."""
    if error.transient:
        breaker.record_failure()
    elif error.status is not None or error.error_class == CONTEXT_OVERFLOW:
        breaker.record_success()  # the provider answered: it is up, the request was refused
    else:
        breaker.release()
