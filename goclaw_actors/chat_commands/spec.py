"""One slash command: how it is typed, what it does, and the function answering it."""

from dataclasses import dataclass
from typing import Callable

from goclaw_actors.chat_commands.env import CommandEnv, CommandFailed
from goclaw_actors.chat_commands.lines import Command

Handler = Callable[[Command, CommandEnv], str]


@dataclass(frozen=True)
class CommandSpec:
    """A command's usage line, its summary for /help, and its handler (returns the answer text)."""

    usage: str
    summary: str
    run: Handler


def usage(*forms: str) -> CommandFailed:
    """The answer to a command typed the wrong way: `Usage: <form> | <form>`."""
    return CommandFailed("Usage: " + " | ".join(forms))


def bullets(title: str, items: list[str]) -> str:
    """`title` then one `  • item` line per item."""
    return "\n".join([title] + [f"  • {entry}" for entry in items])
