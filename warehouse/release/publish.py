"""Build a release of open-data extracts and switch `public/latest` to it atomically.

The release is built in a temporary folder next to `releases/`: the public tables are
materialised once in DuckDB (`create_public_tables`), every exporter of `EXPORTERS` copies its
files from them, and the data packages are validated with Frictionless; the folder is flushed
to disk and renamed into place; only then do `latest`, `latest.json` and `history.json` switch
to it, together, in one rename (`warehouse.release.switch`). A failure at any step leaves all
three on the previous release.

What is public is decided in `warehouse.release.public` (the licence and privacy gates);
`withheld.json` says what was left out and why.
"""

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.release.changes import write_changes
from warehouse.release.entities import (
    ENTITY_FILES,
    TABLES,
    ReleaseTable,
    create_public_tables,
    drop_public_tables,
)
from warehouse.release.formats import EXPORTERS
from warehouse.release.hsds import write_hsds
from warehouse.release.integrity import (
    SUMS,
    hashes_remembered,
    package_errors,
    read_history,
    read_sha256sums,
    releases_beyond,
    remove_releases,
    sha256_file,
    write_json,
    write_sha256sums,
)
from warehouse.release.landing import write_landing_page
from warehouse.release.metadata import (
    TITLE,
    attribution_text,
    contributing_sources,
    write_dcat,
    write_release_readme,
)
from warehouse.release.public import FORMAT_VERSION, flat_select
from warehouse.release.switch import (
    fsync_path,
    fsync_tree,
    history_entry,
    history_with,
    remove_leftovers,
    switch,
)
from warehouse.release.withheld import withheld_report


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class ReleaseContext:
    """What the writers of a release's extra files need to know."""

    run_id: str
    generated: datetime
    previous: Path | None  # the release `latest` pointed at before this one
    base_url: str  # where the public folder is served, for download URLs


#: Where releases are served; download URLs in metadata are built from it.
DEFAULT_BASE_URL = "https://daten.selbsthilfe-atlas.example/"


@dataclass(frozen=True)
class Release:
    run_id: str
    path: Path
    rows: int
    withheld: dict


#: The datapackage's word on the formats beside the CSV files it describes.
PACKAGE_DESCRIPTION = (
    "Each table is published as <table>.csv (described here), <table>-excel.csv (semicolons, "
    "BOM, formulas neutralised), <table>.parquet (same columns and types) and <table>.json "
    "(a meta block and the rows as objects). Columns holding several values are ' | '-joined "
    "text in the CSV and Parquet files and JSON arrays in the JSON files (since format "
    "version 0.3).")


def _datapackage(con: duckdb.DuckDBPyConnection, run_id: str, generated: datetime) -> dict:
    sources = con.execute("""
        SELECT source_id, name, publisher, licence, attribution, start_urls
        FROM sources WHERE policy = 'open' ORDER BY source_id
    """).fetchall()
    return {
        "name": "selbsthilfe-atlas",
        "title": TITLE,
        "description": PACKAGE_DESCRIPTION,
        "version": FORMAT_VERSION,
        "created": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "id": f"selbsthilfe-atlas/{run_id}",
        "licenses": [{"name": lic, "title": f"licence of source {sid}"}
                     for sid, _, _, lic, _, _ in sources],
        "sources": [{"title": f"{name} ({publisher})", "attribution": attr}
                    | ({"path": urls[0]} if urls else {})
                    for _, name, publisher, _, attr, urls in sources],
        "resources": [_resource(table) for table in TABLES],
    }


def _resource(table: ReleaseTable) -> dict:
    return {
        "name": table.stem,
        "path": f"{table.stem}.csv",
        "description": f"{table.label}; also as {table.stem}.json (lists as arrays), "
                       f"{table.stem}-excel.csv and {table.stem}.parquet",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": [{"name": n, "type": t, "description": d}
                              for n, t, d, _ in table.columns],
                   "primaryKey": ["id"]},
    }


def write_tables(con: duckdb.DuckDBPyConnection, folder: Path, package: dict,
                 withheld: dict) -> None:
    """Every exporter's files of the public tables, `datapackage.json` (describing the CSVs)
    and `withheld.json`."""
    for exporter in EXPORTERS:
        exporter.write(con, folder, TABLES, package)
    write_json(folder / "datapackage.json", package)
    write_json(folder / "withheld.json", withheld)


def landing_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """The public tables as the landing page reads them (flat, as in the CSV files)."""
    return {t.stem: con.sql(flat_select(t.source, t.columns)).to_arrow_table() for t in TABLES}


def validate_release(folder: Path) -> None:
    """Frictionless validation of the release's data package and, when present, its HSDS
    tabular package; PublishError naming the first that fails."""
    for package in (folder / "datapackage.json", folder / "hsds" / "datapackage.json"):
        if package.exists() and (errors := package_errors(package)):
            raise PublishError(f"release {folder.name}: {package.relative_to(folder)} failed "
                               "validation: " + "; ".join(errors[:10]))


def build_release(con: duckdb.DuckDBPyConnection, building: Path, ctx: ReleaseContext
                  ) -> tuple[dict[str, int], dict]:
    """Every file of a release into `building`, validated: (rows per table, withheld)."""
    counts = create_public_tables(con)
    try:
        withheld = withheld_report(con)
        write_tables(con, building, _datapackage(con, ctx.run_id, ctx.generated), withheld)
        write_hsds(con, building, ctx)
        write_changes(con, building, ctx, tuple(ENTITY_FILES))
        write_release_readme(con, building, ctx)
        with hashes_remembered():  # no file below is written again
            write_landing_page(con, building, ctx, landing_tables(con),
                               attribution_text(contributing_sources(con)), withheld)
            write_dcat(con, building, ctx)  # describes every file above
            write_sha256sums(building)  # last: it covers every file above
    finally:
        drop_public_tables(con)
    validate_release(building)
    return counts, withheld


#: Releases kept under public/releases (the one `latest` points at is never removed).
KEEP_RELEASES = 30


def publish(con: duckdb.DuckDBPyConnection, public: Path, run_id: str, generated: datetime,
            *, base_url: str = DEFAULT_BASE_URL, keep: int = KEEP_RELEASES,
            state: str | None = None) -> Release:
    """Build, validate and switch to a new release. `state` is the fingerprint of the data it
    was built from (`warehouse.release.state`), kept in `latest.json`: a night whose state
    equals it has nothing new to publish."""
    releases = public / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    final = releases / run_id
    if final.exists():
        raise PublishError(f"release {run_id} exists already")
    latest = public / "latest"
    ctx = ReleaseContext(run_id=run_id, generated=generated, base_url=base_url,
                         previous=latest.resolve() if latest.exists() else None)
    remove_leftovers(public)
    building = public / f".building-{run_id}"
    building.mkdir()
    try:
        counts, withheld = build_release(con, building, ctx)
        fsync_tree(building)  # whole on disk before anything can name it
        building.rename(final)
        fsync_path(releases)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    try:
        document = latest_document(final, run_id, generated, counts) | {"state": state}
        pruned = releases_beyond(public, keep, protect={run_id})
        history = [e for e in history_with(read_history(public), history_entry(document))
                   if e["run_id"] not in pruned]
        switch(public, run_id, document, history)
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)  # never named: the next run would remove it
        raise
    remove_releases(public, pruned)  # no longer named by the history just switched to
    return Release(run_id=run_id, path=final, rows=counts["listings"], withheld=withheld)


def latest_document(release: Path, run_id: str, generated: datetime,
                    counts: dict[str, int]) -> dict:
    """`latest.json`: where the newest release and its files are (paths relative to the
    public folder, where it is served), with sizes and checksums — what portals and
    federating instances poll. The checksums are those of `SHA256SUMS`, which was just
    written: no file is read again."""
    sums = read_sha256sums(release)
    sums[SUMS] = sha256_file(release / SUMS)
    files = {}
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        name = path.relative_to(release).as_posix()
        files[name] = {"path": f"releases/{run_id}/{name}", "bytes": path.stat().st_size,
                       "sha256": sums[name]}
    return {"format_version": FORMAT_VERSION, "run_id": run_id,
            "generated": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "release": f"releases/{run_id}/", "counts": counts, "files": files}
