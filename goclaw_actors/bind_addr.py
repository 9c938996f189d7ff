"""`host:port` listen addresses as config.yaml writes them."""


def parse_bind_addr(bind_addr: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 as `[::1]:port`); raises ValueError on a bad address."""
    host, sep, port = bind_addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid bind address {bind_addr!r}: expected host:port")
    return host.strip("[]") or "0.0.0.0", int(port)
