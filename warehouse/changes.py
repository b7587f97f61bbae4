"""`changes.json`: what changed in the public tables since the previous release.

Compares this release's `listings.json` with the previous release's (`ctx.previous`, the
folder `public/latest` pointed at before this run), and likewise `groups.json`,
`contact_centres.json` and `organisations.json` under `entities`. Rows are matched by `id`.
A removed entity that linkage merged into another carries the surviving id in
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

IGNORED = frozenset({"fetched_at", "verified_at", "changed_at", "upstream_release"})


def _rows(path: Path, stem: str = "listings") -> tuple[dict[str, dict], list[str]]:
    document = json.loads(path.read_text("utf-8"))
    rows = {row["id"]: row for row in document.get(stem, [])}
    columns: list[str] = []
    for row in document.get(stem, []):
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


def _diff_files(folder: Path, previous: Path | None, stem: str) -> dict[str, Any]:
    new, columns = _rows(folder / f"{stem}.json", stem)
    old: dict[str, dict] = {}
    if previous is not None and (previous / f"{stem}.json").is_file():
        old, old_columns = _rows(previous / f"{stem}.json", stem)
        columns += [c for c in old_columns if c not in columns]
    return diff_listings(new, old, columns)


def _redirects(con, removed: list[str]) -> dict[str, str]:
    """Removed entity id -> the entity it was merged into (followed to the end)."""
    if not removed or con is None:
        return {}
    target = dict(con.execute("SELECT entity_id::VARCHAR, retired_into::VARCHAR FROM entities "
                              "WHERE retired_into IS NOT NULL").fetchall())
    out = {}
    for eid in removed:
        seen, cur = set(), eid
        while cur in target and cur not in seen:
            seen.add(cur)
            cur = target[cur]
        if cur != eid:
            out[eid] = cur
    return out


def write_changes(con, folder: Path, ctx, entity_files: tuple[str, ...] = ()) -> Path:
    """Write `folder/changes.json` (the release's JSON files are the truth; `con` only
    resolves merge redirects)."""
    previous = getattr(ctx, "previous", None)
    previous = Path(previous) if previous is not None else None
    from_id = None
    if previous is not None and (previous / "listings.json").is_file():
        from_id = Path(os.path.realpath(previous)).name
    entities = {}
    for stem in entity_files:
        diff = _diff_files(folder, previous, stem)
        entities[stem] = diff | {"retired_into": _redirects(con, diff["removed"])}
    document = {"from": from_id, "to": ctx.run_id,
                "generated": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ignored_fields": sorted(IGNORED)} | _diff_files(folder, previous, "listings")
    if entities:
        document["entities"] = entities
    path = folder / "changes.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    return path
