"""Hamm parser against the invented fixture site in tests/fixtures/hamm (see its README), served
on 127.0.0.1 and crawled once per module with the real polite client."""

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from protego import Protego

from scrapers.bases.base import Page
from scrapers.bases.html import emails_in
from scrapers.errors import SiteChanged
from scrapers.sources.hamm import HammScraper
from tests.conftest import FIXTURES
from tests.source_site import assert_no_chrome, copy_site, rewrite, source_fixtures
from tests.source_site import crawl as crawl_site
from tests.source_site import fixture_file as site_file
from tests.source_site import fixture_page as site_page

SITE = FIXTURES / "hamm"
ORIGIN = "https://www.selbsthilfe-hamm.de"
START = f"{ORIGIN}/gruppen/"
INDEX_AK = f"{START}stichwortverzeichnis/"
INDEX_LZ = f"{START}stichwortverzeichnis/l-z/"
CENTRE = f"{ORIGIN}/kontaktstelle/"
SLUGS = {"104": "anonyme-alkoholiker", "112": "angehoerige-demenz", "118": "angst-panik",
         "123": "borderline", "131": "depression-lichtblick", "137": "diabetes",
         "142": "essstoerungen", "149": "frauenselbsthilfe-krebs", "156": "ms-gespraechskreis",
         "163": "schlaganfall", "171": "verwaiste-eltern", "178": "gemeinsam-leichter"}
GROUP_IDS = sorted(SLUGS)
# The Stichwortverzeichnis as authored: group id -> its keywords in index order.
KEYWORDS = {"104": ["Alkohol", "Sucht"], "112": ["Angehörige", "Demenz"], "118": ["Angst"],
            "123": ["Borderline"], "131": ["Depression"], "137": ["Diabetes"],
            "142": ["Essstörungen"], "149": ["Krebs"], "156": ["Multiple Sklerose"],
            "163": ["Angehörige", "Schlaganfall"], "171": ["Trauer"],
            "178": ["Essstörungen", "Übergewicht"]}
KST = "Selbsthilfe-Kontaktstelle, Chemnitzer Str. 41, 59067 Hamm"


def group_url(key: str) -> str:
    return f"{START}gruppe/{key}-{SLUGS[key]}/"


def fixture_file(url: str, site=SITE):
    return site_file(site, url)


def fixture_page(url: str) -> Page:
    return site_page(SITE, url)


def crawl(site=SITE):
    return crawl_site(HammScraper([START]), site)


crawled, result, records, pages = source_fixtures(lambda: HammScraper([START]), SITE)


# ------------------------------------------------------------------------------ crawling

def test_every_listed_group_and_the_centre_become_records(records):
    assert sorted(records) == sorted([*GROUP_IDS, "kontaktstelle"])


def test_list_and_both_keyword_pages_and_the_centre_are_fetched(result):
    fetched = [p.url for p in result.pages]
    assert fetched[:3] == [START, INDEX_AK, INDEX_LZ]
    assert fetched[-1] == CENTRE
    assert sorted(fetched[3:-1]) == sorted(group_url(k) for k in GROUP_IDS)


def test_group_under_two_keywords_is_fetched_once(result):
    fetched = [p.url for p in result.pages]
    assert fetched.count(group_url("104")) == 1
    assert not any("104-aa-hamm" in url for url in fetched)  # the index's old slug


def test_stale_keyword_entry_is_neither_fetched_nor_a_record(result, records):
    assert not any("099" in p.url for p in result.pages)
    assert "099" not in records


def test_detail_selector_takes_the_list_only():
    tree = fixture_page(START).html()
    hrefs = [a.attributes["href"] for a in tree.css(HammScraper.detail_link_selector)]
    assert sorted(hrefs) == sorted(urlsplit(group_url(k)).path for k in GROUP_IDS)
    assert len(tree.css("main a[href*='178-gemeinsam-leichter']")) == 2  # the "Neu" box too


def test_keyword_pages_link_no_detail_pages_the_base_would_fetch():
    for url in (INDEX_AK, INDEX_LZ):
        tree = fixture_page(url).html()
        assert tree.css(HammScraper.detail_link_selector) == []
        assert tree.css(HammScraper.keyword_selector), url


def test_robots_txt_allows_the_groups_and_blocks_cloudflare_paths():
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    for url in (START, INDEX_LZ, group_url("104"), CENTRE):
        assert robots.can_fetch(url, "selbsthilfe-atlas"), url
    assert not robots.can_fetch(f"{ORIGIN}/cdn-cgi/l/email-protection", "selbsthilfe-atlas")


# ----------------------------------------------------------------------- invariants

def test_provenance_of_every_record(records, pages):
    for key, record in records.items():
        url = CENTRE if key == "kontaktstelle" else group_url(key)
        assert record.kind == ("contact_centre" if key == "kontaktstelle" else "group")
        assert record.source_url == url
        raw = fixture_file(url).read_bytes()
        assert record.content_hash == hashlib.sha256(raw).hexdigest()
        assert pages[url].content == raw


CHROME = ["Sie befinden sich hier", "Seite drucken", "Zum Inhalt springen", "Cookies",
          "Hauptmenü", "Stichwortverzeichnis", "Zurück zur Gruppenliste", "So erreichen Sie uns",
          "Impressum", "Datenschutz", "[email",
          "email-protection", "im Paritätischen", "So geht's"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, pages, chrome):
    assert_no_chrome(records, pages, chrome)


# ---------------------------------------------------------------------- topics

def test_topics_are_the_keywords_of_the_index(records):
    assert {key: records[key].topics for key in GROUP_IDS} == KEYWORDS


def test_group_under_two_keywords_is_one_record_with_both(result, records):
    assert [r.source_key for r in result.records].count("104") == 1
    assert records["104"].topics == ["Alkohol", "Sucht"]  # A–K page, then L–Z page


def test_see_also_link_and_old_slug_on_the_iso_page():
    found = HammScraper([START]).keywords([fixture_page(INDEX_LZ)])
    assert {k: list(v) for k, v in found.items()} == {
        "156": ["Multiple Sklerose"], "163": ["Schlaganfall"], "104": ["Sucht"],
        "171": ["Trauer"], "099": ["Trauer"], "178": ["Übergewicht"]}


def test_centre_gets_no_topics(records):
    assert records["kontaktstelle"].topics == []


def test_keywords_read_straight_from_the_index_pages():
    scraper = HammScraper([START])
    found = scraper.keywords([fixture_page(u) for u in (START, INDEX_AK, INDEX_LZ)])
    assert {k: list(v) for k, v in found.items()} == {**KEYWORDS, "099": ["Trauer"]}


# ---------------------------------------------------------------- ISO-8859-1 page

def test_iso_page_is_decoded_from_its_meta_tag(pages):
    page = pages[INDEX_LZ]
    assert b'content="text/html; charset=iso-8859-1"' in page.content
    assert b"<meta charset" not in page.content
    assert "charset" not in page.headers["content-type"]
    assert page.encoding == "cp1252"
    with pytest.raises(UnicodeDecodeError):
        page.content.decode("utf-8")
    assert "„Wer sucht, der findet“" in page.text
    assert "\ufffd" not in page.text


def test_keywords_from_the_iso_page_keep_their_umlauts(records):
    assert records["178"].topics == ["Essstörungen", "Übergewicht"]
    assert "\ufffd" not in "".join(t for r in records.values() for t in r.topics)


# -------------------------------------------------------------- Cloudflare e-mails

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def test_no_page_holds_a_readable_address(pages):
    for url, page in pages.items():
        assert not ADDRESS.search(page.text), url
        assert "mailto:" not in page.text, url


def test_cloudflare_link_with_inner_span(records):
    assert records["104"].emails_text == ["aa-hamm@example.org"]
    assert records["171"].emails_text == ["verwaiste-eltern-hamm@example.org"]


def test_cloudflare_link_with_own_text_and_no_span(records):
    assert records["112"].emails_text == ["demenz-angehoerige@example.org"]


def test_cloudflare_span_in_running_text(records):
    assert records["118"].emails_text == ["mutmacher.hamm@example.org"]


def test_cloudflare_bare_protected_anchor(records):
    assert records["123"].emails_text == ["borderline-hamm@example.org"]
    assert records["131"].emails_text == ["lichtblick-hamm@example.org"]


def test_two_protected_addresses_with_different_keys(records):
    assert records["149"].emails_text == ["fsh-hamm@example.org", "kraemer.fsh@example.org"]


def test_sidebar_and_footer_addresses_do_not_leak(records, pages):
    whole_page = emails_in(pages[group_url("142")].html())  # decoded outside <main> too
    assert whole_page == ["info@selbsthilfe-hamm.example", "datenschutz@paritaet-hamm.example"]
    assert records["142"].emails_text == []
    for record in records.values():
        assert "datenschutz@paritaet-hamm.example" not in record.emails_text


# ---------------------------------------------------------------------- exact records

def test_anonyme_alkoholiker(records):
    r = records["104"]
    assert r.name == "Anonyme Alkoholiker (AA) Hamm"
    assert r.meeting_text == "montags und donnerstags, 19.30 Uhr"
    assert r.address_text == "Ev. Gemeindehaus\nKirchstraße 5\n59065 Hamm"
    assert r.phones_text == ["(0 23 81) 1 92 95"]
    assert r.contact_person is None
    assert r.description.startswith("Wir sind eine Gemeinschaft von Männern und Frauen")
    assert r.description.endswith("eine Anmeldung ist nicht nötig.")


def test_angst_private_contact_and_quotes(records):
    r = records["118"]
    assert r.name == "Angst und Panik – Gruppe „Mutmacher“"
    assert r.contact_person == "Sabine"
    assert r.phones_text == ["0151 / 2340 7781"]
    assert r.meeting_text == "14-tägig dienstags, 18 Uhr"
    assert r.address_text == KST


def test_borderline_table_layout(records):
    r = records["123"]
    assert r.meeting_text == "jeden 2. und 4. Donnerstag im Monat, 18.30 Uhr"
    assert r.address_text == "Familienbildungsstätte, Schulstraße 8, 59065 Hamm"
    assert r.phones_text == ["(0 23 81) 1 20 28 (Kontaktstelle)"]


def test_diabetes_strong_labels_carrier_and_web(records):
    r = records["137"]
    assert r.name == "Diabetiker-Selbsthilfegruppe Hamm"
    assert r.meeting_text == "jeden 2. Dienstag im Monat, 18 Uhr"
    assert r.address_text == "Begegnungsstätte, Bahnhofstraße 20, 59065 Hamm"
    assert r.carrier == "Diabetes-Selbsthilfe Westfalen e.V."
    assert r.web_text == ["https://www.diabetes-hamm.example/"]
    assert r.phones_text == []
    assert r.emails_text == ["diabetes-hamm@example.org"]


def test_essstoerungen_place_on_request_is_a_meeting_note(records):
    """Shared with every labelled base: "wird bei Anmeldung mitgeteilt" is no address."""
    r = records["142"]
    assert r.address_text is None
    assert r.meeting_text == "jeden Montag, 18 Uhr\nwird bei Anmeldung mitgeteilt"
    assert r.contact_person == "über die Selbsthilfe-Kontaktstelle"


def test_schlaganfall_accessibility(records):
    r = records["163"]
    assert r.accessibility_text == "Räume barrierefrei, Aufzug vorhanden"
    assert r.meeting_text == "jeden 1. Donnerstag im Monat, 16 Uhr"


def test_group_without_meeting_time_is_still_a_record(result, records):
    r = records["178"]
    assert b"Treffzeit" not in fixture_file(group_url("178")).read_bytes()
    assert r.name == "Gemeinsam leichter – Selbsthilfegruppe bei Übergewicht"
    assert r.meeting_text is None
    assert r.address_text == KST
    assert r.phones_text == ["(0 23 81) 1 20 28"]
    assert r.emails_text == ["info@selbsthilfe-hamm.example"]
    assert r.description.startswith("Neue Gruppe in Gründung")
    assert not [f for f in result.failures if "178" in f.url]


def test_centre_record(records):
    r = records["kontaktstelle"]
    assert r.kind == "contact_centre"
    assert r.name == "Selbsthilfe-Kontaktstelle Hamm"
    assert r.carrier == "Der Paritätische NRW"
    assert r.address_text == "Chemnitzer Str. 41\n59067 Hamm"
    assert r.phones_text == ["(0 23 81) 1 20 28"]
    assert r.emails_text == ["info@selbsthilfe-hamm.example"]
    assert r.hours_text == "Mo, Mi, Do 9–12 Uhr, Di 14–17 Uhr und nach Vereinbarung"
    assert r.meeting_text is None
    assert r.description.startswith("Die Selbsthilfe-Kontaktstelle informiert")


# ------------------------------------------------------------------- changed layout

def test_changed_list_markup_fails_with_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    rewrite(fixture_file(START, site), b'class="gruppenliste"', b'class="shg-liste"')
    with pytest.raises(SiteChanged, match="no detail links match"):
        crawl(site)


def test_changed_keyword_markup_fails_with_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    for url in (INDEX_AK, INDEX_LZ):
        rewrite(fixture_file(url, site), b'class="stichwort"', b'class="schlagwort"')
    with pytest.raises(SiteChanged, match="0 keywords match"):
        crawl(site)


def test_keyword_index_no_longer_linked_fails_with_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    rewrite(fixture_file(START, site), b'<a href="/gruppen/stichwortverzeichnis/">',
            b'<a href="/gruppen/themen/">')
    with pytest.raises(SiteChanged, match="0 keywords match"):
        crawl(site)


def test_detail_url_without_id_raises_naming_the_field():
    page = fixture_page(group_url("104"))
    page = Page(**{**page.__dict__, "url": f"{START}gruppe/anonyme-alkoholiker/"})
    with pytest.raises(ValueError, match="field 'source_key'"):
        HammScraper([START]).parse_detail(page)


def test_page_without_h1_is_quarantined_and_the_run_goes_on(tmp_path):
    site = copy_site(SITE, tmp_path)
    rewrite(fixture_file(group_url("131"), site), b"<h1>", b"<h2>")
    result = crawl(site)
    assert [f.url for f in result.failures] == [group_url("131")]
    assert "field 'name'" in result.failures[0].reason
    assert sorted(r.source_key for r in result.records) == sorted(
        [k for k in GROUP_IDS if k != "131"] + ["kontaktstelle"])
    assert {r.source_key: r.topics for r in result.records}["104"] == ["Alkohol", "Sucht"]
