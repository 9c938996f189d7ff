"""The gateway's HTTP connection handler: every request through the WSGI app, WebSocket upgrades on the
route's word, refused framing and malformed headers before the app runs, a deadline on each request's
head (slow clients), and unread bodies disposed of within bounds."""

import http.client

import gevent
import gevent.lock
from gevent.pywsgi import WSGIHandler
from geventwebsocket.handler import WebSocketHandler

from goclaw_actors.http.body_limit import BODY_READ_KEY
from goclaw_actors.http.request_framing import (DEFAULT_HEAD_TIMEOUT_SECONDS, HeadTimeout, drain_unread,
                                                framing_problem, has_body, header_problem)
from goclaw_actors.http.websocket import UPGRADE_KEY, CappedWebSocket


class GatewayHandler(WebSocketHandler):
    """Runs every request through the WSGI app; upgrade requests get `environ[UPGRADE_KEY]`.

    Requests with ambiguous length headers are refused with 400 before the app runs, and a body the
    app did not read is drained within bounds, by at most the server's `body_drains` at once, or the
    connection closed (goclaw_actors/http/request_framing.py). Accepted sockets are listed in the
    server's `open_websockets` (when it has one) while they run, so that shutdown can close them with 1001.
    """

    def MessageClass(self, *args):  # noqa: N802 - gevent's name: parses the request headers
        try:
            headers = super().MessageClass(*args)
        except http.client.HTTPException as exc:  # too many or too long: a client error, not a traceback
            raise ValueError(str(exc) or "invalid headers") from None
        problem = header_problem(headers) or framing_problem(headers.get_all("Content-Length") or [],
                                                             headers.get_all("Transfer-Encoding") or [])
        if problem is not None:
            raise ValueError(problem)  # gevent answers 400 and closes the connection
        return headers

    def read_requestline(self):
        """The request line, or "" (the connection closes) when none arrives within the head deadline (an
        idle keep-alive connection, or a client trickling bytes)."""
        try:
            with gevent.Timeout(self._head_timeout(), HeadTimeout()):
                return super().read_requestline()
        except HeadTimeout:
            self.close_connection = True
            return ""

    def read_request(self, raw_requestline):
        """The headers, within the head deadline too (else 400 and the connection closes)."""
        try:
            with gevent.Timeout(self._head_timeout(), HeadTimeout()):
                return super().read_request(raw_requestline)
        except HeadTimeout:
            self.close_connection = True
            raise ValueError("request head not received in time") from None

    def _head_timeout(self) -> float:
        settings = getattr(getattr(self.server, "application", None), "settings", None)
        return settings().request_head_timeout if callable(settings) else DEFAULT_HEAD_TIMEOUT_SECONDS

    def run_application(self):
        if self.environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            try:
                return WSGIHandler.run_application(self)
            finally:
                self._settle_unread_body()
        self.environ[UPGRADE_KEY] = self._accept
        try:
            return WSGIHandler.run_application(self)
        finally:
            websocket = getattr(self, "websocket", None)
            if websocket is not None:
                getattr(self.server, "open_websockets", set()).discard(websocket)

    def _settle_unread_body(self) -> None:
        """Drain a body the app left unread (bounded), or close the connection instead of reading it."""
        environ = self.environ
        if environ.get(BODY_READ_KEY) or not has_body(environ):
            return
        drains = getattr(self.server, "body_drains", None)
        drained = False
        # A client waiting for `100 Continue` has not sent its body: reading would ask for it.
        if environ.get("HTTP_EXPECT", "").lower() != "100-continue" and drains is not None \
                and drains.acquire(blocking=False):
            try:
                drained = drain_unread(self.wsgi_input)
            finally:
                drains.release()
        if not drained:
            self.close_connection = True
            self.wsgi_input = _NOTHING_TO_DISCARD

    def _accept(self) -> CappedWebSocket | None:
        """Complete the handshake and send the 101; None if the request is not a valid upgrade."""
        self.upgrade_websocket()
        websocket = self.environ.get("wsgi.websocket")
        if websocket is None:
            return None
        self.send_lock = gevent.lock.Semaphore()
        websocket.__class__ = CappedWebSocket
        self.write(b"")
        getattr(self.server, "open_websockets", set()).add(websocket)
        return websocket

    def start_response(self, status, headers, exc_info=None):
        """After a WebSocket session the app's own response has nothing left to say: the 101 was sent."""
        if self.headers_sent and self.environ.get("wsgi.websocket") is not None:
            return self.write
        return super().start_response(status, headers, exc_info)

    def log_request(self):
        return WSGIHandler.log_request(self)


class _NothingToDiscard:
    """Stands in for a request input gevent must not read after the response (the connection closes)."""

    def _discard(self) -> None:
        return None


_NOTHING_TO_DISCARD = _NothingToDiscard()
