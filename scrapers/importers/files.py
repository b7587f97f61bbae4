"""Import a directory file that a contact centre sends (CSV, XLSX or JSON), driven only by the
`[source.file]` mapping in sources.toml, so adding a file is an edit of the registry, not code.

Files from spreadsheets are messy in known ways, and this module reads them as they are:
semicolons, a BOM or Windows-1252, a title row above the headers, the same id on a centre's
branches, values in the wrong column, contact data copied between rows, opening hours given twice
(as text and per day: both are kept raw; the normaliser decides and flags a disagreement).
Values stay raw and where the file put them; what looks wrong is written to `notes`, because
moving a value would hide the mistake from the people who can fix the file.
"""

import codecs
import collections
import csv
import hashlib
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from openpyxl import load_workbook
from pydantic import ValidationError

from schema.records import HoursDay, ScrapedRecord
from schema.registry import (
    LIST_FIELDS,
    PRESENCE_KEYS,
    WEEKDAYS,
    FileHours,
    FileSettings,
    Source,
)
from scrapers.bases.base import ParseFailure, ScrapeResult
from scrapers.bases.page import PageInfo
from scrapers.errors import EmptyScrape, FieldError, SiteChanged, SourceError

_MISSING = object()  # a column or path the row does not have (unlike an empty cell)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_DELIMITERS = ";,\t|"
_ADDRESS_PARTS = ("street", "postcode", "city")


class FileMappingError(SiteChanged):
    """The mapping names a column, path or sheet the file does not have: either the registry
    is wrong or the centre changed its file; both need a person, like a changed site, but the
    person to look is whoever wrote the mapping, so the class says so."""

    failure_class = "config_error"


class UnreadableFile(SiteChanged):
    """The file is not what its format says (no zip, broken XML or JSON, damaged deflate data):
    a parse error of the whole file, named with its source and file name. A SiteChanged, so
    callers that stop on a changed source stop on this too."""

    failure_class = "parse_error"


# -- reading -------------------------------------------------------------------------------

#: Bytes read at a time while hashing and checking a file: large files are never held whole.
_CHUNK = 1 << 20


@dataclass
class Table:
    """A file as rows of cells: `columns` are the headers (None for JSON, whose records are
    objects reached by dotted paths); each row is (row number, cells). CSV and XLSX rows are
    streamed, so a large file is never held whole; JSON rows are a list (the document is
    parsed whole). `close` releases what the rows are read from."""

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
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, "strict"
    return ("utf-8", "strict") if utf8 else ("cp1252", "replace")


def decode(content: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a whole file, by `choose_encoding`."""
    try:
        content.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    codec, errors = choose_encoding(content[:4], utf8, declared)
    text = content.decode(codec, errors=errors)
    return (text.lstrip("\ufeff") if declared is not None else text), codec


def text_lines(handle: BinaryIO, codec: str, errors: str, declared: bool) -> Generator[str]:
    """The file's text line by line, as `decode` would give it whole, read through a
    duplicate of the handle's descriptor (the same file, even if replaced meanwhile).
    newline="": rows end at \r\n, \n or a lone \r (Excel for Mac's "CSV (Macintosh)"), and
    line breaks inside quoted cells stay as written."""
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


def _head_text(lines: Generator[str]) -> str:
    """Enough of the text for `sniff_delimiter`: its first 20 lines (it reads no more)."""
    try:
        return "".join(itertools.islice(lines, 21))
    finally:
        lines.close()


def _header_and_rows(lines: Iterator[list], first: int, header_row: int
                     ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Skip title lines, take the header, number the remaining non-blank rows as a spreadsheet
    (and RFC 7111) does: the header is row `header_row`, data starts one below. The rows are
    read as they are asked for."""
    numbered = enumerate(lines, start=first)
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
    first = next(rows, _MISSING)
    return (iter(()), True) if first is _MISSING else (itertools.chain([first], rows), False)


def read_csv(handle: BinaryIO, facts: FileFacts, settings: FileSettings, where: str) -> Table:
    """Rows of a CSV file, streamed. The whole file is parsed once before (nothing kept), so
    a file that breaks the CSV reader anywhere fails here, before any record is made."""
    codec, errors = choose_encoding(facts.head, facts.utf8, settings.encoding)
    declared = settings.encoding is not None

    def lines() -> Generator[str]:
        return text_lines(handle, codec, errors, declared)

    delimiter = settings.delimiter or sniff_delimiter(_head_text(lines()))
    try:
        header, rows = _header_and_rows(csv.reader(lines(), delimiter=delimiter), 1,
                                        settings.header_row)
        any_row = next(rows, None) is not None
        collections.deque(rows, maxlen=0)  # the rest: only for the CSV reader's errors
        header, rows = _header_and_rows(csv.reader(lines(), delimiter=delimiter), 1,
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
    """The sheet's rows as cell texts, streamed. openpyxl reads a damaged member lazily and
    fails with whatever its zip, deflate or XML layer raises (zlib.error, KeyError,
    ParseError, ...): any of those is an unreadable file, not a crash of the run."""
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise UnreadableFile(f"{where} is not a readable XLSX file: "
                                 f"{type(exc).__name__}: {exc}") from exc
        yield [_cell_text(v) for v in row]


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
        header, rows = _header_and_rows(_sheet_lines(sheet, where), 1, settings.header_row)
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
    text, encoding = decode(handle.read(), settings.encoding)
    try:
        document = json.loads(text)
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


class Nested(dict):
    """A JSON record found below other objects (`select_records`): `up` holds the objects that
    enclose it, nearest first, and `keys` the keys its path's wildcards matched, nearest first,
    so a column can name "^region" (a field of the enclosing object) or "^*" (the key)."""

    __slots__ = ("keys", "up")

    def __init__(self, record: dict, up: tuple[dict, ...], keys: tuple[str, ...]) -> None:
        super().__init__(record)
        self.up, self.keys = up, keys


def select_records(document: object, path: str) -> Iterator[object]:
    """The records a `records` path names: each list it reaches gives its items, in order. A
    part `*` stands for every key of an object or item of a list ("regionen.*.stellen",
    "*"); dict records come back as `Nested`, knowing what encloses them."""
    def walk(node: object, parts: list[str], up: tuple[dict, ...], keys: tuple[str, ...]
             ) -> Iterator[object]:
        if not parts:
            if isinstance(node, list):
                yield from (Nested(item, up, keys) if isinstance(item, dict) else item
                            for item in node)
            return
        head, rest = parts[0], parts[1:]
        inner = (node, *up) if isinstance(node, dict) else up
        if head == "*":
            children = (node.items() if isinstance(node, dict) else
                        enumerate(node) if isinstance(node, list) else ())
            for key, child in children:
                yield from walk(child, rest, inner, (str(key), *keys))
        elif (child := _at(node, head)) is not _MISSING:
            yield from walk(child, rest, inner, keys)

    if "*" not in path.split(".") and isinstance(document, dict) and path in document:
        return walk(document[path], [], (document,), ())  # a key holding dots, found whole
    return walk(document, path.split("."), (), ())


def _at(obj: object, path: str) -> object:
    """The value at a dotted path ("kontakt.telefon", "standorte.0.ort"), or _MISSING. A key
    that itself contains dots is found whole first. "^name" is the field `name` of the object
    enclosing a `Nested` record ("^^name" two levels up), "^*" the key its nearest wildcard
    matched."""
    if path.startswith("^"):
        depth = len(path) - len(path.lstrip("^"))
        rest = path[depth:]
        if not isinstance(obj, Nested):
            return _MISSING
        if rest == "*":
            return obj.keys[depth - 1] if depth <= len(obj.keys) else _MISSING
        return _at(obj.up[depth - 1], rest) if depth <= len(obj.up) else _MISSING
    if isinstance(obj, dict) and path in obj:
        return obj[path]
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return _MISSING
    return obj


def _cell_text(value: object) -> str:
    """Spreadsheet and JSON scalars as the text a person sees: 12345.0 is "12345", a time
    cell is "09:00", true is "true"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _strings(value: object) -> list[str]:
    """Every non-empty string in a cell or JSON value (lists and objects flattened, in order).
    A loop, not recursion: JSON nested a few hundred levels deep parses fine and must not
    overflow the stack here."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if item is _MISSING or item is None:
            continue
        if isinstance(item, list | dict):
            stack.extend(reversed(item if isinstance(item, list) else list(item.values())))
        elif text := _cell_text(item):
            found.append(text)
    return found


# -- places: a row, or one branch of it ----------------------------------------------------

@dataclass(frozen=True)
class Place:
    """What one record is read from: a row, or a branch of it. `cell` returns the raw value of
    a column or path, falling back to the row for what a branch leaves out or empty, so a branch
    that gives only its own address still carries the centre's name and topics; `own` is the
    branch alone (None for a row)."""

    row: int
    cell: Callable[[str], object]
    own: Callable[[str], object] | None = None
    branch_id: str | None = None


def _row_cell(cells: dict, is_json: bool) -> Callable[[str], object]:
    if is_json:
        return lambda col: _at(cells, col)
    return lambda col: cells.get(col, _MISSING)


def _fallback(own: Callable[[str], object], parent: Callable[[str], object]):
    def cell(col: str) -> object:
        value = own(col)
        return parent(col) if value is _MISSING or not _strings(value) else value
    return cell


def _branch_cells(cells: dict, settings: FileSettings) -> list[Callable[[str], object]]:
    """Each branch of a row as its own cells: the suffixed columns ("Straße_2") with the
    suffix cut off, when any of them holds a value; or each object of the JSON list."""
    branches = settings.branches
    found: list[Callable[[str], object]] = []
    if branches is None:
        return found
    mapped = [c for cols in settings.columns.mapped().values() for c in cols]
    for suffix in branches.suffixes:
        if any(_strings(cells.get(c + suffix, _MISSING)) for c in mapped):
            found.append(_row_cell({k[: -len(suffix)]: v for k, v in cells.items()
                                    if k.endswith(suffix)}, is_json=False))
    items = _at(cells, branches.path) if branches.path else []
    found += [_row_cell(item, is_json=True) for item in items if isinstance(item, dict)] \
        if isinstance(items, list) else []
    return found


def places(number: int, cells: dict, settings: FileSettings) -> list[Place]:
    """The row itself, then its branches (see `FileBranches`)."""
    row_cell = _row_cell(cells, settings.format == "json")
    branch_key = settings.branches.key if settings.branches else None

    def own_id(cell: Callable[[str], object]) -> str | None:
        return _first(cell(branch_key)) if branch_key else None

    in_list = bool(settings.branches and settings.branches.path)
    first = Place(number, row_cell, branch_id=None if in_list else own_id(row_cell))
    return [first] + [Place(number, _fallback(own, row_cell), own, own_id(own))
                      for own in _branch_cells(cells, settings)]


def _first(value: object) -> str | None:
    found = _strings(value)
    return found[0] if found else None


# -- fields and the hazards noticed in them ------------------------------------------------

_EMAIL = re.compile(r"[^\s@]+(?:@|\s*[(\[]at[)\]]\s*)[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_ONLY_POSTCODE = re.compile(r"^(?:D-?\s?)?\d{5}$")

#: field -> (test, what the field then holds). Checked per value; the value is not repeated
#: in the note, since a contact value may be a private person's.
MISPLACED: dict[str, tuple[Callable[[str], bool], str]] = {
    "web_text": (lambda v: bool(_EMAIL.search(v)) and not _URL.match(v), "an e-mail address"),
    "emails_text": (lambda v: bool(_URL.match(v)) and "@" not in v, "a web address"),
    "phones_text": (lambda v: bool(_EMAIL.search(v)), "an e-mail address"),
    "city": (lambda v: bool(_POSTCODE.search(v)), "a postcode"),
    "postcode": (lambda v: not _ONLY_POSTCODE.match(v), "no five-digit postcode"),
}


def collect(place: Place, settings: FileSettings) -> dict[str, list[tuple[str, str]]]:
    """field -> [(column, raw value)], list fields split by their separator."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, cols in settings.columns.mapped().items():
        sep = settings.split.get(name)
        found[name] = [(col, part.strip()) for col in cols for value in _strings(place.cell(col))
                       for part in (value.split(sep) if sep else [value]) if part.strip()]
    return found


def misplaced_notes(found: dict[str, list[tuple[str, str]]]) -> list[str]:
    notes = []
    for name, (test, what) in MISPLACED.items():
        for col, value in found.get(name, []):
            if test(value):
                notes.append(f"{name} holds {what} (column {col!r}); kept where it was")
    return notes


def record_fields(found: dict[str, list[tuple[str, str]]], join: dict[str, str] | None = None
                  ) -> dict[str, object]:
    """Raw strings per ScrapedRecord field. Text fields from several columns are joined with
    the field's separator of `join` (the registry's `file.join`), else a space; street,
    postcode and city become "street, postcode city" (the shape the address normaliser
    reads), whatever each column actually holds."""
    values = {name: [v for _, v in pairs] for name, pairs in found.items()}
    fields: dict[str, object] = {}
    for name, vals in values.items():
        if name in LIST_FIELDS:
            fields[name] = vals
        elif name not in _ADDRESS_PARTS:
            fields[name] = (join or {}).get(name, " ").join(vals) or None
    if any(values.get(p) for p in _ADDRESS_PARTS):
        town = " ".join(values.get("postcode", []) + values.get("city", []))
        fields["address_text"] = ", ".join(filter(None, [" ".join(values.get("street", [])),
                                                         town]))
    return fields


# -- coordinates, map links, social links, as-of date --------------------------------------

#: Keys whose values belong to one place: a branch has its own or none, never its centre's.
_OWN_PLACE = ("lat", "lon", "coordinates", "map_url")


def presence_fields(found: dict[str, list[tuple[str, str]]], place: Place,
                    settings: FileSettings) -> dict[str, object]:
    """The ScrapedRecord fields of the place and presence keys (`PRESENCE_KEYS`), taken out
    of `found`: "lat;lon" from two cells, one "lat,lon" cell or a [lat, lon] list; the first
    map link; the social links; the record's as-of date. Values stay raw: the normaliser
    reads them (`schema.normalise.places`)."""
    values = {name: [v for _, v in found.pop(name, [])] for name in PRESENCE_KEYS}
    if place.own is not None:  # a branch: its own point, not its centre's
        for name in _OWN_PLACE:
            values[name] = [v for col in getattr(settings.columns, name) or []
                            for v in _strings(place.own(col))]
    lat, lon, pair = values["lat"], values["lon"], values["coordinates"]
    fields: dict[str, object] = {}
    if pair or (lat and lon):
        fields["coordinates_text"] = ";".join(pair) if pair else f"{lat[0]};{lon[0]}"
    if values["map_url"]:
        fields["map_url"] = values["map_url"][0]
    if values["social_links"]:
        fields["social_text"] = values["social_links"]
    if values["as_of"]:
        fields["as_of_text"] = values["as_of"][0]
    return fields


def file_as_of(document: object, settings: FileSettings, label: str) -> str | None:
    """The file's own as-of date (`file.as_of`, a path from the document's top) as given; a
    path the document lacks is a mapping error, like a missing column."""
    if settings.as_of is None:
        return None
    value = _at(document, settings.as_of)
    if value is _MISSING:
        raise FileMappingError(f"{label}: key 'file.as_of': no {settings.as_of!r} at the top "
                               "of the file")
    return _first(value)


# -- opening hours per weekday -------------------------------------------------------------

_KEY_DAY = {"mo": "mo", "di": "di", "tu": "di", "mi": "mi", "we": "mi", "do": "do", "th": "do",
            "fr": "fr", "sa": "sa", "so": "so", "su": "so"}


def _own_hours(place: Place, settings: FileSettings) -> Callable[[str], object]:
    """Where a place's per-day hours are read: a branch with its own hours text only from
    itself (its centre's hours are not its own), else with the row as fallback."""
    if place.own is not None and any(_strings(place.own(c))
                                     for c in settings.columns.hours_text or []):
        return place.own
    return place.cell


def hours_by_day(place: Place, settings: FileSettings) -> dict[str, str]:
    """weekday -> the raw text given for it (empty days left out)."""
    spec = settings.hours_by_day
    cell = _own_hours(place, settings)
    if isinstance(spec, str):
        obj = cell(spec)
        pairs = obj.items() if isinstance(obj, dict) else []
        raw = {_KEY_DAY.get(str(k).strip().lower()[:2]): v for k, v in pairs}
    else:
        raw = {day: cell(col) for day, col in (spec or {}).items()}
    by_day = {d: ", ".join(_strings(v)) for d, v in raw.items() if d}
    return {d: by_day[d] for d in WEEKDAYS if by_day.get(d)}


# -- structured hours ----------------------------------------------------------------------

def day_entries(value: object, spec: FileHours, key: str) -> tuple[list[HoursDay], list[str]]:
    """The per-day entries of a `file.hours` value (see `FileHours`), raw, and notes: a cell
    that is not JSON, or entries of no known shape, are noted and left out (the hours text
    is the fallback), never a reason to lose the record."""
    if value is _MISSING or value is None or (isinstance(value, str) and not value.strip()):
        return [], []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return [], [f"file.hours.{key}: no list or object of days (nor JSON text of one); "
                        f"not read"]
    found: list[HoursDay] = []

    def add(day: str, item: object) -> None:
        if isinstance(item, dict):
            opens, closes, note = (_first(_at(item, spec.name(f)))
                                   for f in ("from", "to", "note"))
            if opens or closes or note:
                found.append(HoursDay(day=day, opens=opens, closes=closes, note=note))
        elif not isinstance(item, list) and (text := _cell_text(item)):
            found.append(HoursDay(day=day, note=text))

    if isinstance(value, dict):
        for day, items in value.items():
            for item in items if isinstance(items, list) else [items]:
                add(str(day), item)
    elif isinstance(value, list):
        for item in value:
            day = _first(_at(item, spec.name("day"))) if isinstance(item, dict) else None
            if day:
                add(day, item)
    unread = not found and bool(_strings(value))
    return found, ([f"file.hours.{key}: no entry with a day found; not read"] if unread else [])


def structured(place: Place, settings: FileSettings) -> tuple[dict[str, list], list[str]]:
    """Record fields `hours_days` (from `file.hours.days` and `hours_by_day`) and
    `phone_hours_days` of a place, and notes. The normaliser decides between them and the
    hours text."""
    spec, notes = settings.hours, []
    fields: dict[str, list] = {"hours_days": [HoursDay(day=d, note=v) for d, v in
                                              hours_by_day(place, settings).items()]}
    if spec is None:
        return fields, notes
    cell = _own_hours(place, settings)
    for key, name in (("days", "hours_days"), ("phone_days", "phone_hours_days")):
        if path := getattr(spec, key):
            found, more = day_entries(cell(path), spec, key)
            fields[name] = fields.get(name, []) + found
            notes += more
    return fields, notes


# -- what an import remembers across rows -------------------------------------------------

class FileState:
    """Values by kind and key that an import remembers from row to row (source keys taken,
    contact data seen), in a private temporary SQLite database: for a million rows, Python
    dicts of them held over 500 MB; SQLite keeps 2 MB of its pages in memory, the rest on
    disk, and is deleted when closed."""

    BASE, USED, CONTACT = 0, 1, 2

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary on-disk database of its own
        self._db.execute("PRAGMA journal_mode = OFF")  # nothing to roll back or recover
        self._db.execute("CREATE TABLE seen (kind INTEGER, key TEXT, a INTEGER, b INTEGER, "
                         "c TEXT, PRIMARY KEY (kind, key)) WITHOUT ROWID")

    def get(self, kind: int, key: str) -> tuple[int, int | None, str | None] | None:
        return self._db.execute("SELECT a, b, c FROM seen WHERE kind = ? AND key = ?",
                                (kind, key)).fetchone()

    def put(self, kind: int, key: str, a: int, b: int | None = None, c: str | None = None
            ) -> None:
        self._db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                         (kind, key, a, b, c))

    def close(self) -> None:
        self._db.close()


# -- keys ----------------------------------------------------------------------------------

class Keys:
    """Source keys that stay distinct and stable: a centre's first place keeps the file's key,
    further places get "-<branch id>" when the file names them, the ordinal of a branch
    within its row (suffixed columns, a JSON list), or for a row repeating the key "-<digest>"
    of the place's name and address, so that reordering the rows moves no listing to another
    key."""

    def __init__(self, state: FileState) -> None:
        self.state = state

    def assign(self, base: str, place: Place, fields: dict[str, object]
               ) -> tuple[str, str | None, list[str]]:
        """(key, parent key, notes)."""
        known = self.state.get(FileState.BASE, base)  # (places so far, first row)
        n, first_row = (1, place.row) if known is None else (known[0] + 1, known[1])
        self.state.put(FileState.BASE, base, n, first_row)
        if n == 1:
            return base, None, []
        if place.branch_id or place.own is not None:
            return f"{base}-{place.branch_id or n}", base, []
        key = f"{base}-{place_digest(fields)}"
        return key, base, [f"source key {base!r} repeated from row {first_row}; read as {key!r}"]

    def take(self, key: str, row: int) -> int | None:
        """Give `key` to `row`; when another row has it already, that row (and nothing
        changes)."""
        known = self.state.get(FileState.USED, key)
        if known is not None:
            return known[0]
        self.state.put(FileState.USED, key, row)
        return None


def place_digest(fields: dict[str, object]) -> str:
    """Eight hex digits naming a place by what it says of itself (name and address, case and
    spacing ignored): the same in any row order."""
    parts = [fields.get(name) for name in ("name", "address_text", "district")]
    text = "|".join(" ".join(str(p).casefold().split()) for p in parts if p)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def base_key(place: Place, settings: FileSettings) -> str | None:
    parts = [_first(place.cell(col)) for col in settings.key]
    return "-".join(p for p in parts if p) if all(parts) else None


# -- contact data copied between rows ------------------------------------------------------

def _contacts(fields: dict[str, object]) -> set[str]:
    found = set()
    for value in fields.get("phones_text") or []:
        digits = re.sub(r"\D", "", re.sub(r"^\s*\+49", "0", str(value)))
        if len(digits) >= 6:
            found.add(f"phone:{digits}")
    for name in ("emails_text", "web_text"):
        for value in fields.get(name) or []:
            if "@" in str(value):
                found.add(f"e-mail:{str(value).strip().lower().removeprefix('mailto:')}")
    return found


class CopiedContacts:
    """A phone number or e-mail address already given by another row (of another key) is
    noted on the later row: one centre's contact data pasted into another's row looks just
    like real data otherwise. Branches of one centre may share them. Fed the drafts in file
    order, one at a time."""

    def __init__(self, state: FileState) -> None:
        self.state = state

    def note(self, draft: "Draft") -> None:
        kinds: dict[int, set[str]] = {}
        for item in sorted(_contacts(draft.fields)):
            known = self.state.get(FileState.CONTACT, item)
            if known is None:
                self.state.put(FileState.CONTACT, item, draft.row, c=draft.base)
                continue
            row, _, base = known
            if base != draft.base:
                kinds.setdefault(row, set()).add(item.split(":", 1)[0])
        for row, what in sorted(kinds.items()):
            draft.notes.append(f"contact data identical to row {row} ({', '.join(sorted(what))})")


# -- the importer --------------------------------------------------------------------------

@dataclass
class Draft:
    row: int
    base: str
    fields: dict[str, object]
    notes: list[str]


def check_mapping(table: Table, settings: FileSettings, label: str, filename: str) -> None:
    """Every column the mapping names must exist: a header for tables; for JSON, a path that
    at least one record has (optional keys are common). Branch-relative paths may be absent."""
    if settings.as_of and table.columns is not None:
        raise FileMappingError(f"{label}: key 'file.as_of': only a JSON file has a top level "
                               "to read it from; map the column as columns.as_of")
    wanted = [("file.key", c) for c in settings.key]
    wanted += [(f"file.columns.{f}", c) for f, cols in settings.columns.mapped().items()
               for c in cols]
    if isinstance(settings.hours_by_day, dict):
        wanted += [(f"file.hours_by_day.{d}", c) for d, c in settings.hours_by_day.items()]
    elif isinstance(settings.hours_by_day, str):
        wanted.append(("file.hours_by_day", settings.hours_by_day))
    if settings.hours is not None:
        wanted += [(f"file.hours.{k}", c) for k in ("days", "phone_days")
                   if (c := getattr(settings.hours, k))]
    if settings.branches and settings.branches.path:
        wanted.append(("file.branches.path", settings.branches.path))
    elif settings.branches and settings.branches.key:
        wanted.append(("file.branches.key", settings.branches.key))
    for key, col in wanted:
        if table.columns is not None and col not in table.columns:
            raise FileMappingError(f"{label}: key {key!r}: column {col!r} is not in {filename} "
                                   f"(its columns: {', '.join(c for c in table.columns if c)})")
        if table.columns is None and all(_at(r, col) is _MISSING for _, r in table.rows
                                         if isinstance(r, dict)):
            raise FileMappingError(f"{label}: key {key!r}: path {col!r} is in no record of "
                                   f"{filename}")


def _read(source: Source, handle: BinaryIO, facts: FileFacts, label: str, filename: str
          ) -> Table:
    settings = source.file
    assert settings is not None
    where = f"{label}: {filename}"
    if settings.format == "xlsx":
        return read_xlsx(handle, settings, label, where)
    if settings.format == "json":
        return read_json(handle, facts, settings, label, where)
    return read_csv(handle, facts, settings, where)


#: Records handed on at a time: a large file is normalised, validated and loaded a batch at
#: a time, so what a run holds does not grow with the file.
BATCH_RECORDS = 10_000


@dataclass(repr=False)
class FileResult(ScrapeResult):
    """A file import under way: its page at once, its records in batches as they are read
    (`record_batches`); `failures` is complete once the batches are."""

    batches: Iterator[list[ScrapedRecord]] = field(default_factory=lambda: iter(()))

    def record_batches(self) -> Iterator[list[ScrapedRecord]]:
        return self.batches


def import_file(source: Source, base_dir: Path) -> ScrapeResult:
    """All records of `source.path` at once (see `stream_file`)."""
    streamed = stream_file(source, base_dir)
    records = [record for batch in streamed.record_batches() for record in batch]
    return ScrapeResult(records=records, failures=streamed.failures, pages=streamed.pages)


def stream_file(source: Source, base_dir: Path, batch_size: int | None = None) -> FileResult:
    """Read `source.path` (relative to `base_dir`, the registry's folder) into raw records,
    `batch_size` at a time. A row without key or name is a ParseFailure naming the field; a
    file without rows is an EmptyScrape unless the source may be empty; a mapping the file
    does not fit is a FileMappingError naming the source, the registry key and the column.
    Those and an unreadable file are raised here, before any record is made."""
    settings = source.file
    if settings is None or source.path is None:
        raise SourceError(f"source {source.id!r}: not a file source with [source.file]")
    label = f"source {source.id!r}"
    path = (Path(base_dir) / source.path).resolve()
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{label}: cannot read {path}: {exc.strerror}") from exc
    try:
        try:
            mtime = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
            facts = file_facts(handle)
        except OSError as exc:
            raise SourceError(f"{label}: cannot read {path}: {exc.strerror}") from exc
        # relative to the registry, so provenance does not change with the checkout's location
        uri = "file:" + quote(Path(source.path).as_posix())
        table = _read(source, handle, facts, label, path.name)
    except BaseException:
        handle.close()
        raise
    page = PageInfo(url=uri, status=200, not_modified=False, sha256=facts.sha256,
                    nbytes=facts.nbytes, encoding=table.encoding, fetched_at=mtime,
                    warc_file=None)
    result = FileResult(pages=[page])

    def close() -> None:
        table.close()
        handle.close()
    try:
        if table.empty:
            if source.may_be_empty:
                close()
                return result
            raise EmptyScrape(f"{label}: {path.name} holds no records", url=uri)
        check_mapping(table, settings, label, path.name)
    except BaseException:
        close()
        raise
    meta = {"source_id": source.id, "fetched_at": mtime, "kind": settings.kind,
            "content_hash": facts.sha256}
    batches = _record_batches(table, settings, uri, meta, result, batch_size or BATCH_RECORDS)
    result.batches = _closing(batches, close)
    return result


def _closing(batches: Iterator[list[ScrapedRecord]], close: Callable[[], None]
             ) -> Iterator[list[ScrapedRecord]]:
    try:
        yield from batches
    finally:
        close()


def _record_batches(table: Table, settings: FileSettings, uri: str, meta: dict,
                    result: ScrapeResult, size: int) -> Iterator[list[ScrapedRecord]]:
    """Records in file order, `size` at a time. Failures go to `result`: the rows that could
    not be read in file order, then the records that failed validation (as when the whole
    file was read first)."""
    state = FileState()
    try:
        yield from _records(table, settings, uri, meta, result, size, state)
    finally:
        state.close()


def _records(table: Table, settings: FileSettings, uri: str, meta: dict,
             result: ScrapeResult, size: int, state: FileState
             ) -> Iterator[list[ScrapedRecord]]:
    copied, invalid, batch = CopiedContacts(state), [], []
    for d in _drafts(table, settings, uri, result.failures, Keys(state)):
        copied.note(d)
        try:
            # keyed, not numbered: a row inserted above must not change every later record
            url = f"{uri}#key={quote(str(d.fields.get('source_key')))}"
            fields = d.fields | ({"as_of_text": table.as_of}
                                 if table.as_of and not d.fields.get("as_of_text") else {})
            batch.append(ScrapedRecord(**meta, source_url=url, **fields, notes=d.notes))
        except ValidationError as exc:
            invalid.append(ParseFailure(url=f"{uri}#row={d.row}", reason=str(exc),
                                        raw={"fields": d.fields}))
        if len(batch) >= size:
            yield batch
            batch = []
    result.failures.extend(invalid)
    if batch:
        yield batch


def _drafts(table: Table, settings: FileSettings, uri: str, failures: list[ParseFailure],
            keys: Keys) -> Iterator[Draft]:
    """Every place of every row as fields + notes; a row without key or name, or a place whose
    key is taken, goes to failures with the row as it was."""
    for number, cells in table.rows:
        url = f"{uri}#row={number}"
        if not isinstance(cells, dict):
            failures.append(ParseFailure(url, "record is not an object", raw={"value": cells}))
            continue
        row_places = places(number, cells, settings)
        base = base_key(row_places[0], settings)  # a branch shares its row's key
        for place in row_places:
            try:
                draft = _draft(place, base, settings, keys)
            except FieldError as exc:
                failures.append(ParseFailure(url, str(exc), field=exc.field, raw=cells))
                continue
            yield draft


def _draft(place: Place, base: str | None, settings: FileSettings, keys: Keys) -> Draft:
    if base is None:
        raise FieldError("source_key", f"no value in column(s) {', '.join(settings.key)}")
    found = collect(place, settings)
    presence = presence_fields(found, place, settings)
    fields = record_fields(found, settings.join) | presence
    if not fields.get("name"):
        raise FieldError("name", f"no value in column(s) {', '.join(settings.columns.name)}")
    key, parent, notes = keys.assign(base, place, fields)
    if (taken := keys.take(key, place.row)) is not None:
        raise FieldError("source_key", f"{key!r} already used in row {taken}")
    fields["source_key"] = key
    if parent and not fields.get("parent_key"):
        fields["parent_key"] = parent
    days, days_notes = structured(place, settings)
    fields.update(days)
    return Draft(place.row, base, fields, notes + misplaced_notes(found) + days_notes)
