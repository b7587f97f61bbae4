"""Düsseldorf parser against the invented fixture site in tests/fixtures/duesseldorf (see its
README), crawled once per module with the real polite client over loopback: the server sends
`text/html` without a charset, so the Windows-1252 topic page must be recognised by its meta tag.
"""

import hashlib
import shutil

import pytest
from protego import Protego

from schema.normalise import phones, to_listings
from scrapers.errors import SiteChanged
from scrapers.sources.duesseldorf import DuesseldorfScraper
from tests.conftest import FIXTURES
from tests.source_site import (
    assert_no_chrome,
    copy_site,
    fixture_file,
    rewrite_all,
    source_fixtures,
)
from tests.source_site import crawl as crawl_site

SITE = FIXTURES / "duesseldorf"
ORIGIN = "https://www.duesseldorf.de"
CENTRE = f"{ORIGIN}/gesundheitsamt/selbsthilfe/"
START = f"{CENTRE}gruppen/"
LABELS = ["Arbeitssucht", "Autismus", "Depression", "Essstörungen", "Hörbehinderung", "Krebs",
          "Sucht", "Suizid"]
SLUGS = ["arbeitssucht", "autismus", "depression", "essstoerungen", "hoerbehinderung", "krebs",
         "sucht", "suizid"]
SLUG_OF = dict(zip(LABELS, SLUGS, strict=True))
TOPICS = {  # key -> topic labels, in index order
    "20411": ["Arbeitssucht", "Sucht"], "20415": ["Arbeitssucht"],
    "20422": ["Autismus"], "20423": ["Autismus"],
    "20431": ["Depression", "Suizid"], "20433": ["Depression"],
    "20440": ["Essstörungen"], "20441": ["Essstörungen", "Sucht"],
    "20450": ["Hörbehinderung"], "20452": ["Depression", "Hörbehinderung"],
    "20460": ["Krebs"], "20462": ["Krebs"],
    "20470": ["Sucht"], "20471": ["Sucht"], "20475": ["Depression", "Sucht", "Suizid"],
    "20480": ["Suizid"],
}
SERVICE_ROOM = ("Gruppenraum im Selbsthilfe-Service-Büro\nErkrather Straße 385, Geb. E\n"
                "40231 Düsseldorf")


crawled, result, records, pages = source_fixtures(lambda: DuesseldorfScraper([START]), SITE)


def crawl(site):
    return crawl_site(DuesseldorfScraper([START]), site)


def topic_url(slug: str) -> str:
    return f"{START}{slug}/"


# ------------------------------------------------------------------------------ crawling

def test_one_record_per_group_and_the_centre(records):
    assert sorted(records) == [*sorted(TOPICS), "selbsthilfe-service-buero"]


def test_index_every_topic_page_and_the_centre_are_fetched_once(result):
    urls = [p.url for p in result.pages]
    assert sorted(urls) == sorted([START, CENTRE, *map(topic_url, SLUGS)])


def test_topic_selector_reads_the_topic_menu_not_the_sidebar(pages):
    tree = pages[START].html()
    links = tree.css(DuesseldorfScraper.topic_link_selector)
    assert [a.text(strip=True) for a in links] == LABELS
    sidebar = tree.css("aside.sidebar a[href*='/gruppen/']")
    assert len(sidebar) == 9  # the same topics plus the index: present, and not read


def test_group_selector_skips_shortcut_wrappers_and_other_elements(pages):
    blocks = pages[topic_url("sucht")].html().css(DuesseldorfScraper.group_selector)
    assert [b.attributes["id"] for b in blocks] == ["c20411", "c20441", "c20470", "c20471",
                                                     "c20475"]
    suizid = pages[topic_url("suizid")].html()
    assert suizid.css_first("#c31801.frame-type-shortcut #c20431") is not None
    assert [b.attributes["id"] for b in suizid.css(DuesseldorfScraper.group_selector)] == [
        "c20475", "c20431", "c20480"]


def test_robots_txt_allows_the_directory_only():
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    assert robots.can_fetch(START, "selbsthilfe-atlas")
    assert robots.can_fetch(topic_url("suizid"), "selbsthilfe-atlas")
    assert not robots.can_fetch(f"{ORIGIN}/typo3/index.php", "selbsthilfe-atlas")
    assert not robots.can_fetch(f"{ORIGIN}/suche/?q=sucht", "selbsthilfe-atlas")


# ---------------------------------------------------------------------------- invariants

def test_the_centre_is_the_one_contact_centre(records):
    for key, r in records.items():
        assert r.kind == ("contact_centre" if key == "selbsthilfe-service-buero" else "group")


def test_group_provenance_points_at_its_block_on_the_first_topic_page(records, pages):
    for key, topics in TOPICS.items():
        r = records[key]
        page_url, anchor = r.source_url.split("#")
        assert anchor == f"c{key}"
        assert page_url == topic_url(SLUG_OF[topics[0]])
        raw = fixture_file(SITE, page_url).read_bytes()
        assert r.content_hash == hashlib.sha256(raw).hexdigest()
        assert r.fetched_at == pages[page_url].fetched_at


def test_topics_are_merged_across_topic_pages(records):
    assert {k: records[k].topics for k in TOPICS} == TOPICS
    assert records["selbsthilfe-service-buero"].topics == []


def test_occurrences_agree_so_no_merge_notes(records):
    assert all(r.notes == [] for r in records.values())


CHROME = ["Sie sind hier", "Startseite", "Seite drucken", "weiterempfehlen", "Direkt zum Inhalt",
          "Hauptnavigation", "Cookies", "Datenschutz", "Impressum", "nach oben", "Ihr Kontakt",
          "Zum Selbsthilfe-Service-Büro", "Themen von A bis Z", "Selbsthilfegruppen zum Thema",
          "Die folgenden Gruppen", "TelefonSeelsorge", "0800 111 0 111", "In einer akuten Krise",
          "decryptString", "data-mailto", "Suchbegriff", "Das offizielle Stadtportal"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, pages, chrome):
    assert_no_chrome(records, pages, chrome)


# -------------------------------------------------------------------------- exact records

def test_aas_dl_layout_and_shortcut_copy_on_the_sucht_page(records):
    r = records["20411"]
    assert r.name == "Anonyme Arbeitssüchtige (AAS) – Meeting Düsseldorf"
    assert r.source_url == f"{topic_url('arbeitssucht')}#c20411"
    assert r.meeting_text == "jeden Dienstag, 19 Uhr"
    assert r.address_text == SERVICE_ROOM
    assert r.contact_person == "über das Selbsthilfe-Service-Büro"
    assert r.phones_text == ["0211. 89 - 9 22 44"]
    assert r.emails_text == ["aas-duesseldorf@example.org"]
    assert r.web_text == []
    assert r.description == (
        "Ein Zwölf-Schritte-Meeting für Menschen, die nicht aufhören können zu arbeiten. Neue "
        "sind jederzeit willkommen, eine Anmeldung ist nicht nötig.")


def test_strong_label_layout(records):
    r = records["20415"]
    assert r.name == "Gesprächskreis Arbeit und Balance"
    assert r.meeting_text == "jeden 1. und 3. Mittwoch im Monat, 18.30 Uhr"
    assert r.address_text == "Stadtteilzentrum Flingern, Lindenstraße 20, 40233 Düsseldorf"
    assert r.contact_person == "Frau Kessler"
    assert r.phones_text == ["0171 3920061"]
    assert r.emails_text == []
    assert r.description.startswith("Für Menschen, deren Arbeit")


def test_typo3_mailto_token_and_website(records):
    r = records["20422"]
    assert r.emails_text == ["autismus-eltern@example.org"]
    assert r.web_text == ["https://www.autismus-eltern-duesseldorf.example/"]
    assert r.address_text == "Familienzentrum Am Rhein\nUferweg 4\n40221 Düsseldorf"
    assert r.contact_person == "Sabine"
    assert r.description == (
        "Eltern von Kindern und Jugendlichen im Autismus-Spektrum tauschen sich über Diagnose, "
        "Schule, Therapien und Anträge aus.\nGeschwisterkinder können nach Absprache "
        "mitgebracht werden.")


def test_ort_auf_anfrage_is_a_meeting_note_not_an_address(records):
    r = records["20423"]
    assert r.address_text is None
    assert r.meeting_text == "14-tägig samstags, 15 Uhr\nOrt auf Anfrage"
    assert r.phones_text == ["0211. 89 - 9 22 44"]
    listing = to_listings([r], "LicenseRef-test")[0][0]
    assert listing.address is None
    assert listing.meeting.on_request is True


def test_at_punkt_spelling_is_kept_as_printed(records):
    assert records["20431"].emails_text == ["selbsthilfe (at) duesseldorf (punkt) de"]
    assert records["20470"].emails_text == ["aa-flingern(at)example.org"]
    listing = to_listings([records["20431"]], "LicenseRef-test")[0][0]
    assert [e.address for e in listing.emails] == ["selbsthilfe@duesseldorf.de"]


def test_relative_website_link_is_made_absolute(records):
    assert records["20433"].web_text == [f"{START}junge-erwachsene"]


def test_teaser_on_sucht_page_adds_the_topic_and_takes_nothing_away(records):
    r = records["20441"]
    assert r.topics == ["Essstörungen", "Sucht"]
    assert r.source_url == f"{topic_url('essstoerungen')}#c20441"
    assert r.description.startswith("Ein Zwölf-Schritte-Programm")
    assert r.emails_text == ["oa-duesseldorf@example.org"]
    assert r.web_text == ["https://www.oa-duesseldorf.example"]
    assert r.meeting_text == "samstags, 10.30 Uhr"


def test_group_under_three_topics(records):
    r = records["20475"]
    assert r.name == "Doppeldiagnose – Sucht und seelische Krise"
    assert r.topics == ["Depression", "Sucht", "Suizid"]
    assert r.source_url == f"{topic_url('depression')}#c20475"
    assert r.meeting_text == "jeden Freitag, 17 Uhr"


def test_carrier_label(records):
    assert records["20480"].carrier == "Hospizverein Lierenfeld e.V."
    assert records["20462"].carrier == "Deutsche ILCO e.V."
    assert records["20462"].phones_text == ["0211. 89 - 9 22 44 (Selbsthilfe-Service-Büro)"]


# ---------------------------------------------------------------- Windows-1252 topic page

def test_cp1252_page_is_detected_from_meta_tag(pages):
    page = pages[topic_url("hoerbehinderung")]
    assert b'charset=windows-1252"' in page.content
    assert page.headers["content-type"] == "text/html"
    assert page.encoding == "cp1252"
    assert "Hörbehinderung" in page.text


def test_cp1252_table_layout_umlauts_euro_and_quotes(records):
    r = records["20450"]
    assert r.name == "Schwerhörigen-Treff Düsseldorf"
    assert r.source_url == f"{topic_url('hoerbehinderung')}#c20450"
    assert r.description.startswith("„Hören ist mehr als Verstehen“ – wir tauschen")
    assert r.description.endswith("Kostenbeitrag von 1,50 € erbeten.")
    assert r.address_text == "Bürgertreff Gerresheim, Heyestraße 12, 40625 Düsseldorf"
    assert r.accessibility_text == "Induktionsschleife im Gruppenraum, Zugang stufenlos"
    assert r.contact_person == "Herr Weiß"
    assert "\ufffd" not in r.model_dump_json()


def test_group_on_utf8_and_cp1252_pages_reads_the_same(records, pages):
    """20452 is a <dl> on the UTF-8 Depression page and a <table> on the Windows-1252 page:
    one record, both topics, and no disagreement note (which a mis-decoded page would cause)."""
    r = records["20452"]
    assert r.topics == ["Depression", "Hörbehinderung"]
    assert r.address_text == "Bürgerhaus Bilk, Große Straße 9, 40217 Düsseldorf"
    assert r.contact_person == "Frau Jäger"
    assert r.description.endswith("um den Weg aus dem Grübeln.")
    assert r.notes == []
    assert "Frau J\xe4ger".encode("cp1252") in pages[topic_url("hoerbehinderung")].content


# -------------------------------------------------------------------------- contact centre

def test_centre_record(records):
    r = records["selbsthilfe-service-buero"]
    assert r.kind == "contact_centre"
    assert r.source_url == CENTRE
    assert r.name == "Selbsthilfe-Service-Büro"
    assert r.carrier == "Landeshauptstadt Düsseldorf, Gesundheitsamt"
    assert r.address_text == "Erkrather Straße 385, Geb. E\n40231 Düsseldorf"
    assert r.phones_text == ["0211 - 8992244"]
    assert r.emails_text == ["selbsthilfe (at) duesseldorf (punkt) de"]
    assert r.hours_text == "Mo, Di, Fr 9–12 Uhr\nMi 14–18 Uhr"
    assert r.accessibility_text == "U75/U77 bis Haltestelle Lierenfeld Betriebshof"
    assert r.description.startswith("Das Selbsthilfe-Service-Büro im Gesundheitsamt informiert")
    assert r.meeting_text is None


def test_both_phone_spellings_are_the_same_number(records):
    centre = records["selbsthilfe-service-buero"].phones_text
    group = records["20431"].phones_text
    assert centre != group  # printed differently, one line
    assert [p.e164 for t in centre + group for p in phones(t)] == ["+492118992244"] * 2


# --------------------------------------------------------------------------- changed site

def test_renamed_group_element_fails_as_site_changed(tmp_path):
    """A TYPO3 upgrade renames the content element: every topic page still loads, but no
    group is found. That must fail loudly, never pass as an empty directory."""
    site = copy_site(SITE, tmp_path)
    assert rewrite_all(site, b"frame-type-shg_gruppe", b"frame-type-shg_eintrag") == len(SLUGS)
    with pytest.raises(SiteChanged, match="0 group records from 8 topic pages"):
        crawl(site)


def test_renamed_topic_menu_fails_as_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    assert rewrite_all(site, b"frame-type-menu_subpages", b"frame-type-menu_card_list") == 1
    with pytest.raises(SiteChanged, match="0 topic links"):
        crawl(site)


def test_missing_topic_page_loses_only_its_own_groups(tmp_path):
    site = copy_site(SITE, tmp_path)
    shutil.rmtree(site / "gesundheitsamt/selbsthilfe/gruppen/krebs")
    result = crawl(site)
    assert [(f.url, f.field) for f in result.failures] == [(topic_url("krebs"), "page")]
    assert "404" in result.failures[0].reason
    keys = {r.source_key for r in result.records}
    assert keys == {*TOPICS, "selbsthilfe-service-buero"} - {"20460", "20462"}
