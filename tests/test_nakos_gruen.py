"""NAKOS GRÜNE ADRESSEN against the invented fixture site tests/fixtures/nakos-gruen (see its
README): crawled once per module over loopback with the real polite client
(`crawl_fixture_site`), https://www.nakos.de rewritten to the local server.
"""

from pathlib import Path

import pytest

from schema.normalise.organisation import org_flags
from scrapers.bases.html import clean_text
from scrapers.bases.nakos import nakos_key
from scrapers.errors import SiteChanged
from scrapers.sources.nakos_gruen import NakosGruenScraper
from tests.conftest import FIXTURES
from tests.source_site import copy_site, rewrite_all, source_fixtures, strings
from tests.source_site import crawl as crawl_site

SITE = FIXTURES / "nakos-gruen"
ORIGIN = "https://www.nakos.de"
START = f"{ORIGIN}/adressen/gruen/"
LIST_PAGES = [START, *(f"{START}buchstabe@{c}/" for c in "BDFIOS")]
KEYS = ["10007", "10233", "10312", "10541", "10610", "10702", "10815", "10920", "11003",
        "11120"]


def crawl(site: Path):
    return crawl_site(NakosGruenScraper([START]), site)


crawled, result, records, pages = source_fixtures(lambda: NakosGruenScraper([START]), SITE)


# ------------------------------------------------------------------------------ crawling

def test_every_listed_organisation_becomes_one_record(records):
    assert sorted(records) == KEYS


def test_letter_bar_reaches_every_letter_page_once(result):
    urls = [p.url for p in result.pages]
    for url in LIST_PAGES:
        assert urls.count(url) == 1, url


def test_a_key_linked_twice_is_fetched_once_as_first_linked(result):
    """BAG SELBSTHILFE: `key@10007` (B) and `key%4010007` (cross-reference on D); Frauenselbsthilfe
    Krebs: `key%4010541` and its "Steckbrief" path `…/SHO-Steckbriefe/key@10541` (no file)."""
    details = [p.url for p in result.pages if nakos_key(p.url)]
    assert sorted(map(nakos_key, details)) == KEYS
    assert f"{START}key@10007" in details
    assert f"{START}key%4010541" in details
    assert not any("Steckbrief" in url for url in details)
    assert len(result.pages) == len(LIST_PAGES) + len(KEYS)  # nothing else: no nav, no news


# ------------------------------------------------------------------------- invariants

def test_every_record_is_an_organisation_keyed_by_its_url(records, pages):
    for key, r in records.items():
        assert r.kind == "organisation"
        assert nakos_key(r.source_url) == key
        assert r.content_hash == pages[r.source_url].sha256


def test_every_record_has_flags_that_the_normaliser_knows(records):
    for key, r in records.items():
        assert r.flags_text, key
        found, unknown = org_flags(r.flags_text)
        assert found and unknown == [], (key, r.flags_text)


def test_sections_as_printed(records):
    assert {r.org_type for r in records.values()} == {
        "Selbsthilfevereinigung", "Selbsthilfe-Internetforum", "Institution mit Selbsthilfebezug"}


# ----------------------------------------------------------------------- exact records

def test_umbrella_organisation(records):
    r = records["10007"]
    assert r.name == "BAG SELBSTHILFE e.V."
    assert r.flags_text == ["Dachverband"]
    assert r.address_text == "Kirchfeldstraße 149\n40215 Düsseldorf"
    assert r.phones_text == ["0211 31 00 6-0"]
    assert r.emails_text == ["info@bag-selbsthilfe.example"]
    assert r.web_text == ["https://www.bag-selbsthilfe.example"]
    assert r.topics == ["Behinderung", "Chronische Erkrankung", "Selbsthilfe allgemein"]
    assert r.description.endswith("Dachverband von über 100 bundesweiten Selbsthilfeverbänden.")
    assert "Deutsche ILCO" not in r.model_dump_json()  # member list is not a field
    assert r.parent_key is None


def test_anonymous_group_with_two_flags_and_two_phone_lines(records):
    r = records["10233"]
    assert r.flags_text == ["Selbsthilfeorganisation", "Anonyme Gruppe"]
    assert r.address_text == "Gemeinsames Dienstbüro\nPostfach 11 51\n84122 Dingolfing"
    assert r.phones_text == ["08731 3 25 73-0", "Kontakttelefon bundesweit: 0800 2 27 72 53"]
    assert r.topics == ["Alkoholabhängigkeit", "Sucht"]


def test_forum_without_address(records):
    r = records["10610"]
    assert r.name == "Selbsthilfe-Forum Tinnitus"
    assert r.flags_text == ["Internetforum"]
    assert r.org_type == "Selbsthilfe-Internetforum"
    assert r.online_text == "Moderiertes Forum, Registrierung erforderlich, kostenfrei"
    assert r.address_text is None
    assert r.phones_text == []
    assert r.web_text == ["https://forum.tinnitus-selbsthilfe.example/"]
    assert r.emails_text == ["moderation@tinnitus-selbsthilfe.example"]
    assert records["10702"].online_text.startswith("Moderiertes Forum für pflegende Angehörige")
    assert records["10702"].emails_text == []


def test_institution(records):
    r = records["10815"]
    assert r.flags_text == ["Institution"]
    assert r.org_type == "Institution mit Selbsthilfebezug"
    assert r.address_text == "Beispielallee 12\n10115 Berlin"


def test_online_offer_of_an_association(records):
    r = records["11120"]
    assert r.online_text == "Online-Meetings per Videokonferenz und Telefon, täglich"
    assert r.flags_text == ["Selbsthilfeorganisation", "Anonyme Gruppe"]
    assert r.phones_text == []


def test_profile_page_with_second_block_and_percent_40_link(records):
    r = records["10541"]
    assert r.source_url == f"{START}key%4010541"
    assert r.name == "Frauenselbsthilfe Krebs – Bundesverband e.V."
    assert r.flags_text == ["Selbsthilfeorganisation", "Dachverband"]
    assert r.address_text == "Haus der Krebs-Selbsthilfe\nThomas-Mann-Straße 40\n53111 Bonn"
    assert r.description == (
        "Die Frauenselbsthilfe Krebs begleitet Menschen mit einer Krebserkrankung und ihre "
        "Angehörigen.\nGespräche in den Gruppen, Telefonberatung und Online-Angebote ergänzen "
        "einander.")
    assert "1976" not in r.model_dump_json()  # Gründungsjahr has no field


def test_typo3_mail_token(records):
    assert records["10312"].emails_text == ["info@ilco.example"]
    assert records["10312"].address_text == "Thomas-Mann-Straße 40\n53111 Bonn"


def test_table_layout_and_at_spelling(records):
    r = records["11003"]
    assert r.emails_text == ["info(at)williams-beuren.example"]
    assert r.address_text == "Geschäftsstelle\nAm Beispielhof 3\n34117 Kassel"
    assert r.topics == ["Williams-Beuren-Syndrom", "Seltene Erkrankungen",
                        "Eltern behinderter Kinder"]


def test_strong_label_layout_keeps_a_comma_topic_line_raw(records):
    r = records["10920"]
    assert r.topics == ["Tinnitus, Hörsturz, Morbus Menière"]
    assert r.address_text == "Am Lohsiepen 18\n42369 Wuppertal"
    assert r.phones_text == ["0202 2 46 52-0"]


# ----------------------------------------------------------------------- no page chrome

CHROME = ["Sie befinden sich hier", "HOME", "Seite drucken", "Feedback", "HOME / Adressen",
          "GRÜNE ADRESSEN", "Zum Inhalt springen", "Ihre Adresse fehlt", "selbsthilfe@nakos.de",
          "Otto-Suhr-Allee", "Impressum", "Stand der Angaben", "zurück zur Übersicht",
          "Aufnahmekriterien"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, chrome):
    for record in records.values():
        for value in strings(record):
            assert chrome not in value, (record.source_key, value)


def test_chrome_is_really_on_the_pages(pages):
    everything = "\n".join(clean_text(p.html().text()) for p in pages.values())
    for chrome in CHROME:
        assert chrome in everything, chrome


# ---------------------------------------------------------------------- changed layout

def test_changed_list_markup_fails_with_site_changed(tmp_path):
    site = copy_site(SITE, tmp_path)
    assert rewrite_all(site, b'<table class="adressliste">', b'<ol class="treffer">') == \
        len(LIST_PAGES)
    with pytest.raises(SiteChanged, match="0 records"):
        crawl(site)
