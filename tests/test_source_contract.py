"""What every source in sources.toml must do, checked against what it ships with: an html
source's fixture site (tests/fixtures/<id>, served on 127.0.0.1 and crawled by the real client
through the source's scraper, looked up as a run looks it up) and a file source's bundled file
(read by the real importer). Each source is run twice.

The contract: no failed page on its own fixture site, at least `min_records` records, the
fields every record needs, the same records under the same keys (and listing ids) from the same
pages, every record a listing, and nothing of a private person in what a listing publishes.
A source's own test module keeps only what is particular to it.
"""

import asyncio
import re
from urllib.parse import urlsplit

import pytest

from schema.ids import listing_id
from schema.listing import Listing
from schema.normalise import to_listings
from schema.normalise.personal import contact
from schema.normalise.personal.kinds import PRIVATE_KINDS
from schema.normalise.personal.redaction import redact
from schema.records import RawKind, ScrapedRecord
from schema.registry import Source, load_registry
from scrapers.bases.base import ScrapeResult
from scrapers.importers.files.stream import import_file
from scrapers.registry import scraper_class
from tests.conftest import FIXTURES, ROOT
from tools.site_server import crawl_fixture_site

REGISTRY = load_registry(ROOT / "sources.toml")


def has_fixture(source: Source) -> bool:
    if source.kind == "file":
        return (ROOT / source.path).is_file()
    return (FIXTURES / source.id).is_dir()


SOURCES = [s for s in REGISTRY.sources if has_fixture(s)]
KINDS = set(RawKind.__args__)
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def run(source: Source) -> ScrapeResult:
    """One run of `source` against its fixture, through the code a nightly run uses."""
    if source.kind == "file":
        return import_file(source, ROOT)
    scraper = scraper_class(source.scraper or source.id)(source.start_urls)
    return asyncio.run(crawl_fixture_site(scraper, FIXTURES / source.id))


@pytest.fixture(scope="module", params=SOURCES, ids=[s.id for s in SOURCES])
def runs(request) -> tuple[Source, ScrapeResult, ScrapeResult]:
    return request.param, run(request.param), run(request.param)


@pytest.fixture(scope="module")
def source(runs) -> Source:
    return runs[0]


@pytest.fixture(scope="module")
def records(runs) -> list[ScrapedRecord]:
    return runs[1].records


@pytest.fixture(scope="module")
def listings(runs) -> list[Listing]:
    source, result, _ = runs
    listings, rejected = to_listings(result.records, source.licence, source.staff_contacts)
    assert rejected == []
    return listings


def test_the_registry_has_a_fixture_for_every_source():
    """A source without a fixture site or bundled file would escape this contract."""
    assert [s.id for s in SOURCES] == REGISTRY.ids


def test_no_page_fails_on_its_own_fixture_site(runs):
    """A fixture site holds the source's pages as they should be; a bundled file holds bad rows
    on purpose, which fail alike on every run, each naming its row and the field."""
    source, result, again = runs
    if source.kind == "html":
        assert result.failures == [] and again.failures == []
        return
    assert [(f.url, f.reason) for f in again.failures] == \
        [(f.url, f.reason) for f in result.failures]
    for failure in result.failures:
        assert failure.url.startswith(f"file:{source.path}#row="), failure
        assert failure.field is None or failure.reason.startswith(f"field '{failure.field}'"), \
            failure


def test_at_least_the_minimum_count(source, records):
    assert len(records) >= max(source.min_records, 1)


def test_one_record_per_source_key(records):
    keys = [r.source_key for r in records]
    assert len(keys) == len(set(keys))


def test_required_fields(source, records):
    scheme = ("file",) if source.kind == "file" else ("http", "https")
    for r in records:
        where = (source.id, r.source_key)
        assert r.source_id == source.id, where
        assert r.source_key and r.source_key == r.source_key.strip(), where
        assert urlsplit(r.source_url).scheme in scheme, where
        assert r.name and r.name == r.name.strip(), where
        assert r.kind in KINDS, where
        assert r.fetched_at.tzinfo is not None, where
        assert SHA256.match(r.content_hash), where


def test_every_record_comes_from_a_page_of_the_run(runs):
    """Provenance: each record's content hash is the hash of a page (or file) the run read."""
    _, result, _ = runs
    hashes = {p.sha256 for p in result.pages}
    assert all(r.content_hash in hashes for r in result.records)


def test_same_pages_give_the_same_records_under_the_same_ids(runs):
    source, result, again = runs

    def by_key(res: ScrapeResult) -> dict[str, dict]:
        return {r.source_key: r.model_dump(exclude={"fetched_at"}) for r in res.records}

    assert by_key(again) == by_key(result)
    ids = {listing_id(source.id, r.source_key) for r in result.records}
    assert ids == {listing_id(source.id, r.source_key) for r in again.records}
    assert len(ids) == len(result.records)


def test_every_record_becomes_a_listing(records, listings):
    assert sorted(lst.source_key for lst in listings) == sorted(r.source_key for r in records)


def published_texts(listing: Listing) -> list[str]:
    """The texts of `listing` that reach the public files (see warehouse/public.py)."""
    address = listing.address
    texts = [listing.name, listing.description, listing.carrier, listing.org_type,
             listing.accessibility, listing.contact_route,
             *(t.label for t in listing.topics),
             *(address.model_dump(exclude={"original"}).values() if address else ()),
             *(h.original for h in (listing.meeting, listing.opening_hours,
                                    listing.phone_hours) if h is not None)]
    return [t for t in texts if isinstance(t, str) and t]


def test_no_private_person_in_what_is_published(source, records, listings):
    raw = {r.source_key: r for r in records}
    for listing in listings:
        where = (source.id, listing.source_key)
        texts = published_texts(listing)
        for text in texts:
            assert redact(text, listing.kind, source.staff_contacts)[1] == [], (where, text)
        _, person = contact(raw[listing.source_key].contact_person)
        if person:
            assert not any(person in text for text in texts), where
        public_phones = [p for p in listing.phones if p.valid and not p.personal]
        if listing.kind in PRIVATE_KINDS:
            assert all(p.type != "mobile" for p in public_phones), where
        if listing.kind == "rare_condition":  # its contacts are people with the condition
            assert (listing.phones, listing.emails, listing.address,
                    listing.contact_person) == ([], [], None, None), where
