"""Crawl budgets (scrapers.fetch.crawl): a site that links without end costs its source the run
(`crawl_budget`), not the night. Pages per source (relative to the last accepted run), wall
time per source and per run; URLs canonical and never fetched twice in a run."""

import asyncio
import re
import shutil
import time
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from flows.collect import RunContext, collect_source
from flows.pipeline import run_all
from schema.registry import Registry, RegistryError, load_registry
from scrapers.errors import AlreadyFetched, CrawlBudgetExceeded
from scrapers.fetch.crawl import CrawlBudget, canonical_url, page_budget
from scrapers.fetch.http import ClientSettings, PoliteClient
from tests.conftest import FIXTURES, ROOT
from tests.factories import registry_copy
from tools.site_server import FixtureHandler, serve_directory

REGISTRY = load_registry(ROOT / "sources.toml")
LIST = "/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
#: A page of the Herne list, pointing at the next page (the trap's one change).
NEXT = re.compile(rb'<p class="seitenhinweis">.*?</p>', re.DOTALL)


class Trap(FixtureHandler):
    """Herne's site, except that its list page links `?seite=N+1` for every N: an endless
    pagination, as a calendar or a broken pager makes."""

    list_pages: list[int]

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != LIST:
            return super().do_GET()
        self.requests_seen.append(self.path)
        n = int(parse_qs(parts.query).get("seite", ["0"])[0])
        self.list_pages.append(n)
        page = (self.root / LIST.strip("/") / "index.html").read_bytes()
        link = f'<p class="seitenhinweis"><a href="?seite={n + 1}">weiter</a></p>'.encode()
        body = NEXT.sub(lambda _m: link, page, count=1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def registry(tmp_path, **herne: object) -> Registry:
    """The registry with Herne's entry changed by `herne`."""
    sources = [s.model_copy(update=herne) if s.id == "herne" else s for s in REGISTRY.sources]
    return Registry(path=REGISTRY.path, sources=sources)


def active(data, source_id: str) -> int:
    with duckdb.connect(str(data / "atlas.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM listings WHERE source_id = ? AND active",
                           [source_id]).fetchone()[0]


@pytest.fixture
def trap_site(tmp_path):
    """(base URL of Herne's own site, of Herne's site turned trap, of Hamm's site, the list
    pages the trap served)."""
    served: list[int] = []
    handler = type("T", (Trap,), {"list_pages": served})
    with serve_directory(FIXTURES / "herne") as (herne, _), \
            serve_directory(FIXTURES / "herne", handler) as (trap, _), \
            serve_directory(FIXTURES / "hamm") as (hamm, _):
        yield herne, trap, hamm, served


def test_an_endless_list_ends_at_the_page_budget_and_the_night_goes_on(trap_site, tmp_path):
    herne, trap, hamm, served = trap_site
    kw = {"data_dir": tmp_path / "data", "public_dir": tmp_path / "public",
          "rate_override": 1000.0, "source_ids": ["herne", "hamm"]}
    first = run_all(REGISTRY, rewrite={"https://www.herne.de": herne,
                                       "https://www.selbsthilfe-hamm.de": hamm}, **kw)
    assert first["status"] == "ok"
    pages_before = first["sources"]["herne"]["fetched"]
    assert 0 < pages_before < 200 / 3  # so the default budget is the floor, 200 pages
    assert active(tmp_path / "data", "herne") == 13

    report = run_all(REGISTRY, rewrite={"https://www.herne.de": trap,
                                        "https://www.selbsthilfe-hamm.de": hamm}, **kw)

    herne_run = report["sources"]["herne"]
    assert herne_run["status"] == "failed" and herne_run["failure_class"] == "crawl_budget"
    assert herne_run["reason"].startswith("herne: crawl budget of 200 pages per run exhausted "
                                          f"(3 x the {pages_before} pages of its last accepted "
                                          "run, at least 200"), herne_run["reason"]
    assert "200 pages fetched" in herne_run["reason"]
    assert herne_run["fetched"] == 200
    assert len(served) < 200 and served == list(range(len(served)))  # each list page once
    assert report["sources"]["hamm"]["status"] == "ok"  # the rest of the night goes on
    assert report["status"] == "partial" and report["release"] is not None
    assert active(tmp_path / "data", "herne") == 13  # its previous records stay current


def test_a_registry_page_budget_wins(trap_site, tmp_path):
    _herne, trap, _hamm, served = trap_site
    run = collect_source(registry(tmp_path, max_pages=25).get("herne"), RunContext(
        run_id="t", data_dir=tmp_path, rewrite={"https://www.herne.de": trap},
        rate_override=1000.0))
    assert run.failure_class == "crawl_budget", run.reason
    assert "crawl budget of 25 pages per run exhausted (max_pages of its registry entry)" \
        in run.reason
    assert len(served) <= 25


class SlowTrap(Trap):
    def do_GET(self):
        time.sleep(0.02)
        super().do_GET()


def test_wall_time_per_source_and_per_run(tmp_path):
    served: list[int] = []
    handler = type("T", (SlowTrap,), {"list_pages": served})
    reg = registry(tmp_path, max_pages=100_000, max_seconds=1.0)
    with serve_directory(FIXTURES / "herne", handler) as (trap, _):
        rewrite = {"https://www.herne.de": trap}
        run = collect_source(reg.get("herne"), RunContext(
            run_id="t", data_dir=tmp_path / "a", rewrite=rewrite, rate_override=1000.0))
        assert run.failure_class == "crawl_budget", run.reason
        assert re.match(r"herne: crawl budget of 1 s wall time per source exhausted after "
                        r"[\d.]+ s and \d+ pages", run.reason), run.reason
        assert 0 < run.fetched < 100_000

        reg = registry(tmp_path, max_pages=100_000, max_seconds=3600.0)
        report = run_all(reg, source_ids=["herne", "datei-kontaktstellen-csv"],
                         rewrite=rewrite, rate_override=1000.0, max_run_minutes=0.02,
                         data_dir=tmp_path / "b" / "data", public_dir=tmp_path / "b" / "pub")
    herne = report["sources"]["herne"]
    assert herne["failure_class"] == "crawl_budget", herne["reason"]
    assert "crawl budget of the run's 0.02 min wall time exhausted" in herne["reason"]
    assert report["sources"]["datei-kontaktstellen-csv"]["status"] == "ok"  # not crawled


def test_a_source_starting_after_the_run_budget_fails_at_once(tmp_path):
    ctx = RunContext(run_id="t", data_dir=tmp_path, run_deadline=time.time() - 1,
                     run_minutes=30, rewrite={"https://www.herne.de": "http://127.0.0.1:9"})
    run = collect_source(REGISTRY.get("herne"), ctx)
    assert run.failure_class == "crawl_budget" and run.fetched == 0
    assert run.reason == ("herne: crawl budget of the run's 30 min wall time exhausted before "
                          "the source started")


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://WWW.Herne.DE:443/a/b.html#kontakt", "https://www.herne.de/a/b.html"),
    ("http://www.herne.de:80/a", "http://www.herne.de/a"),
    ("http://www.herne.de:8080/a", "http://www.herne.de:8080/a"),
    ("https://www.herne.de", "https://www.herne.de/"),
    ("https://x.de/liste?seite=2&PHPSESSID=abc&utm_source=nl&utm_medium=mail",
     "https://x.de/liste?seite=2"),
    ("https://x.de/liste;jsessionid=0A1B2C?seite=2&sid=9&sessionid=7",
     "https://x.de/liste?seite=2"),
    ("https://x.de/gruppe.html;JSESSIONID=0A1B", "https://x.de/gruppe.html"),
    ("https://x.de/suche?q=a%20b&thema=Sucht+und+Abh%C3%A4ngigkeit&q=c",
     "https://x.de/suche?q=a%20b&thema=Sucht+und+Abh%C3%A4ngigkeit&q=c"),  # kept as written
    ("https://x.de/a?utm_campaign=x", "https://x.de/a"),
    ("https://x.de/a?side=1&sids=2", "https://x.de/a?side=1&sids=2"),  # only whole names
    ("https://[::1]:8443/a", "https://[::1]:8443/a"),
])
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


def test_page_budget_rule():
    assert page_budget(None, None) == 5_000  # a first run
    assert page_budget(None, 10) == 200  # the floor
    assert page_budget(None, 400) == 1_200  # 3 x the last accepted run
    assert page_budget(50, 400) == 50  # the registry's


def test_each_page_is_fetched_once_under_its_canonical_url(tmp_path):
    (tmp_path / "gruppe.html").write_text("<html><body>Gruppe</body></html>")
    budget = CrawlBudget("herne", max_pages=2, pages_rule="test")

    async def crawl(base: str) -> list[str]:
        async with PoliteClient(ClientSettings(rate_per_host=None), budget=budget) as client:
            page = await client.get(f"{base}/gruppe.html;jsessionid=A1?utm_source=x#kontakt")
            for again in (f"{base}/gruppe.html?PHPSESSID=B2", f"{base}/gruppe.html#oben",
                          base.replace("http://", "HTTP://") + "/gruppe.html"):
                with pytest.raises(AlreadyFetched, match="already fetched in this run"):
                    await client.get(again)
            await client.get(f"{base}/gruppe.html?seite=2")
            with pytest.raises(CrawlBudgetExceeded, match="2 pages per run exhausted"):
                await client.get(f"{base}/gruppe.html?seite=3")
            return [page.url, client.pages]

    with serve_directory(tmp_path) as (base, seen):
        url, pages = asyncio.run(crawl(base))
    assert url == f"{base}/gruppe.html" and pages == 2  # robots.txt is no page
    assert seen == ["/robots.txt", "/gruppe.html", "/gruppe.html?seite=2"]


def test_session_ids_in_links_do_not_multiply_pages(tmp_path):
    """A page linked once plainly and once with a session id (or a campaign tag) is one page,
    fetched once, under its canonical URL."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "herne", site)
    index = site / LIST.strip("/") / "index.html"
    html = index.read_text("utf-8")
    html = html.replace('weiter mit <a href="index-n-z.html"',
                        'weiter mit <a href="index-n-z.html;jsessionid=AB12?utm_source=start"')
    html = html.replace('href="gruppe-1017.html"', 'href="gruppe-1017.html?PHPSESSID=CD34"')
    index.write_text(html, "utf-8")
    assert "jsessionid=AB12" in html and "PHPSESSID=CD34" in html
    with serve_directory(site) as (base, seen):
        run = collect_source(REGISTRY.get("herne"), RunContext(
            run_id="t", data_dir=tmp_path / "data", rewrite={"https://www.herne.de": base},
            rate_override=1000.0))
    assert run.status == "ok" and len(run.listings) == 13
    assert [p for p in seen if "index-n-z" in p] == [LIST + "index-n-z.html"]
    assert [p for p in seen if "gruppe-1017" in p] == [LIST + "gruppe-1017.html"]
    assert len(seen) == len(set(seen))  # nothing asked twice


def test_budget_keys_in_the_registry(tmp_path):
    text = (ROOT / "sources.toml").read_text("utf-8").replace(
        'min_records = 5\n', 'min_records = 5\nmax_pages = 50\nmax_seconds = 90.5\n', 1)
    registry_copy(tmp_path, text)
    herne = load_registry(tmp_path / "sources.toml").get("herne")
    assert (herne.max_pages, herne.max_seconds) == (50, 90.5)
    assert REGISTRY.get("herne").max_pages is None  # the default rule
    (tmp_path / "sources.toml").write_text(text.replace("max_pages = 50", "max_pages = 0"),
                                           "utf-8")
    with pytest.raises(RegistryError, match=r"source 'herne': key 'max_pages': Input should "
                                            r"be greater than or equal to 1"):
        load_registry(tmp_path / "sources.toml")
