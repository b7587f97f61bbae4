"""Every kind of leak, tried at once, against every file of every release.

The licence gate (a `withhold` source), the privacy gate (a private contact name, a mobile
number, a free-mail address, a BLAU person) and the plain-text rule (markup and scripts of
source pages) are each given a value that must not reach `public/`; the files are read in
their own formats (tests/release_scan.py), so nothing hides in a compressed column.
"""

import asyncio
import gzip
import json
import re
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.fixture_site import crawl_fixture_site
from schema.normalise import to_listings
from scrapers.herne import HerneScraper
from tests.conftest import FIXTURES
from tests.factories import listings, record, source
from tests.release_scan import find, folder_texts
from warehouse.db import connect
from warehouse.link import link_entities
from warehouse.publish import publish
from warehouse.runs import SourceRun, begin_run, commit_source_run, upsert_sources

PRIVATE_NAME = "Erika Mustermann"
MOBILE = ("0171 2345678", "+491712345678", "2345678")
FREEMAIL = "erika.mustermann@gmx.de"
WITHHELD = "Kontaktstelle Geheimhaltung"
BLAU_PERSON = ("Max Blaumann", "0152 9876543", "+491529876543", "max.blaumann@web.de",
               "Blaumannweg 3")
MARKUP = {
    "name": 'Gruppe <b onclick="steal()">Mut</b><script>steal()</script>',
    "description": '<p>Wir treffen uns <a href="javascript:steal()">hier</a>.</p>'
                   '<img src="x" onerror="steal()"><iframe src="https://evil.example/">',
    "carrier": "<em>Träger</em> e. V.",
    "topics": ["<span>Sucht</span>", "Depression<br/>"],
    "meeting_text": "jeden <strong>Montag</strong>, 19 Uhr<!-- intern -->",
    "hours_text": "Mo <u>10-12</u> Uhr",
    "accessibility_text": '<div style="x">barrierefrei</div>',
    "web_text": ["javascript:steal()", "https://shg.example/"],
    "org_type": "<i>Verein</i>",
}
#: What a tag, an event handler or a script URL looks like in any text of any file.
MARKUP_PATTERN = re.compile(r"<\s*/?\s*(script|b|p|a|img|iframe|em|span|br|strong|u|div|i)\b"
                            r"|onerror\s*=|onclick\s*=|javascript:|steal\(", re.IGNORECASE)


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """Two releases (so `changes.json` and a previous release exist) from a warehouse holding
    every kind of value that must not be published."""
    base = tmp_path_factory.mktemp("leaks")
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    con = connect(base / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot", policy="withhold"),
                         source("nakos-blau", policy="withhold")])
    loads = {
        "herne": listings(
            record("p1", contact_person=PRIVATE_NAME,
                   phones_text=["0 23 23 / 16 - 36 36", f"Mobil: {MOBILE[0]}"],
                   emails_text=["selbsthilfe@herne.de", FREEMAIL]),
            record("m1", **MARKUP)),
        "nakos-rot": listings(record("k@1", source_id="nakos-rot", name=WITHHELD,
                                     kind="contact_centre")),
        "nakos-blau": listings(record(
            "b1", source_id="nakos-blau", kind="rare_condition", name="Alport-Syndrom",
            contact_person=BLAU_PERSON[0], phones_text=[BLAU_PERSON[1]],
            emails_text=[BLAU_PERSON[3]], address_text=f"{BLAU_PERSON[4]}, 10115 Berlin",
            contact_count_text="3 Kontakte")),
    }
    for run_id, when in (("r1", now), ("r2", now + timedelta(days=1))):
        begin_run(con, run_id, "live", when)
        for sid, items in loads.items():
            commit_source_run(con, run_id, SourceRun(sid, when, when, listings=items))
        link_entities(con, run_id, when)
        publish(con, base / "public", run_id, when)
    warehouse = str(con.execute("SELECT * FROM listings").fetchall())
    con.close()
    return base / "public", warehouse


def test_the_warehouse_holds_what_the_release_must_not_show(public):
    """The control: the values were there to leak (BLAU persons excepted, never stored)."""
    _, warehouse = public
    for value in (PRIVATE_NAME, "+491712345678", FREEMAIL, WITHHELD, "steal()"):
        assert value in warehouse
    assert not [p for p in BLAU_PERSON if p in warehouse]


@pytest.mark.parametrize("kind, needles", [
    ("private contact name", [PRIVATE_NAME, "Mustermann"]),
    ("mobile number", list(MOBILE)),
    ("private mailbox", [FREEMAIL, "erika.mustermann"]),
    ("withheld source", [WITHHELD, "Geheimhaltung"]),
    ("BLAU person", [*BLAU_PERSON, "Alport"]),
])
def test_nothing_reaches_any_file(public, kind, needles):
    folder, _ = public
    leaks = [(f, n) for f, n in find(folder, needles)
             if not (kind == "withheld source" and f.endswith("withheld.json"))]
    assert not leaks, f"{kind} leaked: {leaks}"


def test_every_format_of_both_releases_was_scanned(public):
    folder, _ = public
    names = folder_texts(folder)
    for release in ("r1", "r2"):
        for stem in ("listings", "groups", "contact_centres", "organisations"):
            for ext in (".csv", ".json", ".parquet", "-excel.csv"):
                assert f"releases/{release}/{stem}{ext}" in names
        for name in ("atlas.duckdb", "index.html", "hsds/services.json", "dcat.jsonld",
                     "README.md", "changes.json", "SHA256SUMS"):
            assert f"releases/{release}/{name}" in names
    # the public values are there: the scan reads what it claims to read
    assert "+492323163636" in names["releases/r2/groups.parquet"]
    assert "selbsthilfe@herne.de" in names["releases/r2/atlas.duckdb"]


def test_withheld_json_counts_what_was_withheld(public):
    folder, _ = public
    withheld = json.loads((folder / "latest" / "withheld.json").read_text("utf-8"))
    assert withheld["nakos-rot"]["records_withheld"] == 1
    assert withheld["nakos-blau"]["records_withheld"] == 1
    fields = withheld["herne"]["fields_withheld"]
    assert [fields[f]["count"] for f in ("contact_person", "phones", "emails")] == [1, 1, 1]


def test_text_fields_hold_plain_text_only(public):
    folder, _ = public
    texts = folder_texts(folder / "releases" / "r2")
    pages = {n: t for n, t in texts.items() if n.endswith(".html")}  # markup themselves
    data = {n: t for n, t in texts.items() if n not in pages}
    hits = {n: [m.group(0) for m in MARKUP_PATTERN.finditer(t)] for n, t in data.items()}
    assert not {n: h for n, h in hits.items() if h}
    groups = {r["name"]: r for r in json.loads(texts["groups.json"])["groups"]}
    marked = groups["Gruppe Mut"]
    assert marked["description"] == "Wir treffen uns hier."
    assert marked["topics"] == "Depression | Sucht"
    assert marked["websites"] == "https://shg.example/"
    # in the page, source text is data inside a JSON script element, never markup
    assert "Gruppe Mut" in texts["index.html"]
    for page in pages.values():  # index.html, and laender/*.html of a large release
        assert "onclick" not in page and "steal" not in page


def test_page_scripts_and_styles_are_dropped_before_normalising(tmp_path):
    site = tmp_path / "herne"
    shutil.copytree(FIXTURES / "herne", site)
    page = site / "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1031.html"
    html = page.read_text("utf-8").replace(
        '<div class="beschreibung">',
        '<div class="beschreibung"><script>document.write("steal")</script>'
        '<style>.x { color: red }</style><noscript>Bitte Skripte erlauben</noscript>'
        '<template><b>vorlage</b></template>')
    page.write_text(html, "utf-8")
    result = asyncio.run(crawl_fixture_site(HerneScraper(
        ["https://www.herne.de/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"]), site))
    found, _ = to_listings(result.records, "CC-BY-4.0")
    [item] = [x for x in found if x.name == "Selbsthilfegruppe Aneurysma"]
    assert item.description.startswith("Die Gruppe ist offen")
    for junk in ("steal", "color", "Skripte", "vorlage"):
        assert junk not in item.model_dump_json()


def test_the_scanner_reads_inside_every_format(tmp_path):
    """A canary hidden in each binary format is found: the leak tests can fail."""
    canary = "Kanarienvogel-4711"
    pq.write_table(pa.table({"x": [canary] * 1000}), tmp_path / "a.parquet",
                   compression="zstd")
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        con.execute(f"CREATE TABLE t AS SELECT '{canary}' || i AS x FROM range(5000) r(i)")
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(canary.encode()))
    assert sorted(f for f, _ in find(tmp_path, [canary])) == [
        "a.parquet", "b.duckdb", "c.json.gz"]
    (tmp_path / "d.xlsx").write_bytes(b"PK")
    with pytest.raises(AssertionError, match="teach"):
        find(tmp_path, [canary])
