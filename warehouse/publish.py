"""Build a release of open-data extracts and switch `public/latest` to it atomically.

The release is built in a temporary folder next to `releases/`, validated with Frictionless
(in worker processes, each data package as soon as its files are written, while the rest of
the release is written), flushed to disk and renamed into place; only then do `latest`,
`latest.json` and `history.json` switch to it, together, in one rename (`warehouse.switch`).
A failure at any step leaves all three on the previous release.

What is public is decided in `warehouse.public` (the licence and privacy gates); every file
here is written from its `public_table`. `withheld.json` says what was left out and why.
"""

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schema.normalise.flags import FLAG_CODES
from warehouse.excel import write_excel_csv
from warehouse.integrity import (
    SUMS,
    hashes_remembered,
    read_history,
    read_sha256sums,
    releases_beyond,
    remove_releases,
    sha256_file,
    validate_package_resource,
    write_sha256sums,
)
from warehouse.landing import write_landing_page
from warehouse.metadata import (
    attribution_text,
    contributing_sources,
    write_dcat,
    write_release_readme,
)
from warehouse.public import FORMAT_VERSION, PUBLIC_COLUMNS, public_table
from warehouse.public_entities import ENTITY_COLUMNS, ENTITY_FILES, entity_tables
from warehouse.release.changes import write_changes
from warehouse.release.hsds import write_hsds
from warehouse.release_json import write_table_document
from warehouse.switch import (
    fsync_path,
    fsync_tree,
    history_entry,
    history_with,
    remove_leftovers,
    switch,
)


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class ReleaseContext:
    """What the writers of a release's extra files need to know."""

    run_id: str
    generated: datetime
    previous: Path | None  # the release `latest` pointed at before this one
    base_url: str  # where the public folder is served, for download URLs
    public: Path
    #: This release's public listing table (`public_table`), for writers that need its rows
    #: (the HSDS export) instead of querying them again.
    listings: pa.Table | None = field(default=None, compare=False, repr=False)


#: Where releases are served; download URLs in metadata are built from it.
DEFAULT_BASE_URL = "https://daten.selbsthilfe-atlas.example/"


@dataclass(frozen=True)
class Release:
    run_id: str
    path: Path
    rows: int
    withheld: dict


#: Why a kind of finding was removed from a text (`schema.normalise.personal`).
FINDING_REASONS = {
    "salutation": "a person named with a salutation or title (Frau, Herr, Dr. …)",
    "mobile": "a mobile phone number",
    "mailbox": "a private or named mailbox (free-mail, vorname.nachname@)",
    "private_address": "a person's home address (c/o a person, bei Familie …)",
}


def withheld_report(con: duckdb.DuckDBPyConnection) -> dict:
    """Per source: records withheld by policy, and per field the private values left out:
    whole values (contact person, phones, e-mails) and, per free-text field, what was removed
    from its text, counted per kind of finding (`personal_fields` "<field>:<kind>")."""
    rows = con.execute("""
        SELECT s.source_id, s.policy, s.licence,
               count(l.id) FILTER (WHERE l.active) AS active,
               count(l.contact_person) FILTER (WHERE l.active) AS contact_person,
               coalesce(sum(len(list_filter(l.phones, lambda p: p.personal)))
                        FILTER (WHERE l.active), 0) AS phones,
               coalesce(sum(len(list_filter(l.emails, lambda e: e.personal)))
                        FILTER (WHERE l.active), 0) AS emails
        FROM sources s LEFT JOIN listings l USING (source_id)
        GROUP BY ALL ORDER BY s.source_id
    """).fetchall()
    in_text: dict[str, dict[str, dict[str, int]]] = {}
    for sid, name, kind, count in con.execute("""
        SELECT source_id, split_part(f, ':', 1), split_part(f, ':', 2), count(*)
        FROM (SELECT source_id, unnest(personal_fields) AS f FROM listings WHERE active)
        WHERE contains(f, ':') GROUP BY ALL ORDER BY ALL
    """).fetchall():
        in_text.setdefault(sid, {}).setdefault(name, {})[kind] = count
    traces = value_traces(con)
    report = {}
    for sid, policy, licence, active, person, phones, emails in rows:
        if policy != "open":
            report[sid] = {"records_withheld": active,
                           "reason": f"licence {licence} does not allow republication "
                                     f"(policy {policy!r})"}
        else:
            report[sid] = {"records_withheld": 0, "fields_withheld": {
                "contact_person": {"count": person, "reason": "private person"},
                "phones": {"count": int(phones), "reason": "private person's number"},
                "emails": {"count": int(emails),
                           "reason": "private person's or named staff member's mailbox"},
            } | {name: {"count": sum(kinds.values()),
                        "reason": "removed from the text: "
                                  + "; ".join(FINDING_REASONS.get(k, k) for k in kinds),
                        "findings": kinds}
                 for name, kinds in in_text.get(sid, {}).items()},
                "values_withheld": {
                    "count": sum(t["values"] for t in traces.get(sid, [])),
                    "reason": VALUES_WITHHELD_REASON,
                    "traces": traces.get(sid, [])}}
    return report


VALUES_WITHHELD_REASON = (
    "values the source gave that are not published because they are invalid or no address "
    "(quality flags of kind withheld): one trace per listing and reason, naming the listing "
    "id, the field and the flag code, never the value itself (it may be a private person's; "
    "it stays in the warehouse and the archived page)")


def value_traces(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Per open source: every published listing that lost a value to a withheld flag, as
    {id, field, reason (the flag code), values (how many)}, in id order."""
    withheld = {f.code: f.field for f in FLAG_CODES if f.kind == "withheld"}
    con.register("_withheld_codes", pa.table({"code": list(withheld)}))
    try:
        rows = con.execute("""
            SELECT l.source_id, l.id::VARCHAR, split_part(f.flag, ':', 1) AS code, count(*)
            FROM listings l JOIN sources s USING (source_id),
                 unnest(l.flags) AS f(flag)
            WHERE l.active AND s.policy = 'open'
              AND split_part(f.flag, ':', 1) IN (SELECT code FROM _withheld_codes)
            GROUP BY ALL ORDER BY ALL
        """).fetchall()
    finally:
        con.unregister("_withheld_codes")
    out: dict[str, list[dict]] = {}
    for sid, listing, code, n in rows:
        out.setdefault(sid, []).append({"id": listing, "field": withheld[code], "reason": code,
                                        "values": n})
    return out


def _datapackage(con: duckdb.DuckDBPyConnection, run_id: str, generated: datetime) -> dict:
    sources = con.execute("""
        SELECT source_id, name, publisher, licence, attribution, start_urls
        FROM sources WHERE policy = 'open' ORDER BY source_id
    """).fetchall()
    return {
        "name": "selbsthilfe-atlas",
        "title": "selbsthilfe-atlas: Selbsthilfegruppen, -kontaktstellen und -organisationen",
        "version": FORMAT_VERSION,
        "created": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "id": f"selbsthilfe-atlas/{run_id}",
        "licenses": [{"name": lic, "title": f"licence of source {sid}"}
                     for sid, _, _, lic, _, _ in sources],
        "sources": [{"title": f"{name} ({publisher})", "attribution": attr}
                    | ({"path": urls[0]} if urls else {})
                    for _, name, publisher, _, attr, urls in sources],
        "resources": [_resource(stem, columns) for stem, columns in _TABLE_COLUMNS.items()],
    }


#: Published tables: file stem -> columns. `listings` is one row per source listing, the
#: others one row per entity (a real group, centre or organisation, linked across sources).
_TABLE_COLUMNS = {"listings": PUBLIC_COLUMNS} | dict.fromkeys(ENTITY_FILES, ENTITY_COLUMNS)


def _resource(stem: str, columns: list[tuple[str, str, str, str]]) -> dict:
    return {
        "name": stem,
        "path": f"{stem}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": [{"name": n, "type": t, "description": d} for n, t, d, _ in columns],
                   "primaryKey": ["id"]},
    }


def write_table(folder: Path, stem: str, table: pa.Table, package: dict) -> None:
    """`stem`.csv (exact, header always), `stem`.json (a `meta` block and the rows),
    `stem`.parquet and `stem`-excel.csv (semicolons, BOM, formulas neutralised). The JSON is
    streamed one record batch at a time (`warehouse.release_json`): the bytes of
    `json.dumps(document, ensure_ascii=False, indent=1)`, never all rows as Python dicts."""
    pacsv.write_csv(table, folder / f"{stem}.csv",
                    pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    pq.write_table(table, folder / f"{stem}.parquet")
    meta = {"format_version": FORMAT_VERSION, "id": package["id"], "table": stem,
            "created": package["created"], "count": table.num_rows,
            "licenses": package["licenses"], "sources": package["sources"]}
    write_table_document(folder / f"{stem}.json", meta, stem, table)
    write_excel_csv(table, folder / f"{stem}-excel.csv")


def write_tables(folder: Path, tables: dict[str, pa.Table], package: dict,
                 withheld: dict) -> Path:
    """Every table's files, `datapackage.json` (describing the CSVs) and `withheld.json`;
    returns the data package, ready to be validated."""
    for stem, table in tables.items():
        write_table(folder, stem, table, package)
    (folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2),
                                             "utf-8")
    (folder / "withheld.json").write_text(json.dumps(withheld, ensure_ascii=False, indent=2),
                                          "utf-8")
    return folder / "datapackage.json"


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

#: DuckDB 1.4 clients must open the snapshot (researchers do not all upgrade together).
SNAPSHOT_STORAGE_VERSION = "v1.4.0"


def write_snapshot(con: duckdb.DuckDBPyConnection, folder: Path, table: pa.Table,
                   entities: dict[str, pa.Table] | None = None) -> Path:
    """`atlas.duckdb` of the release: the public table and the sources it came from, with a
    comment on every column, in a file no nightly run ever writes to again — researchers
    query it while the writer's warehouse moves on."""
    path = folder / "atlas.duckdb"
    con.register("_public", table)
    con.execute(f"ATTACH '{path}' AS snapshot (STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        con.execute(f"CREATE TABLE snapshot.listings AS SELECT *, {SEARCH_TEXT} AS search_text "
                    "FROM _public")
        con.execute("""
            CREATE TABLE snapshot.sources AS
            SELECT source_id, name, publisher, licence, policy, attribution, cadence
            FROM sources WHERE policy = 'open' ORDER BY source_id""")
        con.execute("COMMENT ON TABLE snapshot.listings IS "
                    "'one row per published listing (selbsthilfe-atlas release)'")
        con.execute("COMMENT ON TABLE snapshot.sources IS "
                    "'sources whose licence allows publication'")
        for name, description in _SOURCE_COLUMNS.items():
            con.execute(f"COMMENT ON COLUMN snapshot.sources.{name} IS '{description}'")
        con.execute("COMMENT ON COLUMN snapshot.listings.search_text IS 'name, description, "
                    "topics and place in lower case, umlauts and accents folded, ß as ss: "
                    "for ILIKE searches'")
        for name, _, description, _ in PUBLIC_COLUMNS:
            quoted = description.replace("'", "''")
            con.execute(f"COMMENT ON COLUMN snapshot.listings.{name} IS '{quoted}'")
        for stem, entity_table in (entities or {}).items():
            con.register("_entities", entity_table)
            try:
                con.execute(f"CREATE TABLE snapshot.{stem} AS SELECT * FROM _entities")
            finally:
                con.unregister("_entities")
            con.execute(f"COMMENT ON TABLE snapshot.{stem} IS 'one row per {ENTITY_FILES[stem]}"
                        " across sources (same rows as {stem}.csv)'")
            for name, _, description, _ in ENTITY_COLUMNS:
                quoted = description.replace("'", "''")
                con.execute(f"COMMENT ON COLUMN snapshot.{stem}.{name} IS '{quoted}'")
    finally:
        con.execute("DETACH snapshot")
        con.unregister("_public")
    return path


#: Processes that validate a release: validation is most of publishing's CPU, and its
#: resources are independent of each other, so each core takes one at a time.
VALIDATION_WORKERS = max(1, min(8, os.cpu_count() or 1))
#: Below this many listings a release is validated in this process: starting the workers
#: (an interpreter importing frictionless each) costs more than they save.
PARALLEL_FROM = 20_000


def _packages(folder: Path) -> list[Path]:
    return [p for p in (folder / "datapackage.json", folder / "hsds" / "datapackage.json")
            if p.exists()]


def _resource_names(package: Path) -> list[str | None]:
    """The package's resource names, in its order; [None] (the package as one task) when the
    descriptor does not name them all, so frictionless reports what is wrong with it."""
    try:
        names = [r["name"] for r in json.loads(package.read_text("utf-8"))["resources"]]
    except (ValueError, KeyError, TypeError):
        return [None]
    if names and all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return names
    return [None]


def _resource_cost(package: Path, name: str | None) -> int:
    """Bytes frictionless reads to validate a resource: its file and the files its foreign
    keys refer to (read into a lookup). Costliest first keeps the workers evenly busy."""
    try:
        resources = {r["name"]: r for r in json.loads(package.read_text("utf-8"))["resources"]}
        own = resources[name]
        names = [name] + [fk["reference"]["resource"]
                          for fk in own.get("schema", {}).get("foreignKeys", [])]
        return sum((package.parent / resources[n]["path"]).stat().st_size
                   for n in names if n in resources)
    except (ValueError, KeyError, TypeError, OSError):
        return 0


class _Worker:
    """A validation worker process (`python -m warehouse.integrity`) and the thread that feeds
    it tasks from the shared queue, one at a time, and settles their futures. A worker that
    dies fails its task and every task it takes after (the release fails; nothing hangs)."""

    def __init__(self, tasks: queue.Queue) -> None:
        env = os.environ | {"PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.integrity"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env)
        self.thread = threading.Thread(target=self._feed, args=(tasks,), daemon=True)
        self.thread.start()

    def _feed(self, tasks: queue.Queue) -> None:
        dead: Exception | None = None
        while (task := tasks.get()) is not None:
            future, package, name = task
            if not future.set_running_or_notify_cancel():
                continue
            if dead is None:
                try:
                    self.process.stdin.write(json.dumps([0, package, name]) + "\n")
                    self.process.stdin.flush()
                    line = self.process.stdout.readline()
                    if not line:
                        raise RuntimeError("validation worker exited with code "
                                           f"{self.process.wait()}")
                    _, package_errors, task_errors = json.loads(line)
                    future.set_result((package_errors, task_errors))
                    continue
                except (OSError, ValueError, RuntimeError) as exc:
                    dead = exc
            future.set_exception(dead)
        with contextlib.suppress(OSError):  # a worker that died first
            self.process.stdin.close()  # the worker's end of input: it exits

    def stop(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        self.thread.join()
        self.process.wait()
        self.process.stdout.close()


class Validation:
    """Frictionless validation of a release's data packages in worker processes, each package
    submitted as soon as its files are written, so that validating overlaps with writing the
    rest. Each resource is one task (`frictionless.validate(package, name=…)`: the same checks
    as validating the package, foreign keys included), costliest first; errors are reported
    in package order, as one validation of the package reports them.

    Workers are fresh interpreters (`python -m warehouse.integrity`): neither a fork of a
    process running DuckDB threads (which can deadlock) nor multiprocessing's spawn (which
    runs the caller's main script again in each worker). With `workers=0` every package is
    validated in this process, as one task, when it is submitted."""

    def __init__(self, folder: Path, workers: int = VALIDATION_WORKERS) -> None:
        self.folder = folder
        self.tasks: queue.Queue = queue.Queue()
        self.workers = [_Worker(self.tasks) for _ in range(workers)]
        self.submitted: list[tuple[Path, list[Future]]] = []

    def submit(self, package: Path) -> None:
        # in this process, the package as one task: each task validates the whole
        # descriptor again (0.8 instead of 2.0 s for a small release's two packages)
        names = _resource_names(package) if self.workers else [None]
        futures = {name: Future() for name in names}
        for name in sorted(names, key=lambda n: -_resource_cost(package, n)):
            if self.workers:
                self.tasks.put((futures[name], str(package), name))
            else:
                futures[name].set_result(validate_package_resource(str(package), name))
        self.submitted.append((package, [futures[n] for n in names]))

    def check(self) -> None:
        """Wait for every submitted package; PublishError naming the first one that failed
        (or whose validation could not run: a worker that died fails the release too)."""
        for package, futures in self.submitted:
            name = package.relative_to(self.folder)
            try:
                results = [f.result() for f in futures]
            except Exception as exc:
                raise PublishError(f"release {self.folder.name}: {name} could not be "
                                   f"validated: {exc!r}") from exc
            errors = results[0][0] + [e for _, task_errors in results for e in task_errors]
            if errors:
                raise PublishError(f"release {self.folder.name}: {name} failed "
                                   "validation: " + "; ".join(errors[:10]))

    def close(self, kill: bool = False) -> None:
        """Stop the workers: when the tasks are done, or at once with `kill` (a failed
        publish does not wait for the validation of files it is about to delete)."""
        for _ in self.workers:
            self.tasks.put(None)
        for worker in self.workers:
            worker.stop(kill)
        self.workers = []
        for _, futures in self.submitted:  # what no worker took
            for future in futures:
                future.cancel()


def validate_release(folder: Path, validation: Validation | None = None) -> None:
    """The release's data package and, when present, its HSDS tabular package: wait for
    `validation` (packages submitted while the release was written) or validate them now."""
    if validation is None:
        validation = Validation(folder)
        try:
            for package in _packages(folder):
                validation.submit(package)
            validation.check()
        finally:
            validation.close()
    else:
        validation.check()


#: Releases kept under public/releases (the one `latest` points at is never removed).
KEEP_RELEASES = 30


def publish(con: duckdb.DuckDBPyConnection, public: Path, run_id: str, generated: datetime,
            *, base_url: str = DEFAULT_BASE_URL, keep: int = KEEP_RELEASES,
            state: str | None = None) -> Release:
    """Build, validate and switch to a new release. `state` is the fingerprint of the data it
    was built from (`warehouse.release_state`), kept in `latest.json`: a night whose state
    equals it has nothing new to publish."""
    releases = public / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    final = releases / run_id
    if final.exists():
        raise PublishError(f"release {run_id} exists already")
    latest = public / "latest"
    ctx = ReleaseContext(run_id=run_id, generated=generated, base_url=base_url, public=public,
                         previous=latest.resolve() if latest.exists() else None)
    remove_leftovers(public)
    building = public / f".building-{run_id}"
    building.mkdir()
    size = con.execute("SELECT count(*) FROM listings WHERE active").fetchone()[0]
    validation = Validation(building, workers=VALIDATION_WORKERS if size >= PARALLEL_FROM else 0)
    try:
        table = public_table(con)
        ctx = replace(ctx, listings=table)
        tables = {"listings": table} | entity_tables(con, table)
        withheld = withheld_report(con)
        validation.submit(write_tables(building, tables, _datapackage(con, run_id, generated),
                                       withheld))
        write_hsds(con, building, ctx)
        validation.submit(building / "hsds" / "datapackage.json")
        write_snapshot(con, building, table,
                       {k: v for k, v in tables.items() if k in ENTITY_FILES})
        write_changes(con, building, ctx, tuple(ENTITY_FILES))
        write_release_readme(con, building, ctx)
        with hashes_remembered():  # no file below is written again
            write_landing_page(con, building, ctx, tables,
                               attribution_text(contributing_sources(con)), withheld)
            write_dcat(con, building, ctx)  # describes every file above
            write_sha256sums(building)  # last: it covers every file above
        validate_release(building, validation)
        fsync_tree(building)  # whole on disk before anything can name it
        building.rename(final)
        fsync_path(releases)
    except BaseException:
        validation.close(kill=True)
        shutil.rmtree(building, ignore_errors=True)
        raise
    validation.close()
    counts = {stem: t.num_rows for stem, t in tables.items()}
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
    return Release(run_id=run_id, path=final, rows=table.num_rows, withheld=withheld)


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
