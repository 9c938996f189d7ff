"""Entries of policy.yaml's `allow_domains` (SPEC §2.6): a host name (`api.example.com`), or `.domain` /
`*.domain` for a domain and all of its subdomains. Anything else (URLs, ports, paths, wildcards inside a
name, control characters, lone surrogates) can never match a host and is refused.
"""

import re

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError, PolicyError

MAX_HOST = 253
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def normalise_domain(value: object, key: str = "domain") -> str:
    """The canonical entry for `value`: lower case, one trailing dot dropped, an international name in its
    ASCII (punycode) form, `*.` written as `.`; raises PolicyError naming `key` when it is not a host name."""
    try:
        text = check_text(value, key, MAX_HOST + 2).strip().lower()
    except ConfigError as exc:
        raise PolicyError(str(exc)) from None
    prefix = ""
    if text.startswith("*."):
        prefix, text = ".", text[2:]
    elif text.startswith("."):
        prefix, text = ".", text[1:]
    text = text[:-1] if text.endswith(".") else text
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise PolicyError(f"{key} is not a valid international domain name") from None
    if len(text) > MAX_HOST or not HOST_RE.fullmatch(text):
        raise PolicyError(f"{key} must be a host name such as example.com, or .example.com / *.example.com "
                          "for a domain and its subdomains (no scheme, port or path)")
    return prefix + text
