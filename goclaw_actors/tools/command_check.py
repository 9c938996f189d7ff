"""What `exec` refuses before running anything (SPEC §5.2): metacharacters and deny-listed command words.

The command is refused if it contains `;`, `$(`, a backtick or a line break. It is split into segments
on `||`, `&&`, `|` (and `&`, `|&`, parentheses, which separate commands just the same); the command
word of every segment (its basename, after variable assignments and redirections) must not be on the
deny list. Commands run through a wrapper (`env rm`, `xargs rm`, `sh -c "rm …"`, `find -exec rm`) are
checked through the wrapper.
"""

import os
import re
import shlex

from goclaw_actors.tools.errors import PolicyDenied

COMMAND_DENIED = "command_denied"
FORBIDDEN = (";", "$(", "`", "\n", "\r")
DENIED_COMMANDS = frozenset(
    "rm rmdir mkfs dd shutdown reboot halt poweroff kill killall pkill sudo su chmod chown base64 openssl xxd "
    "python python3 perl ruby node go java php lua awk sed".split())
SEPARATORS = frozenset({"|", "||", "&&", "&", "|&", "(", ")"})
WRAPPERS = frozenset({"env", "nice", "nohup", "timeout", "xargs", "exec", "command", "builtin", "time", "stdbuf",
                      "setsid", "ionice", "doas", "chroot", "watch", "strace", "busybox", "flock", "unshare"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECTION = re.compile(r"^[<>&|]+$")


def refused(what: str) -> PolicyDenied:
    """An exec refusal (audited as a deny with reason `command_denied`)."""
    return PolicyDenied(COMMAND_DENIED, f"command refused: {what}")


def tokens(command: str) -> list[str]:
    """Shell words and operators of `command`; raises PolicyDenied when it cannot be parsed."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError as exc:
        raise refused(f"cannot be parsed ({exc})") from None


def segments(words: list[str]) -> list[list[str]]:
    """The simple commands of a token list, split on the separators."""
    parts: list[list[str]] = [[]]
    for word in words:
        if word in SEPARATORS:
            parts.append([])
        else:
            parts[-1].append(word)
    return [part for part in parts if part]


def command_words(segment: list[str]) -> list[str]:
    """The words of a segment that name a program to run: the command word, skipping assignments and
    redirections (`2>/dev/null`), and everything after it when it is a wrapper."""
    words, index = [], 0
    while index < len(segment):
        word = segment[index]
        if _REDIRECTION.match(word):
            index += 2  # the operator and its target
            continue
        if word.isdigit() and index + 1 < len(segment) and _REDIRECTION.match(segment[index + 1]):
            index += 1  # a file descriptor number before a redirection
            continue
        if _ASSIGNMENT.match(word):
            index += 1
            continue
        words.append(word)
        break
    rest = segment[index + 1:]
    name = os.path.basename(words[0]) if words else ""
    if name in WRAPPERS:
        words += [word for word in rest if not word.startswith("-")]
    words += [rest[i + 1] for i, word in enumerate(rest[:-1]) if word in FIND_EXEC]
    return words


def check_command(command: str) -> None:
    """Raise PolicyDenied (`command_denied`) when `command` must not run; return otherwise."""
    if not isinstance(command, str) or not command.strip():
        raise refused("empty command")
    for needle in FORBIDDEN:
        if needle in command:
            raise refused(f"{needle!r} is not allowed")
    for segment in segments(tokens(command)):
        for word in command_words(segment):
            name = os.path.basename(word)
            if name in DENIED_COMMANDS:
                raise refused(f'"{name}" is not allowed')
        name = os.path.basename(segment[0]) if segment else ""
        if name in SHELLS and "-c" in segment[:-1]:
            check_command(segment[segment.index("-c") + 1])
