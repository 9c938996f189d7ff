"""TelegramChannel (SPEC §10): the Telegram Bot API channel, as green threads of one actor.

* The poll loop long-polls `getUpdates` from the offset after the last update taken in and takes each update
  in once: a text line from an allowed user becomes a task through the shared chat routing, committed with
  the new offset in one transaction (`telegram_intake`), so after a crash no update is processed twice or lost;
  a button press decides its approval through ACP `approval.respond`; anything else only moves the offset.
* Each task's answer is delivered by its own green thread (goclaw_actors.channels.reply_delivery); replies
  still pending at start (the daemon stopped while delivering) are delivered again.
* `approval.required` broadcasts become messages with approve/deny buttons; `send_alert` events are sent to
  the alert chats after a watermark kept in kv_store, so each alert goes out once the daemon runs; plan
  executions' progress (started, steps done, ended) is told to the alert chats as it changes.

Network errors, 429 and 5xx are retried with backoff (up to `max_backoff_seconds`); a rejected token (401/404)
marks the channel `down` in system.status and is retried slowly, never crashing the daemon.
"""

import json
from typing import Any, Callable

import gevent
import gevent.queue
import pykka

from goclaw_actors.broadcasts import APPROVAL_REQUIRED, APPROVAL_UPDATED
from goclaw_actors.channels.bot_api import BotApi, BotApiError, backoff_seconds
from goclaw_actors.channels.plan_progress import PlanProgress, recent_plan_executions
from goclaw_actors.channels.reply_delivery import deliver_reply
from goclaw_actors.channels.send_pacing import SendPacer
from goclaw_actors.channels.telegram_sender import TelegramSender
from goclaw_actors.channels.telegram_settings import TelegramSettings
from goclaw_actors.channels.telegram_text import alert_text, approval_message, decided_text, refusal_text
from goclaw_actors.channels.telegram_updates import (ButtonPress, Ignored, TextLine, classify, line_request,
                                                     parse_approval_data)
from goclaw_actors.config.defaults import DEFAULT_AGENT_ID
from goclaw_actors.errors import StoreError
from goclaw_actors.http.acp.errors import AcpError
from goclaw_actors.http.acp.local_call import call_method
from goclaw_actors.http.chat_tasks import enqueue_call
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.principal import TOKEN
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.approval_reads import list_approvals
from goclaw_actors.store.kv_reads import get_kv
from goclaw_actors.store.sqlite_alerts import ALERT_EVENT
from goclaw_actors.store.sqlite_reads import active_agent_ids
from goclaw_actors.store.telegram_reads import (alerts_after, channel_offset, last_event_id, pending_replies,
                                               sticky_target)
from goclaw_actors.timeutil import db_now

log = get_logger("telegram")

ALERT_RECHECK_SECONDS = 30.0  # alerts are re-read from the database at least this often
MAX_APPROVAL_MESSAGES = 1000  # approvals whose messages are remembered (to show the decision)
MAX_UPDATE_TRIES = 5  # failures of one update before it is skipped
PLAN_CHECK_SECONDS = 1.0  # how often plan executions are looked at for progress
PLAN_LOOKBACK_SECONDS = 60.0  # executions that ended this recently are still looked at


def _routing_facts(conn, user_id: int) -> tuple[str | None, list[str]]:
    return sticky_target(conn, user_id), active_agent_ids(conn)


class TelegramChannel(pykka.ThreadingActor):
    """One bot's channel.

    Usage::

        channel = TelegramChannel.start(settings, ctx).proxy()
        channel.status().get()   # {"name": "telegram", "state": "up", "bot_id": …, "last_error": …, …}
    """

    def __init__(self, settings: TelegramSettings, ctx: GatewayContext, api: BotApi | None = None):
        super().__init__()
        self.settings = settings
        self.ctx = ctx
        self.api = api or BotApi(settings.api_base_url, settings.token)
        self.sender = TelegramSender(self.api, SendPacer(settings.edit_interval_seconds),
                                     settings.max_backoff_seconds)
        self.state = "starting"
        self.last_error = ""
        self.updates_taken = 0
        self.delivering: set[str] = set()
        self.approval_messages: dict[str, list[tuple[int, int, str]]] = {}
        self.refused: set[int] = set()
        self.poison = (0, 0)  # (update_id, failed tries) of the update that failed last
        self.undelivered = False  # a reply's delivery failed: pending replies are tried again after the next poll
        self.greenlets: set[gevent.Greenlet] = set()

    # -- lifecycle -------------------------------------------------------------------------------------------

    def on_start(self) -> None:
        log.info("telegram channel starting", bot_id=self.settings.bot_id,
                 allowed_users=len(self.settings.allowed_ids), api_base_url=self.settings.api_base_url)
        self._spawn(self._guarded, "poll", self._poll_loop)
        self._spawn(self._guarded, "approvals", self._approval_loop)
        self._spawn(self._guarded, "alerts", self._alert_loop)
        self._spawn(self._guarded, "plans", self._plan_loop)

    def on_stop(self) -> None:
        self._halt()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._halt()

    def _halt(self) -> None:
        gevent.killall(list(self.greenlets), block=False)
        self.greenlets.clear()
        self.state = "stopped"
        self.api.close()

    def status(self) -> dict[str, Any]:
        """The channel's state for system.status: `state` is `starting`, `up` or `down`."""
        return {"name": "telegram", "state": self.state, "bot_id": self.settings.bot_id,
                "last_error": self.last_error, "updates_taken": self.updates_taken,
                "messages_sent": self.sender.sent, "replies_pending": len(self.delivering)}

    def _spawn(self, fn: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        greenlet = gevent.spawn(fn, *args)
        self.greenlets.add(greenlet)
        greenlet.link(lambda done: self.greenlets.discard(done))
        return greenlet

    def _guarded(self, name: str, loop: Callable[[], None]) -> None:
        """Run a loop forever: an unexpected error is logged and the loop starts again after a pause."""
        failures = 0
        while True:
            try:
                loop()
                return
            except Exception as exc:  # noqa: BLE001 - a green thread must not die silently
                failures += 1
                log.error("telegram loop failed; restarting it", loop=name, error=f"{type(exc).__name__}: {exc}")
                gevent.sleep(backoff_seconds(failures, self.settings.max_backoff_seconds))

    def _down(self, exc: BotApiError, failures: int) -> float:
        """Record a failed poll; returns how long to wait before the next."""
        self.last_error = str(exc)
        if exc.token_rejected:
            if self.state != "down" or failures == 1:
                log.error("telegram bot token rejected by the Bot API; channel down until the token is fixed",
                          status=exc.status, error=str(exc))
            self.state = "down"
            return self.settings.max_backoff_seconds
        if failures >= 3 and self.state != "down":
            self.state = "down"
        log.warn("telegram getUpdates failed; retrying", failures=failures, error=str(exc))
        return backoff_seconds(failures, self.settings.max_backoff_seconds)

    # -- intake ------------------------------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        self._resume_replies()
        offset = self.ctx.read(channel_offset, self.settings.channel)
        failures = 0
        while True:
            # a short first poll (after start or a failure) tells at once whether the Bot API answers
            wait = self.settings.poll_timeout_seconds if self.state == "up" else 0
            params: dict[str, Any] = {"timeout": wait, "allowed_updates": ["message", "callback_query"]}
            if offset is not None:
                params["offset"] = offset + 1
            try:
                updates = self.api.call("getUpdates", params, read_timeout=self.settings.poll_timeout_seconds + 15)
            except BotApiError as exc:
                failures += 1
                gevent.sleep(self._down(exc, failures))
                continue
            if self.state != "up":
                log.info("telegram channel up", bot_id=self.settings.bot_id)
            if failures or self.undelivered:  # replies whose delivery failed meanwhile are tried again
                self.undelivered = False
                self._resume_replies()
            failures, self.state, self.last_error = 0, "up", ""
            items = [item for item in map(classify, updates if isinstance(updates, list) else []) if item is not None]
            for item in sorted(items, key=lambda item: item.update_id):
                if offset is None or item.update_id > offset:
                    self._take_once(item)
                    offset = item.update_id
                    self.updates_taken += 1

    def _take_once(self, item: TextLine | ButtonPress | Ignored) -> None:
        """Take an update in; one that keeps failing (not a refusal: an error) is skipped after a few tries, so
        that it cannot hold up the updates behind it."""
        try:
            self._take(item)
            self.poison = (0, 0)
        except Exception as exc:
            tries = self.poison[1] + 1 if self.poison[0] == item.update_id else 1
            self.poison = (item.update_id, tries)
            if tries < MAX_UPDATE_TRIES:
                raise  # the poll loop starts again after a pause and gets the update again
            log.error("telegram update skipped after repeated failures", update_id=item.update_id, tries=tries,
                      error=f"{type(exc).__name__}: {exc}")
            self._commit_offset(item.update_id)

    def _take(self, item: TextLine | ButtonPress | Ignored) -> None:
        """Take one update in (its offset commits here, with its task when it makes one)."""
        allowed = item.user_id in self.settings.allowed_ids
        if isinstance(item, Ignored) or not allowed:
            self._commit_offset(item.update_id)
            if not allowed and item.user_id is not None:
                self._refuse(item)
            return
        if isinstance(item, ButtonPress):
            self._press(item)
            self._commit_offset(item.update_id)
            return
        self._line(item)

    def _commit_offset(self, update_id: int) -> None:
        self.ctx.store.channels.telegram_intake(channel=self.settings.channel, update_id=update_id)

    def _line(self, line: TextLine) -> None:
        sticky, active = self.ctx.read(_routing_facts, line.user_id)
        current = sticky if sticky in active else DEFAULT_AGENT_ID
        request, new_sticky = line_request(line, current, lambda: active)
        op, args = enqueue_call(request)
        try:
            taken = self.ctx.store.channels.telegram_intake(
                channel=self.settings.channel, update_id=line.update_id,
                enqueue={"op": op, "args": args}, reply={"chat_id": line.chat_id, "reply_to": line.message_id},
                sticky={"user_id": line.user_id, "agent_id": new_sticky} if new_sticky else None)
        except StoreError as exc:  # refused (unknown agent, queue saturated): say so, the update is done
            self._commit_offset(line.update_id)
            self._notify(line.chat_id, f"❌ {exc}", reply_to=line.message_id)
            return
        if not taken["duplicate"]:
            log.info("telegram line enqueued", task_id=taken["task_id"], agent_id=request.agent_id,
                     command=request.task_type != "chat")
            self._deliver({"task_id": taken["task_id"], "chat_id": line.chat_id, "reply_to": line.message_id,
                           "message_id": None})

    def _refuse(self, item: TextLine | ButtonPress | Ignored) -> None:
        """Users not in allowed_ids are not served: audited once per user, told so in private chats."""
        if isinstance(item, ButtonPress):
            self._spawn(self._quietly, self.sender.answer_callback, item.callback_id, "Not allowed.")
        if item.user_id in self.refused:
            return
        self.refused.add(item.user_id)
        log.warn("telegram update from a user not in allowed_ids ignored", user_id=item.user_id)
        self.ctx.audit("deny", "channel.telegram", "user_not_allowed", subject=f"telegram:{item.user_id}")
        private = isinstance(item, TextLine) and item.chat_id == item.user_id or getattr(item, "private", False)
        if private and item.chat_id is not None:
            self._notify(item.chat_id, refusal_text(item.user_id))

    def _press(self, press: ButtonPress) -> None:
        """Decide the approval a button stands for, exactly as ACP `approval.respond` does (audited there)."""
        parsed = parse_approval_data(press.data)
        if parsed is None:
            self._spawn(self._quietly, self.sender.answer_callback, press.callback_id, "Unknown button.")
            return
        decision, approval_id = parsed
        try:
            result = call_method(self.ctx, TOKEN, "approval.respond", {"approval_id": approval_id,
                                                                        "decision": decision})
            answer = f"Approval {result['status'].lower()}."
        except AcpError as exc:
            answer = exc.message
        log.info("telegram approval button", approval_id=approval_id, decision=decision, answer=answer)
        self._spawn(self._quietly, self.sender.answer_callback, press.callback_id, answer)

    # -- replies -----------------------------------------------------------------------------------------------

    def _resume_replies(self) -> None:
        for reply in self.ctx.read(pending_replies):
            self._deliver(reply)

    def _deliver(self, reply: dict[str, Any]) -> None:
        if reply["task_id"] in self.delivering:
            return
        self.delivering.add(reply["task_id"])
        self._spawn(self._deliver_one, reply)

    def _deliver_one(self, reply: dict[str, Any]) -> None:
        try:
            deliver_reply(self.ctx, self.sender, reply)
        except Exception as exc:  # noqa: BLE001 - the reply stays pending: tried again after the next poll
            self.undelivered = True
            log.error("telegram reply not delivered; kept for later", task_id=reply["task_id"],
                      error=f"{type(exc).__name__}: {self.api.scrub(str(exc))}")
        finally:
            self.delivering.discard(reply["task_id"])

    def _notify(self, chat_id: int, text: str, reply_to: int | None = None) -> None:
        """Send a notice from its own green thread (the poll loop never waits for pacing)."""
        self._spawn(self._quietly, self.sender.send, chat_id, text, reply_to)

    def _quietly(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A send whose failure is only logged (notices, not answers)."""
        try:
            return fn(*args)
        except BotApiError as exc:
            log.warn("telegram send failed", error=str(exc))
            return None

    # -- approvals and alerts ----------------------------------------------------------------------------------

    def _approval_loop(self) -> None:
        with self.ctx.watch_broadcasts() as watch:
            for item in self.ctx.read(list_approvals):
                if item["status"] == "PENDING":
                    self._ask_approval({**item, "details": item.get("details") or ""})
            while True:
                event = watch.queue.get()
                params = event.get("params") or {}
                if event.get("event_type") == APPROVAL_REQUIRED:
                    self._ask_approval(params)
                elif event.get("event_type") == APPROVAL_UPDATED:
                    self._show_decision(params)

    def _ask_approval(self, item: dict[str, Any]) -> None:
        approval_id = item.get("approval_id")
        if not approval_id or approval_id in self.approval_messages:
            return
        message = approval_message(item)
        sent = []
        for chat_id in self.settings.alert_chats:
            message_id = self._quietly(self.sender.send, chat_id, message["text"], None, message["reply_markup"])
            if message_id:
                sent.append((chat_id, message_id, message["text"]))
        self.approval_messages[approval_id] = sent
        while len(self.approval_messages) > MAX_APPROVAL_MESSAGES:
            self.approval_messages.pop(next(iter(self.approval_messages)))

    def _show_decision(self, params: dict[str, Any]) -> None:
        for chat_id, message_id, text in self.approval_messages.pop(params.get("approval_id"), []):
            self._quietly(self.sender.edit, chat_id, message_id, decided_text(text, str(params.get("status"))))

    def _alert_loop(self) -> None:
        key = f"telegram.alerts_sent:{self.settings.bot_id}"
        with self.ctx.watch_event_types(frozenset({ALERT_EVENT})) as watch:
            mark = self.ctx.read(get_kv, key)
            if mark is None:  # first start: alerts sent before the channel existed are not replayed
                mark = str(self.ctx.read(last_event_id))
                self.ctx.store.kv.put_kv(key=key, value=mark)
            watermark = int(mark)
            while True:
                for alert in self.ctx.read(alerts_after, watermark):
                    self._send_alert(alert)
                    watermark = alert["event_id"]
                    self.ctx.store.kv.put_kv(key=key, value=str(watermark))
                try:
                    watch.queue.get(timeout=ALERT_RECHECK_SECONDS)
                except gevent.queue.Empty:
                    pass

    def _send_alert(self, alert: dict[str, Any]) -> None:
        """Send one alert to every alert chat; raises BotApiError when it could not go out (tried again)."""
        try:
            payload = json.loads(alert["payload_json"] or "{}")
        except ValueError:
            payload = {}
        text = alert_text(payload if isinstance(payload, dict) else {})
        for chat_id in self.settings.alert_chats:
            self.sender.send(chat_id, text)
        log.info("telegram alert sent", event_id=alert["event_id"], task_id=alert["task_id"])

    def _plan_loop(self) -> None:
        """Tell the alert chats how plan executions progress (started, steps done, ended), as they change."""
        tracker = PlanProgress()
        while True:
            executions = self.ctx.read(recent_plan_executions, db_now(-PLAN_LOOKBACK_SECONDS))
            for text in tracker.messages(executions):
                for chat_id in self.settings.alert_chats:
                    self._quietly(self.sender.send, chat_id, text)
            gevent.sleep(PLAN_CHECK_SECONDS)
