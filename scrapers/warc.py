"""The raw layer: every HTTP exchange written to WARC, and replayed from it.

Bodies are stored decoded (Content-Encoding removed), so that a replay serves exactly the bytes
the parser saw. A replay answers every URL with its newest archived full response (a 304 record
has no body to serve, so it is skipped), and 404 for anything not archived.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


class WarcArchive:
    """Appends request/response records to one gzipped WARC file."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "ab")  # noqa: SIM115 - lives as long as the archive
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()
        self.records = 0

    def write_exchange(self, url: str, response: httpx.Response, content: bytes) -> int:
        """Archive one response (and its request); returns the response record's offset."""
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in _HOP_HEADERS]
        headers.append(("Content-Length", str(len(content))))
        status = f"{response.status_code} {response.reason_phrase or ''}".strip()
        http_headers = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            offset = self._fh.tell()
            record = self._writer.create_warc_record(
                url, "response", payload=io.BytesIO(content), http_headers=http_headers,
                warc_headers_dict={"WARC-Date": date},
            )
            self._writer.write_record(record)
            req_headers = StatusAndHeaders(
                f"GET {response.request.url.raw_path.decode('ascii')} HTTP/1.1",
                [(k, v) for k, v in response.request.headers.multi_items()
                 if k.lower() != "host"] + [("Host", response.request.url.host)],
                is_http_request=True,
            )
            request = self._writer.create_warc_record(
                url, "request", http_headers=req_headers,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            self._writer.write_record(request)
            self._fh.flush()
            self.records += 1
        return offset

    def close(self) -> None:
        self._fh.close()


@dataclass(frozen=True)
class _Entry:
    path: Path
    offset: int
    date: datetime


def _warc_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.name.endswith((".warc", ".warc.gz")))


class WarcReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from WARC files instead of the network."""

    def __init__(self, source: Path):
        self.files = _warc_files(source)
        if not self.files:
            raise FileNotFoundError(f"no WARC files under {source}")
        self.index: dict[str, _Entry] = {}
        for path in self.files:
            with open(path, "rb") as fh:
                it = ArchiveIterator(fh)
                for record in it:
                    if record.rec_type != "response" or record.http_headers is None:
                        continue
                    if record.http_headers.get_statuscode() == "304":
                        continue
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    date = _parse_date(record.rec_headers.get_header("WARC-Date"))
                    old = self.index.get(url)
                    if old is None or date >= old.date:
                        self.index[url] = _Entry(path, it.get_record_offset(), date)

    def urls(self) -> list[str]:
        return sorted(self.index)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        entry = self.index.get(str(request.url))
        if entry is None:
            return httpx.Response(404, content=b"not in the archive", request=request)
        with open(entry.path, "rb") as fh:
            fh.seek(entry.offset)
            record = next(iter(ArchiveIterator(fh)))
            body = record.content_stream().read()
            status = int(record.http_headers.get_statuscode())
            headers = [(k, v) for k, v in record.http_headers.headers
                       if k.lower() not in _HOP_HEADERS]
        return httpx.Response(
            status, headers=headers, content=body, request=request,
            extensions={"warc_date": entry.date, "warc_file": entry.path.name},
        )


def _parse_date(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
