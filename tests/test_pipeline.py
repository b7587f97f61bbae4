"""`collect_source` (fetch, parse, normalise, validate) against altered copies of the Herne
fixture site on 127.0.0.1, without Prefect."""

import shutil

import pytest

from flows.collect import RunContext, collect_source
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT
from tools.site_server import serve_directory

LIST = "Gesundheit/Selbsthilfe/Selbsthilfegruppen/index.html"
DETAIL = "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1017.html"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "herne", root)
    return root


def collect(root, tmp_path, **source_changes):
    source = load_registry(ROOT / "sources.toml").get("herne")
    source = source.model_copy(update=source_changes)
    with serve_directory(root) as (base, seen):
        ctx = RunContext(run_id="t", data_dir=tmp_path / "data",
                         rewrite={"https://www.herne.de": base}, rate_override=100)
        return collect_source(source, ctx), seen


def test_healthy_site(site, tmp_path):
    run, _ = collect(site, tmp_path)
    assert run.status == "ok" and run.parsed == 13 and not run.quarantine
    assert {p.url.rsplit("/", 1)[-1] for p in run.pages} >= {"gruppe-1017.html", ""}


def test_changed_layout_fails_as_site_changed(site, tmp_path):
    for page in (site / LIST).parent.glob("index*.html"):
        page.write_text(page.read_text("utf-8").replace("az-liste", "neue-liste"), "utf-8")
    run, _ = collect(site, tmp_path)
    assert run.status == "failed" and run.failure_class == "site_changed"
    assert "no detail links" in run.reason and not run.listings


def test_one_broken_detail_page_is_quarantined_the_rest_loads(site, tmp_path):
    page = site / DETAIL
    page.write_text(page.read_text("utf-8").replace("<h1", "<h2").replace("</h1>", "</h2>"),
                    "utf-8")
    (site / "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1023.html").unlink()
    run, _ = collect(site, tmp_path)
    assert run.status == "ok" and len(run.listings) == 11
    reasons = {q.url.rsplit("/", 1)[-1]: q for q in run.quarantine}
    assert reasons["gruppe-1017.html"].field == "name"
    assert "herne" in reasons["gruppe-1017.html"].reason
    assert reasons["gruppe-1023.html"].field == "page"
    assert "HTTP 404" in reasons["gruppe-1023.html"].reason


def test_too_few_records_fails_the_run(site, tmp_path):
    run, _ = collect(site, tmp_path, min_records=50)
    assert run.status == "failed" and run.failure_class == "site_changed"
    assert "13 valid records, fewer than the 50" in run.reason


def test_robots_forbidding_everything_fails_before_any_page(site, tmp_path):
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    run, seen = collect(site, tmp_path)
    assert run.status == "failed" and run.failure_class == "robots"
    assert seen == ["/robots.txt"]


def test_a_source_whose_load_fails_fails_alone(tmp_path):
    """A commit that raises is rolled back; that source is failed, the others load."""
    import duckdb

    from flows.collect import collect_sequentially
    from flows.pipeline import run_all

    registry = load_registry(ROOT / "sources.toml")

    def collect_many(sources, ctx):
        for run in collect_sequentially(sources, ctx):
            if run.source_id == "hamm":  # a page row the table cannot take
                run.pages = [{"no_such_column": 1}]
            yield run

    report = run_all(registry, source_ids=["herne", "hamm"], replay=ROOT / "snapshots",
                     data_dir=tmp_path / "data", public_dir=tmp_path / "public",
                     collect_many=collect_many)
    assert report["status"] == "partial"
    hamm = report["sources"]["hamm"]
    assert hamm["status"] == "failed" and hamm["failure_class"] == "exception"
    assert "load failed" in hamm["reason"]
    assert report["sources"]["herne"]["inserted"] == 13
    with duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM listings WHERE source_id = 'hamm'"
                           ).fetchone() == (0,)


def test_failures_say_which_records_stay_and_whether_the_run_is_complete(site, tmp_path):
    """A group page that failed (500) keeps its group; one that is gone (404) does not; a
    page whose records cannot be named makes the run incomplete."""
    (site / "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1023.html").unlink()
    run, _ = collect(site, tmp_path)
    assert run.status == "ok" and run.complete and run.keep_keys == []
    page = site / DETAIL
    page.write_text(page.read_text("utf-8").replace("<h1", "<h2").replace("</h1>", "</h2>"),
                    "utf-8")
    run, _ = collect(site, tmp_path)
    assert run.complete and run.keep_keys == ["1017"]  # in quarantine, not gone
    (site / "Gesundheit/Selbsthilfe/index.html").unlink(missing_ok=True)
    run, _ = collect(site, tmp_path)
    assert run.status == "ok" and not run.complete  # the centre page: records unnamed
