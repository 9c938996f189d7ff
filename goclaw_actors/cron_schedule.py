"""Cron expressions (SPEC §10): standard 5-field cron, evaluated with croniter in local time.

Local time has daylight-saving jumps; fire times follow the rules of Vixie/Debian cron:

* a fixed time (digits in both the minute and the hour field, e.g. `30 2 * * *`) that the clocks skip
  fires once, at the moment they jump; one that occurs twice (clocks set back) fires at its first
  occurrence only;
* an expression with `*` in its minute or hour field (`*/15 * * * *`, `0 * * * *`) follows the real
  clock: the slots skipped are not made up, the slots repeated fire again.
"""

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterator

import tzlocal
from croniter import CroniterBadDateError, croniter

from goclaw_actors.timeutil import utc_now

CRON_FIELDS = 5
LOOKBACK = timedelta(hours=3)  # a DST change within this of `after` needs care (shifts are at most 2 h)
MAX_CANDIDATES = 2000  # wall-clock candidates examined for one fire time (a few hundred near a DST change)
_SECOND = timedelta(seconds=1)
NEVER_FIRES = "no date matches it"  # a well-formed expression that never fires (e.g. `0 0 31 2 *`)


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


def local_zone() -> tzinfo:
    """The zone of local time: `TZ` when set, else the system's (an IANA zone, with its DST rules)."""
    return tzlocal.get_localzone()


def next_fire_time(expr: str, after: datetime | None = None, zone: tzinfo | None = None) -> datetime:
    """The first fire time strictly after the instant `after` (default now; naive means UTC), evaluated in
    `zone` (default local time), as an aware UTC datetime (a zone's repeated hour would compare unequal).

    Raises InvalidCronExpr for an invalid expression or one that never fires (e.g. `0 0 30 2 *`).
    """
    validate_cron_expr(expr)
    zone = zone or local_zone()
    after = after or utc_now()
    after = (after if after.tzinfo else after.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    fixed = is_fixed_time(expr)
    # Near a DST change wall-clock order and real order differ: look at the wall times around `after`
    # and keep the earliest real instant. Elsewhere the first candidate is the answer.
    # `shift` bounds how far the two orders can disagree.
    shift = abs((after - LOOKBACK).astimezone(zone).utcoffset() - (after + LOOKBACK).astimezone(zone).utcoffset())
    candidates = croniter(expr, _wall(after.astimezone(zone)) - shift)
    best: datetime | None = None
    best_wall: datetime | None = None
    try:
        for _ in range(MAX_CANDIDATES):
            wall = candidates.get_next(datetime)
            if best is not None and wall > best_wall + shift:
                return best
            for moment in _instants(wall, zone, fixed):
                if moment > after and (best is None or moment < best):
                    best, best_wall = moment, wall
    except CroniterBadDateError:
        raise InvalidCronExpr(NEVER_FIRES) from None
    if best is None:
        raise InvalidCronExpr(NEVER_FIRES)
    return best


def is_fixed_time(expr: str) -> bool:
    """Whether neither the minute nor the hour field of `expr` starts with `*` (DST rules above)."""
    minute, hour = expr.split()[:2]
    return not minute.startswith("*") and not hour.startswith("*")


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _instants(wall: datetime, zone: tzinfo, fixed: bool) -> Iterator[datetime]:
    """The real instants (UTC) at which the wall-clock time `wall` fires in `zone`.

    Compared in UTC only: Python compares two datetimes of one zone by wall time, ignoring `fold`.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)
    if first == second:
        yield first
    elif _wall(first.astimezone(zone)) == wall:  # occurs twice (clocks set back): first occurrence first
        yield first
        if not fixed:
            yield second
    elif fixed:  # skipped (clocks put forward): fire when they jump
        yield _jump(second, first, zone)


def _jump(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) in (before, after] at which `zone`'s offset changes to the offset it has at `after`."""
    low, high = before, after
    target = high.astimezone(zone).utcoffset()
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
