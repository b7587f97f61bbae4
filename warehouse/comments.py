"""`COMMENT ON` every table, view and column, so `DESCRIBE` and `duckdb_columns()` document
the warehouse for researchers. Listing columns reuse the descriptions of the pydantic model,
so the model and the database cannot tell two stories."""

import duckdb

from schema.listing import Listing

#: Listing columns whose model field has no description of its own.
_LISTING = {
    "id": "stable listing id: UUIDv5 of source id and source key (federated: key = upstream id)",
    "source_id": "registry id of the source (sources.source_id)",
    "source_key": "the source's own key of the record (CMS id, NAKOS key@n, file key)",
    "kind": "group | contact_centre | organisation | rare_condition",
    "name": "name as published (whitespace cleaned)",
    "description": "plain-text description",
    "topics": "topics: taxonomy code, the source's label, preferred label, area, audience",
    "carrier": "Träger (carrier organisation) as published",
    "address": "address parts, Bundesland from the postcode, the original text and notes",
    "coordinates": "WGS84 coordinates when a source gives them (published only where the "
                   "street is)",
    "phones": "phone numbers: E.164, extension, type, original, valid, personal",
    "emails": "e-mail addresses: normalised, original, valid, personal",
    "websites": "web sites: absolute http(s) URL, original, valid",
    "opening_hours": "office hours: OpenStreetMap syntax when understood, original text",
    "meeting": "meeting rhythm: original text, on request?, RRULE-like schedule",
    "accessibility": "accessibility or directions as published",
    "online": "an online offer (forum, video meeting)",
    "org_flags": "self_help_organisation | umbrella | anonymous | forum | institution",
    "contact_count": "rare conditions: number of contacts the source knows (never persons)",
    "provenance": "page URL, fetch time, content hash, the source's as-of date (and upstream "
                  "release if federated)",
    "licence": "licence of the source (or of the upstream record)",
}

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "sources": ("the source registry as of the latest run", {
        "source_id": "registry id", "name": "human name", "publisher": "who publishes it",
        "kind": "html | file | release", "start_urls": "where crawling starts",
        "licence": "SPDX id, LicenseRef-… or licence URI",
        "policy": "open: may reach public files; withhold: warehouse only",
        "attribution": "attribution text for releases", "cadence": "daily | weekly | monthly",
        "rate_per_second": "politeness: requests per second per host",
        "min_records": "a healthy run yields at least this many records",
    }),
    "runs": ("one row per pipeline run", {
        "run_id": "run id (UTC time + random suffix)", "started_at": "start",
        "finished_at": "end", "mode": "live | replay",
        "status": "running | ok | partial | failed | aborted (the process died mid-run)",
        "release": "release folder it published",
    }),
    "source_runs": ("one row per source and run: outcome and counts", {
        "run_id": "runs.run_id", "source_id": "sources.source_id", "status": "ok | failed",
        "failure_class": "dns | refused | timeout | http_error | robots | parse_error | "
                         "site_changed | exception",
        "reason": "why it failed, naming source, record or URL", "started_at": "start",
        "finished_at": "end", "duration_s": "seconds", "fetched": "HTTP requests answered",
        "not_modified": "of which 304", "parsed": "raw records parsed",
        "rejected": "records or pages quarantined", "inserted": "new listings",
        "updated": "changed listings", "unchanged": "listings seen unchanged",
        "vanished": "listings marked inactive",
    }),
    "source_run_stats": ("per source run and field: present, missing, invalid, repaired", {
        "run_id": "runs.run_id", "source_id": "sources.source_id",
        "field": "listing field", "records": "valid listings of the run",
        "present": "listings with a value", "missing": "listings without one",
        "invalid": "values kept raw because they could not be normalised",
        "repaired": "values repaired or moved between fields, with a flag",
    }),
    "raw_pages": ("every page a run fetched (the raw layer); bodies are in the WARC files", {
        "run_id": "runs.run_id", "source_id": "sources.source_id", "url": "page URL",
        "status": "HTTP status", "not_modified": "answered 304 and served from the cache",
        "sha256": "hash of the body", "bytes": "body size", "encoding": "charset used",
        "fetched_at": "fetch time (WARC date in replays)",
        "warc_file": "WARC file name (in the run's folder); NULL: confirmed unchanged, not "
                     "archived (the body is in the WARC of the run whose records stand)",
    }),
    "quarantine": ("records and pages that could not be used, with the reason", {
        "run_id": "runs.run_id", "source_id": "sources.source_id",
        "source_key": "the record's key, if known", "url": "page or file row",
        "field": "the field at fault, '(run)' for a refused run",
        "reason": "what was wrong", "raw": "the raw record as JSON",
        "quarantined_at": "when",
    }),
    "listings": ("current listings, one per source record; inactive ones are kept", {
        "record_hash": "hash of the content: equal hash, no change",
        "active": "false once a healthy run no longer lists it",
        "first_seen": "first seen", "changed_at": "last change seen",
        "inactive_since": "when it vanished", "run_id": "run that last changed this row",
    }),
    "listing_history": ("every version of every listing, valid_from to valid_to", {
        "valid_from": "version start", "valid_to": "version end, NULL while current",
        "run_id": "run that wrote the version", "record_hash": "hash of the content",
    }),
    "entities": ("one row per real group, contact centre or organisation across sources", {
        "entity_id": "stable entity id; survives renames and new phone numbers",
        "kind": "group | contact_centre | organisation | rare_condition",
        "name": "representative name (the oldest active member's)",
        "members": "active member listings", "sources": "sources of the active members",
        "created_run": "run that created it", "created_at": "when",
        "updated_run": "run that last changed members, name or redirect",
        "retired_into": "redirect: this id was merged into that entity",
        "retired_at": "when it was merged away",
    }),
    "entity_members": ("which listing belongs to which entity, with the link's evidence", {
        "listing_id": "listings.id", "entity_id": "entities.entity_id",
        "source_id": "sources.source_id",
        "score": "best link score of this member, NULL for a singleton",
        "evidence": "links: other listing, score, rule, name similarity, shared contacts",
        "linked_run": "run that last changed this row",
    }),
    "link_review": ("pairs whose link score is uncertain, for a person to decide (shg review)", {
        "listing_a": "listings.id, the smaller of the pair", "listing_b": "listings.id",
        "score": "link score, 0-1, inside the review band",
        "rule": "the rule that links the pair, NULL when none does",
        "evidence": "every feature compared: what agreed, what disagreed",
        "run_id": "the linkage run that found the pair",
    }),
    "source_health": ("per source: last run, failures in a row, age of current records", {
        "source_id": "sources.source_id", "policy": "open | withhold",
        "cadence": "daily | weekly | monthly", "last_status": "status of the last run",
        "failure_class": "failure class of the last run", "reason": "reason of the last run",
        "last_run_at": "end of the last run", "consecutive_failures": "failed runs in a row",
        "last_ok_at": "end of the last accepted run: how old the current records are",
        "active_records": "listings still current",
    }),
}


#: Columns of the entity-level views (entities_best, groups, contact_centres, organisations).
_BEST = {
    "entity_id": "entities.entity_id: one real group, centre or organisation",
    "kind": "group | contact_centre | organisation | rare_condition",
    "name": "name from the best member listing", "name_source": "source of the name",
    "description": "first description found, best member first",
    "description_source": "source of the description",
    "address": "first address with a postcode, best member first",
    "address_source": "source of the address",
    "phones": "public phone numbers (E.164) of all members",
    "emails": "public e-mail addresses of all members",
    "websites": "web sites of all members",
    "opening_hours": "first office hours understood in OSM syntax, with the original text",
    "opening_hours_source": "source of the office hours",
    "meeting": "first meeting rhythm, with the original text",
    "meeting_source": "source of the meeting rhythm",
    "topic_codes": "taxonomy codes of all members",
    "contact_route": "how to reach it through an institution",
    "sources": "sources that list it", "listing_ids": "its member listings",
    "first_seen": "first seen in any source", "changed_at": "last change in any source",
    "search_text": "name, description, topics and city in lower case, umlauts folded",
}
_VIEWS: dict[str, str] = {
    "entity_listings": "active listings with their entity and their rank within it",
    "entities_best": "one row per entity: the best value of each field, with its source",
    "groups": "self-help groups, one row per real group across sources",
    "contact_centres": "self-help contact centres, one row per real centre across sources",
    "organisations": "national self-help organisations, one row per real organisation",
}


def listing_comments() -> dict[str, str]:
    out = dict(_LISTING)
    for name, field in Listing.model_fields.items():
        if field.description and name not in out:
            out[name] = field.description
    return out


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    listing = listing_comments()
    for table, (about, columns) in TABLES.items():
        kind = "VIEW" if table == "source_health" else "TABLE"
        con.execute(f"COMMENT ON {kind} {table} IS {_quote(about)}")
        if table in ("listings", "listing_history"):
            columns = listing | columns
        for column, text in columns.items():
            con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_quote(text)}')
    apply_view_comments(con)


def apply_view_comments(con: duckdb.DuckDBPyConnection) -> None:
    listing = listing_comments() | TABLES["listings"][1]
    for view, about in _VIEWS.items():
        con.execute(f"COMMENT ON VIEW {view} IS {_quote(about)}")
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database()", [view]).fetchall()]
        texts = (listing | {"entity_id": _BEST["entity_id"],
                            "rank": "1 for the member whose values are preferred"}
                 if view == "entity_listings" else _BEST)
        for column in columns:
            con.execute(f'COMMENT ON COLUMN {view}."{column}" IS {_quote(texts[column])}')
    con.execute("COMMENT ON VIEW topics IS 'topic codes with their area, the entities "
                "and groups that carry them, and the labels sources print'")
    for column, text in {"code": "taxonomy code", "preferred": "preferred label",
                         "area": "broad area", "entities": "entities with this topic",
                         "groups": "groups with this topic",
                         "source_labels": "labels the sources print for it"}.items():
        con.execute(f"COMMENT ON COLUMN topics.{column} IS {_quote(text)}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
