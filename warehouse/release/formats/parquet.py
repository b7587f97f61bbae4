"""`<stem>.parquet`: the table for data tools (same columns and types as the CSV)."""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import quoted
from warehouse.release.public import flat_select

FILES = "{stem}.parquet"
MEDIA_TYPE = "application/vnd.apache.parquet"
FILE_TYPE = "PARQUET"
DESCRIPTION = "Apache Parquet"


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    paths = []
    for table in tables:
        path = folder / FILES.format(stem=table.stem)
        con.execute(f"COPY ({flat_select(table.source, table.columns)}) TO {quoted(str(path))} "
                    "(FORMAT parquet)")
        paths.append(path)
    return paths
