"""Build a release of open-data extracts and switch `public/latest` to it atomically.

The release is built in a temporary folder next to `releases/`, validated with Frictionless,
then renamed into place; only then is the `latest` symlink replaced (one `rename`). A failure
at any step leaves `latest` on the previous release.

What is public is decided here and only here: listings of sources whose policy is `open`,
active listings only, and never a field or list entry flagged as a private person's data.
`withheld.json` says what was left out and why.
"""

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import frictionless
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from warehouse.changes import write_changes
from warehouse.excel import write_excel_csv
from warehouse.integrity import latest_run_id, prune_releases, update_history, write_sha256sums
from warehouse.metadata import write_dcat, write_release_readme

FORMAT_VERSION = "0.1"

def _joined(column: str, keep: str, value: str) -> str:
    """SQL: the `value`s of the entries of list `column` that satisfy `keep`, ' | '-joined."""
    return (f"nullif(array_to_string(list_transform(list_filter({column}, lambda t: {keep}),"
            f" lambda t: {value}), ' | '), '')")


#: The public table: (column, frictionless type, description, SQL over `listings` l).
#: The order is the published column order; change it only with a format version bump.
PUBLIC_COLUMNS: list[tuple[str, str, str, str]] = [
    ("id", "string", "stable listing id (UUIDv5 of source and source key)", "l.id::VARCHAR"),
    ("kind", "string", "group | contact_centre | organisation | rare_condition", "l.kind"),
    ("name", "string", "name as published by the source", "l.name"),
    ("description", "string", "plain-text description", "l.description"),
    ("topics", "string", "topic labels as the source printed them, separated by ' | '",
     "nullif(array_to_string(list_transform(list_filter(list_zip(l.topics,"
     " range(len(l.topics))), lambda p: list_position(list_transform(l.topics,"
     " lambda t: t.label), p[1].label) = p[2] + 1), lambda p: p[1].label), ' | '), '')"),
    ("topic_codes", "string", "topic codes of the selbsthilfe-atlas taxonomy, ' | '",
     _joined("l.topics", "t.code IS NOT NULL", "t.code")),
    ("carrier", "string", "Träger (carrier organisation)", "l.carrier"),
    ("street", "string", "street", "l.address.street"),
    ("house_number", "string", "house number", "l.address.house_number"),
    ("address_extra", "string", "building, floor, c/o", "l.address.extra"),
    ("postcode", "string", "five-digit postcode", "l.address.postcode"),
    ("city", "string", "city", "l.address.city"),
    ("district", "string", "district (Stadtteil / Kreis)", "l.address.district"),
    ("state", "string", "Bundesland", "l.address.state"),
    ("phones", "string", "public phone numbers in E.164, separated by ' | '",
     _joined("l.phones", "t.valid AND NOT t.personal", "t.e164")),
    ("emails", "string", "public e-mail addresses, separated by ' | '",
     _joined("l.emails", "t.valid AND NOT t.personal", "t.address")),
    ("websites", "string", "web sites, separated by ' | '",
     _joined("l.websites", "t.valid", "t.url")),
    ("opening_hours", "string", "OpenStreetMap opening_hours syntax", "l.opening_hours.osm"),
    ("opening_hours_text", "string", "office hours as published",
     "l.opening_hours.original"),
    ("meeting_text", "string", "meeting rhythm and place as published", "l.meeting.original"),
    ("meeting_on_request", "boolean", "meeting time/place only on request",
     "l.meeting.on_request"),
    ("meeting_rrule", "string", "meeting rhythm as an RFC 5545 RRULE, when understood",
     "CASE WHEN l.meeting.schedule IS NOT NULL THEN 'FREQ=' || l.meeting.schedule.freq"
     " || CASE WHEN l.meeting.schedule.interval > 1"
     " THEN ';INTERVAL=' || l.meeting.schedule.interval ELSE '' END"
     " || CASE WHEN len(l.meeting.schedule.byday) > 0"
     " THEN ';BYDAY=' || array_to_string(l.meeting.schedule.byday, ',') ELSE '' END END"),
    ("meeting_opens_at", "string", "meeting start (HH:MM, Europe/Berlin)",
     "l.meeting.schedule.opens_at"),
    ("meeting_closes_at", "string", "meeting end (HH:MM, Europe/Berlin)",
     "l.meeting.schedule.closes_at"),
    ("contact_route", "string", "how to reach it through an institution", "l.contact_route"),
    ("accessibility", "string", "accessibility as published", "l.accessibility"),
    ("online", "boolean", "an online offer (forum, video meeting)", "l.online"),
    ("org_type", "string", "organisation type as the source names it", "l.org_type"),
    ("org_flags", "string", "self_help_organisation | umbrella | anonymous | forum | "
     "institution, separated by ' | '", "nullif(array_to_string(l.org_flags, ' | '), '')"),
    ("parent_id", "string", "id of the parent listing (a branch's main office)",
     "l.parent_id::VARCHAR"),
    ("contact_count", "integer", "rare conditions: number of contacts known to the source",
     "l.contact_count"),
    ("source_id", "string", "source registry id", "l.source_id"),
    ("source_key", "string", "the source's own key", "l.source_key"),
    ("source_url", "string", "page the listing was taken from", "l.provenance.source_url"),
    ("fetched_at", "datetime", "when the page was fetched (UTC)",
     "strftime(l.provenance.fetched_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"),
    ("licence", "string", "licence of the source", "l.licence"),
    ("upstream_id", "string", "federated listings: the id the upstream publisher gave it",
     "l.provenance.upstream.id"),
    ("upstream_release", "string", "federated listings: the upstream release it came from",
     "l.provenance.upstream.release_url"),
    ("verified_at", "datetime", "last accepted run of its source (UTC): how old the record "
     "is when later runs of the source failed",
     "strftime(v.verified_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"),
    ("first_seen", "datetime", "first seen by selbsthilfe-atlas (UTC)",
     "strftime(l.first_seen AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"),
    ("changed_at", "datetime", "last change seen (UTC)",
     "strftime(l.changed_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"),
]


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


#: Where releases are served; download URLs in metadata are built from it.
DEFAULT_BASE_URL = "https://daten.selbsthilfe-atlas.example/"


@dataclass(frozen=True)
class Release:
    run_id: str
    path: Path
    rows: int
    withheld: dict


def public_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    select = ",\n".join(f"{sql} AS {name}" for name, _, _, sql in PUBLIC_COLUMNS)
    return con.sql(f"""
        SELECT {select}
        FROM listings l JOIN sources s USING (source_id)
        LEFT JOIN (SELECT source_id, max(finished_at) AS verified_at FROM source_runs
                   WHERE status = 'ok' GROUP BY source_id) v USING (source_id)
        WHERE l.active AND s.policy = 'open'
        ORDER BY l.source_id, l.source_key
    """).to_arrow_table()


def withheld_report(con: duckdb.DuckDBPyConnection) -> dict:
    """Per source: records withheld by policy, and per field the private values left out."""
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
                "emails": {"count": int(emails), "reason": "private person's mailbox"},
            }}
    return report


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
        "resources": [{
            "name": "listings",
            "path": "listings.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {
                "fields": [{"name": n, "type": t, "description": d}
                           for n, t, d, _ in PUBLIC_COLUMNS],
                "primaryKey": ["id"],
            },
        }],
    }


def _write_files(folder: Path, table: pa.Table, package: dict, withheld: dict) -> None:
    pacsv.write_csv(table, folder / "listings.csv",
                    pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    pq.write_table(table, folder / "listings.parquet")
    document = {"meta": {"format_version": FORMAT_VERSION, "id": package["id"],
                         "created": package["created"], "count": table.num_rows,
                         "licenses": package["licenses"], "sources": package["sources"]},
                "listings": table.to_pylist()}
    (folder / "listings.json").write_text(json.dumps(document, ensure_ascii=False, indent=1),
                                          "utf-8")
    (folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2),
                                             "utf-8")
    (folder / "withheld.json").write_text(json.dumps(withheld, ensure_ascii=False, indent=2),
                                          "utf-8")


#: Lower case, accents and umlauts folded ("Angehörige" -> "angehorige"), ß as "ss": so that
#: `search_text ILIKE '%sucht%'` finds "Suchtkranke" and "angehorig" finds "Angehörige".
SEARCH_TEXT = ("replace(strip_accents(lower(concat_ws(' ', name, description, topics, carrier, "
               "city, district))), 'ß', 'ss')")

#: DuckDB 1.4 clients must open the snapshot (researchers do not all upgrade together).
SNAPSHOT_STORAGE_VERSION = "v1.4.0"


def write_snapshot(con: duckdb.DuckDBPyConnection, folder: Path, table: pa.Table) -> Path:
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
        con.execute("COMMENT ON COLUMN snapshot.listings.search_text IS 'name, description, "
                    "topics and place in lower case, umlauts and accents folded, ß as ss: "
                    "for ILIKE searches'")
        for name, _, description, _ in PUBLIC_COLUMNS:
            quoted = description.replace("'", "''")
            con.execute(f"COMMENT ON COLUMN snapshot.listings.{name} IS '{quoted}'")
    finally:
        con.execute("DETACH snapshot")
        con.unregister("_public")
    return path


def validate_release(folder: Path) -> None:
    """The release's data package and, when present, its HSDS tabular package."""
    for package in (folder / "datapackage.json", folder / "hsds" / "datapackage.json"):
        if package.exists():
            _validate_package(folder, package)


def _validate_package(folder: Path, package: Path) -> None:
    report = frictionless.validate(str(package))
    if not report.valid:
        errors = [f"{e.type}: {e.message}" for e in report.errors]
        errors += [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors]
        errors = errors[:10]
        raise PublishError(f"release {folder.name}: {package.relative_to(folder)} failed "
                           "validation: " + "; ".join(errors))


#: Releases kept under public/releases (the one `latest` points at is never removed).
KEEP_RELEASES = 30


def publish(con: duckdb.DuckDBPyConnection, public: Path, run_id: str, generated: datetime,
            *, base_url: str = DEFAULT_BASE_URL, keep: int = KEEP_RELEASES) -> Release:
    releases = public / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    final = releases / run_id
    if final.exists():
        raise PublishError(f"release {run_id} exists already")
    latest = public / "latest"
    ctx = ReleaseContext(run_id=run_id, generated=generated, base_url=base_url, public=public,
                         previous=latest.resolve() if latest.exists() else None)
    building = public / f".building-{run_id}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        table = public_table(con)
        withheld = withheld_report(con)
        _write_files(building, table, _datapackage(con, run_id, generated), withheld)
        write_snapshot(con, building, table)
        write_excel_csv(table, building / "listings-excel.csv")
        write_changes(con, building, ctx)
        from warehouse.hsds import write_hsds  # it builds on public_table() from here

        write_hsds(con, building, ctx)
        write_release_readme(con, building, ctx)
        write_dcat(con, building, ctx)  # describes every file above
        write_sha256sums(building)  # last: it covers every file above
        validate_release(building)
        building.rename(final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    switch_latest(public, final)
    write_json_atomically(public / "latest.json",
                          latest_document(final, run_id, generated, table.num_rows))
    update_history(public, {"run_id": run_id,
                            "generated": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "counts": {"listings": table.num_rows},
                            "path": f"releases/{run_id}/"})
    prune_releases(public, keep=keep, protect={run_id, latest_run_id(public)})
    return Release(run_id=run_id, path=final, rows=table.num_rows, withheld=withheld)


def latest_document(release: Path, run_id: str, generated: datetime, rows: int) -> dict:
    """`latest.json`: where the newest release and its files are (paths relative to this
    document), with sizes and checksums — what portals and federating instances poll."""
    files = {}
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        name = path.relative_to(release).as_posix()
        files[name] = {"path": f"releases/{run_id}/{name}", "bytes": path.stat().st_size,
                       "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {"format_version": FORMAT_VERSION, "run_id": run_id,
            "generated": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "release": f"releases/{run_id}/", "counts": {"listings": rows}, "files": files}


def write_json_atomically(path: Path, document: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    os.replace(tmp, path)


def switch_latest(public: Path, release: Path) -> None:
    """Point `public/latest` at `release` in one atomic rename of a fresh symlink."""
    tmp = public / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(release.relative_to(public))
    os.replace(tmp, public / "latest")
