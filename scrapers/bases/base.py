"""The contract between the fetch layer and per-source parsers.

A scraper gets a `Fetcher` (the polite client, live or replaying a WARC) and yields
`ScrapedRecord`s plus per-record parse failures. It never cleans values: that is `schema`'s job.
"""

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Protocol

from schema.records import ScrapedRecord
from scrapers.bases.page import Page, PageInfo


class Fetcher(Protocol):
    async def get(self, url: str) -> Page: ...


@dataclass
class ParseFailure:
    """A page or record that could not be parsed; it goes to quarantine, the run goes on.

    `key` names the record the failure concerns, when the scraper knows it: that record was
    not seen this run but is not gone, so its last good version stays current. `gone` says the
    server answered 404/410, so the record is gone. A failure with neither (a topic page that
    did not load, a record the parser could not name) may hide any record, so nothing of the
    source vanishes that run: a group disappears only when a complete run no longer has it."""

    url: str
    reason: str
    field: str | None = None
    raw: dict[str, object] = dataclasses.field(default_factory=dict)
    key: str | None = None
    gone: bool = False
    #: Why a page could not be fetched (scrapers.errors), when that was the failure.
    failure_class: str | None = None

    @property
    def hides_records(self) -> bool:
        """Records may be missing because of it, and they cannot be named."""
        return self.key is None and not self.gone


@dataclass(repr=False)
class ScrapeResult:
    records: list[ScrapedRecord] = dataclasses.field(default_factory=list)
    failures: list[ParseFailure] = dataclasses.field(default_factory=list)
    #: Every page fetched, for `raw_pages`: a `PageInfo` once parsed, so its body is freed at
    #: once. Only the few list pages of an A–Z crawl (and its centre page) stay whole: a
    #: subclass may read them again after the crawl (Hamm's keywords, NAKOS BLAU's rows).
    pages: list[PageInfo | Page] = dataclasses.field(default_factory=list)

    def record_batches(self) -> Iterator[list[ScrapedRecord]]:
        """The records as batches to normalise one at a time (a file importer reads them
        lazily, see `scrapers.importers.files.stream.FileResult`): here all of them at once."""
        yield self.records

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
