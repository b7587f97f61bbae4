"""`<stem>.csv`: the exact table for machines (RFC 4180, UTF-8, header even when empty)."""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import copy_flat

FILES = "{stem}.csv"
MEDIA_TYPE = "text/csv"
FILE_TYPE = "CSV"
DESCRIPTION = "CSV (UTF-8, mit Kopfzeile; mehrere Werte durch ' | ' getrennt)"


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    return copy_flat(con, folder, tables, FILES, "FORMAT csv, HEADER true")
