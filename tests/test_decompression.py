"""Decompression is bounded across all layers (scrapers.fetch.decoding): the size limit counts
decoded bytes whatever the number of encodings, a stacked Content-Encoding is refused, and a
bomb ends with bounded memory, live and in replay. The bombs are fetched by a process of its
own (tests/bomb_client.py), so its peak RSS is the bomb's."""

import contextlib
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapers.errors import EncodingRefused, FetchError, ResponseTooLarge
from scrapers.fetch.decoding import STEP, BoundedDecoder, content_codings, decode_all
from tests.conftest import ROOT

#: Peak RSS a stacked bomb may add to the fetching process.
RSS_GROWTH_MB = 200
#: ... and a single-layer bomb, which is read up to the limit: the 10 MiB of the limit, 64 KiB
#: decode steps and slack, not a whole network chunk inflated at once.
SINGLE_LAYER_MB = 64
_BLOCK = 16  # MiB of zeros per deflate block


def zeros_deflate(mib: int) -> bytes:
    """Raw deflate of `mib` MiB of zeros without compressing them all: after a full flush a
    deflate stream starts afresh, so every 16 MiB block compresses to the same bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = packer.compress(bytes(_BLOCK << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * (mib // _BLOCK) + packer.flush()


def zeros_gzip(mib: int) -> bytes:
    """A valid gzip member of `mib` MiB of zeros (CRC and size in its trailer)."""
    crc, block = 0, bytes(_BLOCK << 20)
    for _ in range(mib // _BLOCK):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + zeros_deflate(mib) + trailer


@pytest.fixture(scope="module")
def bombs() -> dict[str, tuple[str, bytes]]:
    """path -> (Content-Encoding, body on the wire)."""
    return {
        # the case: 4 GiB of zeros in two gzip layers, a few KB on the wire
        "/gzip-gzip": ("gzip, gzip", gzip.compress(zeros_gzip(4096), 9)),
        "/deflate-gzip": ("deflate, gzip", gzip.compress(zeros_deflate(4096), 9)),
        "/double-header": ("gzip\ngzip", gzip.compress(zeros_gzip(4096), 9)),
        # one layer: 1 GiB of zeros in about 1 MB
        "/gzip": ("gzip", zeros_gzip(1024)),
    }


@pytest.fixture(scope="module")
def bomb_site(bombs):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path not in bombs:
                body = b"<html><body>ok</body></html>"
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            encoding, body = bombs[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            for value in encoding.split("\n"):  # two header lines for /double-header
                self.send_header("Content-Encoding", value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped reading, as it should
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def bomb_client(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.bomb_client", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_stacked_bomb_is_refused_with_bounded_memory(bomb_site, bombs):
    wire = {path: len(body) for path, (_, body) in bombs.items()}
    assert max(wire["/gzip-gzip"], wire["/deflate-gzip"]) < 10_000  # a few KB on the wire
    results = bomb_client("live", bomb_site, "/gzip-gzip", "/deflate-gzip", "/double-header")
    for path, codings in (("/gzip-gzip", "gzip, gzip"), ("/deflate-gzip", "deflate, gzip"),
                          ("/double-header", "gzip, gzip")):
        result = results[bomb_site + path]
        assert result.get("error") == "EncodingRefused", result
        assert f"stacked Content-Encoding {codings} refused" in result["message"]
        assert bomb_site + path in result["message"]
        assert result["rss_growth_mb"] < RSS_GROWTH_MB, result


def test_single_layer_bomb_stops_at_the_limit_with_bounded_memory(bomb_site):
    result = bomb_client("live", bomb_site, "/gzip")[bomb_site + "/gzip"]
    assert result.get("error") == "ResponseTooLarge", result
    assert result["rss_growth_mb"] < SINGLE_LAYER_MB, result
    assert f"body exceeds {10 * 1024 * 1024} bytes once decoded (gzip)" in result["message"]


def _warc(path, records: dict[str, tuple[str | None, bytes]]) -> None:
    """A WARC as another tool writes it: the HTTP payload kept encoded, with its header."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, (encoding, payload) in records.items():
            headers = [("Content-Type", "text/html")]
            if encoding:
                headers.append(("Content-Encoding", encoding))
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))


def test_replay_applies_the_same_rule(tmp_path, bombs):
    page = b"<html><body>Gruppe</body></html>"
    origin = "https://www.example.de"
    warc = tmp_path / "site.warc.gz"
    _warc(warc, {f"{origin}/page": ("gzip", gzip.compress(page)),
                 f"{origin}/stacked": bombs["/gzip-gzip"],
                 f"{origin}/bomb": bombs["/gzip"]})
    results = bomb_client("replay", str(warc), f"{origin}/page", f"{origin}/stacked",
                          f"{origin}/bomb")
    assert results[f"{origin}/page"]["bytes"] == len(page)  # one layer decodes as before
    bomb = results[f"{origin}/bomb"]
    assert bomb["rss_growth_mb"] < SINGLE_LAYER_MB, bomb
    assert bomb.get("error") == "ResponseTooLarge", bomb
    stacked = results[f"{origin}/stacked"]
    assert stacked.get("error") == "EncodingRefused", stacked
    assert "stacked Content-Encoding gzip, gzip refused" in stacked["message"]


def test_decoder_yields_bounded_steps_and_counts_decoded_bytes():
    body = os.urandom(50_000) * 20  # 1 MB that compresses 20:1
    wire = gzip.compress(body)
    decoder = BoundedDecoder(["gzip"], limit=len(body))
    pieces = [out for i in range(0, len(wire), 7_000) for out in decoder.decode(
        wire[i:i + 7_000])] + list(decoder.finish())
    assert b"".join(pieces) == body and decoder.size == len(body)
    assert max(map(len, pieces)) <= STEP
    with pytest.raises(ResponseTooLarge):
        decode_all(["gzip"], [wire], limit=len(body) - 1)


@pytest.mark.parametrize("deflate", [zlib.compress, lambda b: zlib.compress(b)[2:-4]],
                         ids=["zlib-wrapped", "raw"])
def test_deflate_either_way_as_servers_send_it(deflate):
    body = b"<html>" + b"Selbsthilfe " * 5_000 + b"</html>"
    assert decode_all(["deflate"], [deflate(body)]) == body


def test_codings_and_refusals():
    assert content_codings(["gzip", "identity"]) == ["gzip"]
    assert content_codings(["GZIP, identity, gzip"]) == ["gzip", "gzip"]
    assert decode_all([], [b"abc", b"def"]) == b"abcdef"
    with pytest.raises(EncodingRefused, match="'br' refused"):
        BoundedDecoder(["br"])
    with pytest.raises(FetchError, match="cannot decode the gzip body"):
        decode_all(["gzip"], [b"\x1f\x8b\x08\x00garbage-garbage-garbage"])
