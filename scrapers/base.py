"""The contract between the fetch layer and per-source parsers.

A scraper gets a `Fetcher` (the polite client, live or replaying a WARC) and yields
`ScrapedRecord`s plus per-record parse failures. It never cleans values: that is `schema`'s job.
"""

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Protocol

from schema.records import ScrapedRecord
from scrapers.page import Page


class Fetcher(Protocol):
    async def get(self, url: str) -> Page: ...


@dataclass
class ParseFailure:
    """A page or record that could not be parsed; it goes to quarantine, the run goes on."""

    url: str
    reason: str
    field: str | None = None
    raw: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(repr=False)
class ScrapeResult:
    records: list[ScrapedRecord] = dataclasses.field(default_factory=list)
    failures: list[ParseFailure] = dataclasses.field(default_factory=list)
    pages: list[Page] = dataclasses.field(default_factory=list)

    def __repr__(self) -> str:  # asyncio.run reprs its result: keep that cheap
        return (f"ScrapeResult({len(self.records)} records, {len(self.failures)} failures, "
                f"{len(self.pages)} pages)")


class Scraper(ABC):
    """Base of every source module. Subclasses set `source_id` and implement `scrape`."""

    source_id: ClassVar[str]

    def __init__(self, start_urls: list[str]):
        if not start_urls:
            raise ValueError(f"{self.source_id}: no start URL")
        self.start_urls = start_urls

    @abstractmethod
    async def scrape(self, fetch: Fetcher) -> ScrapeResult: ...
