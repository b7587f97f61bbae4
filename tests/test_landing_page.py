"""The release's landing pages, loaded from a local server in Debian's headless Chromium.

Two shapes: a small release keeps every group on `index.html`; a large one gets one search
page per Bundesland (`laender/<slug>.html`) that `index.html` links to. Both searches are
checked alike - umlaut folding, filters, source text as text - and that a page asks nobody
but its own server, for itself."""

import hashlib
import re
import shutil
import struct
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import listings, record, source
from tools.site_server import serve_directory
from warehouse.linkage.entities import link_entities
from warehouse.release.entities import create_public_tables, drop_public_tables
from warehouse.release.landing import write_landing_page
from warehouse.release.metadata import attribution_text, contributing_sources
from warehouse.release.publish import DEFAULT_BASE_URL, ReleaseContext, landing_tables, publish
from warehouse.release.withheld import withheld_report
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

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
        record("b1", source_id="hamm", name="Angehörigengruppe Sucht München",
               topics=["Sucht", "Angehörige"], address_text="Marienplatz 8, 80331 München"),
        record("o1", source_id="hamm", name="Tinnitus-Gruppe online", topics=["Tinnitus"],
               address_text=None),
    ],
    "nakos-rot": [record("n1", source_id="nakos-rot", name="Gruppe aus NAKOS Geheim")],
}
NRW = ["Angehörige psychisch Kranker", "Anonyme Alkoholiker Herne", "Kreuzbund Hamm",
       "Mut <3 & Zuversicht"]
#: What each search page holds: one page for a small release, NRW's page of a large one.
HOLDS = {"one page": sorted([*NRW, "Angehörigengruppe Sucht München",
                             "Tinnitus-Gruppe online"]),
         "state page": NRW}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """A small release as `publish` writes it (one page), and the same release with the
    per-state pages `write_landing_page` writes for a large one."""
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
    small = publish(con, base / "public", "r2", later).path
    split = base / "split"
    shutil.copytree(small, split)
    (split / "index.html").unlink()
    create_public_tables(con)
    ctx = ReleaseContext(run_id="r2", generated=later, previous=None,
                         base_url=DEFAULT_BASE_URL)
    write_landing_page(con, split, ctx, landing_tables(con),
                       attribution_text(contributing_sources(con)), withheld_report(con),
                       embed_limit=0)
    drop_public_tables(con)
    con.close()
    return small, split


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def opened(browser, folder, path: str):
    """`path` of `folder` from a local server, with the requests and script errors seen."""
    with serve_directory(folder) as (base_url, served):
        context = browser.new_context(viewport={"width": 1200, "height": 1400})
        page = context.new_page()
        page.requested, page.errors = [], []
        page.on("request", lambda r: page.requested.append(r.url))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{base_url}/{path}")
        page.base_url, page.served, page.path = base_url, served, path
        yield page
        context.close()


@pytest.fixture(scope="module", params=list(HOLDS))
def search(request, browser, releases):
    """Each search page in turn: (what it is, the page)."""
    small, split = releases
    folder, path = ((small, "index.html") if request.param == "one page"
                    else (split, "laender/nordrhein-westfalen.html"))
    with opened(browser, folder, path) as page:
        yield request.param, page


@pytest.fixture(scope="module")
def index(browser, releases):
    with opened(browser, releases[0], "index.html") as page:
        yield page


@pytest.fixture(scope="module")
def split_index(browser, releases):
    with opened(browser, releases[1], "index.html") as page:
        yield page


def names(page) -> list[str]:
    return page.locator("#groups tbody tr td:first-child").all_inner_texts()


def options(page, select: str) -> list[str]:
    return page.locator(f"{select} option").all_inner_texts()[1:]


def reset(page) -> None:
    page.fill("#q", "")
    page.fill("#postcode", "")
    page.select_option("#topic", "")
    page.select_option("#city", "")


def test_loads_without_errors_and_lists_every_group_it_holds(search):
    kind, page = search
    n = len(HOLDS[kind])
    assert page.errors == []
    assert page.inner_text("#result-count") == f"{n} von {n} Gruppen"
    assert sorted(names(page)) == HOLDS[kind]
    assert page.inner_text("#count-groups") == str(n if kind == "state page" else 6)


def test_search_folds_umlauts_and_needs_every_word(search):
    kind, page = search
    reset(page)
    page.fill("#q", "angehorige")
    assert sorted(names(page)) == [n for n in HOLDS[kind] if n.startswith("Angehörige")]
    assert len(names(page)) == (2 if kind == "one page" else 1)
    page.fill("#q", "anonyme herne")
    assert names(page) == ["Anonyme Alkoholiker Herne"]
    page.fill("#q", "anonyme hamm")
    n = len(HOLDS[kind])
    assert names(page) == [] and page.inner_text("#result-count") == f"0 von {n} Gruppen"


def test_topic_city_and_postcode_filters_combine(search):
    kind, page = search
    reset(page)
    page.select_option("#topic", "Sucht")
    assert sorted(names(page)) == [n for n in HOLDS[kind] if n in (
        "Anonyme Alkoholiker Herne", "Kreuzbund Hamm", "Angehörigengruppe Sucht München")]
    page.select_option("#city", "Hamm")
    assert names(page) == ["Kreuzbund Hamm"]
    reset(page)
    page.fill("#postcode", "5906")
    assert sorted(names(page)) == ["Kreuzbund Hamm", "Mut <3 & Zuversicht"]
    page.fill("#postcode", "44651")
    assert names(page) == ["Anonyme Alkoholiker Herne"]
    page.select_option("#topic", "Depression")
    assert names(page) == []


def test_filters_offer_only_the_values_of_the_groups_on_the_page(search):
    kind, page = search
    cities, topics = options(page, "#city"), options(page, "#topic")
    if kind == "state page":
        assert cities == ["Hamm", "Herne"]
        assert topics == ["Angehörige", "Depression", "Psychische Erkrankung", "Sucht"]
    else:
        assert cities == ["Hamm", "Herne", "München"]
        assert "Tinnitus" in topics


def test_source_text_is_shown_as_text_never_as_markup(search):
    _, page = search
    reset(page)
    page.fill("#q", "zuversicht")
    assert names(page) == ["Mut <3 & Zuversicht"]
    assert page.locator("#groups tbody img, #groups tbody script").count() == 0


def test_page_asks_only_its_own_server_for_itself(search):
    _, page = search
    assert page.requested == [f"{page.base_url}/{page.path}"]
    assert page.served == [f"/{page.path}"]
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", page.content())


def test_static_facts_health_downloads_and_licence(index, releases):
    sources = index.locator("#sources tbody tr").all_inner_texts()
    assert len(sources) == 2  # the withheld source is not listed as a contributor
    [hamm] = [row for row in sources if row.startswith("hamm")]
    assert "Fehler (timeout), 1× in Folge" in hamm and "\t4\t" in hamm
    states = index.locator("#states tbody tr").all_inner_texts()
    assert states == ["Bayern\t1\t0\t0", "Nordrhein-Westfalen\t4\t1\t0", "unbekannt\t1\t0\t0"]
    downloads = {row.split("\t")[0]: row.split("\t")
                 for row in index.locator("#downloads tbody tr").all_inner_texts()}
    assert {"groups.csv", "groups.parquet", "contact_centres.json", "listings.csv",
            "hsds/datapackage.json", "README.md"} <= downloads.keys()
    for name in ("groups.csv", "listings.json"):
        data = (releases[0] / name).read_bytes()
        assert downloads[name][2] == hashlib.sha256(data).hexdigest()
    assert index.locator("#downloads a[href='groups.csv']").count() == 1
    assert "CC-BY-4.0" in index.inner_text("#licence")
    assert "Geheim" not in index.content()
    assert not (releases[0] / "laender").exists()  # a small release keeps one page


def test_large_release_index_counts_and_links_every_state_page(split_index, releases):
    page = split_index
    assert page.errors == []
    assert page.inner_text("#count-groups") == "6"
    assert page.locator("#groups").count() == 0  # no group data on the index
    links = page.locator("#state-pages a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["laender/bayern.html", "laender/nordrhein-westfalen.html",
                     "laender/unbekannt.html"]
    assert sorted(p.relative_to(releases[1]).as_posix()
                  for p in (releases[1] / "laender").iterdir()) == hrefs
    assert page.inner_text("#state-pages").startswith("Bayern (1 Gruppen")
    assert page.locator("#states tbody tr").count() == 3
    page.click("#state-pages a >> text=Nordrhein-Westfalen")
    page.wait_for_url("**/laender/nordrhein-westfalen.html")
    assert page.inner_text("#result-count") == "4 von 4 Gruppen"
    assert page.inner_text("#state") == "Nordrhein-Westfalen"
    assert "CC-BY-4.0" in page.inner_text("#licence")  # attribution travels with the data
    page.click("#home")
    page.wait_for_url("**/index.html")
    assert page.served == ["/index.html", "/laender/nordrhein-westfalen.html", "/index.html"]
    assert page.errors == []


def test_state_page_works_from_disk(browser, releases):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((releases[1] / "laender" / "unbekannt.html").as_uri())
    assert page.inner_text("#result-count") == "1 von 1 Gruppen"
    assert names(page) == ["Tinnitus-Gruppe online"] and errors == []
    context.close()


def test_screenshot_shows_the_filtered_table(search, tmp_path):
    _, page = search
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
