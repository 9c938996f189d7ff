"""Text measured in terminal cells: clean control characters, cut or pad to a width, wrap."""

import re

from wcwidth import wcwidth

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TAB = "    "


def clean(text: str) -> str:
    """`text` safe to print: tabs as spaces, other control characters (escapes included) removed."""
    return CONTROL.sub("", text.replace("\t", TAB).replace("\r", ""))


def char_width(char: str) -> int:
    """Cells one character takes (0 for combining marks, 2 for wide ones)."""
    return max(0, wcwidth(char))


def cell_width(text: str) -> int:
    """Cells `text` takes (clean text: ASCII is one cell per character)."""
    if text.isascii():
        return len(text)
    return sum(char_width(char) for char in text)


def fit(text: str, width: int) -> str:
    """`text` (one clean line) cut to `width` cells and padded with spaces to exactly `width`."""
    if text.isascii():
        return text[:width].ljust(width)
    out, used = [], 0
    for char in text:
        size = char_width(char)
        if used + size > width:
            break
        out.append(char)
        used += size
    return "".join(out) + " " * (width - used)


def tail(text: str, width: int) -> str:
    """The end of `text` that fits in `width` cells."""
    out, used = [], 0
    for char in reversed(text):
        size = char_width(char)
        if used + size > width:
            break
        out.append(char)
        used += size
    return "".join(reversed(out))


def wrap(text: str, width: int) -> list[str]:
    """`text` broken into lines of at most `width` cells: at newlines, between words, inside too-long words."""
    if width <= 0:
        return []
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        line, used = "", 0
        for word in re.findall(r"\S+\s*|\s+", paragraph):
            size = cell_width(word)
            if used + cell_width(word.rstrip()) <= width:
                line, used = line + word, used + size
                continue
            if line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
            word = word.lstrip() if not line else word
            while cell_width(word.rstrip()) > width:
                head = fit(word, width).rstrip(" ") or word[0]
                lines.append(head)
                word = word[len(head):]
            line, used = word, cell_width(word)
        lines.append(line.rstrip())
    return lines
