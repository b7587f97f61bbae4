"""TopicListScraper: both variants (groups inline on topic pages / linked detail pages) on small
sites written into tmp folders and crawled with the real polite client over loopback.

What the base promises: one record per source key with every topic label in index order; gaps
filled from other occurrences and disagreements noted; a topic or detail page that fails is a
ParseFailure and the run goes on; zero groups (or zero topic links) is SiteChanged, never an
empty success.
"""

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from selectolax.lexbor import LexborHTMLParser

from schema.records import ScrapedRecord
from scrapers.bases.base import Page, ScrapeResult
from scrapers.bases.html import COMMON_LABELS, labelled_fields
from scrapers.bases.topiclist import TopicListScraper, Tree, merge_records
from scrapers.errors import SiteChanged
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.transport import RewriteTransport
from tools.site_server import serve_directory

ORIGIN = "https://www.stadt.example"


class InlineScraper(TopicListScraper):
    source_id = "topiclist-inline"
    topic_link_selector = "ul.themen a[href]"
    index_link_selector = "p.weiter a[href]"
    group_selector = "div.gruppe[id]"
    key_pattern = re.compile(r"^gruppe-(\d+)$")
    name_selector = "h3"
    description_selector = "p.text"

    def parse_group(self, page: Page, node: Tree) -> ScrapedRecord:
        return self.labelled_record(page, node, source_key=self.key(node.attributes.get("id")))


class LinkedScraper(TopicListScraper):
    source_id = "topiclist-linked"
    topic_link_selector = "ul.themen a[href]"
    group_link_selector = "ul.gruppen a[href]"
    key_pattern = re.compile(r"/gruppen/(\d+)/")
    centre_path = "kontakt.html"
    labels: ClassVar[dict[str, str]] = COMMON_LABELS | {"kontakt": "contact_person"}

    def parse_group(self, page: Page, node: Tree) -> ScrapedRecord:
        return self.labelled_record(page, node, source_key=self.key(page.url))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, self.content(page), kind="contact_centre",
                                    source_key="kontaktstelle")


def html(body: str, charset: str = '<meta charset="utf-8">') -> str:
    return (f"<!DOCTYPE html><html lang=de><head>{charset}<title>t</title></head><body>"
            '<nav class="breadcrumb">Sie befinden sich hier: <a href="/">Startseite</a></nav>'
            f'<main id="content">{body}</main><footer><a href="/impressum">Impressum</a>'
            "</footer></body></html>")


def group(uid: int, name: str | None, *rows: tuple[str, str], text: str = "") -> str:
    heading = f"<header><h3>{name}</h3></header>" if name else ""
    body = f'<p class="text">{text}</p>' if text else ""
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<div class="gruppe" id="gruppe-{uid}">{heading}{body}<dl>{dl}</dl>'
            '<p><a href="#top">nach oben</a> <a href="javascript:window.print()">Drucken</a></p>'
            "</div>")


def inline_site() -> dict[str, str]:
    """/shg/: Alpha, Beta, Gamma on the first index page, Delta (404) on the second."""
    return {
        "shg/index.html": html(
            '<h1>Themen</h1><ul class="themen"><li><a href="alpha/">Alpha</a></li>'
            '<li><a href="/shg/beta/#liste">Beta</a></li>'
            f'<li><a href="{ORIGIN}/shg/gamma/index.html">Gamma</a></li></ul>'
            '<p class="weiter"><a href="seite-2.html">weitere Themen</a></p>'
            '<aside><ul><li><a href="/shg/sidebar/">Nicht im Index</a></li></ul></aside>'),
        "shg/seite-2.html": html(
            '<ul class="themen"><li><a href="delta/">Delta</a></li>'
            '<li><a href="alpha/">Alpha (doppelt)</a></li></ul>'
            '<p class="weiter"><a href="index.html">zurück</a></p>'),
        "shg/alpha/index.html": html(
            '<h1>Alpha</h1><div class="intro" id="c1"><h3>Kein Gruppenblock</h3></div>'
            + group(1, "Gruppe Eins", ("Treffen", "montags, 18 Uhr"), ("Telefon", "0211 111"),
                    text="Erste Gruppe.")
            + group(2, "Gruppe Zwei", ("Treffen", "dienstags, 19 Uhr"))),
        "shg/beta/index.html": html(
            group(2, "Gruppe Zwei", ("Treffen", "dienstags, 19 Uhr"), ("Telefon", "0211 222"),
                  ("Thema", "Eigenes Thema<br>Beta"), text="Zweite Gruppe.")
            + group(3, "Gruppe Drei", ("Treffen", "mittwochs, 19 Uhr"))),
        "shg/gamma/index.html": html(
            group(1, "Gruppe Eins", ("Treffen", "montags, 18 Uhr"), ("Telefon", "0211 111"),
                  text="Erste Gruppe.")
            + group(3, "Gruppe Drei", ("Treffen", "donnerstags, 19 Uhr"))
            + group(4, None, ("Treffen", "freitags"))
            + group(5, "Gruppe Fünf", ("Treffen", "samstags"), ("Ort", "Ort auf Anfrage"))),
    }


def linked_site() -> dict[str, str]:
    return {
        "verz/index.html": html(
            '<ul class="themen"><li><a href="sucht.html">Sucht</a></li>'
            '<li><a href="krebs.html">Krebs</a></li><li><a href="leer.html">Leer</a></li></ul>'),
        "verz/sucht.html": html(
            '<ul class="gruppen"><li><a href="gruppen/7/?von=sucht">AA</a></li>'
            '<li><a href="gruppen/8/">Blaues Kreuz</a></li>'
            '<li><a href="gruppen/9/">verschwunden</a></li>'
            '<li><a href="gruppen/10/">ohne Namen</a></li></ul>'),
        "verz/krebs.html": html(
            '<ul class="gruppen"><li><a href="/verz/gruppen/7/#kontakt">AA (auch hier)</a></li>'
            '<li><a href="gruppen/10/">ohne Namen</a></li></ul>'),
        "verz/leer.html": html("<p>Zurzeit keine Gruppen.</p>"),
        "verz/gruppen/7/index.html": html(
            "<h1>Anonyme Gruppe Sieben</h1><dl><dt>Themen</dt><dd>Abhängigkeit</dd>"
            "<dt>Treffen</dt><dd>jeden Montag</dd><dt>Kontakt</dt><dd>Herr A.</dd></dl>"
            '<p><a href="mailto:sieben@example.org">sieben@example.org</a></p>'),
        "verz/gruppen/8/index.html": html(
            "<h1>Gruppe Acht</h1><dl><dt>Treffen</dt><dd>jeden Dienstag</dd></dl>"),
        "verz/gruppen/10/index.html": html("<p>Diese Seite hat keine Überschrift.</p>"),
        "verz/kontakt.html": html(
            "<h1>Kontaktstelle</h1><dl><dt>Sprechzeiten</dt><dd>Mo 9–12 Uhr</dd></dl>"),
    }


def write_site(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def crawl(scraper: TopicListScraper, site: Path) -> tuple[ScrapeResult, list[str]]:
    """The crawl of tools.site_server, keeping the request log to count fetches."""

    async def run(base: str) -> ScrapeResult:
        transport = RewriteTransport({ORIGIN: base})
        async with PoliteClient(ClientSettings(rate_per_host=None),
                                transport=transport) as client:
            return await scraper.scrape(client)

    with serve_directory(site) as (base, seen):
        return asyncio.run(run(base)), seen


INLINE_START = f"{ORIGIN}/shg/"
LINKED_START = f"{ORIGIN}/verz/"


@pytest.fixture(scope="module")
def inline(tmp_path_factory) -> tuple[ScrapeResult, list[str]]:
    return crawl(InlineScraper([INLINE_START]),
                 write_site(tmp_path_factory.mktemp("inline"), inline_site()))


@pytest.fixture(scope="module")
def inline_records(inline) -> dict[str, ScrapedRecord]:
    return {r.source_key: r for r in inline[0].records}


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> tuple[ScrapeResult, list[str]]:
    return crawl(LinkedScraper([LINKED_START]),
                 write_site(tmp_path_factory.mktemp("linked"), linked_site()))


@pytest.fixture(scope="module")
def linked_records(linked) -> dict[str, ScrapedRecord]:
    return {r.source_key: r for r in linked[0].records}


# ------------------------------------------------------------------------- inline variant

def test_inline_one_record_per_key(inline):
    keys = [r.source_key for r in inline[0].records]
    assert keys == ["1", "2", "3", "5"]  # sorted, each once; 4 has no name


def test_inline_topics_merge_in_index_order(inline_records):
    assert inline_records["1"].topics == ["Alpha", "Gamma"]
    assert inline_records["3"].topics == ["Beta", "Gamma"]
    assert inline_records["5"].topics == ["Gamma"]


def test_inline_own_topics_follow_index_topics_without_repeats(inline_records):
    assert inline_records["2"].topics == ["Alpha", "Beta", "Eigenes Thema"]


def test_inline_first_occurrence_is_the_provenance(inline_records):
    r = inline_records["2"]
    assert r.source_url == f"{INLINE_START}alpha/#gruppe-2"
    assert r.source_id == "topiclist-inline"
    assert r.kind == "group"


def test_inline_gaps_are_filled_from_a_later_occurrence(inline_records):
    r = inline_records["2"]  # a teaser on Alpha, the full entry on Beta
    assert r.phones_text == ["0211 222"]
    assert r.description == "Zweite Gruppe."
    assert r.meeting_text == "dienstags, 19 Uhr"
    assert r.notes == []


def test_inline_disagreement_keeps_the_first_value_and_notes_the_other_page(inline_records):
    r = inline_records["3"]
    assert r.meeting_text == "mittwochs, 19 Uhr"
    assert r.notes == [f"meeting_text differs on {INLINE_START}gamma/#gruppe-3"]
    assert inline_records["1"].notes == []  # identical copies are not a disagreement


def test_inline_block_without_name_is_a_failure_the_rest_goes_on(inline):
    failures = [f for f in inline[0].failures if f.field == "name"]
    assert [f.url for f in failures] == [f"{INLINE_START}gamma/"]
    assert "no heading" in failures[0].reason
    assert failures[0].raw["sha256"]


def test_inline_topic_page_404_is_a_parse_failure_not_a_crash(inline):
    pages = [f for f in inline[0].failures if f.field == "page"]
    assert [f.url for f in pages] == [f"{INLINE_START}delta/"]
    assert "HTTP 404" in pages[0].reason
    assert pages[0].failure_class == "http_error"  # so a run short of records says why


def test_inline_index_pages_topic_pages_fetched_once_sidebar_ignored(inline):
    _result, seen = inline
    paths = [p for p in seen if p != "/robots.txt"]
    assert sorted(paths) == sorted(["/shg/", "/shg/seite-2.html", "/shg/alpha/", "/shg/beta/",
                                    "/shg/gamma/", "/shg/delta/"])


def test_inline_on_request_place_becomes_a_meeting_note(inline_records):
    r = inline_records["5"]
    assert r.address_text is None
    assert r.meeting_text == "samstags\nOrt auf Anfrage"


def test_inline_no_chrome_in_records(inline_records):
    for r in inline_records.values():
        dumped = r.model_dump_json()
        for chrome in ("nach oben", "Drucken", "Sie befinden sich", "Impressum", "Startseite"):
            assert chrome not in dumped, (r.source_key, chrome)


def test_merge_does_not_depend_on_fetch_order(tmp_path, inline):
    class OneAtATime(InlineScraper):
        concurrency = 1

    result, _seen = crawl(OneAtATime([INLINE_START]), write_site(tmp_path, inline_site()))
    strip = {"fetched_at"}
    assert ([r.model_dump(exclude=strip) for r in result.records]
            == [r.model_dump(exclude=strip) for r in inline[0].records])


# ------------------------------------------------------------------------- linked variant

def test_linked_detail_page_is_fetched_once_per_key(linked):
    _result, seen = linked
    assert [p for p in seen if p.startswith("/verz/gruppen/7/")] == ["/verz/gruppen/7/?von=sucht"]
    assert seen.count("/verz/gruppen/10/") == 1


def test_linked_one_record_with_all_topics(linked_records):
    r = linked_records["7"]
    assert r.topics == ["Sucht", "Krebs", "Abhängigkeit"]
    assert r.name == "Anonyme Gruppe Sieben"
    assert r.source_url == f"{LINKED_START}gruppen/7/?von=sucht"
    assert r.contact_person == "Herr A."
    assert r.emails_text == ["sieben@example.org"]
    assert linked_records["8"].topics == ["Sucht"]


def test_linked_failures_one_per_page(linked):
    failures = sorted((f.url, f.field) for f in linked[0].failures)
    assert failures == [(f"{LINKED_START}gruppen/10/", "name"),
                        (f"{LINKED_START}gruppen/9/", "page")]


def test_linked_centre_record(linked_records):
    r = linked_records["kontaktstelle"]
    assert r.kind == "contact_centre"
    assert r.hours_text == "Mo 9–12 Uhr"
    assert r.topics == []
    assert sorted(linked_records) == ["7", "8", "kontaktstelle"]


def test_linked_centre_404_is_a_failure_and_groups_stay(tmp_path):
    files = linked_site()
    del files["verz/kontakt.html"]
    result, _seen = crawl(LinkedScraper([LINKED_START]), write_site(tmp_path, files))
    assert sorted(r.source_key for r in result.records) == ["7", "8"]
    assert (f"{LINKED_START}kontakt.html", "page") in [(f.url, f.field) for f in result.failures]


# ------------------------------------------------------------------------ site changed

def test_zero_groups_is_site_changed(tmp_path):
    files = inline_site()
    for rel in files:
        files[rel] = files[rel].replace('class="gruppe"', 'class="eintrag"')
    with pytest.raises(SiteChanged, match=r"0 group records from 3 topic pages \(1 topic pages"):
        crawl(InlineScraper([INLINE_START]), write_site(tmp_path, files))


def test_zero_topic_links_is_site_changed(tmp_path):
    files = inline_site()
    for rel in ("shg/index.html", "shg/seite-2.html"):
        files[rel] = files[rel].replace('class="themen"', 'class="liste"')
    with pytest.raises(SiteChanged, match="0 topic links match"):
        crawl(InlineScraper([INLINE_START]), write_site(tmp_path, files))


def test_every_topic_page_gone_is_site_changed(tmp_path):
    files = {k: v for k, v in linked_site().items() if k == "verz/index.html"}
    with pytest.raises(SiteChanged, match=r"from 0 topic pages \(3 topic pages failed"):
        crawl(LinkedScraper([LINKED_START]), write_site(tmp_path, files))


def test_every_detail_page_gone_is_site_changed(tmp_path):
    files = {k: v for k, v in linked_site().items() if "/gruppen/" not in k}
    with pytest.raises(SiteChanged,
                       match=r"from 3 topic pages \(0 topic pages failed, 4 groups failed"):
        crawl(LinkedScraper([LINKED_START]), write_site(tmp_path, files))


def test_every_group_unreadable_is_site_changed(tmp_path):
    files = inline_site()
    for rel in files:
        files[rel] = re.sub(r"<header><h3>.*?</h3></header>", "", files[rel])
    with pytest.raises(SiteChanged, match=r"0 group records .* 8 groups failed"):
        crawl(InlineScraper([INLINE_START]), write_site(tmp_path, files))


def test_a_variant_must_be_chosen():
    class Neither(InlineScraper):
        group_selector = None

    with pytest.raises(TypeError, match="exactly one"):
        asyncio.run(Neither([INLINE_START]).scrape(None))


# --------------------------------------------------------------------------- pure parts

def rec(**fields) -> ScrapedRecord:
    base = {"source_id": "s", "source_key": "1", "source_url": "https://a.example/1",
            "fetched_at": datetime(2026, 1, 1, tzinfo=UTC)}
    return ScrapedRecord(**(base | fields))


def test_merge_records_fills_gaps_notes_conflicts_and_keeps_provenance():
    first = rec(name="A", phones_text=[], meeting_text="Mo", topics=["x"])
    other = rec(source_url="https://a.example/2", name="A", phones_text=["0211 1"],
                meeting_text="Di", topics=["y", "x"], content_hash="h2")
    merged = merge_records(first, other)
    assert merged.phones_text == ["0211 1"]
    assert merged.meeting_text == "Mo"
    assert merged.topics == ["x", "y"]
    assert merged.source_url == "https://a.example/1"
    assert merged.content_hash is None
    assert merged.notes == ["meeting_text differs on https://a.example/2"]
    assert merge_records(merged, other).notes == merged.notes  # a third sighting adds nothing


def test_merge_records_of_equal_records_is_identity():
    first = rec(name="A", meeting_text="Mo")
    assert merge_records(first, rec(name="A", meeting_text="Mo")) is first


@pytest.mark.parametrize(("place", "moved"), [
    ("Ort auf Anfrage", True),
    ("auf Anfrage", True),
    ("Treffpunkt bitte im Service-Büro erfragen", True),
    ("nach telefonischer Vereinbarung", True),
    ("Bürgerhaus, Anfrageweg 3, 40231 Düsseldorf", False),
    ("Gemeindehaus (Raum auf Anfrage im Büro), Kirchweg 5", False),
])
def test_on_request_place_moves_to_meeting_text(place, moved):
    node = LexborHTMLParser(
        f"<dl><dt>Treffen</dt><dd>montags</dd><dt>Ort</dt><dd>{place}</dd></dl>").body
    fields = labelled_fields(node, COMMON_LABELS, "https://a.example/")
    if moved:
        assert fields == {"meeting_text": f"montags\n{place}"}
    else:
        assert fields == {"meeting_text": "montags", "address_text": place}


def test_key_names_the_field_when_missing():
    with pytest.raises(ValueError, match="field 'source_key'"):
        InlineScraper([INLINE_START]).key("abschnitt-3")
    assert InlineScraper([INLINE_START]).key("gruppe-42") == "42"
