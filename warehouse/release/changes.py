"""`changes.json`: what changed in the public tables since the previous release.

A DuckDB join of this release's `listings.parquet` with the previous release's (`ctx.previous`,
the folder `public/latest` pointed at before this run), and likewise `groups.parquet`,
`contact_centres.parquet` and `organisations.parquet` under `entities`. Rows are matched by
`id`. A removed entity that linkage merged into another carries the surviving id in
`retired_into`, so a portal can follow the redirect instead of deleting.

Bookkeeping columns that move without a change to the listing's content are not compared
(`IGNORED`): `fetched_at` (every fetch), `verified_at` (every accepted run of the source),
`changed_at` (moves only together with a content change, which is reported by that field)
and `upstream_release` (federated listings: the upstream release URL changes with every
upstream release even when the listing does not). A column present on one side only (a
format change) counts as changed when its values differ (a missing value is null).

Output is deterministic: ids sorted, field names in the published column order.
"""

import json
import os
from pathlib import Path
from typing import Any

import duckdb

from warehouse.storage import sql_literal, sql_name

IGNORED = frozenset({"fetched_at", "verified_at", "changed_at", "upstream_release"})

#: added, changed (id and changed fields) and removed, from `pairs` (old and new row per id).
_DIFF = """
    SELECT coalesce(list(new_id ORDER BY new_id) FILTER (WHERE old_id IS NULL), []),
           coalesce(list({{'id': new_id, 'fields': fields}} ORDER BY new_id)
                    FILTER (WHERE old_id IS NOT NULL AND new_id IS NOT NULL
                            AND len(fields) > 0), []),
           coalesce(list(old_id ORDER BY old_id) FILTER (WHERE new_id IS NULL), [])
    FROM (SELECT o.id::VARCHAR AS old_id, n.id::VARCHAR AS new_id,
                 list_filter([{fields}]::VARCHAR[], f -> f IS NOT NULL) AS fields
          FROM read_parquet($old) o FULL JOIN read_parquet($new) n ON o.id = n.id)
"""

#: Each removed entity id -> the entity it was merged into, the redirects followed to the end.
_REDIRECTS = """
    WITH RECURSIVE walk(start, cur) AS (
        SELECT id, id FROM unnest($removed::VARCHAR[]) r(id)
        UNION
        SELECT w.start, e.retired_into::VARCHAR FROM walk w
        JOIN entities e ON e.entity_id::VARCHAR = w.cur WHERE e.retired_into IS NOT NULL)
    SELECT start, cur FROM walk
    WHERE cur <> start AND cur NOT IN (SELECT entity_id::VARCHAR FROM entities
                                       WHERE retired_into IS NOT NULL)
    ORDER BY start
"""


def _columns(db: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a Parquet file, in file order."""
    return dict(db.execute("SELECT column_name, column_type FROM "
                           "(DESCRIBE SELECT * FROM read_parquet(?))", [str(path)]).fetchall())


def _field_test(name: str, old: dict[str, str], new: dict[str, str]) -> str:
    """SQL: `name` (as a string) when the column's value differs between the two sides. A
    column missing on a side is null there; a column whose type changed is compared as JSON."""
    a = f"o.{sql_name(name)}" if name in old else "NULL"
    b = f"n.{sql_name(name)}" if name in new else "NULL"
    if name in old and name in new and old[name] != new[name]:
        a, b = f"to_json({a})", f"to_json({b})"
    return f"CASE WHEN {a} IS DISTINCT FROM {b} THEN {sql_literal(name)} END"


def diff(db: duckdb.DuckDBPyConnection, new: Path, old: Path | None) -> dict[str, Any]:
    """`added`, `changed` (id and changed fields, in column order) and `removed` between two
    Parquet files of one table (`old` None: everything is added); `IGNORED` is not compared."""
    if old is None:
        added = db.execute("SELECT coalesce(list(id::VARCHAR ORDER BY id::VARCHAR), []) "
                           "FROM read_parquet(?)", [str(new)]).fetchone()[0]
        return {"added": added, "changed": [], "removed": []}
    old_columns, new_columns = _columns(db, old), _columns(db, new)
    names = list(new_columns) + [c for c in old_columns if c not in new_columns]
    tests = [_field_test(c, old_columns, new_columns) for c in names if c not in IGNORED]
    added, changed, removed = db.execute(
        _DIFF.format(fields=", ".join(tests)), {"old": str(old), "new": str(new)}).fetchone()
    return {"added": added, "changed": changed, "removed": removed}


def _redirects(con: duckdb.DuckDBPyConnection | None, removed: list[str]) -> dict[str, str]:
    """Removed entity id -> the entity it was merged into (followed to the end)."""
    if not removed or con is None:
        return {}
    return dict(con.execute(_REDIRECTS, {"removed": removed}).fetchall())


def _previous(ctx: Any, stem: str) -> Path | None:
    previous = getattr(ctx, "previous", None)
    path = Path(previous) / f"{stem}.parquet" if previous is not None else None
    return path if path is not None and path.is_file() else None


def write_changes(con: duckdb.DuckDBPyConnection | None, folder: Path, ctx: Any,
                  entity_files: tuple[str, ...] = ()) -> Path:
    """Write `folder/changes.json` (the releases' Parquet files are the truth; `con` only
    resolves merge redirects)."""
    listings = _previous(ctx, "listings")
    with duckdb.connect() as db:
        entities = {}
        for stem in entity_files:
            changes = diff(db, folder / f"{stem}.parquet", _previous(ctx, stem))
            entities[stem] = changes | {"retired_into": _redirects(con, changes["removed"])}
        document = {"from": Path(os.path.realpath(listings.parent)).name if listings else None,
                    "to": ctx.run_id, "generated": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ignored_fields": sorted(IGNORED)
                    } | diff(db, folder / "listings.parquet", listings)
    if entities:
        document["entities"] = entities
    path = folder / "changes.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    return path
