"""The floor: the same libraries in a tight loop on the same data, measured in the same run.

A stage cannot be faster than the libraries it is built on, so the ratio stage/floor says how
much the project's own code costs on top of them. Inputs are prepared outside the timer (the
floor is what the libraries need once the data is in their preferred shape); the stage timings
include that preparation, which is exactly the overhead the ratio exposes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import TypeAdapter
from selectolax.lexbor import LexborHTMLParser

from bench.stages import stopwatch
from schema.listing import Listing
from schema.listing_rows import record_hash
from warehouse.storage.db import arrow_schema, connect


@dataclass
class Floor:
    stage: str
    what: str
    items: int
    seconds: float


def parse_floor(texts: list[str]) -> Floor:
    """Lexbor parse of each page plus two `css_first` lookups, no text extraction."""
    with stopwatch() as elapsed:
        for html in texts:
            tree = LexborHTMLParser(html)
            tree.css_first("main h1")
            tree.css_first(".kontakt")
    return Floor("fetch+parse", "LexborHTMLParser + 2×css_first per page", len(texts), elapsed())


def validate_floor(batches: list[list[dict]]) -> Floor:
    """One `TypeAdapter(list[Listing]).validate_python` per source on plain model_dump()s."""
    adapter = TypeAdapter(list[Listing])
    with stopwatch() as elapsed:
        for batch in batches:
            adapter.validate_python(batch)
    return Floor("normalise+validate", "TypeAdapter(list[Listing]).validate_python",
                 sum(map(len, batches)), elapsed())


def listing_rows(listings: list[Listing], now: datetime, run_id: str) -> list[dict]:
    """Rows of the `listings` table (content, hash, bookkeeping) for the bulk-insert floor."""
    rows = []
    for item in listings:
        row = item.model_dump()
        row["id"] = str(row["id"])
        row.update(record_hash=record_hash(item), active=True, first_seen=now, changed_at=now,
                   inactive_since=None, run_id=run_id)
        rows.append(row)
    return rows


def load_floors(db: Path, batches: list[list[dict]]) -> tuple[Floor, Floor]:
    """Into a fresh warehouse file with the real DDL (so the primary key index is paid for):
    one `from_pylist` + `INSERT … SELECT * FROM arrow` per source, then the cheapest
    "is anything changed?" check of the same batches (Arrow + one hash join)."""
    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    con = connect(db)
    schema = arrow_schema(con, "listings")
    try:
        with stopwatch() as insert_s:
            for batch in batches:
                table = pa.Table.from_pylist(batch, schema=schema)
                con.register("arrow_batch", table)
                con.execute("INSERT INTO listings SELECT * FROM arrow_batch")
                con.unregister("arrow_batch")
        changed = 0
        with stopwatch() as compare_s:
            for batch in batches:
                table = pa.Table.from_pylist(batch, schema=schema)
                con.register("arrow_batch", table)
                changed += con.execute("""
                    SELECT count(*) FROM arrow_batch i LEFT JOIN listings l ON l.id = i.id::UUID
                    WHERE l.record_hash IS DISTINCT FROM i.record_hash""").fetchone()[0]
                con.unregister("arrow_batch")
    finally:
        con.close()
    if changed:
        raise AssertionError(f"floor: {changed} rows differ from what was just inserted")
    items = sum(map(len, batches))
    return (Floor("load", "pa.Table.from_pylist + INSERT … SELECT * FROM arrow", items,
                  insert_s()),
            Floor("load (unchanged)", "pa.Table.from_pylist + hash join count", items,
                  compare_s()))


def publish_floor(table: pa.Table, folder: Path) -> Floor:
    """Writing the release's own table as CSV, Parquet and JSON with pyarrow and json."""
    folder.mkdir(parents=True, exist_ok=True)
    with stopwatch() as elapsed:
        pacsv.write_csv(table, folder / "listings.csv")
        pq.write_table(table, folder / "listings.parquet")
        (folder / "listings.json").write_text(
            json.dumps(table.to_pylist(), ensure_ascii=False), "utf-8")
    return Floor("publish", "pyarrow CSV + Parquet + json.dumps of the release table",
                 table.num_rows, elapsed())
