"""Open the warehouse and make sure its tables exist; the run lock and why a warehouse could
not be opened."""

import contextlib
import errno
import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from schema.listing import Listing
from warehouse.comments import apply_comments

_DDL_PATH = Path(__file__).with_name("schema.sql")
#: Linkage's tables, which `views.sql` reads: kept with the linkage code.
_LINK_DDL_PATH = Path(__file__).parents[1] / "linkage" / "link.sql"

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


class WarehouseUnavailable(RuntimeError):
    """The run cannot use its warehouse: `failure_class` (run level, in the run report) and
    a one-line `reason`."""

    def __init__(self, failure_class: str, reason: str) -> None:
        super().__init__(reason)
        self.failure_class, self.reason = failure_class, reason


#: How long a run waits for a warehouse another process holds (a researcher's read-only
#: connection): a short query ends within it, a session left open does not.
WAREHOUSE_WAIT = 30.0

_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")
_CORRUPT = ("not a valid DuckDB database file", "Corrupt database file", "checksum",
            "Could not read enough bytes", "database file with version number")


def failure_of(exc: BaseException, path: Path | str) -> tuple[str, str]:
    """The run-level failure class and a one-line reason for an error of the warehouse at
    `path`: `warehouse_locked` (another process holds it), `disk_full`, `warehouse_corrupt`,
    else `warehouse_unavailable`."""
    text = str(exc)
    first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
    code = getattr(exc, "errno", None)
    if "Could not set lock on file" in text:
        holder = _HOLDER.search(text)
        who = f"PID {holder[2]}, {holder[1]}" if holder else "another process"
        return "warehouse_locked", (f"{path} is held by another process ({who}): close that "
                                    "connection; researchers query public/latest/atlas.duckdb")
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text \
            or "Disk quota exceeded" in text:
        return "disk_full", f"no space left for {path}: {first}"
    if any(marker in text for marker in _CORRUPT):
        return "warehouse_corrupt", f"{path} cannot be read: {first}"
    return "warehouse_unavailable", f"{path} cannot be opened: {first}"


def open_writer(path: Path | str, wait: float = WAREHOUSE_WAIT, poll: float = 0.25,
                opener=None) -> duckdb.DuckDBPyConnection:
    """The writer's connection (`opener`, by default `connect`), waiting up to `wait` seconds
    while another process holds the file; WarehouseUnavailable when it cannot be had."""
    opener = opener or connect
    deadline = time.monotonic() + wait
    while True:
        try:
            return opener(path)
        except (duckdb.Error, OSError) as exc:
            failure_class, reason = failure_of(exc, path)
            if failure_class == "warehouse_locked" and time.monotonic() < deadline:
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
                continue
            if failure_class == "warehouse_locked":
                reason += f" (waited {wait:g} s)"
            raise WarehouseUnavailable(failure_class, reason) from exc


#: The data folder's lock file: held by the run writing there (its pid inside).
RUN_LOCK = "run.lock"
#: Locks this process holds: path -> (file descriptor, depth). `shg run` takes the lock
#: before Prefect starts, and the flow it runs takes it again.
_HELD: dict[str, list[int]] = {}


@contextmanager
def run_lock(data_dir: Path | str) -> Iterator[Path]:
    """Hold `data_dir/run.lock` (fcntl.flock, the holder's pid written in it) for a run:
    a second run on the same data folder is refused at once, with
    WarehouseUnavailable("run_in_progress"). The kernel drops the lock when its holder dies,
    so a killed run never blocks the next. Re-entrant within a process."""
    path = Path(data_dir) / RUN_LOCK
    key = os.path.realpath(path)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield path
        finally:
            _HELD[key][1] -= 1
        return
    fd = _acquire(path)
    _HELD[key] = [fd, 1]
    try:
        yield path
    finally:
        del _HELD[key]
        os.close(fd)  # releases the lock


def _acquire(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseUnavailable(*failure_of(exc, path)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise WarehouseUnavailable("run_in_progress",
                                   f"another run (pid {holder}) holds {path}: this run did "
                                   "not start") from None
    with contextlib.suppress(OSError):  # the pid only names the holder in a refusal
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def reopen(con: duckdb.DuckDBPyConnection, path: Path | str,
           wait: float = WAREHOUSE_WAIT) -> duckdb.DuckDBPyConnection:
    """`con`'s warehouse at `path`, closed and opened again (waiting, as `open_writer`, for a
    reader that took it in between), its buffer pool empty: DuckDB keeps every block a night
    read or wrote cached, and publishing, the night's peak, should not carry them
    (docs/performance.md)."""
    con.close()
    return open_writer(path, wait, opener=lambda p: duckdb.connect(str(p)))


#: WAL size at which a night's commits are folded into the file (see `few_checkpoints`).
BATCH_CHECKPOINT_THRESHOLD = "256MB"


@contextmanager
def few_checkpoints(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Many commits, few checkpoints: a night commits each source on its own, and folding the
    WAL into the file after each rewrites the same row groups again and again. Every commit
    still reaches the WAL (and the disk) before the next source; only the folding waits, for
    BATCH_CHECKPOINT_THRESHOLD of WAL and the end (docs/performance.md)."""
    con.execute(f"SET checkpoint_threshold = '{BATCH_CHECKPOINT_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute("RESET checkpoint_threshold")
    con.execute("CHECKPOINT")


#: Columns added to `listings` after warehouses were first written, added to an older file
#: when it is opened (`CREATE TABLE IF NOT EXISTS` leaves an existing table as it is). A struct
#: field is added at the struct's end: rows are read and written by name.
_ADDED_COLUMNS = (
    "phone_hours STRUCT(osm VARCHAR, original VARCHAR, by_appointment BOOLEAN)",
    "social_links STRUCT(platform VARCHAR, url VARCHAR, original VARCHAR, valid BOOLEAN, "
    "personal BOOLEAN)[]",
    "provenance.as_of DATE",
)


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    for column in _ADDED_COLUMNS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL_PATH.read_text("utf-8"))
    _add_new_columns(con, "listings")  # before listing_history's DDL, which reads them
    con.execute(_HISTORY_DDL)
    _add_new_columns(con, "listing_history")
    con.execute(_LINK_DDL_PATH.read_text("utf-8"))
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
