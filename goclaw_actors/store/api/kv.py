"""The daemon's key-value settings."""

from typing import Protocol


class KvApi(Protocol):
    """The daemon's key-value settings."""

    def put_kv(self, key: str, value: str) -> None:
        """Set one `kv_store` entry."""
        ...

    def delete_kv(self, keys: list[str]) -> int:
        """Delete `kv_store` entries; returns how many existed."""
        ...
