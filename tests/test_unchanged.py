"""An unchanged night (`flows.unchanged`, `warehouse.release.state`): live runs of `run_all`
against a copy of the Herne fixture site on 127.0.0.1, without Prefect.

A source whose every page answers 304 (or the same bytes) is confirmed, not collected: its
records stand, nothing is parsed or loaded, and a night with nothing new keeps the latest
release. Anything else (a changed page, a failed page, other code, another warehouse) is
collected whole; only a page after the first that turned out different is asked twice (the
probe reads no more than its status).
"""

import json
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from flows.health import check
from flows.pipeline import run_all
from flows.unchanged import manifest_path, read_manifest
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT
from tools.site_server import serve_directory

HERNE = "https://www.herne.de"
FOLDER = "Gesundheit/Selbsthilfe/Selbsthilfegruppen"
DETAIL = f"{FOLDER}/gruppe-1017.html"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "herne", root)
    return root


class Nights:
    """Live runs of the Herne source against `site`, each with its own request log."""

    def __init__(self, site, tmp_path):
        self.site, self.tmp = site, tmp_path
        self.registry = load_registry(ROOT / "sources.toml")
        self.requests: list[list[str]] = []

    def run(self, registry=None) -> dict:
        with serve_directory(self.site) as (base, seen):
            report = run_all(registry or self.registry, source_ids=["herne"],
                             data_dir=self.tmp / "data", public_dir=self.tmp / "public",
                             rewrite={HERNE: base}, rate_override=200)
        self.requests.append(list(seen))
        return report

    def db(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.tmp / "data" / "atlas.duckdb"), read_only=True)

    def listings(self) -> list[tuple]:
        with self.db() as con:
            return con.execute("SELECT * FROM listings ORDER BY id").fetchall()

    def manifest(self):
        return read_manifest(manifest_path(self.tmp / "data", "herne"))


@pytest.fixture
def nights(site, tmp_path):
    return Nights(site, tmp_path)


def test_first_run_writes_a_manifest_of_every_page_it_read(nights):
    first = nights.run()
    manifest = nights.manifest()
    assert manifest is not None and manifest.run_id == first["run_id"]
    assert manifest.records == first["sources"]["herne"]["inserted"] == 13
    with nights.db() as con:
        pages = con.execute("SELECT url, sha256 FROM raw_pages WHERE run_id = ?",
                            [first["run_id"]]).fetchall()
    assert sorted((p["url"], p["sha256"]) for p in manifest.pages) == sorted(pages)


def test_unchanged_site_is_confirmed_not_collected(nights):
    first = nights.run()
    rows = nights.listings()
    second = nights.run()
    herne = second["sources"]["herne"]
    assert herne["status"] == "ok" and herne["unchanged_since"] == first["run_id"]
    assert (herne["inserted"], herne["updated"], herne["vanished"]) == (0, 0, 0)
    assert herne["unchanged"] == 13
    assert herne["not_modified"] == herne["fetched"] - 1  # all but robots.txt
    assert "unchanged since run" in herne["reason"]
    assert nights.listings() == rows
    # the same requests as the first night, each once
    assert Counter(nights.requests[1]) == Counter(nights.requests[0])
    with nights.db() as con:
        pages = con.execute("SELECT count(*), count(*) FILTER (WHERE not_modified), "
                            "count(DISTINCT sha256) FROM raw_pages WHERE run_id = ?",
                            [second["run_id"]]).fetchone()
        # the probe archives nothing: no page row names a WARC that lacks it
        archived = con.execute("SELECT count(warc_file) FROM raw_pages WHERE run_id = ?",
                               [second["run_id"]]).fetchone()[0]
        stats = con.execute("SELECT count(*) FROM source_run_stats WHERE run_id = ?",
                            [second["run_id"]]).fetchone()[0]
        status = con.execute("SELECT active_records FROM source_health WHERE source_id = 'herne'"
                             ).fetchone()
    assert pages[0] == pages[1] == len(nights.manifest().pages)
    assert archived == 0
    assert stats > 0  # quality counters carried over: `shg quality` still has them
    assert status == (13,)
    # the next night compares against the same accepted run
    assert nights.manifest().run_id == first["run_id"]


def test_nothing_new_keeps_the_latest_release_and_confirms_it(nights):
    first = nights.run()
    latest_before = json.loads((nights.tmp / "public" / "latest.json").read_text("utf-8"))
    second = nights.run()
    assert second["release_new"] is False and second["release"] == first["release"]
    releases = list((nights.tmp / "public" / "releases").iterdir())
    assert [r.name for r in releases] == [first["run_id"]]
    latest = json.loads((nights.tmp / "public" / "latest.json").read_text("utf-8"))
    assert latest["run_id"] == first["run_id"] and latest["state"] == latest_before["state"]
    assert "confirmed" in latest and "confirmed" not in latest_before
    # shg health reads the confirmation: a release two days old but confirmed now is fine
    generated = datetime.fromisoformat(latest["generated"].replace("Z", "+00:00"))
    confirmed = datetime.fromisoformat(latest["confirmed"].replace("Z", "+00:00"))
    later = confirmed + timedelta(hours=1)
    assert later - generated < timedelta(hours=36)
    latest["generated"] = (confirmed - timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (nights.tmp / "public" / "latest.json").write_text(json.dumps(latest), "utf-8")
    health = check(nights.tmp / "data", nights.tmp / "public", now=later)
    assert health.ok, health.lines()
    del latest["confirmed"]
    (nights.tmp / "public" / "latest.json").write_text(json.dumps(latest), "utf-8")
    health = check(nights.tmp / "data", nights.tmp / "public", now=later)
    assert any("49 h old" in p for p in health.problems), health.lines()


def test_one_changed_page_collects_the_source_asking_only_that_page_twice(nights, site):
    nights.run()
    page = site / DETAIL
    page.write_text(page.read_text("utf-8").replace("</h1>", " neu</h1>", 1), "utf-8")
    second = nights.run()
    herne = second["sources"]["herne"]
    assert herne["unchanged_since"] is None and herne["updated"] == 1
    assert herne["unchanged"] == 12 and herne["parsed"] == 13
    counts = Counter(nights.requests[1])
    assert set(counts) == set(nights.requests[0])
    assert {p for p, n in counts.items() if n > 1} <= {"/" + DETAIL}
    assert max(counts.values()) <= 2
    assert second["release_new"] is True
    # the changed night is the new reference
    assert nights.manifest().run_id == second["run_id"]
    third = nights.run()
    assert third["sources"]["herne"]["unchanged_since"] == second["run_id"]


def test_a_new_group_on_the_list_page_stops_the_check_at_once(nights, site):
    nights.run()
    index = site / FOLDER / "index.html"
    shutil.copy(site / DETAIL, site / FOLDER / "gruppe-2000.html")
    text = index.read_text("utf-8")
    text = text.replace('href="gruppe-1017.html"',
                        'href="gruppe-2000.html">Neue Gruppe</a> <a href="gruppe-1017.html"', 1)
    index.write_text(text, "utf-8")
    second = nights.run()
    herne = second["sources"]["herne"]
    assert herne["unchanged_since"] is None and herne["inserted"] == 1
    counts = Counter(nights.requests[1])
    assert counts["/" + FOLDER + "/gruppe-2000.html"] == 1
    # the list page said it at once (asked the full way, its answer kept for the scrape):
    # no page was asked twice, and no group page before the list page had shown the change
    assert max(counts.values()) == 1
    assert nights.requests[1][:2] == ["/robots.txt", "/" + FOLDER + "/"]


def test_a_failed_page_makes_the_next_night_collect_whole(nights, site):
    nights.run()
    detail = site / DETAIL
    saved = detail.read_bytes()
    detail.unlink()  # 404: that group is gone this night
    second = nights.run()
    assert second["sources"]["herne"]["vanished"] == 1
    assert nights.manifest() is None  # a night with a failed page is no reference
    detail.write_bytes(saved)
    third = nights.run()
    herne = third["sources"]["herne"]
    assert herne["unchanged_since"] is None and herne["updated"] == 1  # it came back
    assert nights.manifest().run_id == third["run_id"]


def test_other_code_or_registry_entry_collects_whole(nights):
    nights.run()
    registry = nights.registry
    changed = registry.model_copy(update={"sources": [
        s.model_copy(update={"name": s.name + " (umbenannt)"}) if s.id == "herne" else s
        for s in registry.sources]})
    second = nights.run(changed)
    assert second["sources"]["herne"]["unchanged_since"] is None
    assert second["sources"]["herne"]["parsed"] == 13
    assert second["release_new"] is True  # the sources table is in the release


def test_a_manifest_from_another_warehouse_is_not_trusted(nights):
    nights.run()
    (nights.tmp / "data" / "atlas.duckdb").unlink()
    second = nights.run()
    herne = second["sources"]["herne"]
    assert herne["unchanged_since"] is None and herne["inserted"] == 13
    assert len(nights.listings()) == 13


def test_replay_run_since_invalidates_the_manifest(nights, tmp_path):
    nights.run()
    # an accepted run that changed listings since (here: one forged in by a replay-like
    # update) means the warehouse no longer holds the manifest's records
    con = duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"))
    con.execute("""INSERT INTO source_runs SELECT 'later', source_id, status, failure_class,
                   reason, started_at, finished_at + INTERVAL 1 HOUR, duration_s, fetched,
                   not_modified, parsed, rejected, inserted, updated + 1, unchanged, vanished
                   FROM source_runs WHERE source_id = 'herne'""")
    con.close()
    second = nights.run()
    assert second["sources"]["herne"]["unchanged_since"] is None


def test_release_state_is_stable_and_moves_with_the_data(nights):
    from warehouse.release.state import release_state

    nights.run()
    with nights.db() as con:
        one, two = release_state(con), release_state(con)
    assert one == two
    con = duckdb.connect(str(nights.tmp / "data" / "atlas.duckdb"))
    con.execute("UPDATE listings SET record_hash = 'x' WHERE id = (SELECT min(id) FROM listings)")
    assert release_state(con) != one
    con.close()


def test_now_is_utc(nights):
    """Guard for the health arithmetic above: confirmation times are written in UTC."""
    nights.run()
    nights.run()
    latest = json.loads((nights.tmp / "public" / "latest.json").read_text("utf-8"))
    confirmed = datetime.fromisoformat(latest["confirmed"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - confirmed) < timedelta(minutes=5)


FINGERPRINT = """
from schema.registry import load_registry
from scrapers.registry import scraper_class
from flows.unchanged import fingerprint
source = load_registry("sources.toml").get("herne")
print(fingerprint(source, scraper_class("herne")))
"""


def test_code_fingerprint_is_the_same_in_every_process():
    """Workers of one night and of the next compute it apart: it must not hold addresses."""
    import subprocess
    import sys

    prints = {subprocess.run([sys.executable, "-c", FINGERPRINT], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip() for _ in range(2)}
    assert len(prints) == 1 and len(prints.pop()) == 32


def test_code_fingerprint_follows_the_scrapers_settings():
    from flows.unchanged import fingerprint
    from scrapers.registry import scraper_class

    source = load_registry(ROOT / "sources.toml").get("herne")
    herne = scraper_class("herne")
    changed = type("Changed", (herne,), {"detail_link_selector": "a.anders"})
    assert fingerprint(source, herne) == fingerprint(source, herne)
    assert fingerprint(source, changed) != fingerprint(source, herne)


def test_probe_asks_through_the_rewrite_map_only_and_reuses_its_connection(site):
    """The probe (scrapers.fetch.probe) behind `revalidate`: a 304 costs one small request on a
    kept-alive connection, an unmapped origin is refused, never looked up."""
    import asyncio

    from scrapers.fetch.cache import ConditionalCache
    from scrapers.fetch.http import ClientSettings, PoliteClient
    from scrapers.fetch.probe import ConditionalProbe
    from scrapers.fetch.transport import RewriteTransport, shared_ssl_context

    url = f"{HERNE}/{DETAIL}"

    async def nights(base: str, cache_dir) -> tuple:
        settings = ClientSettings(rate_per_host=None)
        cache = ConditionalCache(cache_dir)
        async with PoliteClient(settings, transport=RewriteTransport({HERNE: base}),
                                cache=cache) as client:
            page = await client.get(url)
        async with PoliteClient(settings, transport=RewriteTransport({HERNE: base}),
                                cache=ConditionalCache(cache_dir)) as client:
            answers = [await client.revalidate(url) for _ in range(3)]
            served = await client.get(url)  # confirmed a moment ago: from the cache
            stats = client.stats
        probe = ConditionalProbe(user_agent="t", timeout=1, ssl_context=shared_ssl_context(),
                                 rewrite={HERNE: base})
        try:
            await probe.status("https://www.example.org/", {})
        except ConnectionRefusedError as exc:
            refused = str(exc)
        return page, answers, served, refused, stats

    with serve_directory(site) as (base, seen):
        page, answers, served, refused, stats = asyncio.run(nights(base,
                                                                   site.parent / "cache"))
    assert answers == [(304, page.sha256)] * 3
    assert served.not_modified and served.content == page.content
    assert stats.requests == 3 + 1 and stats.not_modified == 3  # + robots.txt
    assert seen.count("/" + DETAIL) == 4
    assert "not in the rewrite map" in refused


def test_probe_asks_again_on_a_new_connection_when_the_server_dropped_an_idle_one():
    """Servers close idle kept-alive connections without a word; that is not a change."""
    import asyncio
    import socket
    import threading

    from scrapers.fetch.probe import ConditionalProbe
    from scrapers.fetch.transport import shared_ssl_context

    answer = (b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
    listener = socket.create_server(("127.0.0.1", 0))
    connections = []

    def serve() -> None:
        for _ in range(3):
            conn, _addr = listener.accept()
            connections.append(conn)
            conn.recv(65536)
            conn.sendall(answer)  # keep-alive by HTTP/1.1 default, then closed silently
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"

    async def ask() -> list[int]:
        probe = ConditionalProbe(user_agent="t", timeout=5, ssl_context=shared_ssl_context(),
                                 rewrite={HERNE: base})
        try:
            out = []
            for _ in range(3):
                out.append(await probe.status(f"{HERNE}/seite.html", {"If-None-Match": '"x"'}))
                await asyncio.sleep(0.05)  # the server has closed the idle connection by now
            return out
        finally:
            await probe.aclose()

    assert asyncio.run(ask()) == [304, 304, 304]
    assert len(connections) == 3
    listener.close()
