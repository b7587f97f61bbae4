"""`changes.json`: what changed in the public listings since the previous release.

Compares this release's `listings.json` with the previous release's (`ctx.previous`, the
folder `public/latest` pointed at before this run). Rows are matched by `id`.

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

IGNORED = frozenset({"fetched_at", "verified_at", "changed_at", "upstream_release"})


def _rows(path: Path) -> tuple[dict[str, dict], list[str]]:
    document = json.loads(path.read_text("utf-8"))
    rows = {row["id"]: row for row in document["listings"]}
    columns: list[str] = []
    for row in document["listings"]:
        for name in row:
            if name not in columns:
                columns.append(name)
    return rows, columns


def diff_listings(new: dict[str, dict], old: dict[str, dict],
                  columns: list[str]) -> dict[str, Any]:
    """`added`, `changed` (id and changed fields) and `removed` between two id -> row maps."""
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    changed = []
    for lid in sorted(new.keys() & old.keys()):
        a, b = old[lid], new[lid]
        fields = [c for c in columns if c not in IGNORED and a.get(c) != b.get(c)]
        if fields:
            changed.append({"id": lid, "fields": fields})
    return {"added": added, "changed": changed, "removed": removed}


def write_changes(con, folder: Path, ctx) -> Path:
    """Write `folder/changes.json`; `con` is unused (the listings files are the truth)."""
    new, columns = _rows(folder / "listings.json")
    previous = getattr(ctx, "previous", None)
    old: dict[str, dict] = {}
    from_id = None
    if previous is not None and (Path(previous) / "listings.json").is_file():
        old, old_columns = _rows(Path(previous) / "listings.json")
        columns += [c for c in old_columns if c not in columns]
        from_id = Path(os.path.realpath(previous)).name
    document = {"from": from_id, "to": ctx.run_id,
                "generated": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ignored_fields": sorted(IGNORED)} | diff_listings(new, old, columns)
    path = folder / "changes.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    return path
