"""Read every file of a public folder as text, whatever its format, for leak tests.

Compressed and binary formats are decoded (Parquet rows, every DuckDB table, gzip), so a
value cannot hide from a search by being compressed; their values are joined as they are, not
as `repr` would escape them, so an invisible character is found as itself in every format.
A file type this module cannot read fails the test: a new release format must be taught here
before it can pass a leak test.
"""

import gzip
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

TEXT_SUFFIXES = {".csv", ".json", ".jsonld", ".md", ".html", ".txt", ""}


def _rows_text(rows: list[tuple]) -> str:
    """One line per row, its values tab-separated, strings as they are."""
    return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in rows)


def file_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _rows_text([tuple(r.values()) for r in pq.read_table(path).to_pylist()])
    if suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute("SELECT database_name, schema_name, table_name "
                                 "FROM duckdb_tables()").fetchall()
            return "\n".join(_rows_text(con.execute(f'SELECT * FROM "{d}"."{s}"."{t}"')
                                        .fetchall()) for d, s, t in tables)
    if suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    if suffix in TEXT_SUFFIXES:
        return path.read_text("utf-8-sig")
    raise AssertionError(f"leak scan cannot read {path.name}: teach tests/release_scan.py")


def folder_texts(folder: Path) -> dict[str, str]:
    """Relative path -> text, for every file under `folder` (`latest` is a symlink into
    `releases/`, which is scanned itself)."""
    return {p.relative_to(folder).as_posix(): file_text(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def find(folder: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in any file under `folder`."""
    return [(name, needle) for name, text in folder_texts(folder).items()
            for needle in needles if needle in text]
