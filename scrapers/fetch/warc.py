"""The raw layer: every HTTP exchange written to WARC, and replayed from it (warcio both ways).

Bodies are stored decoded (Content-Encoding removed), so that a replay serves exactly the bytes
the parser saw. A replay answers every URL with its newest archived full response (a 304 record
has no body to serve, so it is skipped), and 404 for anything not archived.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapers.errors import ArchiveUnreadable, SourceError
from scrapers.fetch.decoding import MAX_BYTES, STEP, content_codings, decode_all

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}
_log = logging.getLogger("selbsthilfe_atlas.replay")


class WarcArchive:
    """Appends request/response records to one gzipped WARC file."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "ab")  # noqa: SIM115 - lives as long as the archive
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()

    def write_exchange(self, url: str, response: httpx.Response, content: bytes) -> int:
        """Archive one response (and its request); returns the response record's offset."""
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in _HOP_HEADERS]
        headers.append(("Content-Length", str(len(content))))
        status = f"{response.status_code} {response.reason_phrase or ''}".strip()
        request_line = f"GET {response.request.url.raw_path.decode('ascii')} HTTP/1.1"
        request_headers = [(k, v) for k, v in response.request.headers.multi_items()
                           if k.lower() != "host"] + [("Host", response.request.url.host)]
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(content),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        request = self._writer.create_warc_record(
            url, "request",
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        with self._lock:
            offset = self._fh.tell()
            self._writer.write_record(record)
            self._writer.write_record(request)
            self._fh.flush()
        return offset

    def close(self) -> None:
        self._fh.close()


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    offset: int
    date: datetime
    #: Bytes of the record in the file (its gzip member).
    length: int


_WARC_NAME = re.compile(r"\.warc(?:\.gz)?$")


def _warc_files(source: Path) -> tuple[list[Path], dict[Path, str]]:
    """The WARC files of a replay folder (any depth), and the other files beside them at its
    top (a note, a stray download), each with why it is skipped. Files in subfolders that are
    not WARC are inputs of their own (`snapshots/files/`): not mentioned."""
    if source.is_file():
        return [source], {}
    warcs = sorted(p for p in source.rglob("*") if _WARC_NAME.search(p.name))
    stray = {p: "not a WARC file (*.warc, *.warc.gz)" for p in sorted(source.iterdir())
             if p.is_file() and not _WARC_NAME.search(p.name)}
    return warcs, stray


def archive_source(path: Path) -> str:
    """The source a WARC file belongs to, by its name: `herne.warc.gz` is Herne's, as both the
    snapshot builder and a live run (`data/warc/<run>/<source>.warc.gz`) name them."""
    return _WARC_NAME.sub("", path.name)


def warn_unread(folder: Path, source_ids: set[str]) -> None:
    """Warn once per run about what in a replay folder no source reads as its own: files that
    are not WARC, and archives named for no source (read only by a source that has none).
    A single file serves every source; a missing folder fails each source, naming it."""
    if not folder.is_dir():
        return
    files, stray = _warc_files(folder)
    for path, why in stray.items():
        _log.warning("replay: skipping %s: %s", path, why)
    for path in files:
        if archive_source(path) not in source_ids:
            _log.warning("replay: skipping %s: named for no source of the registry", path)


def _starts_like_warc(path: Path) -> bool:
    """The file opens with a WARC record, gzipped or not, or is empty (an archive a run
    opened and wrote nothing to). warcio reads a file without a line break as no records."""
    with open(path, "rb") as fh:
        start = fh.read(512)
    if start[:2] == b"\x1f\x8b":
        try:
            start = zlib.decompressobj(31).decompress(start, 16)
        except zlib.error:
            return False
    return not start or start.startswith(b"WARC/")


def _index_entry(path: Path, records: ArchiveIterator, record) -> tuple[str, _Entry] | None:
    """The index entry of a full response record (None for any other); a record shorter than
    it declares, or a gzip member without its end, means the file was cut off."""
    offset, length = records.get_record_offset(), records.get_record_length()
    member = records.reader.decompressor  # this record's gzip member, None if not gzipped
    if record.raw_stream.limit > 0 or (member is not None and not member.eof):
        # warcio would quietly index up to the cut
        raise ArchiveUnreadable(f"replay archive {path} is truncated: the record at byte "
                                f"{offset} ends with the file")
    if record.rec_type != "response" or record.http_headers is None or \
            record.http_headers.get_statuscode() == "304":
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = _parse_date(record.rec_headers.get_header("WARC-Date"))
    return url, _Entry(path, offset, date, length)


def _index_file(path: Path) -> list[tuple[str, _Entry]]:
    """The index entries of one WARC file, or ArchiveUnreadable naming it: a file cut off or
    not a WARC at all is refused whole, never indexed up to the damage."""
    if not _starts_like_warc(path):
        raise ArchiveUnreadable(f"replay archive {path} is not a WARC file: it does not start "
                                "with a WARC record")
    found = []
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        try:
            for record in records:
                if (entry := _index_entry(path, records, record)) is not None:
                    found.append(entry)
        except ArchiveUnreadable:
            raise
        except Exception as exc:  # ArchiveLoadFailed, zlib.error, EOFError, OSError, ...
            raise ArchiveUnreadable(f"replay archive {path}: the record at byte "
                                    f"{records.offset} is unreadable: {type(exc).__name__}: "
                                    f"{exc}") from exc
        if records.offset != fh.seek(0, 2):  # warcio stops quietly at a cut-off header
            raise ArchiveUnreadable(f"replay archive {path} is truncated: the record at byte "
                                    f"{records.offset} ends with the file")
    return found


class WarcReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from WARC files instead of the network. A file that
    cannot be indexed is set aside in `broken`, so only the source it belongs to fails."""

    def __init__(self, source: Path, max_bytes: int = MAX_BYTES, only: str | None = None):
        self.files, self.skipped = _warc_files(source)
        if not self.files:
            raise FileNotFoundError(f"no WARC files under {source}")
        if only is not None:  # one source's replay reads only its own archives, if named so
            self.files = [p for p in self.files if archive_source(p) == only] or self.files
        self.max_bytes = max_bytes
        #: Files that could not be read, and why; grows when a record fails to read later.
        self.broken: dict[Path, str] = {}
        self.index: dict[str, _Entry] = {}
        for path in self.files:
            try:
                entries = _index_file(path)
            except ArchiveUnreadable as exc:
                self.broken[path] = str(exc)
                _log.warning("%s; only its source (%s) fails", exc, archive_source(path))
                continue
            for url, entry in entries:
                old = self.index.get(url)
                if old is None or entry.date >= old.date:
                    self.index[url] = entry

    def problem(self, source_id: str) -> str | None:
        """Why the archive of `source_id` cannot be replayed (its file unreadable), or None."""
        reasons = [why for path, why in self.broken.items() if archive_source(path) == source_id]
        return "; ".join(reasons) if reasons else None

    def urls(self) -> list[str]:
        return sorted(self.index)

    def body(self, url: str) -> bytes:
        """The archived body of `url` (KeyError if it is not archived): what a scraper was
        served, for tools that need a page again after the scrape kept only its PageInfo."""
        return self._read(self.index[url])[2]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        entry = self.index.get(str(request.url))
        if entry is None:
            return httpx.Response(404, content=b"not in the archive", request=request)
        status, headers, body = self._read(entry)
        return httpx.Response(
            status, headers=[(k, v) for k, v in headers if k.lower() not in _HOP_HEADERS],
            content=body, request=request,
            extensions={"warc_date": entry.date, "warc_file": entry.path.name},
        )

    def _read(self, entry: _Entry) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            return _read(entry, self.max_bytes)
        except ArchiveUnreadable as exc:
            self.broken.setdefault(entry.path, str(exc))
            raise


def _read(entry: _Entry, limit: int = MAX_BYTES) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, decoded body) of an indexed response; the body held to `limit`
    bytes like a live one, whatever the record's compression or Content-Encoding."""
    try:
        with open(entry.path, "rb") as fh:
            fh.seek(entry.offset)
            record = next(iter(ArchiveIterator(fh)))
            headers = record.http_headers
            codings = content_codings(v for k, v in headers.headers
                                      if k.lower() == "content-encoding")
            stream = (ChunkedDataReader(record.raw_stream)
                      if (headers.get_header("transfer-encoding") or "").lower() == "chunked"
                      else record.raw_stream)
            body = decode_all(codings, iter(lambda: stream.read(STEP), b""), limit,
                              url=record.rec_headers.get_header("WARC-Target-URI"))
            return int(headers.get_statuscode()), list(headers.headers), body
    except SourceError:  # too large, or an encoding refused: as a live answer would be
        raise
    except Exception as exc:
        raise ArchiveUnreadable(f"replay archive {entry.path}: the record at byte "
                                f"{entry.offset} is unreadable: {type(exc).__name__}: {exc}"
                                ) from exc


def _parse_date(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
