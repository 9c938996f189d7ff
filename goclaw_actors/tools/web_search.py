"""`web_search{query}` (SPEC §5.1): Brave, Perplexity and DuckDuckGo HTML, preferred backend first.

Each backend's URL goes through the URL guard (a denial is audited and the next backend is tried).
Base URLs are configurable (`tools.web_search.<backend>_base_url`) so a mirror or a test fake can stand
in. When no backend answers, the result is one explanatory pseudo-result, not an error.
"""

import json
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.errors import PolicyDenied, ToolError
from goclaw_actors.tools.html_text import parse_html
from goclaw_actors.tools.pinned_http import Guard, fetch
from goclaw_actors.tools.tool_env import ToolEnv

MAX_RESULTS = 5
BACKENDS = ("brave", "perplexity", "duckduckgo")
ALIASES = {"ddg": "duckduckgo", "duck": "duckduckgo", "pplx": "perplexity"}
DEFAULT_BASE_URLS = {"brave": "https://api.search.brave.com", "perplexity": "https://api.perplexity.ai",
                     "duckduckgo": "https://duckduckgo.com"}
KEY_NAMES = {"brave": "BRAVE_API_KEY", "perplexity": "PERPLEXITY_API_KEY"}
PERPLEXITY_MODEL = "sonar"
SCHEMA = {"type": "object", "properties": {"query": {"type": "string", "minLength": 1}},
          "required": ["query"], "additionalProperties": False}

Result = dict[str, str]


def backend_order(preferred: str) -> list[str]:
    """`preferred_search` first (aliases accepted), then the other backends in their usual order."""
    first = ALIASES.get(preferred.strip().lower(), preferred.strip().lower())
    return ([first] if first in BACKENDS else []) + [name for name in BACKENDS if name != first]


def api_key(env: ToolEnv, backend: str) -> str:
    """The backend's key: the environment variable, else `api_keys.<name lower-cased>` in config.yaml."""
    name = KEY_NAMES.get(backend, "")
    if not name:
        return ""
    return (env.environ.get(name) or str(env.config(f"api_keys.{name.lower()}", "") or "")).strip()


def base_url(env: ToolEnv, backend: str) -> str:
    """Where the backend is reached (`tools.web_search.<backend>_base_url`, else its public address)."""
    return str(env.config(f"tools.web_search.{backend}_base_url", "") or DEFAULT_BASE_URLS[backend]).rstrip("/")


def search(env: ToolEnv, query: str, context: ToolContext) -> list[Result]:
    """Up to 5 results from the first backend that answers, or one pseudo-result saying why none did."""
    guard, problems = env.guard(), []
    for backend in backend_order(env.preferred_search):
        try:
            results = BACKEND_CALLS[backend](env, guard, query)
        except PolicyDenied as exc:
            context.audit("deny", exc.reason)
            problems.append(f"{backend}: {exc}")
            continue
        except (ToolError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{backend}: {exc}")
            continue
        if results:
            return results[:MAX_RESULTS]
        problems.append(f"{backend}: no results")
    return [{"title": "No search results", "url": "",
             "snippet": "Web search is unavailable right now (" + "; ".join(problems) + "). Answer from what "
                        "you know, and say that it could not be checked on the web."}]


def web_search(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The tool: results as a JSON list of `{title, url, snippet}`."""
    return json.dumps(search(env, arguments["query"].strip(), context), ensure_ascii=False)


def _json_body(fetched) -> Any:
    if fetched.status >= 400:
        raise ToolError(f"HTTP {fetched.status}")
    return json.loads(fetched.text())


def brave(env: ToolEnv, guard: Guard, query: str) -> list[Result]:
    """Brave Search API: `GET /res/v1/web/search?q=…&count=5` with `X-Subscription-Token`."""
    key = api_key(env, "brave")
    if not key:
        raise ToolError("no API key (BRAVE_API_KEY or api_keys.brave_api_key)")
    url = f"{base_url(env, 'brave')}/res/v1/web/search?" + urlencode({"q": query, "count": MAX_RESULTS})
    data = _json_body(fetch(url, guard, headers={"Accept": "application/json", "X-Subscription-Token": key}))
    return [{"title": str(item.get("title") or ""), "url": str(item.get("url") or ""),
             "snippet": str(item.get("description") or "")}
            for item in (data.get("web") or {}).get("results") or [] if item.get("url")]


def perplexity(env: ToolEnv, guard: Guard, query: str) -> list[Result]:
    """Perplexity: `POST /chat/completions` with model `sonar`; its sources become the results."""
    key = api_key(env, "perplexity")
    if not key:
        raise ToolError("no API key (PERPLEXITY_API_KEY or api_keys.perplexity_api_key)")
    body = json.dumps({"model": PERPLEXITY_MODEL, "messages": [{"role": "user", "content": query}]}).encode()
    data = _json_body(fetch(f"{base_url(env, 'perplexity')}/chat/completions", guard, method="POST", body=body,
                            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}))
    answer = str(((data.get("choices") or [{}])[0].get("message") or {}).get("content") or "")
    sources = data.get("search_results") or [{"url": url} for url in data.get("citations") or []]
    results = [{"title": str(item.get("title") or item.get("url")), "url": str(item.get("url")),
                "snippet": str(item.get("snippet") or "")} for item in sources if item.get("url")]
    if answer:
        results.insert(0, {"title": f"Perplexity answer: {query}", "url": results[0]["url"] if results else "",
                           "snippet": answer})
    return results


def duckduckgo(env: ToolEnv, guard: Guard, query: str) -> list[Result]:
    """DuckDuckGo's HTML page (`GET /html/?q=…`), results read from its markup."""
    fetched = fetch(f"{base_url(env, 'duckduckgo')}/html/?" + urlencode({"q": query}), guard)
    if fetched.status >= 400:
        raise ToolError(f"HTTP {fetched.status}")
    soup = parse_html(fetched.text())
    results = []
    for block in soup.select(".result"):
        link = block.select_one("a.result__a")
        if link is None or not link.get("href"):
            continue
        snippet = block.select_one(".result__snippet")
        results.append({"title": link.get_text(" ", strip=True), "url": _ddg_target(link["href"]),
                        "snippet": snippet.get_text(" ", strip=True) if snippet else ""})
    return results


def _ddg_target(href: str) -> str:
    """The destination of a DuckDuckGo result link (`//duckduckgo.com/l/?uddg=<url>` or a plain URL)."""
    parts = urlsplit(href if "//" not in href[:2] else "https:" + href)
    target = parse_qs(parts.query).get("uddg")
    return target[0] if target else href


BACKEND_CALLS: dict[str, Callable[[ToolEnv, Guard, str], list[Result]]] = {
    "brave": brave, "perplexity": perplexity, "duckduckgo": duckduckgo}
