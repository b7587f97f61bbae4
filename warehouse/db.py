"""Open the warehouse and make sure its tables exist."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from schema.listing import Listing
from warehouse.comments import apply_comments

_DDL_PATH = Path(__file__).with_name("schema.sql")

#: The columns of `listings` that hold the record itself (the rest is bookkeeping).
CONTENT_COLUMNS: tuple[str, ...] = tuple(Listing.model_fields)

_HISTORY_DDL = f"""
CREATE TABLE IF NOT EXISTS listing_history AS
SELECT NULL::TIMESTAMPTZ AS valid_from, NULL::TIMESTAMPTZ AS valid_to,
       NULL::VARCHAR AS run_id, record_hash, {", ".join(CONTENT_COLUMNS)}
FROM listings WHERE false
"""


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    ensure_schema(con)
    return con


def reopen(con: duckdb.DuckDBPyConnection, path: Path | str) -> duckdb.DuckDBPyConnection:
    """`con`'s warehouse at `path`, closed and opened again, its buffer pool empty. DuckDB
    keeps every block a night read or wrote cached until memory runs short: after collecting
    and linking 100,000 listings about 100 MB, which publishing, the night's peak, would add
    to (1,034 MB for a night with changes, 907 MB reopened). Publishing reads back what it
    needs from the file, in the OS's page cache: no cost in time was measurable."""
    con.close()
    return duckdb.connect(str(path))


#: WAL size at which a night's commits are folded into the file (see `few_checkpoints`).
BATCH_CHECKPOINT_THRESHOLD = "256MB"


@contextmanager
def few_checkpoints(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Many commits, few checkpoints. DuckDB folds its WAL into the file whenever the WAL
    passes 16 MB; a night commits each source on its own, and at 100,000 listings those
    checkpoints (about 100, each rewriting the row groups touched since the last) took 15 of
    the writer's 20 s of commits, and left a file twice the size. Every commit still reaches
    the WAL (and the disk) before the next source: only the folding waits, for 256 MB of WAL
    (a first night of 100,000 listings writes 430 MB). Until then the new rows stay in
    DuckDB's buffers: a single checkpoint at the end took 5.2 instead of 4.1 s of commits,
    but held 110 MB more at the night's peak."""
    con.execute(f"SET checkpoint_threshold = '{BATCH_CHECKPOINT_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute("RESET checkpoint_threshold")
    con.execute("CHECKPOINT")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL_PATH.read_text("utf-8"))
    con.execute(_HISTORY_DDL)
    con.execute(_DDL_PATH.with_name("link.sql").read_text("utf-8"))
    con.execute(_DDL_PATH.with_name("views.sql").read_text("utf-8"))
    apply_comments(con)


_SCHEMAS: dict[tuple[str, tuple[str, ...] | None], pa.Schema] = {}


def arrow_schema(con: duckdb.DuckDBPyConnection, table: str, columns=None) -> pa.Schema:
    """The Arrow schema DuckDB expects for `table`: the DDL is the one source of truth. Asked
    once per table and process (every source run appends to four tables)."""
    key = (table, tuple(columns) if columns else None)
    if key not in _SCHEMAS:
        cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        _SCHEMAS[key] = con.sql(f"SELECT {cols} FROM {table} LIMIT 0").to_arrow_table().schema
    return _SCHEMAS[key]
