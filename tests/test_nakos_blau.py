"""NAKOS BLAUE ADRESSEN against the invented fixture site tests/fixtures/nakos-blau (see its
README). The topic pages there carry fictitious person entries; this module proves that the
scraper never requests them (the server logs every request path), that the WARC archive holds
no person, and that a record is a topic, a count and a link — nothing else.

Crawled once per module the way `crawl_fixture_site` does it (served on 127.0.0.1, real polite
client, https://www.nakos.de rewritten), but with the server's request log and a WARC archive.
"""

import asyncio
import gzip
import re
from pathlib import Path

import pytest
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from schema.records import ScrapedRecord
from scrapers.bases.base import ScrapeResult
from scrapers.bases.html import clean_text, node_text
from scrapers.bases.nakos import nakos_key
from scrapers.errors import SiteChanged
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.transport import RewriteTransport
from scrapers.fetch.warc import WarcArchive
from scrapers.sources.nakos_blau import NakosBlauScraper
from tests.conftest import FIXTURES
from tests.source_site import copy_site, rewrite, rewrite_all, strings
from tools.site_server import serve_directory

SITE = FIXTURES / "nakos-blau"
ORIGIN = "https://www.nakos.de"
START = f"{ORIGIN}/adressen/blau/"
LIST_PATHS = ["/adressen/blau/", "/adressen/blau/buchstabe@A/seite@2/",
              *(f"/adressen/blau/buchstabe@{c}/" for c in "BEFMS")]
TOPICS = {  # key -> (topic, count as printed)
    "20114": ("Achalasie", "3 Kontakte"),
    "20131": ("Alpha-1-Antitrypsin-Mangel", "5 Kontakte"),
    "20140": ("Aniridie", "2 Kontakte"),
    "20205": ("Behçet-Syndrom", "4 Kontakte"),
    "20218": ("Börjeson-Forssman-Lehmann-Syndrom", "1 Kontakt"),
    "20388": ("Ehlers-Danlos-Syndrom, vaskulärer Typ", "2 Kontakte"),
    "20412": ("Fibrodysplasia ossificans progressiva (FOP)", "1 Kontakt"),
    "20455": ("Morbus Fabry", "2 Kontakte"),
    "20461": ("Moyamoya-Erkrankung", "6 Kontakte"),
    "20590": ("Stiff-Person-Syndrom", "3 Kontakte"),
}
#: a sample of the fictitious persons on the topic pages (all of them are read below too)
FAKE = ["Petra Fiktiva-Achal", "0351 5550114", "petra.fiktiva@example.net", "Jonas Erfunden",
        "0170 5550115", "Bernd Ausgedacht", "bernd.ausgedacht@example.net", "Musterblau",
        "Jürgen Scheinbar", "juergen.scheinbar@example.net", "Miriam Nichtecht",
        "040 5550388", "Renate Imaginär", "@example.net", "Kontaktwunsch"]
#: fields that may carry something in a BLAU record; every other field must stay empty
ALLOWED = {"source_id", "source_key", "source_url", "fetched_at", "content_hash", "kind", "name",
           "contact_count_text"}
TOPIC_PATH = re.compile(r"key(?:@|%40)\d+", re.IGNORECASE)


def crawl(site: Path, archive: WarcArchive | None = None) -> tuple[ScrapeResult, list[str]]:
    """(result, request paths the server saw), crawling as `crawl_fixture_site` does."""
    async def scrape(base: str) -> ScrapeResult:
        transport = RewriteTransport({ORIGIN: base})
        async with PoliteClient(ClientSettings(rate_per_host=None), transport=transport,
                                archive=archive) as client:
            return await NakosBlauScraper([START]).scrape(client)

    with serve_directory(site) as (base, seen):
        try:
            return asyncio.run(scrape(base)), list(seen)
        finally:
            if archive is not None:
                archive.close()


@pytest.fixture(scope="module")
def warc(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("warc") / "nakos-blau.warc.gz"


@pytest.fixture(scope="module")
def crawled(warc) -> tuple[ScrapeResult, list[str]]:
    return crawl(SITE, WarcArchive(warc))


@pytest.fixture(scope="module")
def result(crawled) -> ScrapeResult:
    return crawled[0]


@pytest.fixture(scope="module")
def seen(crawled) -> list[str]:
    return crawled[1]


@pytest.fixture(scope="module")
def records(result) -> dict[str, ScrapedRecord]:
    return {r.source_key: r for r in result.records}


def topic_files() -> list[Path]:
    return sorted((SITE / "adressen" / "blau").glob("key@*"))


def person_strings() -> set[str]:
    """Every value of every person entry on every fixture topic page."""
    values = set()
    for file in topic_files():
        tree = LexborHTMLParser(file.read_text(encoding="utf-8"))
        for dd in tree.css("div.eintrag dd"):
            values.add(node_text(dd))
    return values


# -------------------------------------------------------------- topic pages: never touched

def test_fixture_topic_pages_really_hold_persons_and_robots_allows_them():
    """Guards the tests below: the danger is there, and only the scraper keeps away from it."""
    assert sorted(f.name.removeprefix("key@") for f in topic_files()) == sorted(TOPICS)
    everything = "\n".join(f.read_text(encoding="utf-8") for f in topic_files())
    for fake in FAKE:
        assert fake in everything, fake
    assert len(person_strings()) >= 50
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    assert robots.can_fetch(f"{START}key@20114", "selbsthilfe-atlas")


def test_no_topic_page_is_ever_requested(seen):
    assert seen, "the server saw no request at all"
    assert [p for p in seen if TOPIC_PATH.search(p)] == []


def test_exactly_robots_and_the_list_pages_are_requested(seen):
    assert sorted(seen) == sorted(["/robots.txt", *LIST_PATHS])


def test_no_topic_page_reaches_raw_pages(result):
    assert [p.url for p in result.pages if nakos_key(p.url)] == []
    assert len(result.pages) == len(LIST_PATHS)


def test_warc_holds_the_lists_and_no_person(warc, result):
    with gzip.open(warc) as fh:  # every record is its own gzip member; this reads them all
        body = fh.read().decode("utf-8", errors="replace")
    assert "Alpha-1-Antitrypsin-Mangel" in body  # the archive is really there
    for fake in FAKE:
        assert fake not in body, fake
    for value in person_strings():
        assert value not in body, value


def test_even_a_topic_link_in_the_pager_is_not_followed(tmp_path):
    """A redesign that puts a topic link among the list links must not lead to its page."""
    site = copy_site(SITE, tmp_path)
    rewrite(site / "adressen" / "blau" / "index.html", b'<ul class="blaettern">',
            b'<ul class="blaettern"><li><a href="/adressen/blau/key@20114">Achalasie</a></li>')
    result, seen = crawl(site)
    assert [p for p in seen if TOPIC_PATH.search(p)] == []
    assert len(result.records) == len(TOPICS)


def test_parse_detail_refuses(result):
    with pytest.raises(RuntimeError, match="never parsed"):
        NakosBlauScraper([START]).parse_detail(result.pages[0])


# ------------------------------------------------------------------------------ records

def test_one_record_per_topic_with_count_and_link(records):
    assert sorted(records) == sorted(TOPICS)
    for key, (topic, count) in TOPICS.items():
        r = records[key]
        assert (r.name, r.contact_count_text) == (topic, count), key
        assert r.source_url in (f"{START}key@{key}", f"{START}key%40{key}")
        assert r.kind == "rare_condition"


def test_records_hold_nothing_but_topic_count_and_link(records):
    for record in records.values():
        filled = {field for field, value in record.model_dump().items()
                  if value not in (None, [], "")}
        assert filled == ALLOWED, (record.source_key, filled - ALLOWED)


def test_no_person_in_any_field(records):
    persons = person_strings() | set(FAKE)
    for record in records.values():
        for value in strings(record):
            for person in persons:
                assert person not in value, (record.source_key, person)


def test_percent_40_and_relative_links(records):
    assert records["20388"].source_url == f"{START}key%4020388"
    assert records["20140"].source_url == f"{START}key@20140"  # "../../key@20140" on page 2


def test_record_provenance_is_its_list_page(result, records):
    b_page = next(p for p in result.pages if p.url.endswith("buchstabe@B/"))
    assert records["20205"].content_hash == b_page.sha256


def test_cp1252_list_page_is_detected_from_meta_tag(result, records):
    page = next(p for p in result.pages if p.url.endswith("buchstabe@B/"))
    assert b"charset=windows-1252" in page.content
    assert page.encoding == "cp1252"
    assert records["20205"].name == "Behçet-Syndrom"
    assert records["20218"].name == "Börjeson-Forssman-Lehmann-Syndrom"
    assert "\ufffd" not in records["20218"].model_dump_json()


def test_cross_reference_row_is_no_topic_of_its_own(records):
    assert records["20590"].name == "Stiff-Person-Syndrom"
    assert not any("Moersch" in r.name for r in records.values())


CHROME = ["Sie befinden sich hier", "HOME", "Seite drucken", "BLAUE ADRESSEN", "HOME / Adressen",
          "selbsthilfe@nakos.de", "Otto-Suhr-Allee", "Neu in den", "Buchstabe"]


def test_no_page_chrome_in_any_field(result, records):
    everything = "\n".join(clean_text(p.html().text()) for p in result.pages)
    for chrome in CHROME:
        assert chrome in everything, chrome  # the chrome is on the list pages
        for record in records.values():
            for value in strings(record):
                assert chrome not in value, (record.source_key, value)


# ------------------------------------------------------------------------ broken lists

def test_row_without_topic_link_is_quarantined_and_the_run_goes_on(tmp_path):
    site = copy_site(SITE, tmp_path)
    page = site / "adressen" / "blau" / "buchstabe@F" / "index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r'<a href="\.\./key@20412">([^<]*)</a>', r"\1", html),
                    encoding="utf-8")
    result, seen = crawl(site)
    assert [(f.url, f.field) for f in result.failures] == [(f"{START}buchstabe@F/", "name")]
    assert sorted(r.source_key for r in result.records) == sorted(set(TOPICS) - {"20412"})
    assert [p for p in seen if TOPIC_PATH.search(p)] == []


def test_changed_list_markup_fails_with_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    assert rewrite_all(site, b'class="themenliste"', b'class="liste"') == len(LIST_PATHS)
    with pytest.raises(SiteChanged, match="0 records"):
        crawl(site)
