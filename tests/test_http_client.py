"""The polite client against real HTTP servers on 127.0.0.1."""

import asyncio
import gzip
import threading
import time

import pytest

from scrapers.errors import FetchError, ResponseTooLarge, RobotsDisallowed
from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.http import USER_AGENT, ClientSettings, PoliteClient
from scrapers.fetch.warc import WarcArchive, WarcReplayTransport
from tools.site_server import FixtureHandler, serve_directory

FAST = ClientSettings(rate_per_host=None, backoff=0.01, read_timeout=2, total_timeout=5)


class Faulty(FixtureHandler):
    """Fixture server with a few scripted misbehaviours, keyed by path."""

    hits: dict[str, int]

    def do_GET(self):
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        n = self.hits[self.path]
        if self.path == "/flaky" and n < 3:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if self.path == "/limited" and n == 1:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if self.path == "/patient":
            self.send_response(503)
            self.send_header("Retry-After", "3600")
            self.end_headers()
            return
        if self.path == "/big":
            body = b"x" * 5000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/bomb":
            body = gzip.compress(b"a" * 200_000)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/page.html")
            self.end_headers()
            return
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(3)
        if self.path in ("/flaky", "/limited"):
            self.path = "/page.html"  # recovered: serve a real page
        super().do_GET()


@pytest.fixture
def site(tmp_path):
    (tmp_path / "robots.txt").write_text("User-agent: *\nDisallow: /intern/\n")
    (tmp_path / "page.html").write_bytes(
        '<html><head><meta charset="windows-1252"></head><body>Straße €</body></html>'
        .encode("cp1252"))
    (tmp_path / "intern").mkdir()
    (tmp_path / "intern" / "x.html").write_text("secret")
    handler = type("H", (Faulty,), {"hits": {}})
    with serve_directory(tmp_path, handler) as (base, seen):
        yield base, seen, handler.hits


def fetch(base: str, *paths: str, settings=FAST, **kw):
    async def go():
        async with PoliteClient(settings, **kw) as client:
            return [await client.get(base + p) for p in paths], client

    return asyncio.run(go())


def test_page_decoded_from_meta_charset_and_user_agent_sent(site):
    base, seen, _ = site
    (page,), _ = fetch(base, "/page.html")
    assert page.status == 200 and "Straße €" in page.text and page.encoding == "cp1252"
    assert seen == ["/robots.txt", "/page.html"]


def test_user_agent_identifies_the_project():
    assert "selbsthilfe-atlas" in USER_AGENT and "https://" in USER_AGENT


def test_robots_forbidden_path_is_never_requested(site):
    base, seen, _ = site
    with pytest.raises(RobotsDisallowed):
        fetch(base, "/intern/x.html")
    assert "/intern/x.html" not in seen


def test_retries_503_with_retry_after_then_succeeds(site):
    base, _, hits = site
    (page,), client = fetch(base, "/flaky")
    assert page.status == 200 and "Straße" in page.text
    assert hits["/flaky"] == 3 and client.stats.retries == 2


def test_gives_up_after_retries_with_http_error_class(site):
    base, _, hits = site
    once = ClientSettings(rate_per_host=None, retries=1, backoff=0.01)
    with pytest.raises(FetchError) as err:
        fetch(base, "/flaky", settings=once)
    assert err.value.failure_class == "http_error" and "503" in str(err.value)
    assert hits["/flaky"] == 2


def test_429_is_retried(site):
    base, _, hits = site
    (page,), _ = fetch(base, "/limited")
    assert page.status == 200 and hits["/limited"] == 2


def test_retry_after_beyond_budget_fails_at_once(site):
    base, _, hits = site
    with pytest.raises(FetchError, match="Retry-After 3600s"):
        fetch(base, "/patient")
    assert hits["/patient"] == 1


def test_size_limit_by_header_and_by_decompressed_bytes(site):
    base, _, _ = site
    small = ClientSettings(rate_per_host=None, max_bytes=4096, backoff=0.01)
    with pytest.raises(ResponseTooLarge):
        fetch(base, "/big", settings=small)
    with pytest.raises(ResponseTooLarge):
        fetch(base, "/bomb", settings=small)


def test_redirect_followed_and_loop_stopped(site):
    base, _, _ = site
    (page,), _ = fetch(base, "/moved")
    assert page.url == base + "/page.html"
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(base, "/loop")


def test_timeout_is_classified(site):
    base, _, _ = site
    quick = ClientSettings(rate_per_host=None, read_timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(FetchError) as err:
        fetch(base, "/slow", settings=quick)
    assert err.value.failure_class == "timeout"


def test_refused_connection_is_classified():
    with pytest.raises(FetchError) as err:
        fetch("http://127.0.0.1:9", "/x")
    assert err.value.failure_class == "refused"


def test_rate_limit_spaces_requests_to_one_host(site):
    base, _, _ = site
    polite = ClientSettings(rate_per_host=5.0)

    async def go():
        async with PoliteClient(polite) as client:
            start = time.monotonic()
            await asyncio.gather(*(client.get(base + "/page.html") for _ in range(3)))
            return time.monotonic() - start

    # robots.txt + 3 pages = 4 requests at 5/s: at least three 0.2 s gaps
    assert asyncio.run(go()) >= 0.55


def test_sources_on_one_host_share_its_rate(site):
    """Two sources on one host (the three NAKOS lists), each in its own thread with its own
    client and event loop as the nightly flow runs them: together they keep the host's rate."""
    base, _, _ = site
    polite = ClientSettings(rate_per_host=4.0)
    stamps: list[float] = []

    async def go():
        async with PoliteClient(polite) as client:
            for _ in range(3):
                await client.get(base + "/page.html")
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=asyncio.run, args=(go(),)) for _ in range(2)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 2 × (robots.txt + 3 pages) = 8 requests at 4/s together: at least 7 gaps of 0.25 s;
    # at 4/s each, the two would finish in about 0.75 s
    assert len(stamps) == 6 and time.monotonic() - start >= 1.6


def test_conditional_get_answers_from_cache_on_304(site, tmp_path):
    base, _, _ = site
    cache_dir = tmp_path / "cache"
    (first,), _ = fetch(base, "/page.html", cache=ConditionalCache(cache_dir))
    (second,), client = fetch(base, "/page.html", cache=ConditionalCache(cache_dir))
    assert not first.not_modified and second.not_modified
    assert second.content == first.content and second.text == first.text
    assert client.stats.not_modified == 1


def test_every_response_is_archived_and_replays_offline(site, tmp_path):
    base, _, _ = site
    archive = WarcArchive(tmp_path / "run.warc.gz")
    (live,), _ = fetch(base, "/page.html", archive=archive)
    archive.close()
    replay = WarcReplayTransport(tmp_path / "run.warc.gz")
    assert set(replay.urls()) == {base + "/robots.txt", base + "/page.html"}
    (again,), _ = fetch(base, "/page.html", transport=replay)
    assert again.content == live.content and again.text == live.text
    assert again.fetched_at.year >= 2026  # the WARC-Date, not "now"
    with pytest.raises(RobotsDisallowed):  # robots.txt replays too
        fetch(base, "/intern/x.html", transport=replay)
    with pytest.raises(FetchError, match="404"):
        fetch(base, "/not-archived.html", transport=replay)


def test_crawl_delay_of_robots_txt_slows_every_later_request(site, tmp_path):
    """robots.txt passes the gate before it is read: its Crawl-delay must still govern."""
    base, _, _ = site
    (tmp_path / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.2\nDisallow: /intern/\n")
    start = time.monotonic()
    pages, _ = fetch(base, *["/page.html"] * 5, settings=ClientSettings(
        rate_per_host=100.0, backoff=0.01, read_timeout=2, total_timeout=5))
    assert len(pages) == 5 and time.monotonic() - start >= 0.8  # 4 gaps of 0.2 s at least
