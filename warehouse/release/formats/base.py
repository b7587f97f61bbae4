"""Helpers the exporters share."""

import shutil
from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.public import flat_select
from warehouse.storage import sql_literal


def copy_between(con: duckdb.DuckDBPyConnection, query: str, options: str, path: Path,
                 head: bytes, tail: bytes = b"") -> Path:
    """`COPY (query) TO path (options)`, framed by `head` and `tail`: DuckDB writes the rows
    to a temporary file next to `path`, which is then copied behind `head` as it is."""
    rows = path.with_name(f".{path.name}.rows")
    con.execute(f"COPY ({query}) TO {sql_literal(str(rows))} ({options})")
    try:
        with path.open("wb") as out, rows.open("rb") as body:
            out.write(head)
            shutil.copyfileobj(body, out, 1 << 20)
            out.write(tail)
    finally:
        rows.unlink()
    return path


def copy_flat(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
              files: str, options: str) -> list[Path]:
    """One `COPY ... TO folder/files (options)` per table, of its rows as the flat files hold
    them (`files` names the file by `{stem}`)."""
    paths = []
    for table in tables:
        path = folder / files.format(stem=table.stem)
        con.execute(f"COPY ({flat_select(table.source, table.columns)}) "
                    f"TO {sql_literal(str(path))} ({options})")
        paths.append(path)
    return paths
