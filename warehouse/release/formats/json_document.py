"""`<stem>.json`: the table as one JSON document, `{"meta": {...}, "<stem>": [rows]}`.

The meta block names the release, the table, its row count, licences and sources; the rows
are objects in the published column order, written by DuckDB (`COPY ... FORMAT json, ARRAY
true`). List columns (`LIST_COLUMNS`: topics, phones, e-mails, ...) are JSON arrays here,
where the CSV files join them with ' | '.
"""

import json
from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import copy_between
from warehouse.release.public import FORMAT_VERSION

FILES = "{stem}.json"
MEDIA_TYPE = "application/json"
FILE_TYPE = "JSON"
DESCRIPTION = "JSON (Metadaten und Liste der Zeilen; mehrere Werte als Arrays)"


def meta_block(con: duckdb.DuckDBPyConnection, table: ReleaseTable, package: dict) -> dict:
    """The document's `meta`: which release, table and rows, under which licences."""
    count = con.execute(f"SELECT count(*) FROM {table.source}").fetchone()[0]
    return {"format_version": FORMAT_VERSION, "id": package["id"], "table": table.stem,
            "created": package["created"], "count": count,
            "licenses": package["licenses"], "sources": package["sources"]}


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    paths = []
    for table in tables:
        meta = json.dumps(meta_block(con, table, package), ensure_ascii=False, indent=1)
        head = f'{{"meta": {meta},\n {json.dumps(table.stem)}: '
        columns = ", ".join(name for name, _, _, _ in table.columns)
        paths.append(copy_between(con, f"SELECT {columns} FROM {table.source}",
                                  "FORMAT json, ARRAY true", folder / FILES.format(stem=table.stem),
                                  head=head.encode(), tail=b"}\n"))
    return paths
