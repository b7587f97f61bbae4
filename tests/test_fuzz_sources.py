"""Bad input for every HTML scraper: arbitrary bytes and mutated fixture pages (elements deleted,
doubled or swapped, truncated, junk and hostile links injected, re-encoded), replayed through
the real path (collect_source -> PoliteClient -> WarcReplayTransport -> scraper -> normalise).

Whatever a page holds, the source ends as a SourceError with a failure class and a reason that
names the source or the URL, or as records plus quarantined failures; never as an exception the
pipeline has to call "exception".
"""

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.collect import RunContext, acquire, collect_source
from schema.registry import load_registry
from scrapers.bases.html import link_url
from tests.conftest import ROOT
from tests.replay_pages import archived_pages, replay_folder

REGISTRY = load_registry(ROOT / "sources.toml")
HTML_SOURCES = [s.id for s in REGISTRY.sources if s.kind == "html"]  # each has a snapshot
PAGES = {sid: {u: b for u, b in archived_pages(sid).items() if not u.endswith("/robots.txt")}
         for sid in HTML_SOURCES}
FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Markup that the scrapers' selectors and helpers react to, and links that break URL parsing.
JUNK = [
    "<h1>", "</h1>", "<h1></h1>", "</main>", "<main>", "<div id='content'>", "</table>",
    "<dl><dt>Telefon:</dt><dd>", "<dt>Treffpunkt</dt><dd>auf Anfrage</dd>", "</dl>",
    "<p><strong>Ort:</strong><strong>Telefon:</strong></p>", "<tr><td>Ort</td><td>", "<br>",
    "<a href='http://['>x</a>", "<a href='//:0'>gruppe-1.html</a>", "<a href=''>", "<a>",
    "<a href='javascript:void(0)'>gruppe-</a>", "<a href='mailto:%zz@'>m</a>",
    "<a href='gruppe-99999999999999999999.html'>g</a>", "<a href='key@'>k</a>",
    "<a href='key@00000'>k</a>", "<a href='https://evil.example/key@1'>k</a>",
    "<a href='/cdn-cgi/l/email-protection#zz'>e</a>", "<span data-cfemail='0'>x</span>",
    "<a data-mailto-token='\u00ff\x00'>t</a>",
    "<a href=\"javascript:linkTo_UnCryptMailto('nbjmup+')\">t</a>", "<a href='uid-'>u</a>",
    "<div class='frame-type-shg_gruppe' id='c'><h2></h2></div>", "<tr class='verweis'>",
    "<section class='stichwort'><h3></h3><li><a href='/gruppe/1-x/'>", "&#0;", "\x00",
    "&#xD800;", "\ufeff", "\u00ad", "<!--", "<script>", "<![CDATA[", "<template>",
    "Sie befinden sich hier:", "<nav>", "<meta charset='utf-16'>", "<meta charset='bogus'>",
]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-be", "ascii",
             "iso-8859-15"]
_TAG = re.compile(rb"<[^>]{0,200}>")
_HREF = re.compile(rb"""href=["']([^"']*)["']""")
HREFS = ["", "#", "http://[", "https://x:99999/", "//:0", "mailto:a@b.de", "javascript:x()",
         "gruppe-.html", "key@", "key%40", "uid-", "/gruppe/-x/", "?tx_shg[uid]=", "\x00",
         "https://www.herne.de/", "../../../../", "data:text/html,<h1>x</h1>", " \n "]


@st.composite
def mutated_html(draw, page: bytes) -> bytes:
    """`page` after one to three edits aimed at tags: what a redesign or a broken CMS does."""
    body = page
    for _ in range(draw(st.integers(1, 3))):
        tags = [m.start() for m in _TAG.finditer(body)] or [0]
        i = draw(st.sampled_from(tags))
        j = draw(st.sampled_from(tags))
        i, j = min(i, j), max(i, j)
        op = draw(st.sampled_from(["delete", "double", "swap", "truncate", "junk", "text",
                                   "untag", "encode", "href"]))
        if op == "delete":
            body = body[:i] + body[j:]
        elif op == "double":
            body = body[:j] + body[i:]
        elif op == "swap":
            k = draw(st.sampled_from(tags))
            a, b, c = sorted((i, j, k))
            body = body[:a] + body[b:c] + body[a:b] + body[c:]
        elif op == "truncate":
            body = body[:draw(st.integers(0, len(body)))]
        elif op == "junk":
            body = body[:i] + draw(st.sampled_from(JUNK)).encode() + body[i:]
        elif op == "text":
            body = body[:i] + draw(st.text(max_size=30)).encode("utf-8", "surrogatepass") + \
                body[i:]
        elif op == "untag":  # an element's markup gone, its text left
            match = _TAG.match(body, i)
            body = body[:i] + body[match.end():] if match else body
        elif op == "href":  # one link's target replaced
            hrefs = [m.span(1) for m in _HREF.finditer(body)] or [(0, 0)]
            a, b = draw(st.sampled_from(hrefs))
            body = body[:a] + draw(st.sampled_from(HREFS)).encode() + body[b:]
        else:
            text = body.decode("utf-8", "replace")
            body = text.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    return body


def assert_clean_outcome(source_id: str, replaced: dict[str, bytes],
                         content_type: str = "text/html") -> None:
    """Run the source on the snapshot with `replaced` pages: a failure must be classified
    (not "exception") and say which source or page; quarantine rows name the source."""
    source = REGISTRY.get(source_id)
    with tempfile.TemporaryDirectory() as tmp:
        replay = replay_folder(Path(tmp) / "replay", [source_id], replaced, content_type)
        ctx = RunContext(run_id="fuzz", data_dir=Path(tmp) / "data", replay=replay)
        run = collect_source(source, ctx)
        if run.failure_class == "exception":
            acquire(source, ctx)  # raise it again here, with its traceback
            pytest.fail(run.reason)
    if run.status == "failed":
        assert run.reason and (source_id in run.reason or "https://" in run.reason), run.reason
        assert not run.listings
    for row in run.quarantine:
        assert row.source_id == source_id and row.reason.startswith(f"{source_id}: ")
    assert all(item.source_id == source_id for item in run.listings)


@pytest.mark.parametrize("source_id", HTML_SOURCES)
@FUZZ
@given(data=st.data())
def test_mutated_fixture_page(source_id, data):
    pages = PAGES[source_id]
    url = data.draw(st.sampled_from(sorted(pages)), label="url")
    body = data.draw(mutated_html(pages[url]), label="body")
    assert_clean_outcome(source_id, {url: body})


@pytest.mark.parametrize("source_id", HTML_SOURCES)
@settings(FUZZ, max_examples=10)
@given(data=st.data())
def test_arbitrary_bytes(source_id, data):
    pages = PAGES[source_id]
    urls = data.draw(st.lists(st.sampled_from(sorted(pages)), min_size=1, max_size=3,
                              unique=True), label="urls")
    replaced = {u: data.draw(st.binary(max_size=3000), label=u) for u in urls}
    content_type = data.draw(st.sampled_from(
        ["text/html", "text/html; charset=utf-16", "text/html; charset=bogus",
         "application/octet-stream"]), label="content type")
    assert_clean_outcome(source_id, replaced, content_type)


def test_unreadable_start_page_is_site_changed_naming_source_and_url():
    """The floor the fuzz tests stand on: bytes without structure are a classified failure."""
    source = REGISTRY.get("herne")
    with tempfile.TemporaryDirectory() as tmp:
        replay = replay_folder(Path(tmp) / "replay", ["herne"],
                               {source.start_urls[0]: b"\x00\xff garbage"})
        run = collect_source(source, RunContext(run_id="t", data_dir=Path(tmp), replay=replay))
    assert run.failure_class == "site_changed"
    assert run.reason.startswith("herne: ") and source.start_urls[0] in run.reason


# ----------------------------------------------------------- crashes the fuzzing found

def collect_with(source_id: str, tmp_path: Path, edit) -> object:
    """The source on the snapshot with `edit(url, body) -> body` applied to every page."""
    replaced = {u: new for u, b in PAGES[source_id].items() if (new := edit(u, b)) != b}
    assert replaced, "the edit changed no page"
    replay = replay_folder(tmp_path / "replay", [source_id], replaced)
    return collect_source(REGISTRY.get(source_id),
                          RunContext(run_id="t", data_dir=tmp_path, replay=replay))


@pytest.mark.parametrize(("source_id", "anchor"), [
    ("herne", b'<ul class="az-liste">'),  # detail links (AZListScraper)
    ("duesseldorf", b"<header><h2>Themen von A bis Z</h2></header>"),  # topic links
    ("nakos-gruen", b'<tr><td class="name">'),  # entry links (NakosScraper)
])
def test_links_that_are_no_fetchable_urls_are_not_followed(source_id, anchor, tmp_path):
    """A mailto:, javascript: or "http://[" link where a list expects page links crashed the
    crawl (ValueError from urljoin, httpx's cookie jar or the robots.txt origin)."""
    hostile = ("<a href='mailto:?subject=gruppe-1 key@1 uid-1'>gruppe-1.html key@1</a>"
               "<a href='javascript:gruppe-2.html'>x</a><a href='http://[gruppe-3.html'>y</a>"
               "<a href='https://x:99999/gruppe-4.html'>z</a><a href='//:0/key@5'>k</a>"
               "<a href='https://xn--/gruppe-6.html?uid-6'>i</a><a href=''>gruppe-7 key@7</a>")
    run = collect_with(source_id, tmp_path, lambda u, b: b.replace(
        anchor, anchor + hostile.encode(), 1))
    assert run.status == "ok", run.reason
    assert len(run.listings) == len(collect_with(source_id, tmp_path / "plain",
                                                 lambda u, b: b + b" ").listings)
    assert all(p.url.startswith("https://www.") for p in run.pages)


def test_deeply_nested_markup_is_read_not_a_stack_overflow(tmp_path):
    """node_text recursed once per element: a keyword heading in 3000 nested <b> (outside the
    per-record error capture) overflowed the stack and sank the whole source."""
    run = collect_with("hamm", tmp_path, lambda u, b: b.replace(
        b'id="alkohol">\n  <h3>', b'id="alkohol">\n  <h3>' + b"<b>" * 3000, 1))
    assert run.status == "ok", run.reason
    assert any(t.label == "Alkohol" for item in run.listings for t in item.topics)


@pytest.mark.parametrize(("href", "url"), [
    ("gruppe-1.html#kontakt", "https://www.herne.de/a/gruppe-1.html"),
    ("?seite=2", "https://www.herne.de/a/b.html?seite=2"),
    (" /x/\n", "https://www.herne.de/x/"),
    ("", None), (None, None), ("mailto:a@b.de", None), ("javascript:void(0)", None),
    ("http://[", None), ("https://x:99999/", None), ("//:0/", None), ("https://xn--/", None),
    ("https://www.herne.de/\x00", None), ("ftp://x.de/", None),
])
def test_link_url_keeps_only_what_the_client_can_fetch(href, url):
    assert link_url("https://www.herne.de/a/b.html", href) == url
