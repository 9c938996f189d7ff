"""`price_comparison{prompt, session_id}` (SPEC §5.1): a web search for offers, prices read from the results.

The comparison lists the offers found (title, URL, price when one is stated) cheapest first; offers
without a visible price follow. The search goes through `web_search`'s backends and URL policy.
"""

import json
import re
from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.tool_env import ToolEnv
from goclaw_actors.tools.web_search import search

SCHEMA = {"type": "object", "properties": {
    "prompt": {"type": "string", "minLength": 1, "description": "what to compare, e.g. a product name"},
    "session_id": {"type": "string"}}, "required": ["prompt"]}
_AMOUNT = r"\d{1,3}(?:[,.]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PRICE = re.compile(rf"(?P<cur>[$€£¥]|USD|EUR|GBP)\s?(?P<num>{_AMOUNT})"
                    rf"|(?P<num2>{_AMOUNT})\s?(?P<cur2>€|EUR|USD|GBP)")


def parse_price(text: str) -> tuple[str, float] | None:
    """The first price stated in `text` as (currency, amount), or None."""
    match = _PRICE.search(text)
    if not match:
        return None
    currency = match.group("cur") or match.group("cur2")
    number = (match.group("num") or match.group("num2")).replace(" ", "")
    decimal = re.match(r"^(.*?)[.,](\d{1,2})$", number)  # a last separator before 1-2 digits is the point
    if decimal:
        number = re.sub(r"[.,]", "", decimal.group(1)) + "." + decimal.group(2)
    else:
        number = re.sub(r"[.,]", "", number)
    return currency, float(number)


def price_comparison(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Offers for the prompt, priced ones cheapest first, as JSON `{query, offers, note}`."""
    query = f"{arguments['prompt'].strip()} price"
    offers = []
    for result in search(env, query, context):
        if not result["url"]:
            return json.dumps({"query": query, "offers": [], "note": result["snippet"]}, ensure_ascii=False)
        price = parse_price(f"{result['title']} {result['snippet']}")
        offers.append({**result, "price": f"{price[0]} {price[1]:.2f}" if price else None,
                       "_amount": price[1] if price else None})
    offers.sort(key=lambda offer: (offer["_amount"] is None, offer["_amount"] or 0.0))
    for offer in offers:
        del offer["_amount"]
    priced = sum(1 for offer in offers if offer["price"])
    note = f"{priced} of {len(offers)} offers state a price; prices are as shown in search results, check the source."
    return json.dumps({"query": query, "offers": offers, "note": note}, ensure_ascii=False)
