"""`host:port` listen addresses as config.yaml writes them."""


def parse_bind_addr(bind_addr: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 as `[::1]:port`); raises ValueError on a bad address."""
    host, sep, port = bind_addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid bind address {bind_addr!r}: expected host:port")
    return host.strip("[]") or "0.0.0.0", int(port)


def client_base_url(bind_addr: str) -> str:
    """`http://host:port` a local client uses to reach a daemon listening on `bind_addr` (a wildcard
    address is reached on loopback); raises ValueError on a bad address."""
    host, port = parse_bind_addr(bind_addr)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
