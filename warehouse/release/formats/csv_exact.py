"""`<stem>.csv`: the exact table for machines (RFC 4180, UTF-8, header even when empty)."""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import quoted
from warehouse.release.public import flat_select

FILES = "{stem}.csv"
MEDIA_TYPE = "text/csv"
FILE_TYPE = "CSV"
DESCRIPTION = "CSV (UTF-8, mit Kopfzeile; mehrere Werte durch ' | ' getrennt)"


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    paths = []
    for table in tables:
        path = folder / FILES.format(stem=table.stem)
        con.execute(f"COPY ({flat_select(table.source, table.columns)}) TO {quoted(str(path))} "
                    "(FORMAT csv, HEADER true)")
        paths.append(path)
    return paths
