"""A fetched page, as every parser sees it, whether it came live, from a 304 or from a WARC;
and `PageInfo`, what a run keeps of it once it is parsed."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page without its body: the `raw_pages` row of a run. Scrapers keep these instead of
    pages, so bodies, decoded text and parse trees are freed as soon as a page is parsed: with
    dozens of sources in flight, whole pages kept to the end of each source cost hundreds of MB.
    """

    url: str
    status: int
    not_modified: bool
    sha256: str
    nbytes: int
    encoding: str
    fetched_at: datetime
    warc_file: str | None


@dataclass(frozen=True, repr=False)
class Page:
    url: str
    status: int
    content: bytes
    text: str
    encoding: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False  # served from the conditional-GET cache after a 304
    warc_file: str | None = None

    def __repr__(self) -> str:  # short: asyncio and Prefect repr results, bodies can be MBs
        return f"Page({self.url!r}, status={self.status}, {len(self.content)} bytes)"

    @property
    def nbytes(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        """Hashed once: the parser (content_hash) and raw_pages both read it. Not a
        functools.cached_property: on 3.11 that holds one lock for all pages, and hundreds of
        threads collecting at once queue on it."""
        value = self.__dict__.get("_sha256")
        if value is None:
            value = self.__dict__["_sha256"] = hashlib.sha256(self.content).hexdigest()
        return value

    def info(self) -> PageInfo:
        return PageInfo(url=self.url, status=self.status, not_modified=self.not_modified,
                        sha256=self.sha256, nbytes=len(self.content), encoding=self.encoding,
                        fetched_at=self.fetched_at, warc_file=self.warc_file)

    def html(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.text)
