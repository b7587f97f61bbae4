"""The release's `index.html`, loaded from a local server in Debian's headless Chromium:
search, filters, the static facts, and that the page asks nobody but its own server."""

import hashlib
import re
import struct
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import sync_playwright

from flows.fixture_site import serve_directory
from tests.factories import listings, record, source
from warehouse.db import connect
from warehouse.link import link_entities
from warehouse.publish import publish
from warehouse.runs import SourceRun, begin_run, commit_source_run, upsert_sources

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by `make test`
#: The machine has no network: without these, Chromium keeps dialling Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

GROUPS = {
    "herne": [
        record("g1", name="Angehörige psychisch Kranker",
               topics=["Psychische Erkrankung", "Angehörige"]),
        record("g2", name="Anonyme Alkoholiker Herne", topics=["Sucht"],
               address_text="Hauptstraße 10, 44651 Herne"),
        record("kz", name="Selbsthilfe-Kontaktstelle Herne", kind="contact_centre"),
    ],
    "hamm": [
        record("h1", source_id="hamm", name="Kreuzbund Hamm", topics=["Sucht"],
               address_text="Werler Straße 1, 59065 Hamm"),
        record("h2", source_id="hamm", name="Mut <3 & Zuversicht",
               topics=["Depression"], address_text="Oststraße 5, 59063 Hamm"),
    ],
    "nakos-rot": [record("n1", source_id="nakos-rot", name="Gruppe aus NAKOS Geheim")],
}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    base = tmp_path_factory.mktemp("landing")
    con = connect(base / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("hamm"),
                         source("nakos-rot", policy="withhold")])
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    begin_run(con, "r1", "live", now)
    for sid, records in GROUPS.items():
        commit_source_run(con, "r1", SourceRun(sid, now, now, listings=listings(*records)))
    later = now + timedelta(days=1)
    begin_run(con, "r2", "live", later)
    commit_source_run(con, "r2", SourceRun("hamm", later, later, status="failed",
                                           failure_class="timeout", reason="hamm: timed out"))
    link_entities(con, "r2", later)
    result = publish(con, base / "public", "r2", later)
    con.close()
    return result.path


@pytest.fixture(scope="module")
def page(release):
    with serve_directory(release) as (base_url, seen), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1400})
        page = context.new_page()
        requested: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base_url}/index.html")
        page.requested, page.errors, page.base_url, page.served = (
            requested, errors, base_url, seen)
        yield page
        browser.close()


def names(page) -> list[str]:
    return page.locator("#groups tbody tr td:first-child").all_inner_texts()


def reset(page) -> None:
    page.fill("#q", "")
    page.fill("#postcode", "")
    page.select_option("#topic", "")
    page.select_option("#city", "")


def test_loads_without_errors_and_lists_every_public_group(page):
    assert page.errors == []
    assert page.inner_text("#result-count") == "4 von 4 Gruppen"
    assert sorted(names(page)) == ["Angehörige psychisch Kranker", "Anonyme Alkoholiker Herne",
                                   "Kreuzbund Hamm", "Mut <3 & Zuversicht"]
    assert page.inner_text("#count-centres") == "1"


def test_search_folds_umlauts_and_needs_every_word(page):
    reset(page)
    page.fill("#q", "angehorige")
    assert names(page) == ["Angehörige psychisch Kranker"]
    page.fill("#q", "anonyme herne")
    assert names(page) == ["Anonyme Alkoholiker Herne"]
    page.fill("#q", "anonyme hamm")
    assert names(page) == [] and page.inner_text("#result-count") == "0 von 4 Gruppen"


def test_topic_city_and_postcode_filters_combine(page):
    reset(page)
    page.select_option("#topic", "Sucht")
    assert sorted(names(page)) == ["Anonyme Alkoholiker Herne", "Kreuzbund Hamm"]
    page.select_option("#city", "Hamm")
    assert names(page) == ["Kreuzbund Hamm"]
    reset(page)
    page.fill("#postcode", "5906")
    assert sorted(names(page)) == ["Kreuzbund Hamm", "Mut <3 & Zuversicht"]
    page.fill("#postcode", "44651")
    assert names(page) == ["Anonyme Alkoholiker Herne"]


def test_source_text_is_shown_as_text_never_as_markup(page):
    reset(page)
    page.fill("#q", "zuversicht")
    assert names(page) == ["Mut <3 & Zuversicht"]
    assert page.locator("#groups tbody img, #groups tbody script").count() == 0


def test_static_facts_health_downloads_and_licence(page, release):
    sources = page.locator("#sources tbody tr").all_inner_texts()
    assert len(sources) == 2  # the withheld source is not listed as a contributor
    [hamm] = [row for row in sources if row.startswith("hamm")]
    assert "Fehler (timeout), 1× in Folge" in hamm and "\t2\t" in hamm
    states = page.locator("#states tbody tr").all_inner_texts()
    assert states == ["Nordrhein-Westfalen\t4\t1\t0"]
    downloads = {row.split("\t")[0]: row.split("\t")
                 for row in page.locator("#downloads tbody tr").all_inner_texts()}
    assert {"groups.csv", "groups.parquet", "contact_centres.json", "listings.csv",
            "hsds/datapackage.json", "README.md"} <= downloads.keys()
    for name in ("groups.csv", "listings.json"):
        data = (release / name).read_bytes()
        assert downloads[name][2] == hashlib.sha256(data).hexdigest()
    assert page.locator("#downloads a[href='groups.csv']").count() == 1
    assert "CC-BY-4.0" in page.inner_text("#licence")
    assert "Geheim" not in page.content()


def test_page_asks_only_its_own_server_for_itself(page):
    assert page.requested == [f"{page.base_url}/index.html"]
    assert page.served == ["/index.html"]
    text = page.content()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", text)


def test_screenshot_shows_the_filtered_table(page, tmp_path):
    reset(page)
    before = page.screenshot(path=str(tmp_path / "all.png"))
    page.select_option("#city", "Hamm")
    after = page.screenshot(path=str(tmp_path / "hamm.png"))
    for shot in (before, after):
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", shot[16:24])
        assert (width, height) == (1200, 1400)
        assert len(shot) > 20_000  # text and tables, not a blank page
    assert before != after
    assert (tmp_path / "hamm.png").stat().st_size == len(after)
