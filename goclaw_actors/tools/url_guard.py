"""URL policy and SSRF protection for outbound requests (SPEC §5.4).

`check_url` normalises the host (percent-encoding, trailing dot, IDNA, decimal/octal/hex IPv4 forms),
checks the scheme and `allow_domains`, resolves the name once and vets every address. The returned
VettedUrl names the addresses that were checked; callers connect to one of those and never resolve
again (pinned_http.py), so a DNS answer that changes after the check cannot redirect the connection.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

from goclaw_actors.tools.errors import PolicyDenied

URL_DENIED = "url_denied"
SCHEMES = {"http": 80, "https": 443}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"))
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*$")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""`resolve(host, port)` returns every address the name has (as text); raises OSError when it has none."""


@dataclass(frozen=True)
class VettedUrl:
    """A URL that passed the policy: its parts and the checked addresses to connect to (first is used)."""

    url: str
    scheme: str
    host: str  # normalised: lower case, no trailing dot, IDNA; IPv6 without brackets
    port: int
    addresses: tuple[str, ...]
    is_ip_literal: bool

    @property
    def host_header(self) -> str:
        """The Host header value (`host[:port]`, IPv6 in brackets, default ports left out)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def system_resolve(host: str, port: int) -> list[str]:
    """Every address of `host` from the system resolver (cooperative under gevent)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def denied(message: str) -> PolicyDenied:
    """A URL denial (audited with reason `url_denied`)."""
    return PolicyDenied(URL_DENIED, f"url denied: {message}")


def parse_ip_literal(host: str) -> Address | None:
    """The address a host denotes by itself: dotted, decimal, octal or hex IPv4, or IPv6; else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise denied(f"malformed numeric host {host!r}") from None
    return None


def normalise_host(raw: str) -> str:
    """The host as it will be looked up: percent-decoded, lower case, without trailing dots, IDNA-encoded."""
    host = unquote(raw).strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    if not host or _BAD_URL_CHARS.search(host) or any(c in host for c in "/?#@%"):
        raise denied(f"invalid host {raw!r}")
    if ":" in host:  # IPv6 literal (with an optional zone id)
        return host
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise denied(f"invalid host {raw!r}") from None


def embedded_ipv4(ip: Address) -> tuple[list[ipaddress.IPv4Address], bool]:
    """IPv4 addresses carried inside an IPv6 one, and whether the IPv6 address is only a wrapper for them
    (mapped, compatible, NAT64) rather than a routable address of its own (6to4, Teredo)."""
    if ip.version == 4:
        return [], False
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped], True
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d
        return [low], True
    if ip in NAT64:
        return [low], True
    found = [ip.sixtofour] if ip.sixtofour else []
    return found + list(ip.teredo or ()), False


def address_problem(ip: Address, allow_loopback: bool) -> str | None:
    """Why `ip` may not be contacted (e.g. `private address 10.0.0.1`), or None for a public address."""
    inner, wrapper_only = embedded_ipv4(ip)
    for address in inner:
        problem = address_problem(address, allow_loopback)
        if problem:
            return f"{problem} (inside {ip})"
    if wrapper_only:
        return None
    checks = [
        (ip in METADATA, "cloud metadata"), (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
        (ip.version == 4 and ip in CGNAT, "carrier-grade NAT"), (ip.is_multicast, "multicast"),
        (ip.is_private, "private"), (ip.is_reserved, "reserved"), (not ip.is_global, "non-public"),
    ]
    for hit, kind in checks:
        if hit:
            if kind == "loopback" and allow_loopback:
                return None
            return f"{kind} address {ip}"
    return None


def domain_allowed(host: str, domains: Iterable[str]) -> bool:
    """Whether `host` matches `allow_domains` (SPEC §2.6): exact, or `.domain` for it and its subdomains."""
    for entry in domains:
        entry = entry.strip().lower().rstrip(".")
        if entry.startswith("*."):
            entry = entry[1:]
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def check_url(url: str, domains: Iterable[str], allow_loopback: bool,
              resolve: Resolver = system_resolve) -> VettedUrl:
    """Vet `url` under the policy; raises PolicyDenied (`url_denied`) with the reason."""
    if not isinstance(url, str) or _BAD_URL_CHARS.search(url.strip()):
        raise denied("malformed URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise denied(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise denied(f"scheme {scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise denied("URL has no host")
    host = normalise_host(parts.hostname)
    port = port or SCHEMES[scheme]
    literal = parse_ip_literal(host) if host[0].isdigit() or ":" in host else None
    if literal is not None:
        host = str(literal)
        addresses = [host]
    else:
        if not domain_allowed(host, domains):
            raise denied(f"host {host} is not in allow_domains")
        try:
            addresses = resolve(host, port)
        except OSError as exc:
            raise denied(f"host {host} does not resolve: {exc}") from None
        if not addresses:
            raise denied(f"host {host} does not resolve")
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])  # a resolver may add a zone id
        except ValueError:
            raise denied(f"host {host} resolved to a non-address {address!r}") from None
        problem = address_problem(ip, allow_loopback)
        if problem:
            raise denied(problem if literal is not None else f"{host} resolves to a {problem}")
    return VettedUrl(url.strip(), scheme, host, port, tuple(addresses), literal is not None)
