"""`host:port` listen addresses as config.yaml writes them."""


def parse_bind_addr(bind_addr: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 as `[::1]:port`); raises ValueError on a bad address."""
    host, sep, port = bind_addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid bind address {bind_addr!r}: expected host:port")
    return host.strip("[]") or "0.0.0.0", int(port)


WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def client_host_port(bind_addr: str) -> tuple[str, int]:
    """Where a local client reaches a daemon listening on `bind_addr` (wildcards become loopback)."""
    host, port = parse_bind_addr(bind_addr)
    return WILDCARD_HOSTS.get(host, host), port


def client_base_url(bind_addr: str, scheme: str = "http") -> str:
    """`http://host:port` of a daemon listening on `bind_addr` (IPv6 hosts in brackets)."""
    host, port = client_host_port(bind_addr)
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
