"""Open Referral HSDS 3.0 export of a release: `hsds/services.json` and a tabular data package.

Built only from what is public: the rows of `publish.public_table` (licence and privacy gates
applied there), and for structured values (phone types, topic codes with their names, the
meeting schedule, coordinates) the `listings` table joined on id for those rows only - never
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

The field names and types of `hsds/datapackage.json` are those of the official HSDS 3.0
tabular package, every column of each resource written (empty where there is no value).
"""

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.release.public import public_table

HSDS_VERSION = "3.0"
TAXONOMY = "selbsthilfe-atlas"
#: Namespace of the UUIDv5 ids of the HSDS records this export makes up.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://selbsthilfe-atlas.de/hsds")
BERLIN_STANDARD_OFFSET = 1
TIME_NOTE = ("Zeiten in Ortszeit Europe/Berlin: timezone 1 = MEZ (UTC+1); "
             "in der Sommerzeit (MESZ) gilt UTC+2.")
PHONE_TYPES = {"landline": "voice", "switchboard": "voice", "mobile": "cell", "fax": "fax"}
SELF_ORGANISED = {"contact_centre", "organisation"}

_S, _U, _N = "string", "uuid", "number"
#: Resource name -> (path, [(field, type, format)]): the official HSDS 3.0 names and types.
RESOURCES: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
    "organization": ("organizations.csv", [
        ("id", _S, _U), ("name", _S, None), ("alternate_name", _S, None),
        ("description", _S, None), ("email", _S, "email"), ("website", _S, "uri"),
        ("tax_status", _S, None), ("tax_id", _S, None), ("year_incorporated", _N, None),
        ("legal_status", _S, None), ("logo", _S, None), ("uri", _S, "uri"),
        ("parent_organization_id", _S, _U)]),
    "service": ("services.csv", [
        ("id", _S, _U), ("organization_id", _S, _U), ("program_id", _S, _U),
        ("name", _S, None), ("alternate_name", _S, None), ("description", _S, None),
        ("url", _S, "uri"), ("email", _S, "email"), ("status", _S, None),
        ("interpretation_services", _S, None), ("application_process", _S, None),
        ("fees_description", _S, None), ("wait_time", _S, None), ("fees", _S, None),
        ("accreditations", _S, None), ("eligibility_description", _S, None),
        ("minimum_age", _N, None), ("maximum_age", _N, None), ("assured_date", "date", None),
        ("assurer_email", _S, "email"), ("licenses", _S, None), ("alert", _S, None),
        ("last_modified", "datetime", None)]),
    "location": ("locations.csv", [
        ("id", _S, _U), ("location_type", _S, None), ("url", _S, "uri"),
        ("organization_id", _S, _U), ("name", _S, None), ("alternate_name", _S, None),
        ("description", _S, None), ("transportation", _S, None), ("latitude", _N, None),
        ("longitude", _N, None), ("external_identifier", _S, None),
        ("external_identifier_type", _S, None)]),
    "service_at_location": ("service_at_location.csv", [
        ("id", _S, _U), ("service_id", _S, _U), ("location_id", _S, _U),
        ("description", _S, None)]),
    "address": ("addresses.csv", [
        ("id", _S, _U), ("location_id", _S, _U), ("attention", _S, None),
        ("address_1", _S, None), ("address_2", _S, None), ("city", _S, None),
        ("region", _S, None), ("state_province", _S, None), ("postal_code", _S, None),
        ("country", _S, None), ("address_type", _S, None)]),
    "phone": ("phones.csv", [
        ("id", _S, _U), ("location_id", _S, _U), ("service_id", _S, _U),
        ("organization_id", _S, _U), ("contact_id", _S, _U),
        ("service_at_location_id", _S, _U), ("number", _S, None), ("extension", _N, None),
        ("type", _S, None), ("description", _S, None)]),
    "schedule": ("schedules.csv", [
        ("id", _S, _U), ("service_id", _S, _U), ("location_id", _S, _U),
        ("service_at_location_id", _S, _U), ("valid_from", "date", None),
        ("valid_to", "date", None), ("dtstart", "date", None), ("timezone", _N, None),
        ("until", "date", None), ("count", _N, None), ("wkst", _S, None), ("freq", _S, None),
        ("interval", _N, None), ("byday", _S, None), ("byweekno", _S, None),
        ("bymonthday", _S, None), ("byyearday", _S, None), ("description", _S, None),
        ("opens_at", "time", None), ("closes_at", "time", None),
        ("schedule_link", _S, "uri"), ("attending_type", _S, None), ("notes", _S, None)]),
    "taxonomy": ("taxonomies.csv", [
        ("id", _S, _U), ("name", _S, None), ("description", _S, None), ("uri", _S, "uri"),
        ("version", _S, None)]),
    "taxonomy_term": ("taxonomy_terms.csv", [
        ("id", _S, _U), ("code", _S, None), ("name", _S, None), ("description", _S, None),
        ("parent_id", _S, _U), ("taxonomy", _S, None), ("language", _S, None),
        ("taxonomy_id", _S, _U), ("term_uri", _S, "uri")]),
    "attribute": ("attributes.csv", [
        ("id", _S, _U), ("link_id", _S, _U), ("taxonomy_term_id", _S, _U),
        ("link_type", _S, None), ("link_entity", _S, None), ("value", _S, None)]),
}
#: Fields HSDS requires in the tabular form (frictionless `required`).
REQUIRED = {
    "organization": {"id", "name", "description"},
    "service": {"id", "organization_id", "name", "status"},
    "location": {"id", "location_type"},
    "service_at_location": {"id", "service_id", "location_id"},
    "address": {"id", "address_1", "city", "state_province", "postal_code", "country",
                "address_type"},
    "phone": {"id", "number"},
    "schedule": {"id"},
    "taxonomy": {"id", "name", "description"},
    "taxonomy_term": {"id", "name", "description"},
    "attribute": {"id", "link_id", "taxonomy_term_id", "link_entity"},
}
FOREIGN_KEYS = {
    "service": [("organization_id", "organization")],
    "location": [("organization_id", "organization")],
    "service_at_location": [("service_id", "service"), ("location_id", "location")],
    "address": [("location_id", "location")],
    "phone": [("service_id", "service"), ("organization_id", "organization")],
    "schedule": [("service_id", "service")],
    "taxonomy_term": [("taxonomy_id", "taxonomy")],
    "attribute": [("taxonomy_term_id", "taxonomy_term")],
}


_NAMESPACE_BYTES = NAMESPACE.bytes


def _id(*parts: object) -> str:
    """`str(uuid.uuid5(NAMESPACE, "a:b:…"))` without the UUID object: an export of 100,000
    listings makes close to a million of these ids."""
    name = ":".join(str(p) for p in parts).encode("utf-8")
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _first(joined: str | None) -> str | None:
    return joined.split(" | ")[0] if joined else None


def _structured(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict]:
    """Phones (public only), topics, schedule and coordinates of the public listings (only
    where the street is published, as in `warehouse.release.public`: a point may be a private
    home)."""
    con.register("_hsds_ids", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute("""
            SELECT l.id::VARCHAR,
                   list_filter(l.phones, lambda p: p.valid AND NOT p.personal),
                   l.topics, l.meeting.schedule,
                   CASE WHEN l.address.street IS NOT NULL THEN l.coordinates END
            FROM listings l JOIN _hsds_ids i ON l.id::VARCHAR = i.id""").fetchall()
    finally:
        con.unregister("_hsds_ids")
    return {r[0]: {"phones": r[1] or [], "topics": r[2] or [], "schedule": r[3],
                   "coordinates": r[4]} for r in rows}


def _organization(row: dict) -> dict:
    if row["kind"] in SELF_ORGANISED or not row["carrier"]:
        return {"id": _id("organization", "listing", row["id"]), "name": row["name"],
                "description": row["description"] or row["name"],
                "email": _first(row["emails"]), "website": _first(row["websites"])}
    carrier = " ".join(row["carrier"].split())
    return {"id": _id("organization", "carrier", carrier.casefold()), "name": carrier,
            "description": f"Träger (carrier) von Selbsthilfeangeboten: {carrier}"}


def _address(row: dict, location_id: str) -> dict | None:
    street = " ".join(p for p in (row["street"], row["house_number"]) if p)
    if not (row["street"] and row["postcode"] and row["city"] and row["state"]):
        return None
    return {"id": _id("address", row["id"]), "location_id": location_id,
            "address_1": street, "address_2": row["address_extra"], "city": row["city"],
            "region": row["district"], "state_province": row["state"],
            "postal_code": row["postcode"], "country": "DE", "address_type": "physical"}


def _time(hhmm: str | None) -> str | None:
    return f"{hhmm}:00" if hhmm else None


def _schedules(row: dict, schedule: dict | None) -> list[dict]:
    out = []
    if row["meeting_text"]:
        item: dict[str, Any] = {"id": _id("schedule", "meeting", row["id"]),
                                "service_id": row["id"], "description": row["meeting_text"],
                                "attending_type": "nur auf Anfrage"
                                if row["meeting_on_request"] else None}
        if schedule and schedule["freq"] in ("WEEKLY", "MONTHLY"):
            item |= {"freq": schedule["freq"], "interval": schedule["interval"],
                     "byday": ",".join(schedule["byday"]) or None,
                     "opens_at": _time(schedule["opens_at"]),
                     "closes_at": _time(schedule["closes_at"]),
                     "timezone": BERLIN_STANDARD_OFFSET, "notes": TIME_NOTE}
        out.append(item)
    if row["opening_hours_text"]:
        out.append({"id": _id("schedule", "opening_hours", row["id"]),
                    "service_id": row["id"], "description": row["opening_hours_text"],
                    "notes": "Öffnungszeiten (opening hours) as published"})
    return out


def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None and v != [] and v != ""}


#: Public rows turned into HSDS records at a time: the export streams, so a release of 100,000
#: listings never holds all their services, rows and nested dicts at once.
BATCH = 5000
#: Resources whose records several listings share (written once, first one wins); every other
#: record's id is derived from its listing's id and so unique.
SHARED = ("organization", "taxonomy_term")


def _taxonomy() -> dict:
    return {"id": _id("taxonomy", TAXONOMY), "name": TAXONOMY, "version": "1",
            "description": "Themenbereiche (topic codes) des selbsthilfe-atlas"}


def _services(con: duckdb.DuckDBPyConnection,
              ctx: Any) -> Iterator[tuple[dict, list[tuple[str, dict]]]]:
    """Per public listing, in table order: its HSDS service (JSON form) and its tabular rows
    as (resource name, record)."""
    taxonomy_id = _id("taxonomy", TAXONOMY)
    table = getattr(ctx, "listings", None)  # the release's table, when publish has it
    for batch in (public_table(con) if table is None else table).to_batches(
            max_chunksize=BATCH):
        rows = batch.to_pylist()
        extra = _structured(con, [r["id"] for r in rows])
        for row in rows:
            yield _service(row, extra.get(row["id"], {"phones": [], "topics": [],
                                                      "schedule": None, "coordinates": None}),
                           taxonomy_id)


def _service(row: dict, more: dict, taxonomy_id: str) -> tuple[dict, list[tuple[str, dict]]]:
    records: list[tuple[str, dict]] = []
    org = _clean(_organization(row))
    records.append(("organization", org))
    service = _clean({
        "id": row["id"], "organization_id": org["id"], "name": row["name"],
        "description": row["description"], "url": _first(row["websites"]),
        "email": _first(row["emails"]), "status": "active",
        "last_modified": row["changed_at"]})
    records.append(("service", service))
    phones = []
    for i, p in enumerate(more["phones"]):
        phone = _clean({"id": _id("phone", row["id"], i, p["e164"]),
                        "service_id": row["id"], "number": p["e164"],
                        "extension": int(p["extension"])
                        if (p["extension"] or "").isdigit() else None,
                        "type": PHONE_TYPES.get(p["type"] or "", "voice")})
        records.append(("phone", phone))
        phones.append(phone)
    schedules = [_clean(s) for s in _schedules(row, more["schedule"])]
    records += [("schedule", s) for s in schedules]
    attributes = []
    seen = set()
    for t in more["topics"]:
        if not t["code"] or t["code"] in seen:
            continue
        seen.add(t["code"])
        name = t["preferred"] or t["label"] or t["code"]
        term = _clean({"id": _id("taxonomy_term", TAXONOMY, t["code"]), "code": t["code"],
                       "name": name, "description": f"{name} ({TAXONOMY}: {t['code']})",
                       "taxonomy": TAXONOMY, "language": "de",
                       "taxonomy_id": taxonomy_id})
        records.append(("taxonomy_term", term))
        attribute = {"id": _id("attribute", row["id"], t["code"]), "link_id": row["id"],
                     "taxonomy_term_id": term["id"], "link_type": "topic",
                     "link_entity": "service"}
        records.append(("attribute", attribute))
        attributes.append(attribute | {"taxonomy_term": term})
    service_at_locations = []
    location_id = _id("location", row["id"])
    address = _address(row, location_id)
    coords = more["coordinates"]
    if address or coords:
        location = _clean({
            "id": location_id, "location_type": "physical",
            "organization_id": org["id"], "name": row["address_extra"],
            "latitude": coords["lat"] if coords else None,
            "longitude": coords["lon"] if coords else None})
        records.append(("location", location))
        if address:
            records.append(("address", _clean(address)))
        link = {"id": _id("service_at_location", row["id"]), "service_id": row["id"],
                "location_id": location_id}
        records.append(("service_at_location", link))
        service_at_locations.append(link | {"location": location | (
            {"addresses": [_clean(address)]} if address else {})})
    return service | _clean({
        "organization": org, "phones": phones, "schedules": schedules,
        "attributes": attributes, "service_at_locations": service_at_locations}), records


def datapackage(ctx: Any) -> dict:
    resources = []
    for name, (path, fields) in RESOURCES.items():
        schema: dict[str, Any] = {
            "fields": [{"name": f, "type": t}
                       | ({"format": fmt} if fmt else {})
                       | ({"constraints": {"required": True}}
                          if f in REQUIRED[name] else {})
                       for f, t, fmt in fields],
            "primaryKey": ["id"]}
        if name in FOREIGN_KEYS:
            schema["foreignKeys"] = [{"fields": f, "reference": {"resource": r, "fields": "id"}}
                                     for f, r in FOREIGN_KEYS[name]]
        resources.append({"name": name, "path": path, "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": schema})
    return {"name": "selbsthilfe-atlas-hsds", "profile": "tabular-data-package",
            "title": "selbsthilfe-atlas as Open Referral HSDS 3.0",
            "version": HSDS_VERSION, "id": f"selbsthilfe-atlas/{ctx.run_id}/hsds",
            "created": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "homepage": ctx.base_url, "resources": resources}


def write_hsds(con: duckdb.DuckDBPyConnection, folder: Path, ctx: Any) -> list[Path]:
    """Write `folder/hsds/`: services.json, one CSV per HSDS resource, datapackage.json.

    Streamed: each listing's service is appended to services.json (the same bytes as one
    `json.dumps(services, indent=1)`) and its rows to the CSVs as it is built."""
    out = folder / "hsds"
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "services.json"] + [out / path for path, _ in RESOURCES.values()]
    with ExitStack() as files:
        writers = {}
        for name, (path, fields) in RESOURCES.items():
            writer = csv.writer(files.enter_context(
                open(out / path, "w", encoding="utf-8", newline="")))
            writer.writerow([n for n, _, _ in fields])
            writers[name] = (writer, [n for n, _, _ in fields])
        shared: dict[str, set[str]] = {name: set() for name in SHARED}

        def emit(name: str, record: dict) -> None:
            if name in shared:
                if record["id"] in shared[name]:
                    return
                shared[name].add(record["id"])
            writer, names = writers[name]
            writer.writerow(["" if record.get(n) is None else record[n] for n in names])

        emit("taxonomy", _taxonomy())
        services = files.enter_context(open(written[0], "w", encoding="utf-8"))
        services.write("[")
        count = 0
        for service, records in _services(con, ctx):
            for name, record in records:
                emit(name, record)
            text = json.dumps(service, ensure_ascii=False, indent=1).replace("\n", "\n ")
            services.write((",\n " if count else "\n ") + text)
            count += 1
        services.write("\n]" if count else "]")
    (out / "datapackage.json").write_text(
        json.dumps(datapackage(ctx), ensure_ascii=False, indent=2), "utf-8")
    written.append(out / "datapackage.json")
    return written
