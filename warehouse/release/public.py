"""The public table: what a release may show of the warehouse, column by column.

The licence gate (only sources whose policy is `open`), the privacy gate (no private
person's value), and the published column order and descriptions live here, so every
release writer (CSV, JSON, Parquet, snapshot, HSDS, metadata) builds on the same rows.

The rows are SQL: `create_public_tables` materialises them once per release as the temporary
tables `public_<stem>`, which every exporter copies from. List columns (`LIST_COLUMNS`) are
lists there, published as JSON arrays; the flat files join them with ' | ' (`flat_select`).
"""

import duckdb
import pyarrow as pa

from schema.normalise.flags import FLAG_CODES

#: 0.2: phone_hours, phone_hours_text; flags, place and as-of columns.
#: 0.3: the JSON files hold list columns as arrays (CSV, Parquet and the snapshot unchanged).
FORMAT_VERSION = "0.3"

#: Columns that hold several values: arrays in JSON, ' | '-joined text everywhere else.
LIST_COLUMNS = frozenset({
    "topics", "topic_codes", "phones", "emails", "websites", "org_flags", "flags",
    "social_links", "sources", "listing_ids", "source_urls", "licences"})


def _listed(items: str) -> str:
    """SQL: a list expression as a text list, [] when NULL (JSON readers get an array)."""
    return f"coalesce({items}, [])::VARCHAR[]"


def _joined(column: str, keep: str, value: str) -> str:
    """SQL: the `value`s of the entries of list `column` that satisfy `keep`."""
    return _listed(f"list_transform(list_filter({column}, lambda t: {keep}), lambda t: {value})")


def flags_description() -> str:
    """The `flags` column's description: every code, by kind (the table is in
    `schema.normalise.flags`)."""
    kinds = {k: [f.code for f in FLAG_CODES if f.kind == k]
             for k in ("repaired", "doubtful", "withheld")}
    return ("quality flags of the listing, codes separated by ' | ' (repaired: a value was "
            "changed or moved to read right; doubtful: published as given or partly "
            "understood; withheld: a value the source gave is not published, traced in "
            "withheld.json). " + "; ".join(f"{k}: {', '.join(c)}" for k, c in kinds.items()))


#: SQL: a listing's flag codes (the part before the first colon; the detail after it may
#: name a private person and is never published), known codes only, each once, sorted.
FLAGS_SQL = _listed("list_sort(list_distinct(list_filter(list_transform("
                    "l.flags, lambda f: split_part(f, ':', 1)), lambda c: list_contains(["
                    + ", ".join(f"'{f.code}'" for f in FLAG_CODES) + "], c))))")


#: The public table: (column, frictionless type, description, SQL over `listings` l).
#: The order is the published column order; change it only with a format version bump.
PUBLIC_COLUMNS: list[tuple[str, str, str, str]] = [
    ("id", "string", "stable listing id (UUIDv5 of source and source key)", "l.id::VARCHAR"),
    ("kind", "string", "group | contact_centre | organisation | rare_condition", "l.kind"),
    ("name", "string", "name as published by the source", "l.name"),
    ("description", "string", "plain-text description", "l.description"),
    ("topics", "string", "topic labels as the source printed them, separated by ' | '",
     _listed("list_transform(list_filter(list_zip(l.topics,"
             " range(len(l.topics))), lambda p: list_position(list_transform(l.topics,"
             " lambda t: t.label), p[1].label) = p[2] + 1), lambda p: p[1].label)")),
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
    ("phone_hours", "string", "phone hours (times to call) in OpenStreetMap opening_hours "
     "syntax; never office hours", "l.phone_hours.osm"),
    ("phone_hours_text", "string", "phone hours as published", "l.phone_hours.original"),
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
     "institution, separated by ' | '", _listed("l.org_flags")),
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
    ("flags", "string", flags_description(), FLAGS_SQL),
    ("latitude", "number", "WGS84 latitude of the place, only where its street is published "
     "(a group's point may be a private home)",
     "CASE WHEN l.address.street IS NOT NULL THEN l.coordinates.lat END"),
    ("longitude", "number", "WGS84 longitude of the place, only where its street is published",
     "CASE WHEN l.address.street IS NOT NULL THEN l.coordinates.lon END"),
    ("social_links", "string", "social-media links as 'platform: URL', separated by ' | ' "
     "(platform: facebook, instagram, x, mastodon, bluesky, threads, youtube, tiktok, "
     "linkedin, xing, telegram, whatsapp, pinterest, other)",
     _joined("l.social_links", "t.valid AND NOT t.personal", "t.platform || ': ' || t.url")),
    ("as_of", "date", "the date the source gives for its data (Stand), when it gives one",
     "strftime(l.provenance.as_of, '%Y-%m-%d')"),
]


def public_listings_sql() -> str:
    """SQL: the public listings, in published column order and row order."""
    select = ",\n".join(f"{sql} AS {name}" for name, _, _, sql in PUBLIC_COLUMNS)
    return f"""
        SELECT {select}
        FROM listings l JOIN sources s USING (source_id)
        LEFT JOIN (SELECT source_id, max(finished_at) AS verified_at FROM source_runs
                   WHERE status = 'ok' GROUP BY source_id) v USING (source_id)
        WHERE l.active AND s.policy = 'open'
        ORDER BY l.source_id, l.source_key
    """


def flat_columns(columns: list[tuple[str, str, str, str]]) -> list[str]:
    """SQL per published column as the flat files hold it: lists ' | '-joined (NULL when
    empty), every other column as it is."""
    return [f"nullif(array_to_string({name}, ' | '), '') AS {name}" if name in LIST_COLUMNS
            else name for name, _, _, _ in columns]


def flat_select(table: str, columns: list[tuple[str, str, str, str]]) -> str:
    """SQL: `table` (a `public_<stem>` table) as the flat files hold it."""
    return f"SELECT {', '.join(flat_columns(columns))} FROM {table}"


def public_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The public listings as the flat files hold them, for readers outside a publish."""
    return con.sql(flat_select(f"({public_listings_sql()})", PUBLIC_COLUMNS)).to_arrow_table()
