"""The contract between the fetch layer and per-source parsers: the `Page` every parser
sees (live, from a 304 or from a WARC) and `PageInfo`, what a run keeps of it once parsed.

A scraper gets a `Fetcher` (the polite client, live or replaying a WARC) and yields
`ScrapedRecord`s plus per-record parse failures. It never cleans values: that is `schema`'s job.
"""

import asyncio
import dataclasses
import hashlib
import itertools
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from schema.records import ScrapedRecord
from scrapers.errors import SourceError


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page without its body: the `raw_pages` row of a run. Scrapers keep these instead of
    pages, so bodies, decoded text and parse trees are freed as soon as a page is parsed."""

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
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
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
    #: once. Only the few list pages of an A–Z crawl stay whole: a subclass may read them
    #: again after the crawl (Hamm's keywords, NAKOS BLAU's rows).
    pages: list[PageInfo | Page] = dataclasses.field(default_factory=list)
    #: The records in batches as they are read (a file import under way, whose `failures`
    #: are complete once the batches are); None: `records`, all at once.
    batches: Iterator[list[ScrapedRecord]] | None = None

    def record_batches(self) -> Iterator[list[ScrapedRecord]]:
        """The records as batches to normalise one at a time, so what a run holds does not
        grow with a large file."""
        return self.batches if self.batches is not None else iter([self.records])

    def __repr__(self) -> str:  # asyncio.run reprs its result: keep that cheap
        return (f"ScrapeResult({len(self.records)} records, {len(self.failures)} failures, "
                f"{len(self.pages)} pages)")


class Scraper(ABC):
    """Base of every source module. Subclasses set `source_id` and implement `scrape`."""

    source_id: ClassVar[str]
    #: The contact centre's own page, relative to the first start URL, if it has one.
    centre_path: ClassVar[str | None] = None
    #: Pages fetched at once; the client's per-host rate limit still applies.
    concurrency: ClassVar[int] = 4

    def __init__(self, start_urls: list[str]):
        if not start_urls:
            raise ValueError(f"{self.source_id}: no start URL")
        self.start_urls = start_urls

    @abstractmethod
    async def scrape(self, fetch: Fetcher) -> ScrapeResult: ...

    def parse_centre(self, page: Page) -> ScrapedRecord:
        raise NotImplementedError(f"{self.source_id} declares a centre page but cannot parse it")

    async def scrape_centre(self, fetch: Fetcher, result: ScrapeResult) -> None:
        """The centre's own page into `result`, if it has one; if it fails, the groups still
        count."""
        centre = [urljoin(self.start_urls[0], self.centre_path)] if self.centre_path else []
        async for _, page in fetched_pages(fetch, centre, result, 1):
            self.parse_into(result, page, self.parse_centre)

    def parse_into(self, result: ScrapeResult, page: Page, parse: Callable[[Page], ScrapedRecord],
                   *, key: str | None = None, keep: bool = True) -> ScrapedRecord | None:
        """`parse(page)`, kept in `result` unless `keep` is off; a page or block that does not
        parse becomes a failure naming the field (and `key`, when known), and the run goes on."""
        try:
            record = parse(page)
        except Exception as exc:  # one bad page or block must not sink the source
            result.failures.append(
                ParseFailure(url=page.url, reason=f"{type(exc).__name__}: {exc}",
                             field=getattr(exc, "field", None), raw={"sha256": page.sha256},
                             key=key))
            return None
        if keep:
            result.records.append(record)
        return record


def with_topics(record: ScrapedRecord, labels: Iterable[str]) -> ScrapedRecord:
    """`record` with `labels` (a list's or an index's topics) before its own, each once."""
    return record.model_copy(update={"topics": list(dict.fromkeys([*labels, *record.topics]))})


def page_failure(url: str, exc: SourceError) -> ParseFailure:
    """A page that did not load, and why (its failure class): it may have held any record of
    the source."""
    return ParseFailure(url=url, reason=str(exc), field="page", failure_class=exc.failure_class)


async def fetched_pages(fetch: Fetcher, urls: list[str], result: ScrapeResult, concurrency: int,
                        failed: Callable[[str, SourceError], ParseFailure] = page_failure
                        ) -> AsyncIterator[tuple[int, Page]]:
    """(index, page) of each page that came back, in order; a failed page is a `failed`
    failure, not a lost run. A few pages ahead only, so each is parsed and freed early."""
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> Page | None:
        async with gate:
            try:
                return await fetch.get(url)
            except SourceError as exc:
                result.failures.append(failed(url, exc))
                return None

    waiting = iter(enumerate(urls))
    ahead: deque[tuple[int, asyncio.Future]] = deque()

    def top_up() -> None:
        for i, url in itertools.islice(waiting, 2 * concurrency - len(ahead)):
            ahead.append((i, asyncio.ensure_future(one(url))))

    try:
        top_up()
        while ahead:
            i, task = ahead.popleft()
            page = await task
            top_up()
            if page is not None:
                result.pages.append(page.info())
                yield i, page
    finally:
        for _, task in ahead:
            task.cancel()
