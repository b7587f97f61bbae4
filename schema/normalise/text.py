"""Plain-text cleanup shared by every normaliser."""

import functools
import html
import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TAG = re.compile(r"<[^>]{0,500}>")
#: Inline elements sit inside words and phrases ("<b>Mo</b>ntag", "<em>Mut</em>, 19 Uhr"):
#: removed without a space. Any other tag separates words.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|cite|code|data|dfn|em|font|i|kbd|mark|q|s|samp|small|span|strong|"
    r"sub|sup|time|u|var)\b[^>]{0,500}>", re.IGNORECASE)
#: Elements whose content is code or invisible, never text: dropped whole, content included.
_CODE = re.compile(r"<(script|style|template|noscript|iframe|object)\b[^>]{0,500}>.*?</\1\s*>"
                   r"|<!--.*?-->", re.IGNORECASE | re.DOTALL)


#: Entries of each normaliser's memo. A source repeats its values (the centre's phone and
#: address under many groups, a few dozen topic labels and meeting rhythms), and every step is
#: a pure function of its text: a repeat costs a dict lookup instead of a parse.
MEMO = 1 << 14


@functools.lru_cache(maxsize=MEMO)
def clean(value: str | None) -> str | None:
    """NFC, entities and stray tags removed, whitespace collapsed per line; None when empty."""
    if value is None:
        return None
    if "<" in value:
        value = _TAG.sub(" ", _INLINE_TAG.sub("", _CODE.sub(" ", value)))
    text = unicodedata.normalize("NFC", html.unescape(value))
    text = text.translate(_INVISIBLE)
    lines = (_SPACE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    text = "\n".join(line for line in lines if line)
    return text or None


def one_line(value: str | None) -> str | None:
    text = clean(value)
    return None if text is None else text.replace("\n", ", ")
