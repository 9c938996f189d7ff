"""Cron expressions (SPEC §10): standard 5-field cron, evaluated with croniter in local time."""

from datetime import datetime

from croniter import croniter

CRON_FIELDS = 5


class InvalidCronExpr(ValueError):
    """A cron expression croniter (or the 5-field rule) refuses; the message is the detail."""


def validate_cron_expr(expr: str) -> None:
    """Raise InvalidCronExpr unless `expr` is a valid 5-field cron expression."""
    fields = expr.split()
    if len(fields) != CRON_FIELDS:
        raise InvalidCronExpr(f"expected {CRON_FIELDS} fields, got {len(fields)}")
    try:
        croniter(expr)
    except (ValueError, KeyError) as exc:  # croniter's errors derive from ValueError
        raise InvalidCronExpr(str(exc) or type(exc).__name__) from None


def next_fire_time(expr: str, after: datetime | None = None) -> datetime:
    """The first fire time strictly after `after` (default now), as an aware local datetime.

    Raises InvalidCronExpr also for a well-formed expression no date matches (e.g. `0 0 31 2 *`).
    """
    validate_cron_expr(expr)
    start = (after or datetime.now()).astimezone()
    try:
        return croniter(expr, start).get_next(datetime)
    except (ValueError, KeyError, OverflowError):  # croniter's CroniterBadDateError: no such date
        raise InvalidCronExpr("no date matches it") from None
