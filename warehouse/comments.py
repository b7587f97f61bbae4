"""`COMMENT ON` the listing tables and the entity views, so `DESCRIBE` and `duckdb_columns()`
document the warehouse for researchers (the other tables and views carry theirs in their DDL).
Listing columns reuse the descriptions of the pydantic model, so the model and the database
cannot tell two stories."""

import duckdb

from schema.listing import Listing
from warehouse.storage import sql_literal

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

#: The tables whose columns are the listing's (the others' comments are in their DDL).
TABLES: dict[str, tuple[str, dict[str, str]]] = {
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


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """The listing tables' and the views' comments; the other tables' are in their DDL."""
    listing = {name: field.description for name, field in Listing.model_fields.items()
               if field.description} | _LISTING
    for table, (about, columns) in TABLES.items():
        con.execute(f"COMMENT ON TABLE {table} IS {sql_literal(about)}")
        for column, text in (listing | columns).items():
            con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {sql_literal(text)}')
    entity_listings = listing | TABLES["listings"][1] | {
        "entity_id": _BEST["entity_id"], "rank": "1 for the member whose values are preferred"}
    for view, about in _VIEWS.items():
        con.execute(f"COMMENT ON VIEW {view} IS {sql_literal(about)}")
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database()", [view]).fetchall()]
        texts = entity_listings if view == "entity_listings" else _BEST
        for column in columns:
            con.execute(f'COMMENT ON COLUMN {view}."{column}" IS {sql_literal(texts[column])}')
