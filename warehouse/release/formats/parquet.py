"""`<stem>.parquet`: the table for data tools (same columns and types as the CSV)."""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import copy_flat

FILES = "{stem}.parquet"
MEDIA_TYPE = "application/vnd.apache.parquet"
FILE_TYPE = "PARQUET"
DESCRIPTION = "Apache Parquet"


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    return copy_flat(con, folder, tables, FILES, "FORMAT parquet")
