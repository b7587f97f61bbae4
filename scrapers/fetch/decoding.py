"""A body from bytes to text: Content-Encoding removed as it arrives, with the size limit on
what comes out; then its charset read the way a browser would.

A few kilobytes of gzip inflate to gigabytes, and a second layer multiplies that again: httpx
inflates each network chunk whole, layer after layer, before anyone can count the bytes. Here
every inflate step yields at most `STEP` bytes and the limit counts the decoded bytes, so memory
stays at the limit plus one step; a body with more than one coding is refused before any byte
is inflated (no server needs two, and each layer multiplies the ratio). The live client and
the replay of an archived response share this.

Older municipal pages are Windows-1252 with the charset only in a `<meta>` tag, and servers
often send `text/html` without a charset (or a wrong one). Order: BOM, HTTP header, meta tag,
strict UTF-8, then Windows-1252. ISO-8859-1 and ASCII labels are read as Windows-1252, as the
WHATWG Encoding Standard prescribes, so that „…“ and € survive.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable, Iterator

from scrapers.errors import EncodingRefused, FetchError, ResponseTooLarge

#: Decoded bytes a body may have, live and in replay.
MAX_BYTES = 10 * 1024 * 1024
#: Decoded bytes one inflate step may produce.
STEP = 64 * 1024
#: The codings we ask for (`Accept-Encoding`) and can decode with a bounded output.
SUPPORTED = ("gzip", "deflate")


def content_codings(values: Iterable[str]) -> list[str]:
    """The codings of `Content-Encoding` header values, in the order they were applied, each
    lower-cased; `identity` is no coding."""
    codings = [c.strip().lower() for value in values for c in value.split(",")]
    return [c for c in codings if c and c != "identity"]


class BoundedDecoder:
    """`decode(chunk)` per received chunk, then `finish()`: yields the decoded body in pieces
    of at most `STEP` bytes and raises ResponseTooLarge once more than `limit` came out."""

    def __init__(self, codings: list[str], limit: int = MAX_BYTES, *, url: str | None = None):
        if len(codings) > 1:
            raise EncodingRefused(f"stacked Content-Encoding {', '.join(codings)} refused: one "
                                  f"coding at most", url=url)
        coding = {"x-gzip": "gzip"}.get(codings[0], codings[0]) if codings else None
        if coding is not None and coding not in SUPPORTED:
            raise EncodingRefused(f"Content-Encoding {coding!r} refused: only "
                                  f"{', '.join(SUPPORTED)} are asked for", url=url)
        self.coding, self.limit, self.url, self.size = coding, limit, url, 0
        self._inflater = (None if coding is None else
                          zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip"
                                             else zlib.MAX_WBITS))
        self._raw_deflate_tried = coding != "deflate"

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            yield self._counted(data)
            return
        if self._inflater.eof:  # what follows the end of the stream is not the body
            return
        try:
            yield from self._inflate(data)
        except zlib.error as exc:
            if self._raw_deflate_tried or self.size:
                raise self._broken(exc) from exc
            # "deflate" is zlib-wrapped by the RFC, raw deflate on many servers (as httpx does)
            self._raw_deflate_tried = True
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                yield from self._inflate(data)
            except zlib.error as again:
                raise self._broken(again) from again
        self._raw_deflate_tried = True

    def finish(self) -> Iterator[bytes]:
        if self._inflater is not None and not self._inflater.eof:
            try:
                yield self._counted(self._inflater.flush())
            except zlib.error as exc:
                raise self._broken(exc) from exc

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        inflater = self._inflater
        while data:
            out = inflater.decompress(data, STEP)
            data = inflater.unconsumed_tail
            yield self._counted(out)
            while len(out) == STEP and not data and not inflater.eof:  # output still pending
                out = inflater.decompress(b"", STEP)
                yield self._counted(out)
            if inflater.eof:
                return

    def _counted(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise ResponseTooLarge(f"body exceeds {self.limit} bytes once decoded"
                                   + (f" ({self.coding})" if self.coding else ""), url=self.url)
        return out

    def _broken(self, exc: zlib.error) -> FetchError:
        return FetchError(f"cannot decode the {self.coding} body: {exc}", url=self.url,
                          failure_class="http_error")


def decode_all(codings: list[str], chunks: Iterable[bytes], limit: int = MAX_BYTES, *,
               url: str | None = None) -> bytes:
    """The whole decoded body of `chunks`, within `limit` (see BoundedDecoder)."""
    decoder = BoundedDecoder(codings, limit, url=url)
    parts = [out for chunk in chunks for out in decoder.decode(chunk)]
    parts.extend(decoder.finish())
    return b"".join(parts)


# ---------------------------------------------------------------------------------- charset

_META = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                   "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252",
                   "windows-1252": "cp1252", "l1": "cp1252"}
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
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
    for bom, name in BOMS:
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
