"""`atlas.duckdb`: the release's tables in one read-only DuckDB file for researchers.

The public tables (as the CSV files hold them, `listings` with a `search_text` column) and the
sources they came from, with a comment on every column, in a file no nightly run ever writes
to again: researchers query it while the writer's warehouse moves on.
"""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.public import flat_select
from warehouse.storage import sql_literal

FILES = "atlas.duckdb"
MEDIA_TYPE = "application/octet-stream"
FILE_TYPE = "BIN"
DESCRIPTION = ("DuckDB-Datenbank (Speicherformat 1.4) mit den Tabellen listings, groups, "
               "contact_centres, organisations und sources")

#: DuckDB 1.4 clients must open the snapshot (researchers do not all upgrade together).
SNAPSHOT_STORAGE_VERSION = "v1.4.0"

#: Lower case, accents and umlauts folded ("Angehörige" -> "angehorige"), ß as "ss": so that
#: `search_text ILIKE '%sucht%'` finds "Suchtkranke" and "angehorig" finds "Angehörige".
SEARCH_TEXT = ("replace(strip_accents(lower(concat_ws(' ', name, description, topics, carrier, "
               "city, district))), 'ß', 'ss')")

_SOURCE_COLUMNS = {
    "source_id": "source registry id (listings.source_id)",
    "name": "name of the source",
    "publisher": "who publishes it",
    "licence": "licence of its data (SPDX id, LicenseRef or URI)",
    "policy": "open: may be republished (only open sources are in this file)",
    "attribution": "attribution text to show when reusing its data",
    "cadence": "how often it is collected: daily, weekly or monthly",
}


def _comment(con: duckdb.DuckDBPyConnection, what: str, text: str) -> None:
    con.execute(f"COMMENT ON {what} IS {sql_literal(text)}")


def _copy_table(con: duckdb.DuckDBPyConnection, table: ReleaseTable) -> None:
    """One public table into the snapshot, commented; `listings` with its search text."""
    flat = flat_select(table.source, table.columns)
    if table.stem == "listings":
        con.execute(f"CREATE TABLE snapshot.listings AS SELECT *, {SEARCH_TEXT} AS search_text "
                    f"FROM ({flat})")
        _comment(con, "COLUMN snapshot.listings.search_text", "name, description, topics and "
                 "place in lower case, umlauts and accents folded, ß as ss: for ILIKE searches")
    else:
        con.execute(f"CREATE TABLE snapshot.{table.stem} AS {flat}")
    _comment(con, f"TABLE snapshot.{table.stem}", f"{table.label} (same rows as {table.stem}.csv)")
    for name, _, description, _ in table.columns:
        _comment(con, f"COLUMN snapshot.{table.stem}.{name}", description)


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    path = folder / FILES
    con.execute(f"ATTACH {sql_literal(str(path))} AS snapshot "
                f"(STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        for table in tables:
            _copy_table(con, table)
        con.execute("""
            CREATE TABLE snapshot.sources AS
            SELECT source_id, name, publisher, licence, policy, attribution, cadence
            FROM sources WHERE policy = 'open' ORDER BY source_id""")
        _comment(con, "TABLE snapshot.sources", "sources whose licence allows publication")
        for name, description in _SOURCE_COLUMNS.items():
            _comment(con, f"COLUMN snapshot.sources.{name}", description)
    finally:
        con.execute("DETACH snapshot")
    return [path]
