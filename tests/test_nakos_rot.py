"""NAKOS ROTE ADRESSEN against the invented fixture site tests/fixtures/nakos-rot (see its README).

The site is served on 127.0.0.1 and crawled once per module with the real polite client
(`crawl_fixture_site`), https://www.nakos.de rewritten to the local server; the server sends
no charset, so the Windows-1252 page must be recognised by its meta tag. The shared base
(`scrapers.nakos`: key extraction, pagination, chrome, label table) is tested here too.
"""

import asyncio
import hashlib
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from protego import Protego

from flows.fixture_site import crawl_fixture_site
from schema.records import ScrapedRecord
from scrapers.base import ScrapeResult
from scrapers.errors import SiteChanged
from scrapers.fetch.charset import decode
from scrapers.html import clean_text
from scrapers.nakos import nakos_key
from scrapers.nakos_rot import NakosRotScraper
from scrapers.page import Page
from tests.conftest import FIXTURES
from tests.recording import RecordingScraper, crawl_recorded

SITE = FIXTURES / "nakos-rot"
ORIGIN = "https://www.nakos.de"
START = f"{ORIGIN}/adressen/rot/"
LIST_PAGES = [START, f"{START}seite@2/", f"{START}seite@3/"]
KEYS = ["2399", "2503", "2517", "2690", "2755", "2841", "2977", "3103", "3121", "3122"]


def detail_url(key: str) -> str:
    return f"{START}key@{key}"


def fixture_file(key: str) -> Path:
    return SITE / "adressen" / "rot" / f"key@{key}"


def crawl(site: Path) -> ScrapeResult:
    return asyncio.run(crawl_fixture_site(NakosRotScraper([START]), site))


@pytest.fixture(scope="module")
def crawled() -> RecordingScraper:
    """One crawl of the fixture site, its pages whole as served."""
    return crawl_recorded(NakosRotScraper([START]), SITE)


@pytest.fixture(scope="module")
def result(crawled) -> ScrapeResult:
    return crawled.result


@pytest.fixture(scope="module")
def records(result) -> dict[str, ScrapedRecord]:
    return {r.source_key: r for r in result.records}


@pytest.fixture(scope="module")
def pages(crawled) -> dict[str, Page]:
    return crawled.pages


def strings(record: ScrapedRecord) -> list[str]:
    out = []
    for value in record.model_dump().values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(value)
    return out


# ------------------------------------------------------------------------ the shared key

@pytest.mark.parametrize(("url", "key"), [
    (f"{START}key@2841", "2841"),
    (f"{START}key%402755", "2755"),
    (f"{START}KEY%402755/", "2755"),
    (f"{START}key@3122#kontakt", "3122"),
    (f"{ORIGIN}/adressen/gruen/kennzeichnung/SHO-Steckbriefe/key%4010541", "10541"),
    (f"{ORIGIN}/aktuelles/nachrichten/var@nakos/key@3801", "3801"),
    (f"{START}seite@2/", None),
    (f"{START}key@2841/kontakt", None),  # the key must end the path
    (START, None),
])
def test_nakos_key_normalises_at_and_percent_40(url, key):
    assert nakos_key(url) == key


# ------------------------------------------------------------------------------ crawling

def test_crawl_has_no_failures(result):
    assert result.failures == []


def test_every_listed_entry_becomes_one_record(result, records):
    assert sorted(records) == KEYS
    assert len(result.records) == len(KEYS)  # keys are unique


def test_pagination_reaches_every_list_page_once(result):
    urls = [p.url for p in result.pages]
    for url in LIST_PAGES:
        assert urls.count(url) == 1, url


def test_only_list_and_entry_pages_are_fetched(result):
    """Navigation links (`/adressen/aufnahmekriterien/key@1573`), the sidebar news item
    (`key@4102`), "zurück" and search form are no entries and no list pages."""
    expected = {*LIST_PAGES, *(detail_url(k) for k in KEYS if k != "2755"),
                f"{START}key%402755"}
    assert {p.url for p in result.pages} == expected
    assert len(result.pages) == len(expected)


def test_percent_40_link_is_fetched_as_linked_and_keyed_like_at(records):
    r = records["2755"]
    assert r.source_url == f"{START}key%402755"
    assert r.name == "Selbsthilfekontaktstelle Rostock"


def test_robots_txt_allows_the_address_pages():
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    assert robots.can_fetch(START, "selbsthilfe-atlas")
    assert robots.can_fetch(detail_url("2503"), "selbsthilfe-atlas")
    assert not robots.can_fetch(f"{ORIGIN}/typo3/index.php", "selbsthilfe-atlas")


# ------------------------------------------------------------------------- invariants

def test_every_record_has_provenance_kind_name_and_key_from_its_url(records, pages):
    for key, r in records.items():
        assert r.source_id == "nakos-rot"
        assert r.kind == "contact_centre"
        assert r.name and r.name.strip() == r.name
        assert nakos_key(r.source_url) == key
        assert r.content_hash == hashlib.sha256(fixture_file(key).read_bytes()).hexdigest()
        assert pages[r.source_url].content == fixture_file(key).read_bytes()
        assert r.fetched_at.tzinfo is not None


def test_types_as_printed(records):
    assert Counter(r.org_type for r in records.values()) == {
        "Selbsthilfekontaktstelle": 5, "Selbsthilfeunterstützungsstelle": 3, "Außenstelle": 2}


def test_branches_point_to_their_main_office(records):
    branches = {k for k, r in records.items() if r.org_type == "Außenstelle"}
    assert branches == {"3121", "3122"}
    # one links its main office as key%403103, the other as an absolute key@3103 URL
    assert records["3121"].parent_key == records["3122"].parent_key == "3103"
    assert records["3103"].org_type == "Selbsthilfekontaktstelle"
    for key in set(KEYS) - branches:
        assert records[key].parent_key is None, key


# ----------------------------------------------------------------------- exact records

def test_hamm_dl_layout(records):
    r = records["2503"]
    assert r.name == "Selbsthilfe-Kontaktstelle Hamm"
    assert r.carrier == "Der Paritätische NRW"
    assert r.address_text == "Chemnitzer Str. 41\n59067 Hamm"
    assert r.phones_text == ["(0 23 81) 1 20 28"]  # the fax line is not a phone
    assert r.emails_text == ["kontaktstelle-hamm@example.org"]
    assert r.contact_person == "Sabine Kortmann"
    assert r.hours_text == "Mo–Do 9–12 Uhr, Do 14–17 Uhr"
    assert r.web_text == []
    assert r.description is None


def test_duesseldorf_table_layout(records):
    r = records["2841"]
    assert r.name == "Selbsthilfe-Service-Büro im Gesundheitsamt Düsseldorf"
    assert r.org_type == "Selbsthilfeunterstützungsstelle"
    assert r.carrier == "Landeshauptstadt Düsseldorf, Gesundheitsamt"
    assert r.address_text == "Erkrather Straße 385, Geb. E\n40231 Düsseldorf"
    assert r.phones_text == ["0211 - 8992244"]
    assert r.web_text == ["https://www.duesseldorf.example/selbsthilfe"]
    assert r.hours_text == "telefonisch Mo, Di, Fr 9–12 Uhr und Mi 14–18 Uhr"
    assert r.accessibility_text == "Zugang ebenerdig; U75/U77 Haltestelle Lierenfeld Betriebshof"


def test_herne_strong_label_layout(records):
    r = records["2517"]
    assert r.name == "buez – Selbsthilfe-Netzwerk Herne"
    assert r.carrier == "Stadt Herne, Fachbereich Gesundheit"
    assert r.address_text == "Rathausstraße 6\n44649 Herne"
    assert r.phones_text == ["0 23 23 / 16 - 36 36"]
    assert r.emails_text == ["buez@herne.de"]
    assert r.hours_text == "Mo, Di 9-12, 13.30 bis 15.30 Uhr, donnerstags 9-12 und 14 bis 16 Uhr"


def test_mettmann_main_office_phone_range_kept_raw(records):
    r = records["3103"]
    assert r.phones_text == ["02104/99-2320 oder -2321"]
    assert r.hours_text == ("montags und mittwochs von 9.00 bis 12.00 Uhr und donnerstags "
                            "von 14.00 bis 17.00 Uhr")
    assert r.parent_key is None


def test_oranienburg_two_phone_lines_and_at_spelling(records):
    r = records["2690"]
    assert r.phones_text == ["03301 601-3712", "03301 601-3700 (Zentrale)"]
    assert r.emails_text == ["selbsthilfe(at)oberhavel.example"]


def test_wiesbaden_typo3_mail_token_and_website(records):
    r = records["2399"]
    assert r.emails_text == ["kontakt@selbsthilfe-wi.example"]
    assert r.web_text == ["https://www.selbsthilfe-wi.example/"]
    assert r.description.startswith("Die Kontaktstelle informiert über rund 300")


def test_rostock_href_with_spaces_is_cleaned(records):
    assert records["2755"].web_text == ["https://www.rostock-selbsthilfe.example/"]
    assert records["2755"].accessibility_text == "Aufzug vorhanden, rollstuhlgerechtes WC"


# --------------------------------------------------------------------------- hazards

def test_branch_without_address_is_a_record_with_no_address(records):
    r = records["3121"]
    assert r.name == "Selbsthilfe-Kontaktstelle Kreis Mettmann – Außenstelle Langenfeld"
    assert r.address_text is None
    assert r.phones_text == ["02104/99-2321"]
    assert r.hours_text == "donnerstags von 14.00 bis 17.00 Uhr nach Vereinbarung"
    assert records["3122"].address_text == "Friedrichstraße 181\n42551 Velbert"


def test_cp1252_page_is_detected_from_meta_tag(pages):
    page = pages[detail_url("2977")]
    assert b"charset=windows-1252" in page.content
    assert "charset" not in page.headers["content-type"]
    assert page.encoding == "cp1252"


def test_cp1252_page_umlauts_quotes_and_euro(records):
    r = records["2977"]
    assert r.name == "KISS Weißenfels – Kontakt- und Informationsstelle für Selbsthilfe"
    assert r.address_text == "Große Burgstraße 12\n06667 Weißenfels"
    assert r.carrier == "Der Paritätische Sachsen-Anhalt"
    assert r.description == (
        "„Gemeinsam statt allein“ – die KISS berät zu allen Selbsthilfethemen, vermittelt in "
        "Gruppen im Burgenlandkreis und hilft bei Gründungen.\nFür Gruppentreffen stehen zwei "
        "Räume bereit; Kostenbeitrag für Getränke 2 €.")
    assert "\ufffd" not in r.model_dump_json()


CHROME = ["Sie befinden sich hier", "HOME", "Seite drucken", "Feedback", "HOME / Adressen",
          "ROTE ADRESSEN", "Zum Inhalt springen", "Ihre Adresse fehlt", "selbsthilfe@nakos.de",
          "030 31 01 89 60", "Otto-Suhr-Allee", "Impressum", "Stand der Angaben",
          "zurück zur Ergebnisliste", "Aufnahmekriterien", "Neue Zahlen"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, chrome):
    for record in records.values():
        for value in strings(record):
            assert chrome not in value, (record.source_key, value)


def test_chrome_is_really_on_every_detail_page(pages):
    """Guards the test above: print link and breadcrumb open every page."""
    for key in KEYS:
        text = next(p.text for u, p in pages.items() if nakos_key(u) == key)
        for chrome in ("Seite drucken", "Sie befinden sich hier:", "HOME</a> / "):
            assert chrome in text, (key, chrome)
    everything = "\n".join(clean_text(p.html().text()) for p in pages.values())
    for chrome in CHROME:
        assert chrome in everything, chrome


# ---------------------------------------------------------------------- broken pages

def page_from(key: str, content: bytes) -> Page:
    text, encoding = decode(content, "text/html")
    return Page(url=detail_url(key), status=200, content=content, text=text, encoding=encoding,
                fetched_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC))


def test_detail_page_without_h1_raises_naming_the_field():
    html = fixture_file("2503").read_text(encoding="utf-8")
    page = page_from("2503", html.replace("<h1>", "<p>").replace("</h1>", "</p>").encode())
    with pytest.raises(ValueError, match="field 'name'"):
        NakosRotScraper([START]).parse_detail(page)


def test_detail_page_without_type_raises_naming_the_field():
    html = fixture_file("2503").read_text(encoding="utf-8")
    page = page_from("2503", html.replace("Einrichtungsart:", "Schwerpunkt:").encode())
    with pytest.raises(ValueError, match="field 'org_type'"):
        NakosRotScraper([START]).parse_detail(page)


def test_branch_without_main_office_link_is_quarantined_and_the_run_goes_on(tmp_path):
    site = tmp_path / "nakos-rot"
    shutil.copytree(SITE, site)
    branch = site / "adressen" / "rot" / "key@3122"
    html = branch.read_text(encoding="utf-8")
    start = html.index("<dt>Hauptstelle:</dt>")
    branch.write_text(html[:start] + html[html.index("<dt>Anschrift:</dt>"):], encoding="utf-8")
    result = crawl(site)
    assert [f.url for f in result.failures] == [detail_url("3122")]
    assert result.failures[0].field == "parent_key"
    assert sorted(r.source_key for r in result.records) == [k for k in KEYS if k != "3122"]


def test_changed_list_markup_fails_with_site_changed(tmp_path):
    site = tmp_path / "nakos-rot"
    shutil.copytree(SITE, site)
    for index in site.rglob("index.html"):
        html = index.read_text(encoding="utf-8")
        assert 'class="adressliste"' in html
        index.write_text(html.replace('class="adressliste"', 'class="trefferliste"'),
                         encoding="utf-8")
    with pytest.raises(SiteChanged, match="0 records"):
        crawl(site)
