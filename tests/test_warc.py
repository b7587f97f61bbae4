"""The WARC layer of scrapers.fetch.warc (warcio both ways): what the archive writes, the
replay index finds and serves, for records of any size, records written by warcio itself,
and a file cut off anywhere, which is refused whole."""

import gzip
import io
import random
import zlib

import httpx
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapers.errors import ArchiveUnreadable
from scrapers.fetch.warc import WarcArchive, WarcReplayTransport, _index_file

ORIGIN = "https://www.example.de"


def _body(n: int, seed: int) -> bytes:
    """`n` bytes of HTML that compress badly, so its gzip member spans many input chunks."""
    rng = random.Random(seed)
    words = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzäöüß <>/\n") for _ in range(n))
    return f"<html><body>{words}</body></html>".encode()


def _archive(path, pages: dict[str, bytes]) -> list[int]:
    """Write `pages` through the live client's archive; the offset of each response."""
    archive = WarcArchive(path)
    offsets = []
    for url, body in pages.items():
        response = httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"},
                                  content=body, request=httpx.Request("GET", url))
        offsets.append(archive.write_exchange(url, response, body))
    archive.close()
    return offsets


def test_every_page_small_or_large_is_indexed_and_served(tmp_path):
    pages = {f"{ORIGIN}/seite-{n}.html": _body(size, n)
             for n, size in enumerate([0, 10, 400, 3_000, 70_000, 300_000])}
    path = tmp_path / "site.warc.gz"
    offsets = _archive(path, pages)
    replay = WarcReplayTransport(path)
    assert replay.urls() == sorted(pages)
    assert [replay.index[url].offset for url in pages] == offsets
    assert {url: replay.body(url) for url in pages} == pages


def test_records_written_by_warcio_replay_alike(tmp_path):
    path = tmp_path / "warcio.warc.gz"
    bodies = {f"{ORIGIN}/w{n}": _body(5_000 * n, n) for n in range(3)}
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body in bodies.items():
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                              protocol="HTTP/1.1"))
            writer.write_record(record)
    replay = WarcReplayTransport(path)
    assert {url: replay.body(url) for url in replay.urls()} == bodies


def test_a_member_longer_than_its_record_is_read(tmp_path):
    """A record followed by more line ends than warcio writes still indexes and serves."""
    single = tmp_path / "single.warc.gz"
    pages = {f"{ORIGIN}/a.html": _body(20_000, 1), f"{ORIGIN}/b.html": _body(20_000, 2)}
    _archive(single, pages)
    members, data = [], single.read_bytes()
    while data:  # split into members, then pad each record with one more line end
        inflater = zlib.decompressobj(31)
        members.append(inflater.decompress(data) + b"\r\n")
        data = inflater.unused_data
    padded = tmp_path / "padded" / "padded.warc.gz"
    padded.parent.mkdir()
    padded.write_bytes(b"".join(gzip.compress(m) for m in members))
    replay = WarcReplayTransport(padded)
    assert {url: replay.body(url) for url in replay.urls()} == pages


@pytest.mark.parametrize("where", ["in a header", "in a body", "in a gzip trailer"])
def test_a_file_cut_off_inside_a_record_is_refused_whole(tmp_path, where):
    """warcio would index the records before the cut and drop the rest quietly."""
    pages = {f"{ORIGIN}/a.html": _body(20_000, 1), f"{ORIGIN}/b.html": _body(20_000, 2)}
    path = tmp_path / "site.warc.gz"
    second = _archive(path, pages)[1]
    data = path.read_bytes()
    cut = {"in a header": second + 30, "in a body": second + 2_000,
           "in a gzip trailer": len(data) - 3}[where]
    path.write_bytes(data[:cut])
    with pytest.raises(ArchiveUnreadable, match="is truncated"):
        _index_file(path)


def test_replay_serves_the_newest_response_from_a_folder(tmp_path):
    url = f"{ORIGIN}/gruppe.html"
    _archive(tmp_path / "1.warc.gz", {url: b"<p>alt</p>"})
    _archive(tmp_path / "2.warc.gz", {url: _body(50_000, 7)})
    replay = WarcReplayTransport(tmp_path)
    assert replay.body(url) == _body(50_000, 7)


def test_body_is_what_the_replay_serves(tmp_path):
    pages = {f"{ORIGIN}/a.html": _body(3_000, 3), f"{ORIGIN}/b.html": b""}
    _archive(tmp_path / "site.warc.gz", pages)
    replay = WarcReplayTransport(tmp_path)
    assert {url: replay.body(url) for url in replay.urls()} == pages


def test_one_sources_replay_reads_only_its_own_archives(tmp_path):
    """A collecting process replays many sources: each indexes its own runs' files (any
    depth), not the whole folder, and a broken archive of another source is not its problem."""
    url = f"{ORIGIN}/gruppe.html"
    _archive(tmp_path / "run-1" / "herne.warc.gz", {url: b"<p>alt</p>"})
    _archive(tmp_path / "run-2" / "herne.warc.gz", {url: b"<p>neu</p>"})
    _archive(tmp_path / "hamm.warc.gz", {f"{ORIGIN}/hamm.html": b"<p>Hamm</p>"})
    (tmp_path / "mettmann.warc.gz").write_bytes(b"not a warc")
    herne = WarcReplayTransport(tmp_path, only="herne")
    assert [p.parent.name for p in herne.files] == ["run-1", "run-2"]
    assert herne.urls() == [url] and herne.body(url) == b"<p>neu</p>"
    assert herne.broken == {} and herne.problem("herne") is None
    mettmann = WarcReplayTransport(tmp_path, only="mettmann")
    assert "is not a WARC file" in mettmann.problem("mettmann")
    # an archive not named for any source (one captured file, a merged folder) serves them all
    assert len(WarcReplayTransport(tmp_path, only="duesseldorf").files) == 4
