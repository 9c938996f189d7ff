"""web_search backends (Brave, Perplexity, DuckDuckGo HTML) and price_comparison against local fakes."""

import json
from urllib.parse import parse_qs, urlsplit

from goclaw_actors.tools.price_comparison import price_comparison
from goclaw_actors.tools.web_search import backend_order, web_search
from tests.brain.fake_server import FakeServer, Reply, json_reply
from tests.unit.tool_fixtures import context, make_env

LOOPBACK_POLICY = "allow_loopback: true\nallow_capabilities: [tools.web_search]\n"
DDG_PAGE = """<html><body>
<div class="result">
  <a class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fshop.example%2Fa&rut=x">Widget A</a>
  <a class="result__snippet">Widget A for only $19.99 today</a></div>
<div class="result"><a class="result__a" href="https://other.example/b">Widget B</a>
  <div class="result__snippet">Widget B costs $7.50</div></div>
<div class="result"><a class="result__a" href="https://third.example/c">Widget C</a></div>
</body></html>"""


def env_for(tmp_path, servers, preferred="", environ=None, policy=LOOPBACK_POLICY, api_keys=None):
    config = {"tools": {"web_search": {f"{name}_base_url": url for name, url in servers.items()}},
              "api_keys": api_keys or {}}
    return make_env(tmp_path / "home", policy, config=config, environ=environ or {}, preferred_search=preferred)


def results(env, query="widgets", audits=None):
    return json.loads(web_search(env, {"query": query}, context(audits=audits)))


def test_the_preferred_backend_comes_first():
    assert backend_order("") == ["brave", "perplexity", "duckduckgo"]
    assert backend_order("DDG") == ["duckduckgo", "brave", "perplexity"]
    assert backend_order("perplexity") == ["perplexity", "brave", "duckduckgo"]


def test_brave_answers_with_its_api_and_key(tmp_path):
    body = {"web": {"results": [{"title": f"T{i}", "url": f"https://r{i}.example/", "description": f"D{i}"}
                                for i in range(7)]}}
    with FakeServer([json_reply(body)]) as brave:
        env = env_for(tmp_path, {"brave": brave.url}, environ={"BRAVE_API_KEY": "brave-key"})
        found = results(env, "goclaw actors")
    assert len(found) == 5 and found[0] == {"title": "T0", "url": "https://r0.example/", "snippet": "D0"}
    request = brave.last
    assert urlsplit(request.path).path == "/res/v1/web/search"
    assert parse_qs(urlsplit(request.path).query) == {"q": ["goclaw actors"], "count": ["5"]}
    assert request.headers["x-subscription-token"] == "brave-key"


def test_perplexity_uses_sonar_and_returns_its_sources(tmp_path):
    body = {"choices": [{"message": {"content": "Widgets are small."}}],
            "search_results": [{"title": "Src", "url": "https://src.example/", "snippet": "s"}]}
    with FakeServer([json_reply(body)]) as pplx:
        env = env_for(tmp_path, {"perplexity": pplx.url}, preferred="perplexity",
                      api_keys={"perplexity_api_key": "pplx-key"})
        found = results(env)
    assert found[0]["snippet"] == "Widgets are small." and found[1]["url"] == "https://src.example/"
    assert pplx.last.path == "/chat/completions" and pplx.last.body["model"] == "sonar"
    assert pplx.last.headers["authorization"] == "Bearer pplx-key"


def test_duckduckgo_html_results_are_read_from_the_page(tmp_path):
    with FakeServer([Reply(body=DDG_PAGE.encode(), headers={"Content-Type": "text/html"})]) as ddg:
        env = env_for(tmp_path, {"duckduckgo": ddg.url})
        found = results(env, "widget")
    assert [r["url"] for r in found] == ["https://shop.example/a", "https://other.example/b",
                                         "https://third.example/c"]
    assert found[0]["snippet"] == "Widget A for only $19.99 today" and ddg.last.path == "/html/?q=widget"


def test_a_failing_or_denied_backend_falls_through_to_the_next(tmp_path):
    audits = []
    with FakeServer([Reply(500, b"down")]) as brave, \
            FakeServer([Reply(body=DDG_PAGE.encode(), headers={"Content-Type": "text/html"})]) as ddg:
        env = env_for(tmp_path, {"brave": brave.url, "perplexity": "http://169.254.169.254",
                                 "duckduckgo": ddg.url},
                      environ={"BRAVE_API_KEY": "k", "PERPLEXITY_API_KEY": "k"})
        found = results(env, audits=audits)
    assert found[0]["title"] == "Widget A" and len(brave.seen) == 1
    assert audits == [("deny", "url_denied")]


def test_when_nothing_answers_one_pseudo_result_explains_why(tmp_path):
    env = env_for(tmp_path, {"duckduckgo": "http://10.0.0.1"}, policy="allow_loopback: false\n")
    found = results(env)
    assert len(found) == 1 and found[0]["title"] == "No search results" and found[0]["url"] == ""
    snippet = found[0]["snippet"]
    assert "brave: no API key" in snippet and "perplexity: no API key" in snippet
    assert "duckduckgo: url denied: private address 10.0.0.1" in snippet


def test_price_comparison_orders_offers_by_stated_price(tmp_path):
    with FakeServer([Reply(body=DDG_PAGE.encode(), headers={"Content-Type": "text/html"})]) as ddg:
        env = env_for(tmp_path, {"duckduckgo": ddg.url})
        compared = json.loads(price_comparison(env, {"prompt": "widget"}, context()))
    assert compared["query"] == "widget price"
    assert [(o["title"], o["price"]) for o in compared["offers"]] == [
        ("Widget B", "$ 7.50"), ("Widget A", "$ 19.99"), ("Widget C", None)]
    assert compared["note"].startswith("2 of 3 offers state a price")
