"""The replay index of scrapers.fetch.warc: its fast path (headers read from the start of each gzip
member, the member's end found by its trailer) must index exactly what warcio reads, and fall
back to warcio for anything it does not recognise."""

import gzip
import io
import random
import zlib

import httpx
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapers.fetch.warc import (
    WarcArchive,
    WarcReplayTransport,
    _index_fast,
    _index_warcio,
    _read,
)

ORIGIN = "https://www.example.de"


def _body(n: int, seed: int) -> bytes:
    """`n` bytes of HTML that compress badly, so its gzip member spans many input chunks."""
    rng = random.Random(seed)
    words = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzäöüß <>/\n") for _ in range(n))
    return f"<html><body>{words}</body></html>".encode()


def _archive(path, pages: dict[str, bytes]) -> None:
    archive = WarcArchive(path)
    for url, body in pages.items():
        response = httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"},
                                  content=body, request=httpx.Request("GET", url))
        archive.write_exchange(url, response, body)
    archive.close()


def _as_warcio(entries):
    return [(url, e.path, e.offset, e.date) for url, e in entries]


def test_fast_index_matches_warcio_for_small_and_large_members(tmp_path):
    pages = {f"{ORIGIN}/seite-{n}.html": _body(size, n)
             for n, size in enumerate([0, 10, 400, 3_000, 70_000, 300_000])}
    path = tmp_path / "site.warc.gz"
    _archive(path, pages)
    fast = _index_fast(path)
    assert _as_warcio(fast) == _as_warcio(_index_warcio(path))
    assert [url for url, _ in fast] == list(pages)
    for url, entry in fast:
        assert entry.length is not None
        assert _read(entry)[2] == pages[url]  # the member read alone inflates to its page


def test_records_written_by_warcio_index_alike(tmp_path):
    path = tmp_path / "warcio.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(3):
            body = _body(5_000 * n, n)
            record = writer.create_warc_record(
                f"{ORIGIN}/w{n}", "response", payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                              protocol="HTTP/1.1"))
            writer.write_record(record)
    assert _as_warcio(_index_fast(path)) == _as_warcio(_index_warcio(path))


def test_a_member_longer_than_its_record_is_inflated_whole(tmp_path):
    """A record followed by more line ends than warcio writes does not end where its header
    says: that member is inflated whole and checked, and the index still matches warcio."""
    single = tmp_path / "single.warc.gz"
    pages = {f"{ORIGIN}/a.html": _body(20_000, 1), f"{ORIGIN}/b.html": _body(20_000, 2)}
    _archive(single, pages)
    members, data = [], single.read_bytes()
    while data:  # split into members, then pad each record with one more line end
        inflater = zlib.decompressobj(31)
        members.append(inflater.decompress(data) + b"\r\n")
        data = inflater.unused_data
    padded = tmp_path / "padded.warc.gz"
    padded.write_bytes(b"".join(gzip.compress(m) for m in members))
    fast = _index_fast(padded)
    assert _as_warcio(fast) == _as_warcio(_index_warcio(padded))
    assert {url: _read(entry)[2] for url, entry in fast} == pages


def test_replay_serves_the_newest_response_from_a_folder(tmp_path):
    url = f"{ORIGIN}/gruppe.html"
    _archive(tmp_path / "1.warc.gz", {url: b"<p>alt</p>"})
    _archive(tmp_path / "2.warc.gz", {url: _body(50_000, 7)})
    replay = WarcReplayTransport(tmp_path)
    assert _read(replay.index[url])[2] == _body(50_000, 7)


def test_body_is_what_the_replay_serves(tmp_path):
    pages = {f"{ORIGIN}/a.html": _body(3_000, 3), f"{ORIGIN}/b.html": b""}
    _archive(tmp_path / "site.warc.gz", pages)
    replay = WarcReplayTransport(tmp_path)
    assert {url: replay.body(url) for url in replay.urls()} == pages
