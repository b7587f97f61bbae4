"""Herne parser against the invented fixture site in tests/fixtures/herne (see its README),
served on 127.0.0.1 and crawled once per module with the real polite client: the server sends
`text/html` without a charset, so the Windows-1252 page must be recognised by its meta tag.
"""

import hashlib

import pytest
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scrapers.bases.base import Page, PageInfo
from scrapers.sources.herne import HerneScraper
from tests.conftest import FIXTURES
from tests.source_site import assert_no_chrome, copy_site, source_fixtures
from tests.source_site import crawl as crawl_site
from tests.source_site import fixture_file as site_file
from tests.source_site import fixture_page as site_page

SITE = FIXTURES / "herne"
ORIGIN = "https://www.herne.de"
START = f"{ORIGIN}/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
GROUP_IDS = ["1017", "1023", "1031", "1042", "1045", "1049", "1058", "1066", "1071", "1076",
             "1079", "1093"]
BUEZ_TOPICS = {"gesundheitsbezogene Themen", "Lebensbewältigung/Soziales",
               "Psychosoziale Themen/Sucht"}


def fixture_file(url: str):
    return site_file(SITE, url)


def fixture_page(url: str, content: bytes | None = None) -> Page:
    return site_page(SITE, url, content)


def crawl(site=SITE):
    return crawl_site(HerneScraper([START]), site)


crawled, result, records, pages = source_fixtures(lambda: HerneScraper([START]), SITE)


@pytest.fixture(scope="module")
def fetched(result) -> list[str]:
    return [p.url for p in result.pages]


def group_url(key: str) -> str:
    return f"{START}gruppe-{key}.html"


# ------------------------------------------------------------------------------ crawling

def test_every_listed_group_and_the_centre_become_records(records):
    assert sorted(records) == [*GROUP_IDS, "buez"]


def test_detail_selector_finds_every_link_on_both_list_pages():
    found = set()
    for url in (START, f"{START}index-n-z.html"):
        tree = fixture_page(url).html()
        links = tree.css(HerneScraper.detail_link_selector)
        assert links, url
        found |= {a.attributes["href"].split("#")[0] for a in links}
    assert found == {f"gruppe-{key}.html" for key in GROUP_IDS}


def test_detail_selector_ignores_chrome_and_sidebar_links():
    tree = fixture_page(START).html()
    hrefs = [a.attributes["href"] for a in tree.css(HerneScraper.detail_link_selector)]
    assert len(hrefs) == 8  # A–M page: 8 groups, nothing from nav, breadcrumb or footer
    assert all(href.startswith("gruppe-") for href in hrefs)


def test_letter_bar_leads_to_second_list_page(fetched):
    assert f"{START}index-n-z.html" in fetched


def test_cross_referenced_group_is_fetched_once(fetched):
    assert fetched.count(group_url("1042")) == 1


def test_centre_page_is_fetched_from_centre_path(fetched):
    assert f"{ORIGIN}/Gesundheit/Selbsthilfe/" in fetched


def test_parsed_detail_pages_are_kept_without_their_bodies(result, pages):
    """The result keeps each group page as a PageInfo (its raw_pages row), not the page: with
    many sources in flight, bodies kept to the end of a source cost hundreds of MB."""
    details = [p for p in result.pages if "gruppe-" in p.url]
    assert sorted(p.url for p in details) == sorted(group_url(k) for k in GROUP_IDS)
    for info in details:
        assert isinstance(info, PageInfo)
        assert info == pages[info.url].info()
        assert (info.sha256, info.nbytes) == (hashlib.sha256(pages[info.url].content).hexdigest(),
                                              len(pages[info.url].content))


def test_robots_txt_allows_the_self_help_pages_only():
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    assert robots.can_fetch(START, "selbsthilfe-atlas")
    assert robots.can_fetch(group_url("1017"), "selbsthilfe-atlas")
    assert not robots.can_fetch(f"{ORIGIN}/intern/liste.html", "selbsthilfe-atlas")


# ------------------------------------------------------------------------- provenance

def test_provenance_fields(records, pages):
    for key in GROUP_IDS:
        record = records[key]
        assert record.kind == "group"
        assert record.source_url == group_url(key)
        assert record.fetched_at == pages[group_url(key)].fetched_at
        raw = fixture_file(group_url(key)).read_bytes()
        assert record.content_hash == hashlib.sha256(raw).hexdigest()
        assert pages[group_url(key)].content == raw


def test_topics_are_the_buez_categories(records):
    for key in GROUP_IDS:
        assert records[key].topics, key
        assert set(records[key].topics) <= BUEZ_TOPICS, key


# ---------------------------------------------------------------------- exact records

def test_alleinerziehende_dl_layout(records):
    r = records["1017"]
    assert r.name == "Treffpunkt Alleinerziehende"
    assert r.topics == ["Lebensbewältigung/Soziales"]
    assert r.meeting_text == "jeden 2. Mittwoch im Monat, 18 Uhr"
    assert r.address_text == "Familienzentrum Sonnenblume\nBahnhofstraße 12\n44623 Herne"
    assert r.contact_person == "über das BüZ"
    assert r.phones_text == ["0 23 23 / 16 - 36 36"]
    assert r.emails_text == ["buez@herne.de"]
    assert r.web_text == []
    assert r.hours_text is None
    assert r.description == (
        "Allein erziehen heißt nicht allein sein: In der Gruppe tauschen sich Mütter und Väter "
        "über Alltag, Ämter, Umgang und Kinderbetreuung aus und unternehmen auch mal etwas "
        "gemeinsam.\nKinder können nach Absprache mitgebracht werden.")


def test_allergie_table_layout(records):
    r = records["1023"]
    assert r.name == "Allergie, Asthma und Atemwegserkrankungen"
    assert r.meeting_text == "jeden 1. und 3. Dienstag im Monat, 19 Uhr"
    assert r.address_text == "BüZ, Rathausstraße 6, 44649 Herne"
    assert r.hours_text == "jeden 1. Montag im Monat, 16-17 Uhr im BüZ"
    assert r.contact_person == "Gabriele"
    assert r.phones_text == ["(02323) 16 36 36"]
    assert r.emails_text == []
    assert r.description.startswith("Betroffene mit Allergien, Asthma oder COPD")


def test_aneurysma_typo3_mail_and_website(records):
    r = records["1031"]
    assert r.name == "Selbsthilfegruppe Aneurysma"
    assert r.emails_text == ["aneurysma.herne@example.org"]
    assert r.web_text == ["https://www.aneurysma-shg.example/"]
    assert r.phones_text == ["0 23 23 / 16 - 36 36 (BüZ)"]
    assert r.contact_person == "Herr Brandt"
    assert r.address_text == "BüZ, Gruppenraum 2\nRathausstraße 6\n44649 Herne"
    assert r.meeting_text == "jeden 1. Montag im Monat, 17 Uhr"
    assert r.hours_text == "Beratung nach telefonischer Vereinbarung im BüZ"


def test_anonyme_alkoholiker_strong_labels_and_at_spelling(records):
    r = records["1045"]
    assert r.name == "Anonyme Alkoholiker (AA) – Gruppe Herne"
    assert r.topics == ["Psychosoziale Themen/Sucht"]
    assert r.meeting_text == "montags und freitags, 19.30 Uhr"
    assert r.address_text == "Pfarrheim St. Marien\nKirchplatz 3\n44651 Herne"
    assert r.phones_text == ["0 23 23 / 1 92 95"]
    assert r.emails_text == ["aa-herne(at)example.org"]
    assert r.contact_person is None


def test_ilco_has_no_meeting_place(records):
    r = records["1058"]
    assert r.meeting_text == "Termine und Treffpunkte im BüZ erfragen"
    assert r.address_text is None
    assert r.carrier == "Deutsche ILCO e.V."
    assert r.hours_text == "jeden letzten Freitag im Monat, 10-12 Uhr im BüZ"


def test_new_group_without_meeting_place(records):
    r = records["1079"]
    assert r.name == "Trans* Gesprächskreis Herne"
    assert r.meeting_text == "Termine und Treffpunkte im BüZ erfragen"
    assert r.address_text is None
    assert r.phones_text == ["02323 16-3636"]


def test_private_contact_with_mobile_and_two_topics(records):
    r = records["1071"]
    assert r.contact_person == "Monika"
    assert r.phones_text == ["0171 / 3920057", "02323 16-3636 (BüZ)"]
    assert r.topics == ["Lebensbewältigung/Soziales", "gesundheitsbezogene Themen"]
    assert records["1066"].phones_text == ["0171 3920041"]
    assert records["1066"].contact_person == "Renate"


def test_schlafapnoe_cloudflare_mail(records):
    r = records["1076"]
    assert r.emails_text == ["schlafapnoe.herne@example.org"]
    assert r.address_text == "Seminarraum im Ärztehaus, Shamrockstraße 44, 44623 Herne"
    assert r.meeting_text == "jeden 1. Dienstag im Monat, 18.30 Uhr"


def test_williams_beuren_soft_hyphen_nbsp_and_zero_width_are_cleaned(records):
    r = records["1093"]
    assert r.name == "Williams-Beuren-Syndrom – Elterngruppe Ruhrgebiet"
    assert r.description == (
        "Eltern von Kindern mit Williams-Beuren-Syndrom aus Herne und dem Ruhrgebiet treffen "
        "sich zum Erfahrungsaustausch; Geschwister sind willkommen.")
    assert r.carrier == "Bundesverband Williams-Beuren-Syndrom e.V."
    assert r.address_text == "wechselnde Orte im Ruhrgebiet"
    assert r.emails_text == ["wbs-ruhr@example.org"]
    assert r.web_text == ["https://www.wbs-ruhr.example"]


# ----------------------------------------------------------------- Windows-1252 page

def test_cp1252_page_is_detected_from_meta_tag(pages):
    page = pages[group_url("1042")]
    assert b"charset=iso-8859-1" in page.content
    assert "charset" not in page.headers["content-type"]
    assert page.encoding == "cp1252"


def test_cp1252_page_umlauts_sharp_s_euro_and_quotes(records):
    r = records["1042"]
    assert r.name == "Angehörige psychisch erkrankter Menschen"
    assert r.address_text == "Gemeindehaus der Ev. Kirchengemeinde, Schulstraße 14, 44623 Herne"
    assert r.meeting_text == "jeden 3. Donnerstag im Monat, 19.30 Uhr"
    assert r.topics == ["Psychosoziale Themen/Sucht"]
    assert r.contact_person == "über das BüZ"
    assert r.phones_text == ["02323 16-3636"]
    assert r.emails_text == ["buez@herne.de"]
    assert r.description.startswith("„Wir sind nicht allein“ – unter diesem Motto")
    assert "Söhne und Töchter" in r.description
    assert r.description.endswith("Kostenbeitrag von 2 € im Monat erbeten.")
    assert "\ufffd" not in r.model_dump_json()


# ----------------------------------------------------------------------- no page chrome

CHROME = ["Sie befinden sich hier", "Startseite", "Seite drucken", "Druckversion",
          "Seite empfehlen", "Cookies", "Zum Inhalt springen", "Hauptnavigation",
          "Friedrich-Ebert-Platz", "info@herne.de", "Impressum", "Zurück zur Übersicht",
          "nach oben", "Ihr Kontakt", "linkTo_UnCryptMailto", "[email",
          "datenschutz@herne.de"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, pages, chrome):
    assert_no_chrome(records, pages, chrome)


# ---------------------------------------------------------------------- contact centre

def test_centre_record(records):
    r = records["buez"]
    assert r.kind == "contact_centre"
    assert r.source_url == f"{ORIGIN}/Gesundheit/Selbsthilfe/"
    assert r.name == "buez – Selbsthilfe-Netzwerk"
    assert r.address_text == "Rathausstraße 6\n44649 Herne"
    assert r.hours_text == "Mo, Di 9-12, 13.30 bis 15.30 Uhr, donnerstags 9-12 und 14 bis 16 Uhr"
    assert r.phones_text == ["0 23 23 / 16 - 36 36"]  # the fax line is not a phone
    assert r.emails_text == ["buez@herne.de"]
    assert r.carrier == "Stadt Herne, Fachbereich Gesundheit"
    assert r.meeting_text is None
    assert r.description.startswith("Das BüZ informiert über Selbsthilfe in Herne")


# ------------------------------------------------------------------------ broken pages

def without_h1(url: str) -> bytes:
    tree = LexborHTMLParser(fixture_file(url).read_text(encoding="utf-8"))
    tree.css_first("h1").decompose()
    return tree.html.encode("utf-8")


def test_detail_page_without_h1_raises_naming_the_field():
    page = fixture_page(group_url("1017"), without_h1(group_url("1017")))
    with pytest.raises(ValueError, match="field 'name'"):
        HerneScraper([START]).parse_detail(page)


def test_detail_url_without_group_id_raises_naming_the_field():
    page = fixture_page(group_url("1017"))
    page = Page(**{**page.__dict__, "url": f"{START}gruppe.html"})
    with pytest.raises(ValueError, match="field 'source_key'"):
        HerneScraper([START]).parse_detail(page)


def test_page_without_h1_is_quarantined_and_the_run_goes_on(tmp_path):
    broken = group_url("1049")
    site = copy_site(SITE, tmp_path)
    site_file(site, broken).write_bytes(without_h1(broken))
    result = crawl(site)
    assert [f.url for f in result.failures] == [broken]
    assert "field 'name'" in result.failures[0].reason
    assert sorted(r.source_key for r in result.records) == sorted(
        [k for k in GROUP_IDS if k != "1049"] + ["buez"])
