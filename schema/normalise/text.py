"""Plain-text cleanup shared by every normaliser."""

import functools
import html
import re
import unicodedata

import regex

#: Dropped from every text: soft hyphen, zero-width space and non-joiner, word joiner, BOM,
#: the bidi controls (embeddings, overrides, isolates, marks) with which a text can be shown
#: in another order than it is stored, the C0/C1 controls that are no line break or tab, and
#: lone surrogates (from a JSON "\\ud800"), which no UTF-8 writer can encode.
_INVISIBLE = dict.fromkeys(
    [*map(ord, "\u00ad\u200b\u200c\u2060\ufeff\u061c\u200e\u200f\u202a\u202b\u202c\u202d"
               "\u202e\u2066\u2067\u2068\u2069"),
     *range(0x00, 0x09), *range(0x0e, 0x1c), 0x1f, 0x7f, *range(0x80, 0x85), *range(0x86, 0xa0),
     *range(0xd800, 0xe000)], None)
#: Line and paragraph separators, vertical tab, form feed, NEL, CR: each ends a line like "\n".
_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: A zero-width joiner that does not join two pictographs: the ZWJ of an emoji sequence
#: ("\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f3f3\ufe0f\u200d\U0001f308") stays, so
#: the sequence shows as one emoji; anywhere else it only hides inside a word.
_STRAY_ZWJ = regex.compile(r"(?<!\p{Extended_Pictographic}[\ufe0e\ufe0f\p{Emoji_Modifier}]*)"
                           r"\u200d|\u200d(?!\p{Extended_Pictographic})")
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
def typing_slips(word: str) -> set[str]:
    """The spellings one typing slip away from `word`: a letter left out or two swapped
    ("Donerstag", "Monatg"); for tables of names that publishers mistype."""
    dropped = {word[:k] + word[k + 1:] for k in range(len(word))}
    swapped = {word[:k] + word[k + 1] + word[k] + word[k + 2:] for k in range(len(word) - 1)}
    return dropped | swapped


def clean(value: str | None) -> str | None:
    """NFC, entities and stray tags removed, controls and bidi overrides dropped, every line
    break a "\n", whitespace collapsed per line; None when empty."""
    if value is None:
        return None
    value = _hygiene(value)  # before tags: a control inside a tag name must not hide it
    if "<" in value:
        value = _TAG.sub(" ", _INLINE_TAG.sub("", _CODE.sub(" ", value)))
    text = unicodedata.normalize("NFC", _hygiene(html.unescape(value)))
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    text = "\n".join(line for line in lines if line)
    return text or None


def _hygiene(text: str) -> str:
    """`text` with every line break as "\n" and the invisible characters dropped (a ZWJ kept
    inside an emoji sequence)."""
    text = _LINE_BREAK.sub("\n", text).translate(_INVISIBLE)
    return _STRAY_ZWJ.sub("", text) if "\u200d" in text else text


def one_line(value: str | None) -> str | None:
    text = clean(value)
    return None if text is None else text.replace("\n", ", ")
