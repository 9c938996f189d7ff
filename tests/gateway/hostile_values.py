"""Hypothesis strategies of hostile input, shared by the gateway's fuzz tests: wrong types, huge and deeply
nested JSON, unicode edge cases (lone surrogates, NUL, right-to-left overrides, overlong UTF-8), path
traversal strings, abused headers, bodies cut short."""

import json
import re
from urllib.parse import quote

from hypothesis import strategies as st

UNICODE_EDGES = ["\x00", "\u202e", "\u200f", "\ufeff", "\u200b", "\uffff", "\U0010ffff", "\U0001F600", "e\u0301",
                 "\u0130", "\ufdfd" * 20]
TRAVERSALS = ["..", "../../../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f", "....//", "/etc/passwd",
              "~root", "file:///etc/passwd", "C:\\", "\\\\server\\share", "%00", "a/../../b", "?x=1#y", "*", "."]
texts = st.one_of(st.text(max_size=40), st.text(max_size=20).map(lambda text: text + "\ud800"),  # a lone surrogate
                  st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40),
                  st.lists(st.sampled_from(UNICODE_EDGES + TRAVERSALS), min_size=1, max_size=4).map("".join))
huge_texts = st.sampled_from([1_000, 70_000, 300_000]).map(lambda size: "x" * size)
integers = st.one_of(st.integers(-2 ** 70, 2 ** 70), st.sampled_from([2 ** 63, 2 ** 63 - 1, -2 ** 63 - 1, 2 ** 64]))
scalars = st.one_of(st.none(), st.booleans(), integers, st.floats(allow_nan=False, allow_infinity=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
depths = st.sampled_from([99, 100, 101, 999, 1000, 1001, 5000])
deep_values = depths.map(lambda depth: {"__deep__": depth})  # expanded by encoded(): hypothesis cannot nest that far
uuids = st.uuids().map(str)


def encoded(value) -> bytes:
    """JSON text of `value`, `{"__deep__": n}` standing for n nested arrays (lone surrogates travel as \\u
    escapes, as an attacker would send them)."""
    text = json.dumps(value)
    return re.sub(r'\{"__deep__": (\d+)\}', lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text).encode()


def near(template: dict, required: tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    """`template`'s shape: each field mostly well-typed, sometimes any JSON value; the fields not `required`
    may be left out."""
    def field(value: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(value, value, value, values)

    return st.fixed_dictionaries({key: field(value) for key, value in template.items() if key in required},
                                 optional={key: field(value) for key, value in template.items() if key not in required})


def bodies(requests_: st.SearchStrategy[dict]) -> st.SearchStrategy[bytes]:
    """Near-valid requests (also cut short), raw bytes, deep nesting, huge strings or any JSON value, as
    request bodies."""
    cut = st.tuples(requests_, st.integers(1, 60)).map(lambda pair: encoded(pair[0])[:-pair[1]])
    whole = requests_.map(encoded)
    with_deep = st.tuples(requests_, deep_values).map(lambda pair: encoded({**pair[0], "deep": pair[1]}))
    with_huge = st.tuples(requests_, huge_texts).map(lambda pair: encoded({**pair[0], "huge": pair[1]}))
    return st.one_of(whole, whole, whole, whole, with_deep, with_huge, cut, st.binary(max_size=120),
                     values.map(encoded))


def wire(text: str) -> str:
    """`text` percent-encoded for a request target as an attacker sends it (a lone surrogate as the bytes
    of its WTF-8 form, which are not UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


RAW_SEGMENTS = ["%C0%AF", "%C0%AE%C0%AE%C0%AF", "%ED%A0%80", "%FF", "%00", "%2F", "%252e%252e%252f", "..%2F..%2F",
                "%E2%80%AE", "%F4%90%80%80"]  # overlong '/', '../', a surrogate, NUL, encoded '/', RTL, > U+10FFFF
path_segments = st.one_of(texts.map(wire), st.sampled_from(RAW_SEGMENTS), st.sampled_from(TRAVERSALS).map(wire),
                          st.sampled_from(["x", "default", "coder", "goclaw-v1", "agent:default"]),
                          st.just("a" * 5000), uuids)
# Header values as a WSGI server hands them over: latin-1 text of the raw bytes.
header_values = st.one_of(texts.map(lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")),
                          st.sampled_from(["", " ", "\t", "Bearer", "Bearer ", "bearer test-token", "Basic dGVzdA==",
                                           "Bearer test-token, Bearer x", "Bearer test-token\x00", "*", "null",
                                           "-1", "99999999999999999999", "chunked", "gzip, chunked",
                                           "application/json; charset=utf-16", "text/plain", "multipart/form-data",
                                           "http://evil.example", "ws://127.0.0.1:1"]),
                          st.sampled_from([1_000, 10_000]).map(lambda size: "h" * size))
HEADER_NAMES = ["Authorization", "X-API-Key", "Content-Type", "Accept", "Origin", "Host", "Upgrade", "Connection",
                "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Transfer-Encoding", "Expect", "X-Forwarded-For",
                "Traceparent", "Cookie", "Range", "If-None-Match", "Accept-Encoding"]
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=4)
