"""Content-Encoding removed from a body as it arrives, with the size limit on what comes out.

A few kilobytes of gzip inflate to gigabytes, and a second layer multiplies that again: httpx
inflates each network chunk whole, layer after layer, before anyone can count the bytes. Here
every inflate step yields at most `STEP` bytes and the limit counts the decoded bytes, so memory
stays at the limit plus one step; a body with more than one coding is refused before any byte
is inflated (no server needs two, and each layer multiplies the ratio). The live client and
the replay of an archived response share this.
"""

from __future__ import annotations

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
