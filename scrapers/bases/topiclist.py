"""Shared base for directories organised by topic: an index page lists topics, each topic page
lists the groups of that topic, either inline (a block per group with its details) or as links
to one detail page per group.

The same group usually stands under several topics ("Doppeldiagnose" under Depression, Sucht and
Suizid). This base merges every occurrence into ONE record per source key, carrying all topic
labels in index order; it never emits a key twice (the pipeline would quarantine the repeat).

A source module picks its variant with one selector (`group_selector`: groups inline on the
topic page; `group_link_selector`: links to their pages) and writes `parse_group`, usually one
`labelled_record` call plus the source key.
"""

import re
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from selectolax.lexbor import LexborNode

from schema.records import ScrapedRecord
from scrapers.bases.azlist import canonical_url, list_pages
from scrapers.bases.base import Fetcher, Page, Scraper, ScrapeResult, fetched_pages, with_topics
from scrapers.bases.html import (
    LabelledDetail,
    Tree,
    clean_text,
    link_url,
    links,
    remove_boilerplate,
)
from scrapers.errors import FieldError, SiteChanged

#: Fields that say where a record came from; merging never compares them.
_PROVENANCE = frozenset({"source_id", "source_key", "source_url", "fetched_at", "content_hash",
                         "kind", "topics", "notes", "upstream"})


class TopicListScraper(LabelledDetail, Scraper):
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
    #: For `labelled_record` (`scrapers.bases.html`): a group block's heading.
    name_selector: ClassVar[str] = "h1, h2, h3, h4"

    # ------------------------------------------------------------------ what a source writes

    @abstractmethod
    def parse_group(self, page: Page, node: Tree) -> ScrapedRecord:
        """One group -> its raw record. `node` is the group's block on a topic page (inline)
        or the content of its detail page (linked). Raise FieldError for a missing field."""

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
            async for i, page in fetched_pages(fetch, urls, result, self.concurrency):
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
        result.records.extend(with_topics(rec, labels) for rec, labels in merged.values())
        await self.scrape_centre(fetch, result)
        result.records.sort(key=lambda r: r.source_key)
        return result

    async def _crawl_index(self, fetch: Fetcher, result: ScrapeResult) -> dict[str, str]:
        """Topic page URL -> topic label, in index order (first label wins)."""
        topics: dict[str, str] = {}
        async for page, tree in list_pages(fetch, self.start_urls, self.index_link_selector,
                                           result, whole=False):
            for a in tree.css(self.topic_link_selector):
                if url := link_url(page.url, a.attributes.get("href")):
                    label = clean_text(a.text()) or clean_text(a.attributes.get("title"))
                    topics.setdefault(canonical_url(url), label)
        return topics

    async def _crawl_details(self, fetch: Fetcher, result: ScrapeResult, topics: dict[str, str],
                             merged: dict) -> int:
        """Linked variant: detail URLs per key in first-seen order, each fetched once. Returns
        how many topic pages came back."""
        details: dict[str, tuple[str, list[str]]] = {}  # fetch id -> (url, topic labels)
        urls, loaded = list(topics), 0
        async for i, page in fetched_pages(fetch, urls, result, self.concurrency):
            url, loaded = urls[i], loaded + 1
            for detail in links(page.url, page.html(), self.group_link_selector):
                match = self.key_pattern.search(detail)
                ident = match.group(match.lastindex or 0) if match else canonical_url(detail)
                _url, labels = details.setdefault(ident, (detail, []))
                if topics[url] not in labels:
                    labels.append(topics[url])
        wanted = list(details.values())
        async for i, page in fetched_pages(fetch, [u for u, _ in wanted], result, self.concurrency):
            self._collect(result, merged, page, wanted[i][1],
                          lambda p: self.parse_group(p, self.content(p)))
        return loaded

    # ------------------------------------------------------------------------------ merge

    def _collect(self, result: ScrapeResult, merged: dict, page: Page, labels: list[str],
                 parse: Callable[[Page], ScrapedRecord]) -> None:
        """Parse one occurrence and fold it into the record of its key with its topics."""
        record = self.parse_into(result, page, parse, keep=False)
        if record is None:
            return
        first, seen = merged.setdefault(record.source_key, (record, []))
        merged[record.source_key] = (merge_records(first, record), seen)
        seen.extend(label for label in labels if label and label not in seen)

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
