"""The raw layer: every HTTP exchange written to WARC, and replayed from it.

Bodies are stored decoded (Content-Encoding removed), so that a replay serves exactly the bytes
the parser saw. A replay answers every URL with its newest archived full response (a 304 record
has no body to serve, so it is skipped), and 404 for anything not archived.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import struct
import threading
import uuid
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
        self.records = 0

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
        records = _fast_records(url, date, f"HTTP/1.1 {status}", headers, content,
                                request_line, request_headers)
        with self._lock:
            offset = self._fh.tell()
            if records is not None:
                self._fh.write(records)
            else:
                self._write_with_warcio(url, date, status, headers, content, request_line,
                                        request_headers)
            self._fh.flush()
            self.records += 1
        return offset

    def _write_with_warcio(self, url: str, date: str, status: str, headers: list,
                           content: bytes, request_line: str, request_headers: list) -> None:
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(content),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        self._writer.write_record(record)
        request = self._writer.create_warc_record(
            url, "request",
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        self._writer.write_record(request)

    def close(self) -> None:
        self._fh.close()


# Writing, like reading, is on every page's path: warcio builds each record through several
# layers of Python (record builder, digesters, header objects, a gzip wrapper) at about half a
# millisecond a page. `_fast_records` writes the same two records directly: the same WARC
# header fields in warcio's order, the same SHA-1 digests, one gzip member per record at
# warcio's level 9. Headers that are not plain ASCII (warcio would percent-encode them) go
# through warcio as before.


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _gzip_member(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return packer.compress(data) + packer.flush()


def _header_block(first_line: str, headers: list[tuple[str, str]]) -> bytes | None:
    text = first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return text.encode("ascii") if text.isascii() else None


def _warc_record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    return _gzip_member(head.encode("utf-8") + block + b"\r\n\r\n")


def _fast_records(url: str, date: str, status_line: str, headers: list[tuple[str, str]],
                  content: bytes, request_line: str, request_headers: list[tuple[str, str]]
                  ) -> bytes | None:
    """The response and request records as warcio writes them, gzipped; None when a header
    needs warcio's percent-encoding."""
    response_head = _header_block(status_line, headers)
    request_head = _header_block(request_line, request_headers)
    if response_head is None or request_head is None:
        return None
    response_id = f"<urn:uuid:{uuid.uuid4()}>"
    response = _warc_record([
        ("WARC-Date", date), ("WARC-Type", "response"), ("WARC-Record-ID", response_id),
        ("WARC-Target-URI", url), ("WARC-Payload-Digest", _digest(content)),
        ("WARC-Block-Digest", _digest(response_head + content)),
        ("Content-Type", "application/http; msgtype=response"),
        ("Content-Length", str(len(response_head) + len(content)))], response_head + content)
    request = _warc_record([
        ("WARC-Date", date), ("WARC-Concurrent-To", response_id), ("WARC-Type", "request"),
        ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"), ("WARC-Target-URI", url),
        ("WARC-Payload-Digest", _digest(b"")), ("WARC-Block-Digest", _digest(request_head)),
        ("Content-Type", "application/http; msgtype=request"),
        ("Content-Length", str(len(request_head)))], request_head)
    return response + request


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    offset: int
    date: datetime
    #: Bytes of the record's own gzip member; None: read it through warcio.
    length: int | None = None


_WARC_SUFFIXES = (".warc", ".warc.gz")


def _warc_files(source: Path) -> tuple[list[Path], dict[Path, str]]:
    """The WARC files of a replay folder (any depth), and the other files beside them at its
    top (a note, a stray download), each with why it is skipped. Files in subfolders that are
    not WARC are inputs of their own (`snapshots/files/`): not mentioned."""
    if source.is_file():
        return [source], {}
    warcs = sorted(p for p in source.rglob("*") if p.name.endswith(_WARC_SUFFIXES))
    stray = {p: "not a WARC file (*.warc, *.warc.gz)" for p in sorted(source.iterdir())
             if p.is_file() and not p.name.endswith(_WARC_SUFFIXES)}
    return warcs, stray


def archive_source(path: Path) -> str:
    """The source a WARC file belongs to, by its name: `herne.warc.gz` is Herne's, as both the
    snapshot builder and a live run (`data/warc/<run>/<source>.warc.gz`) name them."""
    name = path.name
    for suffix in _WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


# A replay reads every archived page once, and a whole-corpus replay indexes every record of
# every file in each process: warcio's record parser costs more than the parse of the page it
# returns. Our own writer (and warcio's, and most tools) stores one record per gzip member, so
# the fast path inflates a member with zlib and splits its header blocks with bytes methods.
# Anything it does not recognise (an uncompressed file, several records in one member, header
# continuation lines, a transfer- or content-encoded payload) goes through warcio as before.

#: First bytes fed to an inflater; doubled while a member goes on. Small, because what is fed
#: past a member's end is copied back out (`unused_data`) once per member.
_CHUNK = 4096


class _NotSimple(Exception):
    """A record the fast path does not read; warcio does."""


class _Truncated(Exception):
    """A gzip member that stops before its end: the file was cut off. warcio would index the
    records before the cut and quietly drop the rest, so this is not handed to warcio."""


#: Inflated bytes a record may take beyond its body: the WARC and HTTP header blocks.
_RECORD_HEADROOM = 1024 * 1024


def _members(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, compressed length, inflated bytes) of each gzip member of `data`."""
    view, pos, found = memoryview(data), 0, []
    while pos < len(data):
        end, inflated = _inflate_member(data, view, pos)
        found.append((pos, end - pos, inflated))
        pos = end
    return found


def _inflate_member(data: bytes, view: memoryview, pos: int,
                    limit: int = MAX_BYTES + _RECORD_HEADROOM) -> tuple[int, bytes]:
    """(end, inflated bytes) of the gzip member at `pos`; a member inflating past `limit`
    is left to warcio, which inflates it a block at a time (the fast path would hold it)."""
    if data[pos:pos + 2] != b"\x1f\x8b":
        raise _NotSimple("not a gzip member")
    inflater, parts, end, size, total = zlib.decompressobj(31), [], pos, _CHUNK, 0
    while not inflater.eof:
        chunk = view[end:end + size]
        if not chunk:
            raise _Truncated(f"gzip member at byte {pos} ends with the file")
        parts.append(out := inflater.decompress(chunk, limit - total + 1))
        if (total := total + len(out)) > limit:
            raise _NotSimple(f"member inflates past {limit} bytes")
        end, size = end + len(chunk), size * 2
    return end - len(inflater.unused_data), b"".join(parts)


def _header_lines(block: bytes) -> list[tuple[str, str]]:
    """Header fields of one block (no status line), as warcio decodes them: UTF-8, else
    ISO-8859-1, per line; name and value stripped."""
    fields = []
    for raw in block.split(b"\r\n"):
        if not raw:
            continue
        if raw[:1] in (b" ", b"\t"):
            raise _NotSimple("header continuation line")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("iso-8859-1")
        name, sep, value = line.rstrip().partition(":")
        if sep:
            fields.append((name.rstrip(" \t"), value.lstrip()))
    return fields


def _split_record(record: bytes) -> tuple[dict[str, str], bytes]:
    """(WARC headers by lower-case name, content block) of one inflated record."""
    head_end = record.find(b"\r\n\r\n")
    if head_end < 0 or not record.startswith(b"WARC/"):
        raise _NotSimple("no WARC header block")
    warc = {k.lower(): v for k, v in _header_lines(record[record.find(b"\r\n") + 2:head_end])}
    length = int(warc.get("content-length", "-1"))
    block = record[head_end + 4:head_end + 4 + length]
    if length < 0 or len(block) != length or record[head_end + 4 + length:].strip(b"\r\n"):
        raise _NotSimple("block length does not match, or a second record follows")
    return warc, block


def _http_response(block: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of an archived HTTP response block."""
    head_end = block.find(b"\r\n\r\n")
    if head_end < 0:
        raise _NotSimple("no HTTP header block")
    status_end = block.find(b"\r\n")
    status_line = block[:status_end].decode("iso-8859-1").split()
    headers = _header_lines(block[status_end + 2:head_end]) if status_end < head_end else []
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise _NotSimple("no HTTP status line")
    if any(k.lower() in ("transfer-encoding", "content-encoding") for k, _ in headers):
        raise _NotSimple("encoded payload")
    return int(status_line[1]), headers, block[head_end + 4:]


_INDEX_FIELDS = re.compile(rb"^(WARC-Type|WARC-Target-URI|WARC-Date|Content-Length):[ \t]*"
                           rb"([^\r\n]*)", re.MULTILINE | re.IGNORECASE)  # value: rstrip it


#: Inflated from the start of a member to read its headers; enough for most records' WARC
#: and HTTP header lines, doubled while they go on.
_HEAD_CHUNK = 512


def _member_head(data: bytes, view: memoryview, pos: int) -> tuple[bytes, int | None, int]:
    """(inflated start of the gzip member at `pos`, its end if that start is the whole member,
    bytes fed so far): just past the WARC header block and the block's first line."""
    if data[pos:pos + 2] != b"\x1f\x8b":
        raise _NotSimple("not a gzip member")
    inflater, head, fed, size = zlib.decompressobj(31), b"", pos, _HEAD_CHUNK
    while not inflater.eof:
        chunk = view[fed:fed + size]
        if not chunk:
            raise _Truncated(f"gzip member at byte {pos} ends with the file")
        head += inflater.decompress(chunk)
        fed, size = fed + len(chunk), size * 2
        head_end = head.find(b"\r\n\r\n")
        if head_end >= 0 and head.find(b"\r\n", head_end + 4) >= 0:
            break
        if len(head) > _RECORD_HEADROOM:  # no header block ends: not ours to hold
            raise _NotSimple("no end of the header blocks")
    return head, (fed - len(inflater.unused_data) if inflater.eof else None), fed


def _member_end(data: bytes, pos: int, fed: int, inflated_size: int) -> int | None:
    """End of the gzip member at `pos` whose inflated size the WARC header tells, or None:
    its trailer ends with that size (ISIZE), and the next member starts right after it.
    Finding the two together saves inflating every body only to learn where it ends. A chance
    match inside compressed data (odds 2^-48 per byte) splits the file wrongly, the next
    member does not inflate, and the whole file is indexed through warcio."""
    isize = struct.pack("<I", inflated_size & 0xFFFFFFFF)
    start = max(pos, fed - 8)
    if (found := data.find(isize + b"\x1f\x8b", start)) >= 0:
        return found + 4
    if data.endswith(isize) and len(data) - 4 >= start:
        return len(data)
    return None


def _index_fast(path: Path) -> list[tuple[str, _Entry]]:
    """What the index needs of each record, without parsing every header line or inflating
    every body: a whole-corpus replay indexes hundreds of thousands of records in each
    process."""
    data = path.read_bytes()
    view, offset, found = memoryview(data), 0, []
    while offset < len(data):
        record, end, fed = _member_head(data, view, offset)
        head_end = record.find(b"\r\n\r\n")
        if head_end < 0 or not record.startswith(b"WARC/"):
            raise _NotSimple("no WARC header block")
        fields = {k.lower(): v.rstrip(b" \t")
                  for k, v in _INDEX_FIELDS.findall(record, 0, head_end + 2)}
        block_start = head_end + 4
        size = int(fields.get(b"content-length", b"-1"))
        if size < 0:
            raise _NotSimple("no block length")
        whole = end is not None
        if not whole:  # the body goes on: its record ends with "\r\n\r\n", as warcio's do
            end = _member_end(data, offset, fed, block_start + size + 4)
        if end is None:  # it does not end so: inflate it whole and look
            (end, record), whole = _inflate_member(data, view, offset), True
        if whole and (len(record) < block_start + size
                      or record[block_start + size:].strip(b"\r\n")):
            raise _NotSimple("block length does not match, or a second record follows")
        length, offset = end - offset, end
        if fields.get(b"warc-type") != b"response" or \
                not record.startswith(b"HTTP/", block_start):
            continue
        status = record[block_start:record.find(b"\r\n", block_start)].split()
        if len(status) < 2 or not status[1].isdigit():
            raise _NotSimple("no HTTP status line")
        if status[1] == b"304":
            continue
        url = fields.get(b"warc-target-uri", b"")
        try:
            text = url.decode("utf-8")
        except UnicodeDecodeError:
            text = url.decode("iso-8859-1")
        date = _parse_date(fields[b"warc-date"].decode("ascii")) if b"warc-date" in fields \
            else _parse_date(None)
        found.append((text, _Entry(path, offset - length, date, length)))
    return found


def _index_warcio(path: Path) -> list[tuple[str, _Entry]]:
    found = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if record.http_headers.get_statuscode() == "304":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = _parse_date(record.rec_headers.get_header("WARC-Date"))
            found.append((url, _Entry(path, it.get_record_offset(), date)))
    return found


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


def _index_file(path: Path) -> list[tuple[str, _Entry]]:
    """The index entries of one WARC file, or ArchiveUnreadable naming it: a file cut off or
    not a WARC at all is refused whole, never indexed up to the damage."""
    if not _starts_like_warc(path):
        raise ArchiveUnreadable(f"replay archive {path} is not a WARC file: it does not start "
                                "with a WARC record")
    try:
        return _index_fast(path)
    except _Truncated as exc:
        raise ArchiveUnreadable(f"replay archive {path} is truncated: {exc}") from exc
    except (_NotSimple, zlib.error, ValueError):
        pass
    try:
        return _index_warcio(path)
    except Exception as exc:  # ArchiveLoadFailed, zlib.error, EOFError, OSError, ...
        raise ArchiveUnreadable(f"replay archive {path} is not a readable WARC file: "
                                f"{type(exc).__name__}: {exc}") from exc


class WarcReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from WARC files instead of the network.

    One bad file costs only its own pages: a file that cannot be indexed is set aside in
    `broken` (with the reason) and the others still serve, so only the source whose archive
    it is fails (`problem`). Files beside the archives that are not WARC are skipped with a
    warning. Bodies are held to `max_bytes` decoded, as live (`scrapers.fetch.decoding`)."""

    def __init__(self, source: Path, max_bytes: int = MAX_BYTES):
        self.files, self.skipped = _warc_files(source)
        if not self.files:
            raise FileNotFoundError(f"no WARC files under {source}")
        self.max_bytes = max_bytes
        #: Files that could not be read, and why; grows when a record fails to read later.
        self.broken: dict[Path, str] = {}
        self.index: dict[str, _Entry] = {}
        for path, why in self.skipped.items():
            _log.warning("replay: skipping %s: %s", path, why)
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
    if entry.length is not None:
        with open(entry.path, "rb") as fh:
            fh.seek(entry.offset)
            raw = fh.read(entry.length)
        try:
            inflater = zlib.decompressobj(31)
            record = inflater.decompress(raw, limit + _RECORD_HEADROOM)
            if inflater.eof:  # else larger than any body may be: warcio reads it in blocks
                return _http_response(_split_record(record)[1])
        except (_NotSimple, zlib.error, ValueError):
            pass
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
