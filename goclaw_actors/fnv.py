"""FNV-1a 64-bit hashing, used for policy versions, config hashes, error fingerprints and retry jitter."""

FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


def fnv1a64(data: bytes | str) -> int:
    """Return the FNV-1a 64-bit hash of `data` (str is UTF-8 encoded)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    h = FNV64_OFFSET
    for byte in data:
        h ^= byte
        h = (h * FNV64_PRIME) & _MASK64
    return h


def fnv1a64_hex(data: bytes | str) -> str:
    """Return the FNV-1a 64-bit hash of `data` as 16 lower-case hex digits."""
    return format(fnv1a64(data), "016x")
