"""Chat channels outside the gateway (SPEC §10): the Telegram Bot API channel.

`telegram_settings` reads and checks `channels.telegram`, `bot_api` speaks the Bot API over `requests`,
`telegram_updates` sorts incoming updates, `telegram_text` shapes what is sent, and `send_pacing` keeps
within the Bot API's rate limits. The actor is actors/telegram_channel.py.
"""
