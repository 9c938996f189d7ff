"""`goclaw chat` as a user runs it: against a real daemon (subprocess) with a fake OpenAI provider, and with
no daemon at all (one is started in the chat process). Streamed output, stdin, exit codes, the spinner."""

import json
import os
import pty
import sqlite3
import subprocess
import sys
import threading
import uuid

import gevent
import gevent.os
import pytest

from tests.brain.fake_server import FakeServer, json_reply, sse_reply
from tests.helpers import free_port, wait_until

API_KEY = "sk-test-0123456789abcdefghij"


def chunk(delta, finish=None):
    return {"object": "chat.completion.chunk", "model": "gpt-test",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def streamed(*parts):
    """An OpenAI streaming reply: one content chunk per str, an Event holds the rest until set."""
    events = [chunk({"role": "assistant", "content": ""})]
    reply = sse_reply([])
    chunks = []
    for part in [*events, *parts, chunk({}, finish="stop")]:
        if isinstance(part, threading.Event):
            chunks.append(part)
            continue
        data = part if isinstance(part, dict) else chunk({"content": part})
        chunks.append(f"data: {json.dumps(data)}\n\n".encode())
    chunks.append(b"data: [DONE]\n\n")
    reply.chunks = chunks
    return reply


def echo(seen):
    return streamed(f"you said: {seen.body['messages'][-1]['content']}")


def openai_env(server):
    return {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.url + "/v1"}


def chat(env, *args, stdin=None, cwd=None, timeout=60, **popen):
    """Run `goclaw chat` to the end; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "supervisors.cli", "chat", *args], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout, **popen)


def rows(db_path, sql, *params):
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


class Collector:
    """Reads a pipe or terminal in a green thread (non-blocking reads), keeping everything read."""

    def __init__(self, fd):
        self.fd, self.data = fd, b""
        os.set_blocking(fd, False)
        gevent.spawn(self._read)

    def _read(self):
        while True:
            try:
                block = gevent.os.nb_read(self.fd, 4096)
            except OSError:  # EIO: the terminal's other side closed
                return
            if not block:
                return
            self.data += block

    @property
    def text(self):
        return self.data.decode(errors="replace")


@pytest.fixture
def daemon_with(home, daemons):
    """Start a daemon whose OpenAI provider is `server`."""
    def start(server):
        return daemons(home, env=openai_env(server)).start().wait_healthy()
    return start


def test_the_reply_streams_to_stdout_as_it_comes(home, daemon_with):
    release = threading.Event()
    with FakeServer(handler=lambda seen: streamed("Hello", release, " world")) as server:
        daemon = daemon_with(server)
        proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "chat", "say hello"], env=daemon.env,
                                cwd=home.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = Collector(proc.stdout.fileno())
        try:
            wait_until(lambda: b"Hello" in out.data, timeout=20, what="the first chunk on stdout")
            assert b"world" not in out.data and proc.poll() is None  # the rest is still held by the provider
        finally:
            release.set()
        assert proc.wait(timeout=30) == 0
        wait_until(lambda: out.data.endswith(b"\n"), timeout=5)
        assert out.text == "Hello world\n"
        assert proc.stderr.read() == b""  # no spinner without a terminal, no log lines
        assert server.last.body["stream"] is True
    [task] = rows(daemon.db_path, "SELECT * FROM tasks")
    assert task["status"] == "SUCCEEDED" and json.loads(task["payload"])["source"] == "acp"
    assert json.loads(task["result"])["reply"] == "Hello world"
    assert daemon.terminate() == 0


def test_the_message_can_come_from_stdin_and_a_session_continues(home, daemon_with):
    with FakeServer(handler=echo) as server:
        daemon = daemon_with(server)
        piped = chat(daemon.env, stdin="what is 2+2?\n", cwd=home.parent)
        assert (piped.returncode, piped.stdout, piped.stderr) == (0, "you said: what is 2+2?\n", "")
        session = str(uuid.uuid4())
        dash = chat(daemon.env, "--session", session, "-", stdin="first turn", cwd=home.parent)
        assert dash.returncode == 0 and dash.stdout == "you said: first turn\n"
        again = chat(daemon.env, "--session", session, "second", "turn", cwd=home.parent)
        assert again.returncode == 0 and again.stdout == "you said: second turn\n"
        history = [m["content"] for m in server.last.body["messages"] if m["role"] != "system"]
        assert history == ["first turn", "you said: first turn", "second turn"]
    assert daemon.terminate() == 0


def test_exit_codes_for_failure_unknown_agent_and_usage(home, daemon_with):
    def refuse(seen):
        return json_reply({"error": {"message": "Incorrect API key provided:\nrevoked", "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}, 401)

    with FakeServer(handler=refuse) as server:
        daemon = daemon_with(server)
        failed = chat(daemon.env, "hello", cwd=home.parent)
        assert failed.returncode == 1 and failed.stdout == ""
        [line] = failed.stderr.splitlines()
        [task] = rows(daemon.db_path, "SELECT id, status, error FROM tasks")
        assert task["status"] == "DEAD_LETTER"
        assert line.startswith(f"goclaw chat: task {task['id']} DEAD_LETTER: ") and "Incorrect API key" in line
        unknown = chat(daemon.env, "--agent", "ghost", "hello", cwd=home.parent)
        assert (unknown.returncode, unknown.stdout, unknown.stderr) == (1, "", 'goclaw chat: agent "ghost" not found\n')
        assert len(rows(daemon.db_path, "SELECT id FROM tasks")) == 1  # nothing enqueued for ghost
        for args, stdin, message in ((["--session", "not-a-uuid", "hi"], None, "--session must be a UUID"),
                                     ([], "  \n", "the message is empty"), (["--frobnicate", "hi"], None, "")):
            usage = chat(daemon.env, *args, stdin=stdin, cwd=home.parent)
            assert usage.returncode == 2 and "usage: goclaw chat" in usage.stderr and message in usage.stderr
    assert daemon.terminate() == 0


def test_without_a_daemon_one_runs_in_process_and_keeps_its_log_off_stdout(home):
    port = free_port()
    with FakeServer(handler=echo) as server:
        env = {**os.environ, "GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{port}", **openai_env(server)}
        result = chat(env, "anyone home?", cwd=home.parent)
    assert (result.returncode, result.stdout, result.stderr) == (0, "you said: anyone home?\n", "")
    [task] = rows(home / "goclaw.db", "SELECT status FROM tasks")
    assert task["status"] == "SUCCEEDED"
    log = [json.loads(line) for line in (home / "logs" / "system.jsonl").read_text().splitlines()]
    assert any(line.get("phase") == "acp_listener_bound" for line in log)
    assert any(line.get("msg") == "shutdown complete" for line in log)
    listening = [line["bind_addr"] for line in log if line.get("phase") == "acp_listener_bound"]
    assert listening and all(address != f"127.0.0.1:{port}" for address in listening)  # a private port


def test_no_in_process_daemon_while_another_process_holds_the_database(home, daemons):
    daemon = daemons(home).start().wait_healthy()
    assert daemon.terminate() == 0
    holder = sqlite3.connect(home / "goclaw.db")
    holder.execute("SELECT COUNT(*) FROM tasks").fetchone()
    try:
        env = {**daemon.env, "GOCLAW_BIND_ADDR": f"127.0.0.1:{free_port()}"}
        result = chat(env, "hello", cwd=home.parent)
    finally:
        holder.close()
    assert result.returncode == 1 and "in use by another process" in result.stderr
    assert rows(home / "goclaw.db", "SELECT id FROM tasks") == []


def test_a_spinner_with_elapsed_time_shows_on_a_terminal_until_the_first_token(home, daemon_with):
    release = threading.Event()
    with FakeServer(handler=lambda seen: streamed(release, "done")) as server:
        daemon = daemon_with(server)
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "chat", "think"], env=daemon.env,
                                cwd=home.parent, stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        terminal = Collector(master)
        try:
            wait_until(lambda: "waiting for the reply" in terminal.text and "s" in terminal.text.split("reply")[-1],
                       timeout=20, what="the spinner")
        finally:
            release.set()
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read() == b"done\n"
        wait_until(lambda: terminal.text.endswith("\r\x1b[K"), timeout=5, what="the spinner's line cleared")
        os.close(master)
    assert daemon.terminate() == 0
