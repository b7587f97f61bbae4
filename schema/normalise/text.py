"""Plain-text cleanup shared by every normaliser."""

import html
import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TAG = re.compile(r"<[^>]{0,500}>")


def clean(value: str | None) -> str | None:
    """NFC, entities and stray tags removed, whitespace collapsed per line; None when empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", html.unescape(_TAG.sub(" ", value)))
    text = text.translate(_INVISIBLE)
    lines = (_SPACE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    text = "\n".join(line for line in lines if line)
    return text or None


def one_line(value: str | None) -> str | None:
    text = clean(value)
    return None if text is None else text.replace("\n", ", ")
