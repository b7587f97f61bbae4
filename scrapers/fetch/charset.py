"""Turn response bytes into text the way a browser would.

Older municipal pages are Windows-1252 with the charset only in a `<meta>` tag, and servers
often send `text/html` without a charset (or a wrong one). Order: BOM, HTTP header, meta tag,
strict UTF-8, then Windows-1252. ISO-8859-1 and ASCII labels are read as Windows-1252, as the
WHATWG Encoding Standard prescribes, so that „…“ and € survive.
"""

import codecs
import re

_META = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                   "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252",
                   "windows-1252": "cp1252", "l1": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _canonical(label: str) -> str | None:
    label = label.strip().lower()
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def sniff_encoding(content: bytes, content_type: str | None = None) -> str:
    """The encoding to decode `content` with; never fails."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    if content_type and (m := _HEADER.search(content_type)) and (enc := _canonical(m.group(1))):
        return _utf8_or_fallback(content, enc)
    if (m := _META.search(content[:4096])) and (enc := _canonical(m.group(1).decode("ascii"))):
        return _utf8_or_fallback(content, enc)
    return _utf8_or_fallback(content, "utf-8")


def _utf8_or_fallback(content: bytes, declared: str) -> str:
    """Correct the two common lies: "UTF-8" on Windows-1252 bytes, and "ISO-8859-1" (a server
    default) on UTF-8 bytes. Non-ASCII bytes that decode as UTF-8 are UTF-8 in practice."""
    try:
        content.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    if declared in ("utf-8", "utf-8-sig"):
        return declared if valid_utf8 else "cp1252"
    if declared == "cp1252" and valid_utf8 and not content.isascii():
        return "utf-8"
    return declared


def decode(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a response body."""
    enc = sniff_encoding(content, content_type)
    return content.decode(enc, errors="replace"), enc
