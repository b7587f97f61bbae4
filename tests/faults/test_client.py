"""The client-level fixes the fault suite led to, pinned down on one page each: what counts
as truncated HTML (and what does not), and robots.txt answering 5xx."""

import asyncio

import pytest

from scrapers.errors import FetchError, TruncatedPage
from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.http import ClientSettings, PoliteClient
from tests.faults import server as f
from tests.faults.server import Fault

FAST = ClientSettings(rate_per_host=None, retries=1, backoff=0.01, read_timeout=2,
                      total_timeout=3)
WHOLE = b"<!doctype html>\n<html><head><title>Gruppen</title></head><body><p>A</p></body></html>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module: stopping one costs half a second (its poll interval)."""
    root = tmp_path_factory.mktemp("site")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "seite.html").write_bytes(WHOLE)
    with f.serve_faulty(root) as (base, state):
        yield base, state


@pytest.fixture
def site(server):
    server[1].reset()
    return server


def get(base: str, path: str, cache: ConditionalCache | None = None):
    async def go():
        async with PoliteClient(FAST, cache=cache) as client:
            return await client.get(base + path)

    return asyncio.run(go())


def serve(state, body: bytes, content_type: str = "text/html") -> None:
    state.reset(Fault("edited", f.rewrite(lambda _b: body, lambda _b: content_type)))


@pytest.mark.parametrize("body", [
    WHOLE.replace(b"</html>", b""),  # </body> is enough: nothing of the content is missing
    WHOLE.replace(b"</body></html>", b"</BODY>\n</HTML >\n"),
    b"<p>A fragment without an html tag is not judged</p>",
], ids=["no </html>", "upper case", "fragment"])
def test_complete_or_unjudged_html_is_accepted(site, body):
    base, state = site
    serve(state, body)
    assert get(base, "/seite.html").content == body


def test_html_cut_before_body_and_html_close_is_refused_and_not_cached(site, tmp_path):
    base, state = site
    cut = WHOLE[:WHOLE.index(b"</body>")]
    serve(state, cut)
    cache = ConditionalCache(tmp_path / "cache")
    with pytest.raises(TruncatedPage, match=f"truncated HTML: {len(cut)} bytes") as err:
        get(base, "/seite.html", cache)
    assert err.value.failure_class == "parse_error"
    assert cache.validators(base + "/seite.html") == {}  # next run fetches it afresh


def test_only_html_is_judged(site):
    base, state = site
    cut = WHOLE[:40]
    serve(state, cut, "text/plain; charset=utf-8")
    assert get(base, "/seite.html").content == cut


def test_robots_txt_5xx_forbids_everything_as_a_server_error(site):
    base, state = site
    state.reset(Fault("robots down", f.status(503), r"^/robots\.txt$"))
    with pytest.raises(FetchError, match=r"robots\.txt answered HTTP 503") as err:
        get(base, "/seite.html")
    assert err.value.failure_class == "http_error"
    assert state.paths() == ["/robots.txt", "/robots.txt"]  # retried once, no page asked


def test_reset_and_timeouts_say_what_happened(site):
    base, state = site
    state.reset(Fault("reset", f.reset()))
    with pytest.raises(FetchError, match="Connection reset by peer"):
        get(base, "/seite.html")
    quick = ClientSettings(rate_per_host=None, retries=0, read_timeout=0.3, total_timeout=5)
    state.reset(Fault("stall", f.stall(5)))

    async def go():
        async with PoliteClient(quick) as client:
            return await client.get(base + "/seite.html")

    with pytest.raises(FetchError, match=r"timeout: no data for 0\.3 s"):
        asyncio.run(go())


def test_fault_server_serves_the_fixture_untouched_without_a_fault(site):
    base, state = site
    page = get(base, "/seite.html")
    assert page.content == WHOLE and state.paths() == ["/robots.txt", "/seite.html"]
    assert state.robots_served == [b"User-agent: *\nAllow: /\n"]


@pytest.mark.parametrize("url", ["mailto:gruppe@example.org", "javascript:void(0)",
                                 "https://xn--/", "https://www.example.de:99999/", ""])
def test_an_unfetchable_url_is_a_fetch_error_not_a_crash(url):
    async def get():
        async with PoliteClient(ClientSettings(rate_per_host=None)) as client:
            await client.get(url)

    with pytest.raises(FetchError, match="not a fetchable URL") as caught:
        asyncio.run(get())
    assert caught.value.failure_class == "http_error"
