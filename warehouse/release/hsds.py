"""Open Referral HSDS 3.0 export of a release: `hsds/services.json` and a tabular data package.

Built only from what is public: the rows of `warehouse.release.public.public_table` (licence and
privacy gates applied there), and for structured values (phone types, topic codes with their
names, the meeting schedule) the `listings` table joined on id for those rows only - never
`contact_person`, and only phones and e-mails that are valid and not a private person's.

Mapping: a listing is a `service` (id = listing id). Its `organization` is the listing itself
for contact centres and organisations, else its carrier (Träger), else the listing itself;
organisation ids are UUIDv5, stable across runs. The listing's address is a `location` with a
physical `address` (only when street, postcode, city and Bundesland are all known, as HSDS
requires). Topic codes are `taxonomy_term`s of the taxonomy "selbsthilfe-atlas", linked by
`attribute`s. A meeting is a `schedule` whose `description` is the meeting text as published.

Times: HSDS has only a numeric UTC offset (`timezone`) and no time zone with daylight saving.
`opens_at`/`closes_at` are the local wall-clock times of Europe/Berlin, `timezone` is 1 (CET,
the standard offset) and `notes` says that in summer time (CEST) the offset is +2. A rhythm
HSDS cannot express (YEARLY) keeps only its text; an interval > 1 has no `dtstart` (no source
says which week), so "which fortnight" stays in the text.

The records are DuckDB views (`hsds.sql`); the CSVs are written by `COPY`, and the nested
service documents of `services.json` are built by DuckDB (`hsds_services.sql`).
"""

import json
import uuid
from pathlib import Path
from typing import Any

import duckdb

from warehouse.release.integrity import write_json
from warehouse.release.public import public_table
from warehouse.storage import sql_literal, sql_name

#: Namespace of the UUIDv5 ids of the HSDS records this export makes up.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://selbsthilfe-atlas.de/hsds")
#: Resources whose records several listings share (written once, the first one wins); every
#: other record's id is derived from its listing's id and so unique.
SHARED = ("organization", "taxonomy_term")
#: The views of each resource's records (`hsds.sql`) and the services query over them.
VIEWS = Path(__file__).with_name("hsds.sql")
SERVICES = Path(__file__).with_name("hsds_services.sql")
#: `hsds/datapackage.json` but for the run's id, date and homepage: per resource its CSV and
#: fields with the official HSDS 3.0 names, types and formats, required fields and keys.
DATAPACKAGE = Path(__file__).with_name("hsds_datapackage.json")
#: Listings whose services.json documents are built at a time.
BATCH = 5000


def datapackage(ctx: Any) -> dict:
    """`hsds/datapackage.json`: the CSVs described as the official tabular package does."""
    return json.loads(DATAPACKAGE.read_text("utf-8")) | {
        "id": f"selbsthilfe-atlas/{ctx.run_id}/hsds",
        "created": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"), "homepage": ctx.base_url}


def _rows_query(name: str, fields: list[str], columns: set[str]) -> str:
    """SQL: the resource's CSV rows, every HSDS field in the official order (null where the
    view has no such column), shared records once, in release order."""
    select = ", ".join(sql_name(f) if f in columns else f"NULL AS {sql_name(f)}" for f in fields)
    once = ("QUALIFY row_number() OVER (PARTITION BY id ORDER BY ord, sub) = 1"
            if name in SHARED else "")
    return f"SELECT {select} FROM hsds_{name} {once} ORDER BY ord, sub"


def _members_view(cur: duckdb.DuckDBPyConnection, name: str, fields: list[str],
                  columns: set[str]) -> None:
    """`hsds_<name>_members`: each record's JSON object members (`hsds_member`), one per HSDS
    field it has, for `hsds_services.sql` to nest."""
    members = ", ".join(f"hsds_member('{f}', to_json({sql_name(f)}))"
                        for f in fields if f in columns)
    keys = ", ".join(c for c in ("ord", "sub", "service_id") if c in columns)
    cur.execute(f"CREATE OR REPLACE TEMP VIEW hsds_{name}_members AS "
                f"SELECT {keys}, [{members}] AS members FROM hsds_{name}")


def _write_services(cur: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A JSON array of the services, one per line, built by DuckDB a batch of listings at a
    time (all at once, the nesting held every listing's records in memory)."""
    count = cur.execute("SELECT count(*) FROM hsds_listing").fetchone()[0]
    query = SERVICES.read_text("utf-8")
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        separator = "\n"
        for first in range(1, count + 1, BATCH):
            services = cur.execute(query, {"first": first, "last": first + BATCH - 1})
            for (service,) in services.fetchall():
                out.write(separator + service)
                separator = ",\n"
        out.write("\n]\n")


def write_hsds(con: duckdb.DuckDBPyConnection, folder: Path, ctx: Any) -> list[Path]:
    """Write `folder/hsds/`: services.json, one CSV per HSDS resource, datapackage.json."""
    out = folder / "hsds"
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "services.json"]
    with con.cursor() as cur:  # the views, macros and registered table are this cursor's
        cur.register("hsds_public", public_table(con))
        cur.execute(f"CREATE TEMP MACRO hsds_namespace() AS unhex('{NAMESPACE.hex}')")
        cur.execute(VIEWS.read_text("utf-8"))
        package = datapackage(ctx)
        for resource in package["resources"]:
            name, path = resource["name"], out / resource["path"]
            names = [f["name"] for f in resource["schema"]["fields"]]
            columns = {r[0] for r in cur.execute(f"DESCRIBE hsds_{name}").fetchall()}
            cur.execute(f"COPY ({_rows_query(name, names, columns)}) TO {sql_literal(str(path))} "
                        "(FORMAT csv, HEADER)")
            _members_view(cur, name, names, columns)
            written.append(path)
        _write_services(cur, written[0])
    return [*written, write_json(out / "datapackage.json", package)]
