"""Store errors that mean the storage cannot take writes right now (disk full, read-only, I/O failure): the
request is refused with a retryable error, and what was committed before stays committed."""

from goclaw_actors.errors import StoreError

# SQLite's messages for SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR and SQLITE_CANTOPEN (lower case).
_STORAGE_MESSAGES = ("database or disk is full", "readonly database", "disk i/o error", "unable to open database")
RETRY_AFTER_SECONDS = 5


def storage_unavailable(exc: BaseException) -> bool:
    """Whether `exc` is a store write refused because the disk or file system cannot take it."""
    text = str(exc).lower()
    return isinstance(exc, StoreError) and any(message in text for message in _STORAGE_MESSAGES)
