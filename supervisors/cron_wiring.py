"""Builds the CronScheduler from the runtime: the store, reads, and the crash-test hold from the environment."""

import pykka

from actors.cron_scheduler import CronScheduler, CronSettings
from goclaw_actors.startup import CRON_COMMIT_DELAY_ENV, debug_seconds
from supervisors.runtime import Runtime


def start_cron_scheduler(rt: Runtime) -> pykka.ActorRef:
    """Start the CronScheduler (it fires what came due while the daemon was down) as `cron_scheduler`."""
    settings = CronSettings(hold_seconds=debug_seconds(rt.environ, CRON_COMMIT_DELAY_ENV))
    scheduler = CronScheduler.start(rt.store, rt.reads, settings, is_scheduler=rt.is_scheduler)
    return rt.registry.register("cron_scheduler", scheduler)
