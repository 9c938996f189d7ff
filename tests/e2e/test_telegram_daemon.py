"""The Telegram channel of a real daemon process: kill -9 mid-answer and a restart take every update exactly
once (the offset commits with the task), deliver the interrupted answer in the same message, and serve what
arrived while the daemon was down; a bad `channels.telegram` refuses the start."""

import json
import sqlite3

from tests.channels.conftest import telegram_config
from tests.channels.fake_bot_api import OWNER, TOKEN, FakeBotApi
from tests.brain.fake_server import FakeServer, Seen
from tests.dashboard.fake_provider import provider_env, streamed_reply
from tests.helpers import wait_until


def db_rows(db_path, sql, *args):
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, args)]


def contents(db_path):
    return sorted(json.loads(row["payload"])["content"] for row in db_rows(db_path, "SELECT payload FROM tasks"))


def slow_first_two() -> FakeServer:
    """Streams `you said: <line>` at once, except the first answer to "two": three parts 1 s apart."""
    answered: list[str] = []

    def answer(seen: Seen):
        last = seen.body["messages"][-1]["content"]
        answered.append(last)
        return streamed_reply(f"you said: {last}", 1.0 if answered.count("two") == 1 and last == "two" else 0.01)
    return FakeServer(handler=answer)


def test_kill9_mid_answer_then_restart_takes_each_update_once(home, daemons):
    with FakeBotApi() as bot, slow_first_two() as provider:
        (home / "config.yaml").write_text("agents: []\nworker_count: 2\nllm:\n  provider: openai\n"
                                          "  openai_model: gpt-test\n" + telegram_config(bot))
        env = {"GOCLAW_AUTH_TOKEN": "test-token", "TELEGRAM_TOKEN": TOKEN, **provider_env(provider)}
        first = daemons(home, env=env).start().wait_healthy()
        one = bot.push_text("one")
        bot.wait_text(one, lambda text: text == "you said: one")
        two = bot.push_text("two")
        chat_id, message_id = bot.reply_to(two)  # its answer is streaming into this message
        wait_until(lambda: db_rows(first.db_path, "SELECT message_id FROM telegram_replies WHERE message_id = ?",
                                   message_id), what="the reply message recorded")
        assert bot.text_of(chat_id, message_id) != "you said: two"
        first.kill9()

        three = bot.push_text("three")  # arrives while the daemon is down
        bot.replay_all = True  # and Telegram never heard the confirmations: it sends every update again
        second = daemons(home, env=env).start().wait_healthy()
        bot.wait_text(two, lambda text: text == "you said: two")  # the same message, finished
        bot.wait_text(three, lambda text: text == "you said: three")
        assert contents(first.db_path) == ["one", "three", "two"]  # one task per update, none lost
        assert db_rows(first.db_path, "SELECT update_offset FROM channel_offsets") == [{"update_offset": three}]
        wait_until(lambda: db_rows(first.db_path, "SELECT COUNT(*) AS n FROM telegram_replies "
                                                  "WHERE delivered_at IS NULL") == [{"n": 0}], what="all delivered")
        replies = [c for c in bot.of("sendMessage", OWNER) if c.params.get("reply_parameters")]
        assert len(replies) == 3  # the interrupted answer was edited in place, not sent again
        assert second.terminate() == 0


def test_bad_telegram_settings_refuse_the_start(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 2\nchannels:\n  telegram:\n    enabled: true\n"
                                      "    allowed_ids: [42]\n")
    secret = "hunter2-is-my-telegram-password"
    daemon = daemons(home, env={"TELEGRAM_TOKEN": secret}).start()
    assert daemon.wait_exit() == 1
    [failure] = [line for line in daemon.json_lines() if line.get("msg") == "startup failure"]
    assert failure["reason_code"] == "E_CONFIG_LOAD"
    assert "channels.telegram.token (from TELEGRAM_TOKEN) must be a bot token" in failure["error"]
    assert secret not in daemon.output()
