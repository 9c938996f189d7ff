"""Outbound HTTP for tools: every hop vetted by the URL guard, connected to the vetted address.

A requests transport adapter opens the connection to the address the guard checked while keeping the
original host for the Host header, TLS SNI and certificate checks, so no second DNS lookup happens.
Redirects are followed by hand (at most 10), each hop vetted again; time and size are capped.
"""

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urljoin

import gevent
import requests
from requests.adapters import HTTPAdapter

from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.url_guard import VettedUrl

DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "goclaw/0.5 (+tools)"

Guard = Callable[[str], VettedUrl]
"""Vets one URL (raises PolicyDenied); the tool binds the policy and resolver to it."""


@dataclass(frozen=True)
class FetchLimits:
    """Whole-request time limit (all hops), body size cap and redirect budget."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = MAX_REDIRECTS


@dataclass
class Fetched:
    """A final (non-redirect) response: where it came from, status, headers and the body read."""

    url: str
    status: int
    headers: Any
    body: bytes
    truncated: bool
    encoding: str | None

    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8 (undecodable bytes replaced)."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


class PinnedAdapter(HTTPAdapter):
    """Connects to `vetted.addresses[0]` whatever the URL's host resolves to now."""

    def __init__(self, vetted: VettedUrl):
        super().__init__(max_retries=0)
        self.vetted = vetted

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """The pool for the vetted address; TLS still verifies the certificate for the URL's host."""
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.vetted.addresses[0]
        host_params["port"] = self.vetted.port
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.vetted.host
            pool_kwargs["assert_hostname"] = self.vetted.host
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def fetch(url: str, guard: Guard, method: str = "GET", headers: dict[str, str] | None = None,
          body: bytes | None = None, limits: FetchLimits = FetchLimits()) -> Fetched:
    """Send a request through the guard, following vetted redirects; raises PolicyDenied or ToolError."""
    timeout = ToolError(f"request timed out after {limits.timeout_seconds:g}s")
    with gevent.Timeout(limits.timeout_seconds, timeout):
        for _hop in range(limits.max_redirects + 1):
            vetted = guard(url)
            with _pinned_session(vetted) as session:
                response = _send(session, vetted, method, headers or {}, body, limits)
                location = response.headers.get("Location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return _read(response, url, limits)
                response.close()
            url = urljoin(url, location)
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, body = "GET", None
    raise ToolError(f"too many redirects (more than {limits.max_redirects})")


def _pinned_session(vetted: VettedUrl) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or netrc from the environment: the vetted address is the peer
    adapter = PinnedAdapter(vetted)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _send(session: requests.Session, vetted: VettedUrl, method: str, headers: dict[str, str],
          body: bytes | None, limits: FetchLimits) -> requests.Response:
    sent = {"User-Agent": USER_AGENT, **headers, "Host": vetted.host_header}
    try:
        return session.request(method, vetted.url, headers=sent, data=body, allow_redirects=False, stream=True,
                               timeout=limits.timeout_seconds)
    except requests.RequestException as exc:
        raise ToolError(f"request to {vetted.host} failed: {exc}") from exc


def _read(response: requests.Response, url: str, limits: FetchLimits) -> Fetched:
    chunks, size, truncated = [], 0, False
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.max_bytes:
                truncated = True
                break
    except requests.RequestException as exc:
        raise ToolError(f"reading {url} failed: {exc}") from exc
    finally:
        response.close()
    body = b"".join(chunks)[: limits.max_bytes]
    return Fetched(url, response.status_code, response.headers, body, truncated,
                   declared_charset(response.headers.get("Content-Type", "")))


def declared_charset(content_type: str) -> str | None:
    """The `charset` parameter of a Content-Type, if any (no ISO-8859-1 default for text: pages are UTF-8)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"\'')
            try:
                "".encode(charset)
            except LookupError:
                return None
            return charset
    return None
