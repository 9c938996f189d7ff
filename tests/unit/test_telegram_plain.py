"""The Telegram channel's plain parts: settings and their errors, update sorting, command forms, message
splitting, send pacing, and the Bot API client's error classes against the fake Bot API."""

import pytest

from goclaw_actors.channels.bot_api import BotApi, BotApiError, call_retrying
from goclaw_actors.channels.send_pacing import SendPacer
from goclaw_actors.channels.telegram_settings import DEFAULT_API_BASE_URL, telegram_settings
from goclaw_actors.channels.telegram_text import MAX_MESSAGE_CHARS, split_text
from goclaw_actors.channels.telegram_updates import (ButtonPress, Ignored, TextLine, classify, command_text,
                                                     parse_approval_data)
from goclaw_actors.config.loader import config_from_data
from goclaw_actors.errors import ConfigError
from goclaw_actors.redaction import redact_text
from tests.channels.fake_bot_api import TOKEN, FakeBotApi

GOOD = {"enabled": True, "token": TOKEN, "allowed_ids": [42]}


def settings(**entry):
    return telegram_settings({"channels": {"telegram": {**GOOD, **entry}}})


def test_settings_defaults_and_env():
    got = settings()
    assert got.api_base_url == DEFAULT_API_BASE_URL and got.poll_timeout_seconds == 30
    assert got.alert_chats == (42,) and got.channel == "telegram:123456789" and TOKEN not in repr(got)
    assert settings(enabled=False) is None and telegram_settings({}) is None
    config = config_from_data({"channels": {"telegram": {"enabled": True, "allowed_ids": [1, "2"]}}},
                              {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/"})
    loaded = telegram_settings(config)
    assert loaded.token == TOKEN and loaded.allowed_ids == {1, 2} and loaded.api_base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize("entry, message", [
    ({"token": None}, "channels.telegram.token (or TELEGRAM_TOKEN) is required"),
    ({"token": "secret-value-without-colon-xxxxxxxxxxx"}, "must be a bot token as BotFather gives it"),
    ({"allowed_ids": []}, "allowed_ids must list at least one Telegram user id"),
    ({"allowed_ids": "42"}, "allowed_ids must be a list"),
    ({"allowed_ids": [42, -5]}, "allowed_ids[1] must be at least 1"),
    ({"allowed_ids": [True]}, "allowed_ids[0] must be a whole number"),
    ({"alert_chat_ids": [0]}, "alert_chat_ids[0] must not be 0"),
    ({"enabled": "yes"}, "enabled must be true or false"),
    ({"api_base_url": "ftp://example.com"}, "api_base_url must be an http(s) URL"),
    ({"poll_timeout_seconds": 90}, "poll_timeout_seconds must be at most 50"),
    ({"edit_interval_seconds": 0.2}, "edit_interval_seconds must be at least 1"),
    ({"max_backoff_seconds": "nan"}, "max_backoff_seconds must be a finite number"),
])
def test_bad_settings_are_refused_with_the_key(entry, message):
    with pytest.raises(ConfigError) as caught:
        config_from_data({"channels": {"telegram": {**GOOD, **entry}}}, {})
    assert message in str(caught.value) and "BotFather" not in TOKEN and TOKEN not in str(caught.value)


def test_updates_are_sorted_and_hostile_ones_ignored():
    line = classify({"update_id": 5, "message": {"message_id": 9, "text": "hi", "from": {"id": 42},
                                                  "chat": {"id": 42, "type": "private"}}})
    assert line == TextLine(5, 42, 42, 9, "hi")
    press = classify({"update_id": 6, "callback_query": {"id": "c", "data": "approval:deny:x", "from": {"id": 42},
                                                         "message": {"message_id": 3, "chat": {"id": 42}}}})
    assert press == ButtonPress(6, 42, 42, 3, "c", "approval:deny:x")
    assert classify({"update_id": "7"}) is None and classify([]) is None
    assert classify({"update_id": 8, "message": {"text": ["x"], "from": {"id": 1}}}) == Ignored(8, 1, None, False)
    assert classify({"update_id": 9, "callback_query": {"id": 1}}) == Ignored(9, None)
    assert classify({"update_id": 10, "edited_message": {}}) == Ignored(10)


def test_command_forms_and_button_data():
    assert command_text("/memory@my_bot list") == "/memory list"
    assert command_text("/start") == "/help" and command_text("hello /start") == "hello /start"
    assert parse_approval_data("approval:approve:abc") == ("approve", "abc")
    assert parse_approval_data("approval:maybe:abc") is None and parse_approval_data("other") is None


def test_split_text_keeps_every_character_but_the_breaks():
    text = ("line\n" * 1000) + "x" * 5000
    pieces = split_text(text)
    assert all(len(piece) <= MAX_MESSAGE_CHARS for piece in pieces) and len(pieces) == 3
    assert pieces[0].endswith("line") and pieces[0].count("line") == MAX_MESSAGE_CHARS // 5  # cut at a break
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert split_text("") == ["…"] and split_text("short") == ["short"]


def test_pacer_keeps_one_send_per_chat_per_second_and_thirty_in_all():
    now = [100.0]
    pacer = SendPacer(clock=lambda: now[0])
    assert pacer.reserve(1) == 0 and not pacer.ready(1) and pacer.reserve(1) == pytest.approx(1.0)
    waits = [pacer.reserve(chat) for chat in range(2, 62)]  # 60 other chats: 30 in any one second
    # chat 1 and 29 others in the first second; 29 others beside chat 1's second send in the next; then 2 more
    assert waits == [0.0] * 29 + [pytest.approx(1.0)] * 29 + [pytest.approx(2.0)] * 2
    pacer.defer(1, 5)
    assert pacer.reserve(1) == pytest.approx(5.0)


def test_bot_api_errors_are_classified_and_never_show_the_token():
    with FakeBotApi() as bot:
        api = BotApi(bot.url, TOKEN)
        bot.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(BotApiError) as caught:
            api.call("sendMessage", {"chat_id": 1, "text": "x"})
        assert caught.value.retriable and caught.value.retry_after == 3
        bot.fail("sendMessage", 500, "Internal Server Error")
        slept = []
        assert call_retrying(api, "sendMessage", {"chat_id": 1, "text": "x"}, slept.append)["text"] == "x"
        assert len(slept) == 1
        wrong = BotApi(bot.url, "999999:" + "Z" * 35)
        with pytest.raises(BotApiError) as caught:
            wrong.call("getMe")
        assert caught.value.token_rejected and not caught.value.retriable
    with pytest.raises(BotApiError) as caught:  # the server is gone: a network error naming the URL
        api.call("getUpdates", read_timeout=1)
    assert caught.value.retriable and TOKEN not in str(caught.value) and "bot[REDACTED]" in str(caught.value)
    assert redact_text(f"GET /bot{TOKEN}/x") == "GET /bot[REDACTED]/x"
