"""Bad files for the importer (scrapers/importers/files/): arbitrary bytes and mutated versions
of the three samples in snapshots/files/ (rows deleted, doubled, swapped, cells of any type, headers
lost, truncated, re-encoded, broken zip members, JSON nodes replaced), through collect_source.

A file that cannot be read is a SourceError naming the source and the file; a row that cannot
be read is quarantined; nothing else escapes as an exception.
"""

import io
import json
import math
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from flows.collect import RunContext, acquire, collect_source
from schema.registry import Source, load_registry
from tests.conftest import ROOT

REGISTRY = load_registry(ROOT / "sources.toml")
CSV_SOURCE = REGISTRY.get("datei-kontaktstellen-csv")
XLSX_SOURCE = REGISTRY.get("datei-gruppen-xlsx")
JSON_SOURCE = REGISTRY.get("datei-einrichtungen-json")
FILE_SOURCES = [CSV_SOURCE, XLSX_SOURCE, JSON_SOURCE]
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "ascii"]
#: What spreadsheet cells and CSV fields hold when people type into them.
CELL_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", '"', '""', ";", ",", "\t", "|", "\n", "\r\n", "=1+1", "\x00",
                     "KS-101", "LV-01", "12345", "Mo 9-12", "Mo-Fr 25-99 Uhr", "@", "www.",
                     "a@b.de", "+49", "0000000000", "Mo, Di, Mi", "\ufeff", "NaN"]),
)
CELL_VALUE = st.one_of(
    st.none(), CELL_TEXT, st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.datetimes(), st.dates(), st.times(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9999)),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              CELL_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELL_TEXT, inner, max_size=3),
    max_leaves=8)


def assert_clean_outcome(source: Source, content: bytes) -> None:
    """Import `content` as the source's file: classified failure naming source (and, for an
    unreadable file, the file), or records and quarantine rows; never "exception"."""
    name = Path(source.path).name
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(content)
        source = source.model_copy(update={"path": name})
        ctx = RunContext(run_id="fuzz", data_dir=Path(tmp) / "data", base_dir=Path(tmp))
        run = collect_source(source, ctx)
        if run.failure_class == "exception":
            acquire(source, ctx)  # raise it again here, with its traceback
            pytest.fail(run.reason)
    if run.status == "failed":
        assert source.id in run.reason, run.reason
        if run.failure_class == "parse_error":
            assert name in run.reason, run.reason
    for row in run.quarantine:
        assert row.source_id == source.id and row.url.startswith(f"file:{name}")


# ----------------------------------------------------------------------------------- CSV

@st.composite
def mutated_csv(draw) -> bytes:
    lines = CSV_SOURCE_TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        n = len(lines)
        i, j = sorted((draw(st.integers(0, n)), draw(st.integers(0, n))))
        op = draw(st.sampled_from(["delete", "double", "swap", "cell", "truncate", "header",
                                   "delimiter", "newlines"]))
        if op == "delete":
            lines = lines[:i] + lines[j:]
        elif op == "double":
            lines = lines[:j] + lines[i:]
        elif op == "swap" and lines:
            lines[i % n], lines[j % n] = lines[j % n], lines[i % n]
        elif op in ("cell", "header") and lines:
            k = 0 if op == "header" else i % n
            cells = lines[k].split(";")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELL_TEXT)
            lines[k] = ";".join(cells)
        elif op == "truncate":
            text = "".join(lines)
            lines = [text[:draw(st.integers(0, len(text)))]]
        elif op == "delimiter":
            new = draw(st.sampled_from([",", "\t", "|", " ", ""]))
            lines = [line.replace(";", new) for line in lines]
        elif op == "newlines":
            new = draw(st.sampled_from(["\r", "\n", "\r\r\n", "\n\r", ""]))
            lines = [line.replace("\r\n", new) for line in lines]
    return "".join(lines).encode(draw(st.sampled_from(ENCODINGS)), "replace")


CSV_SOURCE_TEXT = (ROOT / CSV_SOURCE.path).read_bytes().decode("cp1252")


@FUZZ
@given(content=mutated_csv())
def test_mutated_csv(content):
    assert_clean_outcome(CSV_SOURCE, content)


# ---------------------------------------------------------------------------------- XLSX

XLSX_BYTES = (ROOT / XLSX_SOURCE.path).read_bytes()


def _xlsx_value(value: object) -> object:
    """A value openpyxl can write (it refuses NaN/inf and control characters)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)
    return value


@st.composite
def mutated_xlsx(draw) -> bytes:
    book = load_workbook(io.BytesIO(XLSX_BYTES))
    sheet = book["Gruppen"]
    for _ in range(draw(st.integers(1, 4))):
        rows, cols = sheet.max_row, sheet.max_column
        op = draw(st.sampled_from(["cell", "cell", "delete_row", "insert_row", "delete_col",
                                   "rename", "drop_sheet", "merge"]))
        if op == "cell":
            cell = sheet.cell(draw(st.integers(1, rows + 2)), draw(st.integers(1, cols + 2)))
            if not isinstance(cell, MergedCell):  # a merged area's inner cells are read-only
                cell.value = _xlsx_value(draw(CELL_VALUE))
        elif op == "delete_row":
            sheet.delete_rows(draw(st.integers(1, rows)), draw(st.integers(1, 3)))
        elif op == "insert_row":
            sheet.insert_rows(draw(st.integers(1, rows)))
        elif op == "delete_col":
            sheet.delete_cols(draw(st.integers(1, cols)))
        elif op == "rename":
            sheet.title = draw(st.sampled_from(["Tabelle1", "gruppen", "Gruppen "]))
        elif op == "drop_sheet" and len(book.sheetnames) > 1:
            del book[book.sheetnames[0]]
        elif op == "merge":
            row, col = draw(st.integers(1, rows)), draw(st.integers(1, cols))
            sheet.merge_cells(start_row=row, start_column=col, end_row=row + 1,
                              end_column=col + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def damaged_zip(draw) -> bytes:
    """The sample's bytes with a cut or a few bytes overwritten (CRC and deflate errors)."""
    body = bytearray(XLSX_BYTES)
    if draw(st.booleans()):
        return bytes(body[:draw(st.integers(0, len(body)))])
    for _ in range(draw(st.integers(1, 8))):
        body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
    return bytes(body)


@FUZZ
@given(content=mutated_xlsx())
def test_mutated_xlsx(content):
    assert_clean_outcome(XLSX_SOURCE, content)


@settings(FUZZ, max_examples=30)
@given(content=damaged_zip())
def test_damaged_xlsx(content):
    assert_clean_outcome(XLSX_SOURCE, content)


# ---------------------------------------------------------------------------------- JSON

JSON_DOCUMENT = json.loads((ROOT / JSON_SOURCE.path).read_text("utf-8"))


def _nodes(obj: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _nodes(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found += _nodes(value, (*path, i))
    return found


@st.composite
def mutated_json(draw) -> bytes:
    document = json.loads(json.dumps(JSON_DOCUMENT))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_nodes(document)))
        op = draw(st.sampled_from(["replace", "replace", "delete", "double", "wrap"]))
        if not path:
            document = draw(JSON_VALUE) if op == "replace" else [document]
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if op == "replace":
            parent[last] = draw(JSON_VALUE)
        elif op == "delete":
            del parent[last]
        elif op == "double" and isinstance(parent, list):
            parent.append(parent[last])
        else:
            parent[last] = [parent[last]]
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")


@FUZZ
@given(content=mutated_json())
def test_mutated_json(content):
    assert_clean_outcome(JSON_SOURCE, content)


# ------------------------------------------------------------------------- any bytes

@pytest.mark.parametrize("source", FILE_SOURCES, ids=lambda s: s.id)
@settings(FUZZ, max_examples=30)
@given(content=st.binary(max_size=4000))
def test_arbitrary_bytes(source, content):
    assert_clean_outcome(source, content)


UNREADABLE = {"xlsx": b"PK\x03\x04 no zip after all", "json": b'{"data": '}


@pytest.mark.parametrize("source", [XLSX_SOURCE, JSON_SOURCE], ids=lambda s: s.id)
def test_unreadable_file_is_a_parse_error_naming_source_and_file(source, tmp_path):
    name = Path(source.path).name
    (tmp_path / name).write_bytes(UNREADABLE[source.file.format])
    run = collect_source(source.model_copy(update={"path": name}),
                         RunContext(run_id="t", data_dir=tmp_path, base_dir=tmp_path))
    assert run.status == "failed" and run.failure_class == "parse_error"
    assert run.reason.startswith(f"source {source.id!r}: {name} is not ")


# ----------------------------------------------------------- crashes the fuzzing found

def _collect(source: Source, content: bytes, tmp_path: Path):
    name = Path(source.path).name
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(content)
    return collect_source(source.model_copy(update={"path": name}),
                          RunContext(run_id="t", data_dir=tmp_path, base_dir=tmp_path))


def test_damaged_deflate_stream_in_a_sheet_is_a_parse_error(tmp_path):
    """openpyxl inflates a sheet lazily, while its rows are read: zlib.error escaped."""
    book = zipfile.ZipFile(io.BytesIO(XLSX_BYTES))
    sheet = next(i for i in book.infolist() if i.filename == "xl/worksheets/sheet2.xml")
    start = sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra) + 5
    damaged = bytearray(XLSX_BYTES)
    damaged[start:start + 8] = bytes(b ^ 0xFF for b in damaged[start:start + 8])
    run = _collect(XLSX_SOURCE, bytes(damaged), tmp_path)
    assert run.failure_class == "parse_error"
    assert run.reason.startswith("source 'datei-gruppen-xlsx': gruppen-beispiel.xlsx is not a "
                                 "readable XLSX file: error: Error -3 while decompressing")


def test_deeply_nested_json_value_is_read_not_a_stack_overflow(tmp_path):
    """A value nested 900 levels deep parses as JSON; flattening it recursed past the stack."""
    document = json.loads(json.dumps(JSON_DOCUMENT))
    first = document["data"]["einrichtungen"][0]
    first["themen"] = "TIEF"
    text = json.dumps(document).replace('"TIEF"', "[" * 900 + '"Schlafapnoe"' + "]" * 900)
    run = _collect(JSON_SOURCE, text.encode(), tmp_path)
    assert run.status == "ok", run.reason
    listing = next(item for item in run.listings if item.source_key == first["kennung"])
    assert [t.label for t in listing.topics] == ["Schlafapnoe"]


def test_json_nested_beyond_the_parser_is_a_parse_error(tmp_path):
    run = _collect(JSON_SOURCE, b"[" * 100_000, tmp_path)
    assert run.failure_class == "parse_error"
    assert run.reason == ("source 'datei-einrichtungen-json': einrichtungen-beispiel.json is "
                          "not valid JSON: nested too deeply")


def test_csv_with_mac_line_endings_reads_like_the_original(tmp_path):
    """Rows ending in a lone CR (Excel for Mac's "CSV (Macintosh)") failed as "new-line
    character seen in unquoted field": the whole file was lost."""
    original = (ROOT / CSV_SOURCE.path).read_bytes()
    mac = _collect(CSV_SOURCE, original.replace(b"\r\n", b"\r"), tmp_path / "mac")
    assert mac.status == "ok", mac.reason
    plain = _collect(CSV_SOURCE, original, tmp_path / "plain")
    assert [item.model_dump(exclude={"provenance"}) for item in mac.listings] == \
        [item.model_dump(exclude={"provenance"}) for item in plain.listings]
