"""End to end: the Prefect flow against the Herne fixture site served on 127.0.0.1.

Three runs share one module (Prefect's ephemeral server starts once): a first run, an
unchanged second run that must be answered by 304s and change nothing, and a run with an
unreachable source that must fail alone and leave the last good data published.
"""

import csv
import json
import shutil

import duckdb
import frictionless
import pytest

from flows.nightly import nightly
from tests.conftest import FIXTURES, ROOT
from tools.site_server import serve_directory

HERNE = "https://www.herne.de"
BROKEN = """
[[source]]
id = "kaputt"
name = "A source whose host cannot be reached"
publisher = "Nobody"
kind = "html"
scraper = "herne"
start_urls = ["https://kaputt.example.de/liste/"]
licence = "CC0-1.0"
policy = "open"
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    registry = tmp / "sources.toml"
    shutil.copy(ROOT / "sources.toml", registry)
    shutil.copytree(ROOT / "snapshots" / "files", tmp / "snapshots" / "files")  # its files
    site = FIXTURES / "herne"
    detail_pages = sorted(site.rglob("gruppe-*.html"))
    with serve_directory(site) as (base, seen):
        kw = {"registry_path": str(registry), "source_ids": ["herne"],
              "data_dir": str(tmp / "data"),
              "public_dir": str(tmp / "public"), "rewrite": {HERNE: base},
              "rate_override": 50.0}
        first = nightly(**kw)
        db = tmp / "data" / "atlas.duckdb"
        with duckdb.connect(str(db), read_only=True) as con:
            listings_after_first = con.execute("SELECT * FROM listings ORDER BY id").fetchall()
        requests_first = len(seen)
        second = nightly(**kw)
        with duckdb.connect(str(db), read_only=True) as con:
            listings_after_second = con.execute("SELECT * FROM listings ORDER BY id").fetchall()
        requests_second = len(seen) - requests_first
        registry.write_text(registry.read_text("utf-8") + BROKEN, "utf-8")
        third = nightly(**(kw | {"source_ids": ["herne", "kaputt"]}))
    yield {
        "tmp": tmp, "db": db, "first": first, "second": second, "third": third,
        "details": detail_pages, "rows1": listings_after_first, "rows2": listings_after_second,
        "requests": (requests_first, requests_second),
    }


def test_first_run_loads_every_herne_group_and_the_centre(world):
    report = world["first"]["sources"]["herne"]
    assert world["first"]["status"] == "ok"
    assert report["status"] == "ok" and report["rejected"] == 0
    assert report["inserted"] == len(world["details"]) + 1  # groups + the BüZ itself
    with duckdb.connect(str(world["db"]), read_only=True) as con:
        kinds = dict(con.execute("SELECT kind, count(*) FROM listings GROUP BY kind").fetchall())
        centre = con.execute("""SELECT name, address.postcode, address.city FROM listings
                            WHERE kind = 'contact_centre'""").fetchone()
        pages = con.execute("SELECT count(*), count(DISTINCT url) FROM raw_pages "
                            "WHERE run_id = ?", [world["first"]["run_id"]]).fetchone()
    assert kinds == {"group": len(world["details"]), "contact_centre": 1}
    assert centre[1:] == ("44649", "Herne")
    # list page(s) + detail pages + centre page, each archived once
    assert pages[0] == pages[1] >= len(world["details"]) + 2


def test_release_is_published_and_valid(world):
    latest = world["tmp"] / "public" / "latest"
    assert latest.is_symlink()
    assert frictionless.validate(str(latest / "datapackage.json")).valid
    with (latest / "listings.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(world["details"]) + 1
    assert {r["source_id"] for r in rows} == {"herne"}
    assert all(r["source_url"].startswith(HERNE + "/") for r in rows)
    document = json.loads((latest / "listings.json").read_text("utf-8"))
    assert document["meta"]["count"] == len(rows)


def test_warc_of_the_run_holds_the_real_urls(world):
    warcs = list((world["tmp"] / "data" / "warc").rglob("herne.warc.gz"))
    assert len(warcs) == 3  # one per run
    from scrapers.fetch.warc import WarcReplayTransport

    urls = WarcReplayTransport(warcs[0]).urls()
    assert f"{HERNE}/robots.txt" in urls
    assert all(u.startswith(HERNE) for u in urls)


def test_second_run_is_answered_by_304s_and_changes_nothing(world):
    report = world["second"]["sources"]["herne"]
    assert report["status"] == "ok"
    assert (report["inserted"], report["updated"], report["vanished"]) == (0, 0, 0)
    assert report["unchanged"] == len(world["details"]) + 1
    assert report["not_modified"] == report["fetched"] - 1  # all but robots.txt
    assert world["rows2"] == world["rows1"]
    assert world["requests"][1] == world["requests"][0]
    # every page as the first run read it: confirmed, not parsed again (flows.unchanged)
    assert report["unchanged_since"] == world["first"]["run_id"]
    assert report["parsed"] == world["first"]["sources"]["herne"]["parsed"]


def test_second_run_keeps_the_release_and_confirms_it(world):
    second = world["second"]
    assert second["release_new"] is False
    assert second["release"] == world["first"]["release"]
    assert second["published_rows"] == world["first"]["published_rows"]


def test_unreachable_source_fails_alone_with_a_reason(world):
    third = world["third"]
    assert third["status"] == "partial"
    broken = third["sources"]["kaputt"]
    assert broken["status"] == "failed" and broken["failure_class"] == "refused"
    assert "kaputt.example.de" in broken["reason"]
    assert third["sources"]["herne"]["status"] == "ok"
    releases = sorted((world["tmp"] / "public" / "releases").iterdir())
    # the first release stays in place; the second run had nothing new to publish, the
    # third a new source in the registry
    assert len(releases) == 2 and third["release_new"] is True
    assert releases[0].name == world["first"]["run_id"]
    assert third["published_rows"] == len(world["details"]) + 1
    with duckdb.connect(str(world["db"]), read_only=True) as con:
        failed = con.execute("""SELECT status, failure_class FROM source_runs
                            WHERE source_id = 'kaputt'""").fetchall()
    assert failed == [("failed", "refused")]
