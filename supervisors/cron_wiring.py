"""Builds the CronScheduler from the runtime: the store, reads, and the crash-test hold from the environment."""

import pykka

from actors.cron_scheduler import CronScheduler, CronSettings
from goclaw_actors.startup import CRON_COMMIT_DELAY_ENV
from supervisors.runtime import Runtime


def start_cron_scheduler(rt: Runtime) -> pykka.ActorRef:
    """Start the CronScheduler (it fires what came due while the daemon was down) as `cron_scheduler`."""
    hold_ms = rt.environ.get(CRON_COMMIT_DELAY_ENV, "").strip()  # checked at start-up: digits or empty
    settings = CronSettings(hold_seconds=int(hold_ms) / 1000.0 if hold_ms else 0.0)
    scheduler = CronScheduler.start(rt.store, rt.reads, settings)
    return rt.registry.register("cron_scheduler", scheduler)
