"""HTTP shared by the network providers: JSON POSTs with timeouts, one Retry-After wait on 429, SSE and
NDJSON streams, and every failure turned into a classified, redacted ProviderError (SPEC §4.2, §4.5)."""

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator

import requests
import sseclient

from goclaw_actors.brain.error_classes import classify_error
from goclaw_actors.brain.providers.base import TIMEOUT, UNKNOWN, ProviderError
from goclaw_actors.redaction import REDACTED, redact_text

# Longest Retry-After we wait out in-line; longer waits fail at once so failover can move on.
MAX_RETRY_AFTER_SECONDS = 30.0
# Shorter "secrets" are not scrubbed from messages: they would mangle ordinary words (real keys are long).
MIN_SECRET_LENGTH = 8
# How much of an error body ends up in the message.
MAX_ERROR_TEXT = 500


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds (read: longest silence between bytes, also mid-stream)."""

    connect: float = 10.0
    read: float = 120.0


class HttpTransport:
    """JSON over HTTP for one provider. Raises ProviderError for every failure; `secrets` are scrubbed
    from error messages together with the patterns of `redact_text`.

        transport = HttpTransport("openai", Timeouts(read=60), secrets=[api_key])
        response = transport.post(url, {"Authorization": ...}, body)
        data = transport.json_body(response)
    """

    def __init__(self, provider: str, timeouts: Timeouts = Timeouts(), secrets: tuple[str, ...] | list[str] = (),
                 sleep: Callable[[float], None] | None = None, session: requests.Session | None = None):
        self.provider = provider
        self.timeouts = timeouts
        self.secrets = tuple(secret for secret in secrets if len(secret or "") >= MIN_SECRET_LENGTH)
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up late: gevent patches time
        self.session = session or requests.Session()

    def post(self, url: str, headers: dict[str, str], body: dict[str, Any], stream: bool = False,
             timeouts: Timeouts | None = None) -> requests.Response:
        """POST `body` as JSON; the response when its status is 2xx (waiting out one Retry-After on 429)."""
        waited = False
        while True:
            response = self._send(url, headers, body, stream, timeouts or self.timeouts)
            if response.status_code < 300:
                return response
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            if (response.status_code == 429 and not waited and retry_after is not None
                    and retry_after <= MAX_RETRY_AFTER_SECONDS):
                response.close()
                self.sleep(retry_after)
                waited = True
                continue
            raise self.status_error(response, retry_after)

    def json_body(self, response: requests.Response) -> dict[str, Any]:
        """The response body as a JSON object; ProviderError UNKNOWN when it is not one."""
        try:
            text = response.text
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc
        return self._parse_object(text, "response body")

    def sse_events(self, response: requests.Response) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(event name, parsed data) per server-sent event; data None for `[DONE]`. Closes the response."""
        client = sseclient.SSEClient(self._chunks(response))
        try:
            for event in client.events():
                if event.data.strip() == "[DONE]":
                    yield event.event, None
                    continue
                yield event.event, self._parse_object(event.data, "stream event")
        finally:
            response.close()

    def ndjson_lines(self, response: requests.Response) -> Iterator[dict[str, Any]]:
        """Each non-empty line of an NDJSON body as a JSON object. Closes the response."""
        buffer = b""
        try:
            for chunk in self._chunks(response):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield self._parse_object(line.decode("utf-8", "replace"), "stream line")
            if buffer.strip():
                yield self._parse_object(buffer.decode("utf-8", "replace"), "stream line")
        finally:
            response.close()

    def error(self, message: str, status: int | None = None, error_class: str | None = None,
              retry_after: float | None = None, transient: bool | None = None) -> ProviderError:
        """A redacted ProviderError for this provider, classified from message and status unless given."""
        text = self.redact(f"{self.provider}: {message}")
        return ProviderError(text, error_class or classify_error(message, status), status=status,
                             provider=self.provider, retry_after=retry_after, transient=transient)

    def malformed(self, message: str) -> ProviderError:
        """A ProviderError UNKNOWN for a reply the provider should never send."""
        return self.error(f"malformed response: {message}", error_class=UNKNOWN)

    def status_error(self, response: requests.Response, retry_after: float | None = None) -> ProviderError:
        """The ProviderError for a non-2xx response, with the provider's own error message."""
        try:
            body = response.text
        except requests.RequestException:
            body = ""
        finally:
            response.close()
        detail = error_detail(body) or response.reason or "no details"
        return self.error(f"HTTP {response.status_code}: {detail}", response.status_code, retry_after=retry_after)

    def transport_error(self, exc: requests.RequestException) -> ProviderError:
        """The ProviderError for a request that got no (complete) response. Timeouts and connection
        errors are the provider's trouble (transient); a request that could not even be built is not."""
        text = str(exc)
        if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
            return self.error(f"request timed out (connect {self.timeouts.connect:g}s, read "
                              f"{self.timeouts.read:g}s): {text}", error_class=TIMEOUT)
        connection = isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError))
        return self.error(f"request failed: {type(exc).__name__}: {text}", error_class=UNKNOWN, transient=connection)

    def redact(self, text: str) -> str:
        """`text` without this provider's secrets or anything matching the redaction patterns."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return redact_text(text)

    def _send(self, url: str, headers: dict[str, str], body: dict[str, Any], stream: bool,
              timeouts: Timeouts) -> requests.Response:
        try:
            return self.session.post(url, headers=headers, json=body, stream=stream,
                                     timeout=(timeouts.connect, timeouts.read))
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        """The body as it arrives (chunk per chunk for chunked transfer), transport errors converted."""
        try:
            yield from response.iter_content(chunk_size=None)
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc

    def _parse_object(self, text: str, what: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except ValueError:
            raise self.malformed(f"{what} is not JSON: {_snippet(text)!r}") from None
        if not isinstance(data, dict):
            raise self.malformed(f"{what} is not a JSON object but {type(data).__name__}")
        return data


def error_detail(body: str) -> str:
    """The human part of a provider error body (`error.message`, `error`, `message`), else its start."""
    try:
        data = json.loads(body)
    except ValueError:
        return _snippet(body)
    return error_detail_of(data) or _snippet(body)


def error_detail_of(data: Any) -> str:
    """`message (type, status, code)` of a parsed error body; "" when it holds none."""
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]  # Gemini streams may wrap the error in a list
    if not isinstance(data, dict):
        return ""
    error = data.get("error", data)
    if isinstance(error, str):
        return _snippet(error)
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in ("type", "status", "code") if error.get(key)]
    message = str(error.get("message") or "")
    return _snippet(f"{message} ({', '.join(parts)})" if parts else message)


def _snippet(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
