"""Noticing that an HTTP client went away while its request waits (gevent's pywsgi only)."""

import socket
from typing import Any, Mapping

import gevent
import gevent.event
from gevent.socket import wait_read

from goclaw_actors.http.chat_tasks import wait_terminal, wait_watched
from goclaw_actors.http.context import GatewayContext, Watch
from goclaw_actors.store.task_row import TaskRow


CLIENT_SOCKET_KEY = "goclaw.client_socket"  # environ entry: kept by the middleware that reads the body


def client_socket(environ: Mapping[str, Any]) -> socket.socket | None:
    """The client connection of a request served by gevent's pywsgi, or None when unknown.

    The body-reading middleware keeps it in the environ before it replaces `wsgi.input` with a buffer;
    otherwise it is found on the server's own input (before bottle replaces that).
    """
    if CLIENT_SOCKET_KEY in environ:
        return environ[CLIENT_SOCKET_KEY]
    rfile = getattr(environ.get("wsgi.input"), "rfile", None)
    return getattr(getattr(rfile, "raw", None), "_sock", None)


def wait_client_gone(sock: socket.socket) -> None:
    """Return once the client has closed (or reset) its side of the connection.

    Blocks for ever while the connection stays open; a client that sends more bytes (a pipelined
    request) is not gone, and its close can no longer be told apart, so this then blocks for ever too.
    """
    try:
        wait_read(sock.fileno())
        if sock.recv(1, socket.MSG_PEEK):
            gevent.event.Event().wait()
    except OSError:
        pass  # reset by the peer, or closed under us: gone either way


def wait_terminal_unless_gone(ctx: GatewayContext, task_id: str, sock: socket.socket | None,
                              watch: Watch | None = None) -> TaskRow | None:
    """The task once terminal (event-driven), or None as soon as the client has gone away. With the `watch`
    subscribed before the task was enqueued (enqueue_watched), only its events are waited for.

    The task is untouched either way: it is durable and keeps running without its client.
    """
    waiter = gevent.spawn(wait_terminal, ctx, task_id) if watch is None else gevent.spawn(
        wait_watched, ctx, task_id, watch)
    watcher = gevent.spawn(wait_client_gone, sock) if sock is not None else None
    try:
        gevent.wait([g for g in (waiter, watcher) if g is not None], count=1)
        if not waiter.ready():
            return None
        return waiter.get()
    finally:
        gevent.killall([g for g in (waiter, watcher) if g is not None])  # waits, so the watch is closed
