"""Reading a CSV, XLSX or JSON file into a `Table` of numbered rows: encoding, delimiter,
title rows and broken files are handled here, so the rest never sees bytes."""

import codecs
import collections
import csv
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import load_workbook

from schema.registry import FileSettings, Source
from scrapers.errors import SiteChanged
from scrapers.fetch.decoding import BOMS
from scrapers.importers.files.cells import MISSING, at, cell_text, first_text, select_records


class FileMappingError(SiteChanged):
    """The mapping names a column, path or sheet the file does not have: either the registry
    is wrong or the centre changed its file; both need a person, like a changed site, but the
    person to look is whoever wrote the mapping, so the class says so."""

    failure_class = "config_error"


class UnreadableFile(SiteChanged):
    """The file is not what its format says (no zip, broken XML or JSON): a SiteChanged, so
    callers that stop on a changed source stop on this too."""

    failure_class = "parse_error"


_DELIMITERS = ";,\t|"


#: Bytes read at a time while hashing and checking a file: large files are never held whole.
_CHUNK = 1 << 20


@dataclass
class Table:
    """A file as (row number, cells) rows under `columns` (None for JSON, read by paths); CSV
    and XLSX rows are streamed, so a large file is never held whole."""

    rows: Iterable[tuple[int, object]]  # dicts, but a JSON list may hold anything
    columns: list[str] | None
    encoding: str
    empty: bool
    close: Callable[[], None] = lambda: None
    as_of: str | None = None  # the file's as-of date as given (`file.as_of`, JSON only)


@dataclass(frozen=True)
class FileFacts:
    """What one pass over the bytes tells: their hash and size, a leading BOM, and whether
    they are UTF-8 throughout (the encoding is chosen from the whole file)."""

    sha256: str
    nbytes: int
    head: bytes
    utf8: bool


def file_facts(handle: BinaryIO) -> FileFacts:
    digest, check = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    head, nbytes, utf8 = b"", 0, True
    handle.seek(0)
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        head = head or chunk[:4]
        nbytes += len(chunk)
        if utf8:
            try:
                check.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            check.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    handle.seek(0)
    return FileFacts(digest.hexdigest(), nbytes, head, utf8)


def choose_encoding(head: bytes, utf8: bool, declared: str | None = None) -> tuple[str, str]:
    """(codec, errors) to read a file with: a BOM is the file's own word; else strict UTF-8,
    and what fails it is Windows-1252, the encoding German Excel writes "CSV
    (Trennzeichen-getrennt)" in. A declared encoding wins and never fails."""
    if declared is not None:
        return declared, "replace"
    for bom, name in BOMS:
        if head.startswith(bom):
            return name, "strict"
    return ("utf-8", "strict") if utf8 else ("cp1252", "replace")


def text_lines(handle: BinaryIO, codec: str, errors: str, declared: bool) -> Generator[str]:
    """The file's text line by line through a duplicate descriptor (the same file, even if
    replaced meanwhile); newline="" keeps Excel for Mac's lone \r and quoted line breaks."""
    with open(os.dup(handle.fileno()), encoding=codec, errors=errors, newline="") as stream:
        stream.seek(0)
        first = True
        for line in stream:
            if first and declared:
                line = line.lstrip("\ufeff")
                if not line:
                    continue
            first = False
            yield line


def sniff_delimiter(text: str) -> str:
    """csv.Sniffer among ; , tab |, checked against the header line: the Sniffer is easily
    misled by commas inside "Mo, Di 9-12", so a guess that does not split the header loses to
    the candidate the header holds most often."""
    sample = "\n".join(text.splitlines()[:20])
    header = sample.split("\n", 1)[0]
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        guess = None
    counts = {d: header.count(d) for d in _DELIMITERS}
    if guess and counts.get(guess, 0) >= max(counts.values()) / 2 and counts[guess] > 0:
        return guess
    return max(counts, key=lambda d: counts[d])


def _header_and_rows(lines: Iterator[list], header_row: int
                     ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The header (row `header_row`, below any title lines) and the non-blank rows after it,
    numbered as a spreadsheet (and RFC 7111) does, read as they are asked for."""
    numbered = enumerate(lines, start=1)
    header: list[str] = []
    for number, cells in numbered:
        if number >= header_row:
            header = [str("" if c is None else c).strip() for c in cells]
            break

    def rows() -> Iterator[tuple[int, dict]]:
        for number, cells in numbered:
            values = ["" if c is None else c for c in cells]
            if any(str(v).strip() for v in values):
                yield number, {h: v for h, v in zip(header, values, strict=False) if h}
    return header, rows()


def _peeked(rows: Iterator) -> tuple[Iterator, bool]:
    """`rows` unchanged, and whether it has none."""
    first = next(rows, MISSING)
    return (iter(()), True) if first is MISSING else (itertools.chain([first], rows), False)


def read_csv(handle: BinaryIO, facts: FileFacts, settings: FileSettings, where: str) -> Table:
    """Rows of a CSV file, streamed. The whole file is parsed once before (nothing kept), so
    a file that breaks the CSV reader anywhere fails here, before any record is made."""
    codec, errors = choose_encoding(facts.head, facts.utf8, settings.encoding)
    declared = settings.encoding is not None

    def lines() -> Generator[str]:
        return text_lines(handle, codec, errors, declared)

    with closing(lines()) as head:  # enough for `sniff_delimiter`, which reads 20 lines
        delimiter = settings.delimiter or sniff_delimiter("".join(itertools.islice(head, 21)))
    try:
        header, rows = _header_and_rows(csv.reader(lines(), delimiter=delimiter),
                                        settings.header_row)
        any_row = next(rows, None) is not None
        collections.deque(rows, maxlen=0)  # the rest: only for the CSV reader's errors
        header, rows = _header_and_rows(csv.reader(lines(), delimiter=delimiter),
                                        settings.header_row)
    except csv.Error as exc:
        raise UnreadableFile(f"{where} is not readable as CSV: {exc}") from exc
    return Table(_csv_errors(rows, where), header, codec, empty=not any_row)


def _csv_errors(rows: Iterator[tuple[int, dict]], where: str) -> Iterator[tuple[int, dict]]:
    """The rows, a CSV reader's error named like the one of the first pass (the file may have
    changed in between)."""
    try:
        yield from rows
    except csv.Error as exc:
        raise UnreadableFile(f"{where} is not readable as CSV: {exc}") from exc


def _sheet_lines(sheet, where: str) -> Iterator[list[str]]:
    """The sheet's rows as cell texts, streamed; whatever openpyxl's lazy zip, deflate or XML
    layer raises on a damaged member is an unreadable file, not a crash of the run."""
    try:
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in row]
    except Exception as exc:
        raise UnreadableFile(f"{where} is not a readable XLSX file: "
                             f"{type(exc).__name__}: {exc}") from exc


def read_xlsx(handle: BinaryIO, settings: FileSettings, label: str, where: str) -> Table:
    """openpyxl in read-only, values-only mode: formulas come as their cached values, and the
    sheet is streamed rather than loaded (the book stays open until the table is closed)."""
    handle.seek(0)
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, InvalidFileException, zlib.error, XML errors, ...
        raise UnreadableFile(f"{where} is not a readable XLSX file: "
                             f"{type(exc).__name__}: {exc}") from exc
    try:
        if settings.sheet is not None and settings.sheet not in book.sheetnames:
            raise FileMappingError(f"{label}: key 'file.sheet': no sheet {settings.sheet!r} "
                                   f"(sheets: {', '.join(book.sheetnames)})")
        if not book.worksheets:
            raise UnreadableFile(f"{where} holds no worksheet")
        sheet = book[settings.sheet] if settings.sheet else book.worksheets[0]
        header, rows = _header_and_rows(_sheet_lines(sheet, where), settings.header_row)
        rows, empty = _peeked(rows)
    except BaseException:
        book.close()
        raise
    return Table(rows, header, "binary", empty, close=book.close)


def read_json(handle: BinaryIO, facts: FileFacts, settings: FileSettings, label: str,
              where: str) -> Table:
    """The records of a JSON document. The document is parsed whole (the standard library
    has no streaming parser); its text is dropped as soon as it is parsed."""
    handle.seek(0)
    encoding, errors = choose_encoding(facts.head, facts.utf8, settings.encoding)
    text = handle.read().decode(encoding, errors)
    try:
        document = json.loads(text.lstrip("\ufeff") if settings.encoding is not None else text)
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise UnreadableFile(f"{where} is not valid JSON: {reason}") from exc
    del text
    if settings.records is None:
        if not isinstance(document, list):
            raise FileMappingError(f"{label}: key 'file.records': the top level is not a list "
                                   f"of records")
        records: list = document
    else:
        records = []
        for path in settings.records:
            found = list(select_records(document, path))
            if not found:
                raise FileMappingError(f"{label}: key 'file.records': {path!r} matches no list "
                                       f"of records in {where.rpartition(': ')[2]}")
            records += found
    return Table(list(enumerate(records, start=1)), None, encoding, empty=not records,
                 as_of=file_as_of(document, settings, label))


def file_as_of(document: object, settings: FileSettings, label: str) -> str | None:
    """The file's own as-of date (`file.as_of`, a path from the document's top) as given; a
    path the document lacks is a mapping error, like a missing column."""
    if settings.as_of is None:
        return None
    value = at(document, settings.as_of)
    if value is MISSING:
        raise FileMappingError(f"{label}: key 'file.as_of': no {settings.as_of!r} at the top "
                               "of the file")
    return first_text(value)


def read_table(source: Source, handle: BinaryIO, facts: FileFacts, label: str, filename: str
          ) -> Table:
    settings = source.file
    assert settings is not None
    where = f"{label}: {filename}"
    if settings.format == "xlsx":
        return read_xlsx(handle, settings, label, where)
    if settings.format == "json":
        return read_json(handle, facts, settings, label, where)
    return read_csv(handle, facts, settings, where)

