"""HTML → readable text for tools (read_url, search result pages), with BeautifulSoup.

BeautifulSoup is imported on first use so the daemon does not pay for it at start-up.
"""

import re
from typing import Any

SKIPPED_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "head", "form", "button",
                "nav", "footer", "aside")
BLOCK_TAGS = ("p", "div", "section", "article", "main", "header", "li", "tr", "table", "ul", "ol", "pre",
              "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "dd", "dt", "figcaption")


def parse_html(html: str) -> Any:
    """A BeautifulSoup tree of `html` (stdlib parser: no native dependency)."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def html_to_text(html: str) -> str:
    """The readable text of a page: title first, scripts/styles/navigation dropped, one block per line."""
    soup = parse_html(html)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(SKIPPED_TAGS):
        tag.decompose()
    for tag in soup(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in body.get_text().splitlines()]
    text = "\n".join(line for line in lines if line)
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text


def looks_like_html(content_type: str, body: str) -> bool:
    """Whether a response is HTML (by its content type, else by its first bytes)."""
    if content_type:
        return "html" in content_type.lower()
    return body.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
