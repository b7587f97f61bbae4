"""A fetched page, as every parser sees it, whether it came live, from a 304 or from a WARC."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser


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
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def html(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.text)
