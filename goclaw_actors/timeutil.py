"""Timestamps: SQLite text form `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) and RFC 3339 for JSON."""

import functools
import time
from datetime import datetime, timezone

DB_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def utc_now() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def to_db(moment: datetime) -> str:
    """Format an aware or naive-UTC datetime as the database's sortable text."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime(DB_FORMAT)


def db_now(offset_seconds: float = 0.0) -> str:
    """Database text for now (plus an optional offset in seconds)."""
    moment = time.time() + offset_seconds  # formatted without a datetime: this runs several times per task
    seconds = int(moment // 1)
    return _second_text(seconds) + ".%06d" % int((moment - seconds) * 1e6)


@functools.lru_cache(maxsize=8)
def _second_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def parse_db(text: str) -> datetime:
    """Parse database time text (with or without fraction, `T` or space) into an aware UTC datetime."""
    if len(text) == 26 and text[10] == " " and text[19] == ".":  # the daemon's own form: the fast parser
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    text = text.strip().replace("T", " ").rstrip("Z")
    if "+" in text[10:]:
        text = text[: 10 + text[10:].index("+")]
    fmt = DB_FORMAT if "." in text else "%Y-%m-%d %H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def rfc3339(moment: datetime | str | None) -> str | None:
    """Format a datetime or database time text as RFC 3339 UTC (`…Z`), passing None through."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = parse_db(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
