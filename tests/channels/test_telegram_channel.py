"""The Telegram channel in an in-process daemon against the fake Bot API: routing through the shared chat
parser, allowed ids, progressive edits within the rate limits, approvals by button, send_alert, retries."""

import json
import sqlite3

import pytest

from goclaw_actors.channels.telegram_updates import telegram_session
from goclaw_actors.http.acp.local_call import call_method
from goclaw_actors.http.principal import TOKEN
from supervisors.config_reload import reload_config
from tests.channels.conftest import context, telegram_config
from tests.channels.fake_bot_api import OWNER, STRANGER
from tests.helpers import wait_until


def tasks(daemon):
    with sqlite3.connect(daemon.runtime.db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM tasks ORDER BY created_at, id")]


@pytest.mark.parametrize("provider_pause", [0.8])  # the answer streams for 2.4 s
def test_a_line_streams_into_one_reply_edited_at_most_once_a_second(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot))
    update = bot.push_text("hello there")
    final = bot.wait_text(update, lambda text: text == "you said: hello there")
    assert final
    [task] = tasks(daemon)
    assert task["session_id"] == telegram_session(OWNER, "default") and task["agent_id"] == "default"
    chat_id, message_id = bot.reply_to(update)
    edits = [c for c in bot.of("editMessageText", chat_id) if c.params["message_id"] == message_id]
    sends = bot.of("sendMessage", chat_id)
    assert len(sends) == 1 and "you said: hello there".startswith(sends[0].params["text"])
    texts = [sends[0].params["text"]] + [c.params["text"] for c in edits]
    assert len(texts) >= 3 and texts[-1] == "you said: hello there", texts  # partial texts, then the final
    times = [sends[0].at] + [c.at for c in edits]
    assert all(b - a >= 0.9 for a, b in zip(times, times[1:])), times  # ≤ 1 message or edit per second


def rows(daemon, sql, *args):
    with sqlite3.connect(daemon.runtime.db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, args)]


CODER = '[{"agent_id": "coder", "worker_count": 2}]'


def test_mentions_are_sticky_per_user_and_commands_go_through_the_shared_parser(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot), agents=CODER)
    first = bot.push_text("@coder fix it")
    again = bot.push_text("and again", chat_id=-1001)  # the user's target follows them into a group chat
    listing = bot.push_text("/memory@goclaw_bot list", chat_id=-1002)  # Telegram's group form of a command
    unknown = bot.push_text("@nobody hello", chat_id=-1003)
    start = bot.push_text("/start", chat_id=-1004)
    assert bot.wait_text(unknown, lambda text: text != "…").startswith("Unknown agent: @nobody. Available: @default")
    assert "/memory" in bot.wait_text(start, lambda text: text != "…")  # /start shows the help
    bot.wait_text(listing, lambda text: text != "…")
    bot.wait_text(first, lambda text: text == "you said: fix it")
    bot.wait_text(again, lambda text: text == "you said: and again")
    by_content = {json.loads(task["payload"])["content"]: task for task in tasks(daemon)}
    assert by_content["fix it"]["agent_id"] == by_content["and again"]["agent_id"] == "coder"
    assert by_content["fix it"]["session_id"] == telegram_session(OWNER, "coder")
    assert by_content["/memory list"]["agent_id"] == "coder" and by_content["/memory list"]["type"] == "command"
    assert by_content["/help"]["type"] == "command"
    assert rows(daemon, "SELECT sticky_agent_id FROM telegram_users WHERE user_id = ?", OWNER) == [
        {"sticky_agent_id": "coder"}]


def test_only_allowed_users_are_served(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot))
    stranger = bot.push_text("let me in", user_id=STRANGER)
    bot.push_text("again", user_id=STRANGER)
    sticker = bot.push_other()
    wait_until(lambda: rows(daemon, "SELECT update_offset FROM channel_offsets") == [{"update_offset": sticker}],
               what="every update taken in")
    assert stranger < sticker
    refusals = wait_until(lambda: bot.sent_texts(STRANGER), what="the refusal")
    assert len(refusals) == 1 and f"user id is {STRANGER}" in refusals[0]
    assert tasks(daemon) == [] and bot.sent_texts(OWNER) == []
    audit = rows(daemon, "SELECT decision, action, reason, subject FROM audit_log WHERE reason = 'user_not_allowed'")
    assert audit == [{"decision": "deny", "action": "channel.telegram", "reason": "user_not_allowed",
                      "subject": f"telegram:{STRANGER}"}]


def approval_status(daemon, approval_id):
    return rows(daemon, "SELECT status FROM approvals WHERE approval_id = ?", approval_id)[0]["status"]


def test_approval_buttons_decide_approvals_like_acp(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot))
    ctx = context(daemon)
    first = call_method(ctx, TOKEN, "approval.request", {"action": "deploy", "details": "to prod"})["approval_id"]
    second = call_method(ctx, TOKEN, "approval.request", {"action": "wipe", "details": ""})["approval_id"]

    def question(approval_id):
        return next((c.params for c in bot.of("sendMessage", OWNER) if approval_id in c.params["text"]), None)

    asked = wait_until(lambda: question(first), what="the approval message")
    assert asked["text"].startswith("🔐 Approval required: deploy\nto prod")
    buttons = asked["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"approval:approve:{first}", f"approval:deny:{first}"]
    bot.push_press(buttons[0]["callback_data"], asked, user_id=STRANGER)  # not allowed: nothing decided
    bot.push_press(buttons[0]["callback_data"], asked)
    wait_until(lambda: approval_status(daemon, first) == "APPROVED", what="the approval decided")
    wait_until(lambda: "→ APPROVED" in (bot.text_of(OWNER, asked["result_message_id"]) or ""),
               what="the approval message showing the decision")
    bot.push_press(buttons[1]["callback_data"], asked)  # decided already
    answers = wait_until(lambda: (lambda a: a if len(a) == 3 else None)(
        [c.params["text"] for c in bot.of("answerCallbackQuery")]), what="three button answers")
    assert sorted(answers) == ["Approval approved.", "Not allowed.", "approval already resolved"]
    audit = rows(daemon, "SELECT decision, action, reason FROM audit_log WHERE subject = ?", first)
    assert audit == [{"decision": "allow", "action": "approval.respond", "reason": "approval_approved"}]
    deny = wait_until(lambda: question(second), what="the second approval message")
    bot.push_press(deny["reply_markup"]["inline_keyboard"][0][1]["callback_data"], deny)
    wait_until(lambda: approval_status(daemon, second) == "DENIED", what="the denial")


def test_send_alert_goes_to_the_alert_chats_once(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot, alert_chat_ids="[-100123]"))
    ctx = context(daemon)
    wait_until(lambda: ctx.channels()[0]["state"] == "up", what="the channel up")
    task_id = ctx.store.tasks.enqueue(session_id=telegram_session(OWNER, "default"), payload={"content": "x"})["task_id"]
    ctx.store.audit.record_alert(task_id=task_id, severity="critical", title="Disk full", body="/ is at 99%")
    sent = wait_until(lambda: bot.sent_texts(-100123), what="the alert")
    assert sent == ["🚨 [critical] Disk full\n/ is at 99%"]
    ctx.store.audit.record_alert(task_id=task_id, severity="info", title="Back to normal", body="")
    wait_until(lambda: len(bot.sent_texts(-100123)) == 2, what="the second alert")
    assert bot.sent_texts(-100123)[1] == "ℹ️ [info] Back to normal" and bot.sent_texts(OWNER)[-1:] != sent


def test_retriable_errors_are_retried_and_long_replies_split(bot, start_daemon):
    bot.fail("getUpdates", 502, "Bad Gateway")
    bot.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    daemon = start_daemon(telegram_config(bot))
    long_line = "word " * 818  # 4090 characters: the echo is longer than one message
    update = bot.push_text(long_line.strip())
    chat_id, message_id = bot.reply_to(update)
    wait_until(lambda: len(bot.of("sendMessage", OWNER)) == 3, timeout=15, what="the reply's second part")
    first, second = bot.text_of(chat_id, message_id), bot.sent_texts(OWNER)[-1]
    assert len(first) <= 4096 and len(second) <= 4096 and first + " " + second == "you said: " + long_line.strip()
    sends = bot.of("sendMessage", OWNER)
    assert sends[1].at - sends[0].at >= 0.9  # the 429's retry_after was honoured
    assert len(tasks(daemon)) == 1


def test_a_rejected_token_marks_the_channel_down_without_stopping_the_daemon(bot, start_daemon):
    wrong = "987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    daemon = start_daemon(telegram_config(bot), env={"TELEGRAM_TOKEN": wrong})
    ctx = context(daemon)
    status = wait_until(lambda: (lambda s: s if s["state"] == "down" else None)(ctx.channels()[0]),
                        what="the channel down")
    assert "401" in status["last_error"] and wrong not in json.dumps(status) and status["bot_id"] == "987654321"
    assert call_method(ctx, TOKEN, "system.status", {})["channels"][0]["state"] == "down"
    assert ctx.health()["healthy"]
    log = (daemon.runtime.home / "logs" / "system.jsonl").read_text()
    assert "bot token rejected" in log and wrong.split(":")[1] not in log


def test_config_edits_start_restart_and_stop_the_channel(bot, start_daemon):
    daemon = start_daemon("")
    ctx = context(daemon)
    assert ctx.channels() == [{"name": "telegram", "state": "disabled"}]
    config = daemon.runtime.home / "config.yaml"
    base = config.read_text()
    config.write_text(base + telegram_config(bot))
    assert reload_config(daemon.runtime)
    wait_until(lambda: ctx.channels()[0]["state"] == "up", what="the channel started by the edit")
    bot.push_text("hi", user_id=STRANGER)
    wait_until(lambda: bot.sent_texts(STRANGER), what="the stranger refused")
    config.write_text(base + telegram_config(bot).replace(f"[{OWNER}]", f"[{OWNER}, {STRANGER}]"))
    assert reload_config(daemon.runtime)
    update = bot.push_text("now me", user_id=STRANGER)
    bot.wait_text(update, lambda text: text == "you said: now me")
    config.write_text(base)
    assert reload_config(daemon.runtime)
    assert ctx.channels() == [{"name": "telegram", "state": "disabled"}]


PLAN = """plans:
  - name: ship
    steps:
      - {id: design, agent_id: default, prompt: "design it"}
      - {id: build, agent_id: default, prompt: "build {design.output}", depends_on: [design]}
"""


def test_plan_progress_goes_to_the_alert_chats(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot) + PLAN)
    ctx = context(daemon)
    wait_until(lambda: ctx.channels()[0]["state"] == "up", what="the channel up")
    ctx.execute_plan("ship")
    expected = ["📋 Plan ship started (2 steps)", "📋 Plan ship: 1/2 steps done",
                "📋 Plan ship succeeded (2/2 steps done)"]
    sent = wait_until(lambda: (lambda texts: texts if texts[-1:] == expected[-1:] else None)(bot.sent_texts(OWNER)),
                      timeout=15, what="the plan's end told")
    assert sent[0] == expected[0] and set(sent) <= set(expected)  # a step done may fall between two looks
