"""Builds the TelegramChannel from the runtime (SPEC §10): started under `services` only when
`channels.telegram.enabled` (with a token and allowed ids), restarted when a config edit changes its settings."""

from typing import Any

import pykka

from actors.telegram_channel import TelegramChannel
from goclaw_actors.channels.telegram_settings import TelegramSettings, telegram_settings
from goclaw_actors.logs.system_log import get_logger
from supervisors.child_spec import TRANSIENT, ChildSpec
from supervisors.runtime import Runtime

NAME = "telegram"
ASK_SECONDS = 10.0

log = get_logger("telegram")


def current_settings(rt: Runtime) -> TelegramSettings | None:
    """The channel's settings in the configuration in force (None: disabled)."""
    return telegram_settings(rt.config) if rt.config is not None else None


def telegram_specs(rt: Runtime) -> list[ChildSpec]:
    """The channel's child spec when it is enabled (transient: restarted only after a crash)."""
    settings = current_settings(rt)
    return [telegram_spec(rt, settings)] if settings is not None else []


def telegram_spec(rt: Runtime, settings: TelegramSettings) -> ChildSpec:
    """The child spec of the channel with `settings`."""
    return ChildSpec(NAME, lambda: rt.registry.register(NAME, TelegramChannel.start(settings, rt.gateway)),
                     restart=TRANSIENT)


def reconcile_telegram(rt: Runtime, previous: Any) -> None:
    """After a config reload: start, stop or restart the channel when its settings changed (SPEC §2.7)."""
    wanted = current_settings(rt)
    if wanted == (telegram_settings(previous) if previous is not None else None):
        return
    services = rt.registry.proxy("services")
    if services is None:
        return
    try:
        if services.get_child(NAME).get(timeout=ASK_SECONDS) is not None:
            services.terminate_child(NAME).get(timeout=ASK_SECONDS)
            log.info("telegram channel stopped for a configuration change")
        if wanted is not None:
            services.start_child(telegram_spec(rt, wanted)).get(timeout=ASK_SECONDS)
    except (pykka.ActorDeadError, pykka.Timeout) as exc:
        log.error("telegram channel not reconfigured", error=str(exc))


def telegram_status(rt: Runtime) -> dict[str, Any]:
    """The channel's state for system.status."""
    proxy = rt.registry.proxy(NAME)
    if proxy is not None:
        try:
            return proxy.status().get(timeout=ASK_SECONDS)
        except (pykka.ActorDeadError, pykka.Timeout):
            pass
    try:
        enabled = current_settings(rt) is not None
    except Exception:  # noqa: BLE001 - the running configuration was checked at load; say what is known
        enabled = False
    return {"name": NAME, "state": "stopped" if enabled else "disabled"}
