"""`listings-excel.csv`: semicolons, BOM, CRLF, header always, formula triggers neutralised."""

import csv

import duckdb
import pyarrow as pa

from tests.factories import listings, record, source
from warehouse.release.entities import TABLES, ReleaseTable, create_public_tables
from warehouse.release.formats import excel_csv
from warehouse.release.public import PUBLIC_COLUMNS
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

NASTY = ['=HYPERLINK("x")', "+49 2323 163636", "-5", "@SUM(1)", "\tx", "\rx"]
COLUMNS = [("name", "string", "", ""), ("city", "string", "", ""),
           ("online", "boolean", "", ""), ("contact_count", "integer", "", "")]


def write_excel_csv(table: pa.Table, folder):
    """The exporter over `table` as the public table `listings`."""
    con = duckdb.connect()
    con.register("t", table)
    return excel_csv.write(con, folder, [ReleaseTable("listings", "t", COLUMNS, "")], {})[0]


def table(names, counts=None):
    return pa.table({"name": pa.array(names, pa.string()),
                     "city": pa.array(["Herne"] * len(names), pa.string()),
                     "online": pa.array([True] * len(names), pa.bool_()),
                     "contact_count": pa.array(counts or [None] * len(names), pa.int64())})


def read(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def test_formula_triggers_are_neutralised_and_normal_text_is_not(tmp_path):
    names = [*NASTY, "Selbsthilfegruppe Angehörige; Herne", "Gruppe \"A\" - B"]
    path = write_excel_csv(table(names, counts=[-5, 3, None, 0, 1, 2, 7, 8]), tmp_path)
    assert path.name == "listings-excel.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == len(names) + 1
    rows = read(path)
    assert rows[0] == ["name", "city", "online", "contact_count"]
    assert len(rows) - 1 == len(names)
    assert [r[0] for r in rows[1:len(NASTY) + 1]] == ["'" + n for n in NASTY]
    assert rows[7][0] == "Selbsthilfegruppe Angehörige; Herne"  # quoted, unchanged
    assert rows[8][0] == 'Gruppe "A" - B'
    assert rows[1][1:] == ["Herne", "true", "-5"]  # numbers stay numbers
    assert rows[3][3] == ""


def test_zero_rows_still_have_the_header(tmp_path):
    path = write_excel_csv(table([]), tmp_path)
    assert path.read_bytes() == b"\xef\xbb\xbfname;city;online;contact_count\r\n"
    assert read(path) == [["name", "city", "online", "contact_count"]]


def test_real_public_table(tmp_path, now):
    con = connect(tmp_path / "atlas.duckdb")
    try:
        upsert_sources(con, [source("herne")])
        begin_run(con, "r1", "live", now)
        commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(
            record("a", name='=HYPERLINK("x")'), record("b"))))
        create_public_tables(con)
        path = excel_csv.write(con, tmp_path, TABLES[:1], {})[0]
    finally:
        con.close()
    rows = read(path)
    header = [c[0] for c in PUBLIC_COLUMNS]
    assert rows[0] == header
    assert len(rows) - 1 == 2
    by_name = {r[header.index("source_key")]: r for r in rows[1:]}
    assert by_name["a"][header.index("name")] == "'=HYPERLINK(\"x\")"
    assert by_name["b"][header.index("name")] == "Selbsthilfegruppe b"
    phones = by_name["b"][header.index("phones")]
    assert phones == "" or phones.startswith("'+49")  # E.164 neutralised for Excel
