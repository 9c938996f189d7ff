"""Outbound HTTP of tools against real local servers: vetted redirects, pinned addresses, caps."""

from dataclasses import replace

import pytest

from goclaw_actors.tools.errors import PolicyDenied, ToolError
from goclaw_actors.tools.pinned_http import FetchLimits, fetch
from goclaw_actors.tools.url_guard import check_url
from tests.brain.fake_server import FakeServer, Reply


class ChangingResolver:
    """A DNS server that answers differently on each lookup (a rebinding attacker), counting lookups."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.lookups = 0

    def __call__(self, host, port):
        self.lookups += 1
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


def guard_for(resolver=None, domains=("rebind.test", "localhost"), allow_loopback=True):
    def guard(url):
        return check_url(url, domains, allow_loopback, resolve=resolver or (lambda host, port: ["127.0.0.1"]))
    return guard


def test_a_page_is_fetched_with_its_status_headers_and_body():
    with FakeServer([Reply(body=b"<p>hi</p>", headers={"Content-Type": "text/html; charset=utf-8"})]) as server:
        fetched = fetch(server.url + "/page", guard_for())
    assert (fetched.status, fetched.text(), fetched.truncated) == (200, "<p>hi</p>", False)
    assert server.last.method == "GET" and server.last.path == "/page"


def test_a_redirect_from_an_allowed_server_to_a_private_address_is_denied():
    targets = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://[::ffff:192.168.0.1]/",
               "http://0x7f000001.evil/", "file:///etc/passwd"]
    for target in targets:
        with FakeServer([Reply(302, headers={"Location": target})]) as server:
            with pytest.raises(PolicyDenied, match="url denied"):
                fetch(server.url + "/start", guard_for(allow_loopback=True))
            assert [seen.path for seen in server.seen] == ["/start"]


def test_each_redirect_hop_is_followed_and_vetted_again():
    def hop(seen):
        n = int(seen.path.strip("/") or 0)
        return Reply(302, headers={"Location": f"/{n + 1}"}) if n < 3 else Reply(body=b"arrived")

    resolver = ChangingResolver("127.0.0.1")
    with FakeServer(handler=hop) as server:
        fetched = fetch(f"http://rebind.test:{server.port}/0", guard_for(resolver))
    assert fetched.text() == "arrived" and fetched.url.endswith("/3")
    assert resolver.lookups == 4  # one lookup per hop, each answer vetted


def test_more_than_ten_redirects_fail():
    with FakeServer([Reply(302, headers={"Location": "/again"})]) as server:
        with pytest.raises(ToolError, match="too many redirects"):
            fetch(server.url + "/", guard_for())
        assert len(server.seen) == 11


def test_the_connection_goes_to_the_vetted_address_not_to_a_second_answer():
    # The name is unknown to the system resolver: the request can only succeed by connecting to the address
    # the guard vetted, and the attacker's second answer (the metadata service) is never looked up.
    resolver = ChangingResolver("127.0.0.1", "169.254.169.254")
    with FakeServer([Reply(body=b"ok")]) as server:
        fetched = fetch(f"http://rebind.test:{server.port}/x", guard_for(resolver))
        assert fetched.text() == "ok" and resolver.lookups == 1
        assert server.last.headers["host"] == f"rebind.test:{server.port}"
        with pytest.raises(PolicyDenied, match="cloud metadata"):
            fetch(f"http://rebind.test:{server.port}/x", guard_for(resolver))
        assert len(server.seen) == 1


def test_the_body_is_capped_and_the_time_is_limited():
    with FakeServer([Reply(body=b"x" * 5000)]) as server:
        fetched = fetch(server.url + "/", guard_for(), limits=FetchLimits(max_bytes=1000))
    assert len(fetched.body) == 1000 and fetched.truncated
    with FakeServer([replace(Reply(body=b"late"), delay=1.5)]) as server:
        with pytest.raises(ToolError, match="timed out after 0.3s"):
            fetch(server.url + "/", guard_for(), limits=FetchLimits(timeout_seconds=0.3))


def test_a_303_after_a_post_continues_with_get():
    def answer(seen):
        return Reply(303, headers={"Location": "/done"}) if seen.method == "POST" else Reply(body=b"got")

    with FakeServer(handler=answer) as server:
        fetched = fetch(server.url + "/form", guard_for(), method="POST", body=b"{}")
    assert fetched.text() == "got" and [s.method for s in server.seen] == ["POST", "GET"]


def test_text_is_utf_8_unless_a_charset_is_declared():
    page = "café".encode()
    with FakeServer([Reply(body=page, headers={"Content-Type": "text/html"})]) as server:
        assert fetch(server.url + "/", guard_for()).text() == "café"
    with FakeServer([Reply(body="café".encode("latin-1"), headers={"Content-Type": "text/plain; charset=ISO-8859-1"})
                     ]) as server:
        assert fetch(server.url + "/", guard_for()).text() == "café"


def test_https_connects_to_the_vetted_address_with_the_name_for_sni_and_certificate():
    import requests

    from goclaw_actors.tools.pinned_http import PinnedAdapter

    vetted = check_url("https://example.com/x", ["example.com"], False, resolve=lambda host, port: ["93.184.216.34"])
    pool = PinnedAdapter(vetted).get_connection_with_tls_context(
        requests.Request("GET", vetted.url).prepare(), verify=True)
    connection = pool._new_conn()  # not connected: no traffic leaves this machine
    assert (pool.host, pool.port, pool.assert_hostname) == ("93.184.216.34", 443, "example.com")
    assert (connection.host, connection.server_hostname) == ("93.184.216.34", "example.com")
