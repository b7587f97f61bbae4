"""Kreis Mettmann parser against the invented TYPO3 fixture site in tests/fixtures/kreis-mettmann
(see its README), served on 127.0.0.1 and crawled once per module with the real client."""

import hashlib

import pytest
from protego import Protego

from scrapers.bases.base import Page
from scrapers.errors import SiteChanged
from scrapers.sources.kreis_mettmann import KreisMettmannScraper
from tests.conftest import FIXTURES
from tests.source_site import assert_no_chrome, copy_site, rewrite, source_fixtures
from tests.source_site import crawl as crawl_site
from tests.source_site import fixture_file as site_file
from tests.source_site import fixture_page as site_page

SITE = FIXTURES / "kreis-mettmann"
ORIGIN = "https://www.selbsthilfe-kreis-mettmann.de"
START = f"{ORIGIN}/selbsthilfegruppen/"
LIST_PAGES = [START, f"{START}seite-2/", f"{START}seite-3/"]
CENTRE = f"{ORIGIN}/kontaktstelle/"
LISTED = {
    START: ["417", "152", "233", "388", "419", "264"],
    f"{START}seite-2/": ["175", "301", "356", "289", "318", "318"],
    f"{START}seite-3/": ["341", "207", "444", "395", "417"],
}
GROUP_IDS = sorted({uid for uids in LISTED.values() for uid in uids})
CITIES = {"Erkrath", "Haan", "Heiligenhaus", "Hilden", "Langenfeld", "Mettmann",
          "Monheim am Rhein", "Ratingen", "Velbert", "Wülfrath"}
VARIANT_417 = f"{ORIGIN}/selbsthilfegruppen/gruppe/detail/uid-417/?tx_shg_list%5Bpage%5D=3"


def group_url(uid: str) -> str:
    return f"{START}gruppe/detail/uid-{uid}/"


def fixture_file(url: str, site=SITE):
    return site_file(site, url)


def fixture_page(url: str) -> Page:
    return site_page(SITE, url)


def crawl(site=SITE):
    return crawl_site(KreisMettmannScraper([START]), site)


crawled, result, records, pages = source_fixtures(lambda: KreisMettmannScraper([START]), SITE)


@pytest.fixture(scope="module")
def fetched(result) -> list[str]:
    return [p.url for p in result.pages]


# ------------------------------------------------------------------------------ crawling

def test_every_listed_group_and_the_centre_become_one_record_each(records):
    assert sorted(records) == [*GROUP_IDS, "kontaktstelle"]
    assert len(GROUP_IDS) == 15


def test_detail_selector_finds_exactly_the_listed_groups_on_each_page():
    for url, uids in LISTED.items():
        links = fixture_page(url).html().css(KreisMettmannScraper.detail_link_selector)
        hrefs = [a.attributes["href"] for a in links]
        assert [KreisMettmannScraper([START]).detail_key(h) for h in hrefs] == uids, url


def test_sidebar_teaser_link_exists_but_is_not_a_list_entry():
    tree = fixture_page(START).html()
    assert tree.css_first("aside a[href*='uid-289']") is not None
    assert "289" not in LISTED[START]


def test_paginator_reaches_every_list_page_once(fetched):
    assert [u for u in fetched if u in LIST_PAGES] == LIST_PAGES
    for url in LIST_PAGES:
        assert fetched.count(url) == 1, url


def test_paginator_links_are_what_the_crawl_follows():
    tree = fixture_page(f"{START}seite-2/").html()
    labels = [a.text() for a in tree.css(KreisMettmannScraper.list_link_selector)]
    assert labels == ["zurück", "1", "3", "weiter"]


def test_group_listed_twice_on_one_page_is_fetched_once(fetched):
    assert fetched.count(group_url("318")) == 1


def test_cross_reference_with_url_variant_is_not_fetched_again(fetched, records):
    href = [a.attributes["href"] for a in fixture_page(f"{START}seite-3/").html().css(
        KreisMettmannScraper.detail_link_selector)][-1]
    assert href == f"{VARIANT_417}#kontakt"  # the hazard is really on the page
    assert fetched.count(group_url("417")) == 1
    assert not any("tx_shg_list" in url for url in fetched)
    assert records["417"].source_url == group_url("417")


def test_centre_page_is_fetched_once(fetched):
    assert fetched.count(CENTRE) == 1


@pytest.mark.parametrize(("url", "uid"), [
    (group_url("417"), "417"),
    (VARIANT_417, "417"),
    (f"{ORIGIN}/index.php?id=18&tx_shg%5Buid%5D=152&cHash=0a1b2c", "152"),
    (f"{ORIGIN}/index.php?id=18&tx_shg[uid]=152", "152"),
    (f"{START}seite-2/", None),
    (f"{ORIGIN}/fluid/detail/?guid=12", None),
])
def test_uid_from_routed_and_query_urls(url, uid):
    assert KreisMettmannScraper([START]).detail_key(url) == uid


def test_robots_txt_allows_the_group_pages_but_not_print_views():
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))
    for url in [*LIST_PAGES, group_url("417"), CENTRE]:
        assert robots.can_fetch(url, "selbsthilfe-atlas"), url
    assert not robots.can_fetch(f"{group_url('417')}?type=98", "selbsthilfe-atlas")
    assert not robots.can_fetch(f"{ORIGIN}/typo3/", "selbsthilfe-atlas")


# ---------------------------------------------------------------------------- invariants

def test_the_centre_is_the_one_contact_centre(records):
    for key, r in records.items():
        assert r.kind == ("contact_centre" if key == "kontaktstelle" else "group"), key


def test_provenance(records, pages):
    for uid in GROUP_IDS:
        r = records[uid]
        assert r.source_url == group_url(uid)
        raw = fixture_file(group_url(uid)).read_bytes()
        assert r.content_hash == hashlib.sha256(raw).hexdigest()
        assert pages[group_url(uid)].content == raw


def test_every_group_has_one_of_the_ten_cities_and_all_ten_occur(records):
    districts = {uid: records[uid].district for uid in GROUP_IDS}
    assert set(districts.values()) == CITIES
    assert records["kontaktstelle"].district is None


def test_every_group_has_topics_and_a_meeting_text(records):
    for uid in GROUP_IDS:
        assert records[uid].topics, uid
        assert records[uid].meeting_text, uid


# ---------------------------------------------------------------------- exact records

def test_alzheimer_hilden_js_mail_and_two_topics(records):
    r = records["417"]
    assert r.name == "Alzheimer und Demenz – Angehörigengruppe Hilden"
    assert r.district == "Hilden"
    assert r.topics == ["Demenz", "Angehörige"]
    assert r.meeting_text == "jeden 2. Dienstag im Monat, 17.00 bis 18.30 Uhr"
    assert r.address_text == "Begegnungsstätte am Stadtpark, Raum 3\nLindenweg 12\n40721 Hilden"
    assert r.contact_person == "Frau Jansen"
    assert r.phones_text == ["02103 / 91 23 45"]
    assert r.emails_text == ["demenz-hilden@example.de"]
    assert r.web_text == []
    assert r.carrier is None and r.hours_text is None
    assert r.description == ("Wer einen Menschen mit Demenz begleitet, findet hier Verständnis, "
                             "praktische Tipps für den Alltag und Zeit zum Durchatmen.")


def test_anonyme_alkoholiker_plain_at_spelling_kept_as_printed(records):
    r = records["152"]
    assert r.name == "Anonyme Alkoholiker – Meeting Ratingen"
    assert r.district == "Ratingen"
    assert r.emails_text == ["aa-ratingen(at)example.de"]
    assert r.phones_text == ["0 21 02 / 1 92 95 (Kontakttelefon)"]
    assert r.contact_person is None
    assert r.address_text == "Evangelisches Gemeindehaus, Kirchgasse 7, 40878 Ratingen"


def test_borderline_phone_range_stays_one_raw_string(records):
    r = records["388"]
    assert r.phones_text == ["02104/99-2320 oder -2321"]
    assert r.contact_person == "über die Selbsthilfe-Kontaktstelle"
    assert r.emails_text == ["trialog-mettmann@example.de"]
    assert r.meeting_text == "14-tägig donnerstags, 18 Uhr"


def test_long_covid_empty_treffpunkt_is_none(records):
    r = records["289"]
    assert "<dt>Treffpunkt</dt>\n  <dd></dd>" in fixture_file(group_url("289")).read_text("utf-8")
    assert r.address_text is None
    assert r.district == "Wülfrath"
    assert r.meeting_text == "Termine bitte bei der Kontaktstelle erfragen"
    assert r.phones_text == ["02104/99-2320"]
    assert r.emails_text == []


def test_morbus_crohn_two_phone_lines_and_carrier(records):
    r = records["318"]
    assert r.phones_text == ["02102 / 47 11 02", "0157 / 34 56 78 90 (abends)"]
    assert r.carrier == "DCCV e.V. – Regionalgruppe"
    assert r.topics == ["Darmerkrankungen", "Chronische Erkrankungen"]


def test_frauenselbsthilfe_web_link_and_carrier(records):
    r = records["301"]
    assert r.web_text == ["https://www.frauenselbsthilfe.example/langenfeld/"]
    assert r.emails_text == ["fsh.langenfeld@example.de"]
    assert r.carrier == "Frauenselbsthilfe Krebs – Bundesverband e.V."
    assert r.district == "Langenfeld"


def test_herzgruppe_accessibility_and_depression_mobile(records):
    assert records["356"].accessibility_text == "Eingang ebenerdig, Aufzug vorhanden"
    assert records["419"].phones_text == ["0176 / 55 01 23 47"]
    assert records["264"].district == "Monheim am Rhein"
    assert records["264"].address_text == (
        "Bürgerhaus Baumberg\nHumboldtstraße 2\n40789 Monheim am Rhein")


def test_parkinson_soft_hyphen_and_nbsp_are_cleaned(records):
    r = records["207"]
    assert "\u00ad" in fixture_file(group_url("207")).read_text("utf-8")
    assert r.description == ("Gymnastik, Gespräche und Informationen rund um die "
                             "Parkinson-Krankheit, für Betroffene und Angehörige.")
    assert r.phones_text == ["02051 / 25 17 90"]
    assert r.meeting_text == "jeden 3. Freitag im Monat, 15 Uhr"


# ----------------------------------------------------------------- Windows-1252 page

def test_cp1252_page_is_detected_from_meta_tag(pages):
    page = pages[group_url("175")]
    assert b"charset=iso-8859-1" in page.content
    assert page.encoding == "cp1252"


def test_cp1252_page_with_strong_labels(records):
    r = records["175"]
    assert r.name == "Fibromyalgie – Selbsthilfegruppe Haan"
    assert r.district == "Haan"
    assert r.topics == ["Rheuma", "Chronische Schmerzen"]
    assert r.meeting_text == "jeden 3. Montag im Monat, 16.30 Uhr"
    assert r.address_text == "Gemeindehaus der Ev. Kirchengemeinde, Kaiserstraße 5, 42781 Haan"
    assert r.contact_person == "Frau Schüßler"
    assert r.phones_text == ["0 21 29 / 34 56 78"]
    assert r.description.startswith("„Gemeinsam statt einsam“ – so lautet")
    assert r.description.endswith("Kostenbeitrag von 1,50 € je Treffen erbeten.")
    assert "\ufffd" not in r.model_dump_json()


# ---------------------------------------------------------------------- contact centre

def test_centre_record(records):
    r = records["kontaktstelle"]
    assert r.kind == "contact_centre"
    assert r.source_url == CENTRE
    assert r.name == "Selbsthilfe-Kontaktstelle Kreis Mettmann"
    assert r.hours_text == ("montags und mittwochs von 9.00 bis 12.00 Uhr und donnerstags "
                            "von 14.00 bis 17.00 Uhr")
    assert r.phones_text == ["02104/99-2320 oder -2321"]  # the fax line is not a phone
    assert r.address_text == "Mühlenstraße 15\n40822 Mettmann"
    assert r.emails_text == ["selbsthilfe.mettmann@example.de"]
    assert r.carrier == "Der Paritätische NRW"
    assert r.accessibility_text.startswith("Zugang ebenerdig")
    assert r.meeting_text is None and r.topics == []
    assert "seit 2017 ist Der Paritätische NRW ihr Träger" in r.description


# ----------------------------------------------------------------------- no page chrome

CHROME = ["Sie befinden sich hier", "Startseite", "Seite drucken", "Zum Inhalt springen",
          "Cookies", "Hauptnavigation", "zurück zur Liste", "Ihr Weg zu uns",
          "Sprechzeiten und Anfahrt", "Neu im Kreis", "Impressum", "Kreisgruppe Mettmann",
          "linkTo_UnCryptMailto", "remove-this", "type=98", "Gruppen finden"]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_page_chrome_in_any_field(records, pages, chrome):
    assert_no_chrome(records, pages, chrome)


# ---------------------------------------------------------------------- changed layout

def test_changed_list_markup_is_site_changed_not_zero_records(tmp_path):
    site = copy_site(SITE, tmp_path)
    for url in LIST_PAGES:
        rewrite(fixture_file(url, site), b'class="tx-shg-list"', b'class="shg-results"')
    with pytest.raises(SiteChanged, match="no detail links match"):
        crawl(site)


def test_detail_page_without_uid_in_url_raises_naming_the_field():
    page = fixture_page(group_url("417"))
    page = Page(**{**page.__dict__, "url": f"{START}gruppe/detail/alzheimer-hilden/"})
    with pytest.raises(ValueError, match="field 'source_key'"):
        KreisMettmannScraper([START]).parse_detail(page)


def test_detail_page_without_h1_is_quarantined_and_the_run_goes_on(tmp_path):
    site = copy_site(SITE, tmp_path)
    file = fixture_file(group_url("233"), site)
    rewrite(file, b"<h1>", b"<h2>")
    rewrite(file, b"</h1>", b"</h2>")
    result = crawl(site)
    assert [f.url for f in result.failures] == [group_url("233")]
    assert "field 'name'" in result.failures[0].reason
    assert sorted(r.source_key for r in result.records) == sorted(
        [uid for uid in GROUP_IDS if uid != "233"] + ["kontaktstelle"])
