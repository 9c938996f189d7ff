"""`goclaw chat [--agent ID] [--session UUID] "message"` (SPEC §12): one durable task through the running
daemon's ACP, or through a daemon started in this process when none answers; the reply is streamed to
stdout. The message may be an @mention or a chat command (the daemon parses it); without `--agent` it goes
to the session's @mention target (set by an earlier `@id` in that session), else to `default`. Exit 0 when
the task succeeds, 1 with its error on stderr when it does not (or the agent is
unknown), 2 on a usage error. With no message (or `-`) the message is read from stdin.
"""

import sys
import uuid
from pathlib import Path
from typing import TextIO

from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import GoclawError
from goclaw_actors.ops.acp_chat import ChatRefused, chat_stream
from goclaw_actors.ops.daemon_probe import OTHER_GOCLAW, OURS, client_token, probe_daemon
from goclaw_actors.terminal_progress import Spinner, is_terminal
from supervisors.commands.common import cli_environment, fail, one_line, parser

COMMAND = "chat"
INTERRUPTED = 130


def main(argv: list[str]) -> int:
    """Send one message and stream the reply."""
    cli = parser(COMMAND, "Send one message to an agent and print its reply as it streams.")
    cli.add_argument("--agent", metavar="ID",
                     help="agent to ask (default: the session's @mention target, else default)")
    cli.add_argument("--session", metavar="UUID", help="session to continue (default: a new one)")
    cli.add_argument("message", nargs="*", help="the message; none or - reads it from stdin")
    args = cli.parse_args(argv)
    session_id = str(uuid.uuid4())
    if args.session is not None:
        try:
            session_id = str(uuid.UUID(args.session))
        except ValueError:
            cli.error(f"--session must be a UUID, got {args.session!r}")
    if args.agent is not None and not args.agent.strip():
        cli.error("--agent must not be empty")
    message = " ".join(args.message) if args.message and args.message != ["-"] else _read_stdin()
    if not message.strip():
        cli.error("the message is empty")
    try:
        return _chat(args.agent.strip() if args.agent is not None else None, session_id, message)
    except KeyboardInterrupt:
        return fail(COMMAND, "interrupted (the task, if enqueued, keeps running in the daemon)", INTERRUPTED)


def _read_stdin() -> str:
    if is_terminal(sys.stdin):
        print("reading the message from stdin; end it with Ctrl-D", file=sys.stderr)
    return sys.stdin.read()


def _chat(agent_id: str | None, session_id: str, message: str) -> int:
    try:
        environ, home = cli_environment()
        config = load_config(home, environ)
    except GoclawError as exc:
        return fail(COMMAND, str(exc))
    token = client_token(home, environ)
    probe = probe_daemon(config.bind_addr, token)
    if probe.state == OURS:
        return send(probe.url, token, agent_id, session_id, message)
    if probe.state == OTHER_GOCLAW:
        return fail(COMMAND, f"the goclaw daemon at {config.bind_addr} {probe.detail}; is GOCLAW_HOME right?")
    from supervisors.local_daemon import local_daemon  # the whole daemon: imported only when it is needed
    try:
        with local_daemon(home, environ, Path.cwd()) as (url, local_token):
            return send(url, local_token, agent_id, session_id, message)
    except GoclawError as exc:  # StartupError and the like
        return fail(COMMAND, f"no daemon answers at {config.bind_addr} and one could not be started: {exc}")


def send(base_url: str, token: str, agent_id: str | None, session_id: str, message: str,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the chat task at `base_url`, streaming its reply to stdout; returns the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    spinner = Spinner("waiting for the reply", stderr).start() if is_terminal(stderr) else None
    last = ""

    def on_chunk(text: str) -> None:
        nonlocal last
        if spinner is not None:
            spinner.stop()
        stdout.write(text)
        stdout.flush()
        last = text or last

    try:
        outcome = chat_stream(base_url, token, agent_id, session_id, message, on_chunk)
    except ChatRefused as exc:
        return fail(COMMAND, str(exc))
    finally:
        if spinner is not None:
            spinner.stop()
    if last and not last.endswith("\n"):
        stdout.write("\n")
        stdout.flush()
    if not outcome.succeeded:
        error = one_line(outcome.error) or "no reply"
        return fail(COMMAND, f"task {outcome.task_id} {outcome.status}: {error}")
    return 0
