"""Shared base for directories organised by topic: an index page lists topics, each topic page
lists the groups of that topic, either inline (a block per group with its details) or as links
to one detail page per group.

The same group usually stands under several topics ("Doppeldiagnose" under Depression, Sucht and
Suizid). This base merges every occurrence into ONE record per source key, carrying all topic
labels in index order; it never emits a key twice (the pipeline would quarantine the repeat).

A source module picks its variant with one selector and writes one method:

- inline:  `group_selector` = one element per group on a topic page; `parse_group(page, node)`
  gets the topic page and that element;
- linked:  `group_link_selector` = the <a> on a topic page leading to a group's page;
  `parse_group(page, node)` gets the detail page and its content (chrome removed).

`labelled_record(page, node, **fixed)` turns any such node into a record (heading as name,
"Label: value" pairs through `labels`, e-mails de-obfuscated), so `parse_group` is usually
one line plus the source key.
"""

import asyncio
import itertools
import re
from abc import abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar
from urllib.parse import urljoin

from selectolax.lexbor import LexborNode

from schema.records import ScrapedRecord
from scrapers.bases.azlist import canonical_url
from scrapers.bases.base import Fetcher, ParseFailure, Scraper, ScrapeResult
from scrapers.bases.html import (
    Tree,
    clean_text,
    emails_in,
    link_url,
    node_text,
    remove_boilerplate,
)
from scrapers.bases.labelled import COMMON_LABELS, labelled_fields
from scrapers.bases.page import Page
from scrapers.errors import FieldError, SiteChanged, SourceError

#: Fields that say where a record came from; merging never compares them.
_PROVENANCE = frozenset({"source_id", "source_key", "source_url", "fetched_at", "content_hash",
                         "kind", "topics", "notes", "upstream"})


class TopicListScraper(Scraper):
    #: <a> elements on the index page(s) that lead to topic pages; their text is the topic label.
    topic_link_selector: ClassVar[str]
    #: <a> elements leading to further index pages (letters, "weiter"), if any.
    index_link_selector: ClassVar[str | None] = None
    #: Inline variant: one element per group on a topic page.
    group_selector: ClassVar[str | None] = None
    #: Linked variant: <a> elements on a topic page leading to a group's detail page.
    group_link_selector: ClassVar[str | None] = None
    #: The source key inside a block id or a detail URL: the first group, or the whole match.
    key_pattern: ClassVar[re.Pattern[str]]
    #: The contact centre's own page, relative to the first start URL, if it has one.
    centre_path: ClassVar[str | None] = None
    #: For `labelled_record`: where name, description and content sit, and the label table.
    name_selector: ClassVar[str] = "h1, h2, h3, h4"
    description_selector: ClassVar[str | None] = None
    content_selector: ClassVar[str] = "main, #content, #inhalt"
    labels: ClassVar[dict[str, str]] = COMMON_LABELS
    #: Pages fetched at once; the client's per-host rate limit still applies.
    concurrency: ClassVar[int] = 4

    # ------------------------------------------------------------------ what a source writes

    @abstractmethod
    def parse_group(self, page: Page, node: Tree) -> ScrapedRecord:
        """One group -> its raw record. `node` is the group's block on a topic page (inline)
        or the content of its detail page (linked). Raise FieldError for a missing field."""

    def parse_centre(self, page: Page) -> ScrapedRecord:
        raise NotImplementedError(f"{self.source_id} declares a centre page but cannot parse it")

    # ------------------------------------------------------------------------------ crawl

    async def scrape(self, fetch: Fetcher) -> ScrapeResult:
        if (self.group_selector is None) == (self.group_link_selector is None):
            raise TypeError(f"{self.source_id}: set exactly one of group_selector and "
                            "group_link_selector")
        result = ScrapeResult()
        topics = await self._crawl_index(fetch, result)
        if not topics:
            raise SiteChanged(f"{self.source_id}: 0 topic links match "
                              f"{self.topic_link_selector!r}", url=self.start_urls[0])
        urls = list(topics)
        merged: dict[str, tuple[ScrapedRecord, list[str]]] = {}
        loaded = 0  # topic pages that came back
        if self.group_selector is not None:
            async for i, page in self._fetched(fetch, result, urls):
                loaded += 1
                for node in page.html().css(self.group_selector):
                    self._collect(result, merged, page, [topics[urls[i]]],
                                  lambda p, n=node: _anchored(self.parse_group(p, n), p, n))
        else:
            loaded = await self._crawl_details(fetch, result, topics, merged)
        if not merged:  # a site whose groups all vanished has changed, it is not empty
            lost = len(topics) - loaded
            raise SiteChanged(
                f"{self.source_id}: 0 group records from {loaded} topic pages "
                f"({lost} topic pages failed, {len(result.failures) - lost} groups failed; "
                f"selector {self.group_selector or self.group_link_selector!r})",
                url=self.start_urls[0])
        result.records.extend(self._with_topics(rec, labels) for rec, labels in merged.values())
        if self.centre_path is not None:
            centre = [urljoin(self.start_urls[0], self.centre_path)]
            async for _, page in self._fetched(fetch, result, centre):
                self._parse_into(result, page, lambda p: self.parse_centre(p))
        result.records.sort(key=lambda r: r.source_key)
        return result

    async def _crawl_index(self, fetch: Fetcher, result: ScrapeResult) -> dict[str, str]:
        """Topic page URL -> topic label, in index order (first label wins)."""
        queue = [canonical_url(u) for u in self.start_urls]
        seen, topics = set(queue), {}
        while queue:
            page = await fetch.get(queue.pop(0))
            result.pages.append(page.info())
            tree = page.html()
            for a in tree.css(self.topic_link_selector):
                if url := link_url(page.url, a.attributes.get("href")):
                    label = clean_text(a.text()) or clean_text(a.attributes.get("title"))
                    topics.setdefault(canonical_url(url), label)
            for a in tree.css(self.index_link_selector) if self.index_link_selector else []:
                if not (url := link_url(page.url, a.attributes.get("href"))):
                    continue
                url = canonical_url(url)
                if url not in seen:
                    seen.add(url)
                    queue.append(url)
        return topics

    async def _crawl_details(self, fetch: Fetcher, result: ScrapeResult, topics: dict[str, str],
                             merged: dict) -> int:
        """Linked variant: detail URLs per key in first-seen order, each fetched once. Returns
        how many topic pages came back."""
        details: dict[str, tuple[str, list[str]]] = {}  # fetch id -> (url, topic labels)
        urls, loaded = list(topics), 0
        async for i, page in self._fetched(fetch, result, urls):
            url, loaded = urls[i], loaded + 1
            for a in page.html().css(self.group_link_selector):
                if not (detail := link_url(page.url, a.attributes.get("href"))):
                    continue
                match = self.key_pattern.search(detail)
                ident = match.group(match.lastindex or 0) if match else canonical_url(detail)
                _url, labels = details.setdefault(ident, (detail, []))
                if topics[url] not in labels:
                    labels.append(topics[url])
        wanted = list(details.values())
        async for i, page in self._fetched(fetch, result, [u for u, _ in wanted]):
            self._collect(result, merged, page, wanted[i][1],
                          lambda p: self.parse_group(p, self.content(p)))
        return loaded

    async def _fetched(self, fetch: Fetcher, result: ScrapeResult, urls: list[str]
                       ) -> AsyncIterator[tuple[int, Page]]:
        """(index in `urls`, page) of each page that came back, in the order of `urls`; the
        others become page failures (a 404 topic page is a lost topic, not a lost run).

        At most `concurrency` requests at once and a few pages ahead of the reader, so each
        page is parsed and freed while the rest arrive: a topic site holding every page until
        the last one came in held megabytes per source in flight. The result keeps PageInfo."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(url: str) -> Page | None:
            async with gate:
                try:
                    return await fetch.get(url)
                except SourceError as exc:
                    result.failures.append(ParseFailure(url=url, reason=str(exc), field="page"))
                    return None

        waiting = iter(enumerate(urls))
        ahead: deque[tuple[int, asyncio.Future]] = deque()

        def top_up() -> None:
            for i, url in itertools.islice(waiting, 2 * self.concurrency - len(ahead)):
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

    # ------------------------------------------------------------------------------ merge

    def _collect(self, result: ScrapeResult, merged: dict, page: Page, labels: list[str],
                 parse: Callable[[Page], ScrapedRecord]) -> None:
        """Parse one occurrence and fold it into the record of its key with its topics."""
        record = self._parse_into(result, page, parse, keep=False)
        if record is None:
            return
        first, seen = merged.setdefault(record.source_key, (record, []))
        merged[record.source_key] = (merge_records(first, record), seen)
        seen.extend(label for label in labels if label and label not in seen)

    @staticmethod
    def _with_topics(record: ScrapedRecord, labels: list[str]) -> ScrapedRecord:
        topics = list(dict.fromkeys([*labels, *record.topics]))
        return record.model_copy(update={"topics": topics})

    def _parse_into(self, result: ScrapeResult, page: Page,
                    parse: Callable[[Page], ScrapedRecord], keep: bool = True
                    ) -> ScrapedRecord | None:
        try:
            record = parse(page)
        except Exception as exc:  # one bad block or page must not sink the source
            result.failures.append(
                ParseFailure(url=page.url, reason=f"{type(exc).__name__}: {exc}",
                             field=getattr(exc, "field", None), raw={"sha256": page.sha256}))
            return None
        if keep:
            result.records.append(record)
        return record

    # ------------------------------------------------------------------- record helpers

    def content(self, page: Page) -> Tree:
        """The page's content column with chrome removed (the whole page if none matches)."""
        tree = remove_boilerplate(page.html())
        return tree.css_first(self.content_selector) or tree

    def key(self, text: str | None) -> str:
        """The source key in `text` (a block id, an anchor, a URL) via `key_pattern`."""
        if not text or not (match := self.key_pattern.search(text)):
            raise FieldError("source_key", f"no key matching {self.key_pattern.pattern!r} "
                                           f"in {text!r}")
        return match.group(match.lastindex or 0)

    def labelled_record(self, page: Page, node: Tree, **fixed: Any) -> ScrapedRecord:
        """A record from one group block or page content: the first heading is the name, the
        "Label: value" pairs fill fields via `labels`, e-mails are read from the whole node.
        The name is read before chrome removal: a block's heading often sits in a <header>."""
        heading = node.css_first(self.name_selector)
        name = node_text(heading) if heading is not None else ""
        if not name:
            raise FieldError("name", f"no heading matching {self.name_selector!r}")
        node = remove_boilerplate(node.clone() if isinstance(node, LexborNode) else node)
        fields = labelled_fields(node, self.labels, page.url)
        description = (node.css_first(self.description_selector)
                       if self.description_selector else None)
        return ScrapedRecord(
            source_id=self.source_id, fetched_at=page.fetched_at, content_hash=page.sha256,
            source_url=page.url, name=name,
            description=(node_text(description) or None) if description is not None else None,
            emails_text=emails_in(node), **(fields | fixed))


def _anchored(record: ScrapedRecord, page: Page, node: LexborNode) -> ScrapedRecord:
    """An inline group's record points at its block (`topic-page#c123`) when it has an id."""
    if (anchor := node.attributes.get("id")) and record.source_url == page.url:
        return record.model_copy(update={"source_url": f"{page.url}#{anchor}"})
    return record


def merge_records(first: ScrapedRecord, other: ScrapedRecord) -> ScrapedRecord:
    """`first` with the gaps filled from `other` (the same group seen on another page). Where
    both say something different, `first` wins and a note names the field and the other page,
    so the disagreement reaches the warehouse flags instead of vanishing."""
    if other is first:
        return first
    update: dict[str, Any] = {}
    notes = list(first.notes)
    for field in type(first).model_fields:
        if field in _PROVENANCE:
            continue
        mine, theirs = getattr(first, field), getattr(other, field)
        if theirs in (None, "", []) or theirs == mine:
            continue
        if mine in (None, "", []):
            update[field] = theirs
        elif (note := f"{field} differs on {other.source_url}") not in notes:
            notes.append(note)
    for topic in other.topics:
        if topic not in first.topics:
            update.setdefault("topics", list(first.topics)).append(topic)
    for note in other.notes:
        if note not in notes:
            notes.append(note)
    if notes != first.notes:
        update["notes"] = notes
    return first.model_copy(update=update) if update else first
