"""The public entity tables: one row per real group, contact centre or organisation.

Built from the public listing table (`warehouse.public`), so the licence and privacy gates
hold by construction: an entity only shows values of its members from `open` sources, and
an entity with no such member does not appear. Members are joined through the linkage
(`entity_members`); a public listing the linkage has not seen (linkage failed this night) is
its own entity with the id linkage would give it, so ids never depend on linkage succeeding.

Single values (name, address, hours, ...) all come from one member, the "best" one (most
filled fields, then the oldest), so an address is never stitched from two sources; contact
data, topics and provenance are the union over members. Lists are sorted, so unchanged data
gives byte-identical files.
"""

import uuid

import duckdb
import pyarrow as pa

from warehouse.link import ENTITY_NS
from warehouse.public import PUBLIC_COLUMNS

#: Published kinds: file stem -> listing kind. Rare conditions are never published per entity.
ENTITY_FILES: dict[str, str] = {
    "groups": "group",
    "contact_centres": "contact_centre",
    "organisations": "organisation",
}

_LISTING = {name: (kind, text) for name, kind, text, _ in PUBLIC_COLUMNS}


def _best(*names: str) -> list[tuple[str, str, str, str]]:
    """Columns taken from the best member as they are in listings.csv, described alike."""
    return [(name, *_LISTING[name], f"b.{name}") for name in names]


#: (column, frictionless type, description, SQL over best member `b` and aggregate `a`).
#: The order is the published column order; change it only with a format version bump.
ENTITY_COLUMNS: list[tuple[str, str, str, str]] = [
    ("id", "string", "stable entity id: kept when sources are added or merged", "b.entity_id"),
    ("kind", "string", "group | contact_centre | organisation", "b.kind"),
    *_best("name", "description"),
    ("topics", "string", "topic labels as the sources printed them, separated by ' | '",
     "a.topics"),
    ("topic_codes", "string", "topic codes of the selbsthilfe-atlas taxonomy, ' | '",
     "a.topic_codes"),
    *_best("carrier", "street", "house_number", "address_extra", "postcode", "city",
           "district", "state"),
    ("phones", "string", "public phone numbers in E.164 of all members, ' | '", "a.phones"),
    ("emails", "string", "public e-mail addresses of all members, ' | '", "a.emails"),
    ("websites", "string", "web sites of all members, ' | '", "a.websites"),
    *_best("opening_hours", "opening_hours_text", "meeting_text", "meeting_on_request",
           "meeting_rrule", "meeting_opens_at", "meeting_closes_at", "contact_route",
           "accessibility", "online", "org_type", "org_flags"),
    ("parent_id", "string", "id of the parent entity (a branch's main office)", "pe.entity_id"),
    ("sources", "string", "registry ids of the sources that list it, ' | '", "a.sources"),
    ("listing_ids", "string", "ids of its listings in listings.csv, ' | '", "a.listing_ids"),
    ("source_urls", "string", "pages it was taken from, ' | '", "a.source_urls"),
    ("licences", "string", "licences of those sources, ' | '", "a.licences"),
    ("verified_at", "datetime", "newest accepted run of its sources (UTC)", "a.verified_at"),
    ("first_seen", "datetime", "first seen by selbsthilfe-atlas (UTC)", "a.first_seen"),
    ("changed_at", "datetime", "last change seen in any member (UTC)", "a.changed_at"),
]

#: Filled fields that make a member the best one to take single values from.
_FILLED = " + ".join(f"({c} IS NOT NULL)::INT" for c in (
    "postcode", "street", "description", "phones", "emails", "websites", "opening_hours",
    "meeting_text", "topics"))


def _union(column: str, alias: str | None = None) -> str:
    """SQL: the distinct ' | '-separated values of `column` over an entity's members."""
    return (f"nullif(array_to_string(list_sort(list_distinct(list_filter(flatten("
            f"list(string_split(coalesce({column}, ''), ' | '))), lambda v: v <> ''))), ' | '),"
            f" '') AS {alias or column}")


def _membership(con: duckdb.DuckDBPyConnection, listing_ids: list[str]) -> pa.Table:
    """listing id -> current entity id, for every public listing (see module doc)."""
    linked = dict(con.execute("""
        SELECT m.listing_id::VARCHAR, coalesce(e.retired_into, e.entity_id)::VARCHAR
        FROM entity_members m JOIN entities e USING (entity_id)""").fetchall())
    ids = sorted(set(listing_ids))
    return pa.table({"listing_id": pa.array(ids, pa.string()),
                     "entity_id": pa.array([linked.get(i) or str(uuid.uuid5(ENTITY_NS, i))
                                            for i in ids], pa.string())})


def entity_tables(con: duckdb.DuckDBPyConnection, public: pa.Table) -> dict[str, pa.Table]:
    """File stem -> public entity table, from the public listing table `public`. The best
    member is ranked on its id and fill alone and joined back for its columns: a window over
    whole listing rows held several hundred MB more of DuckDB memory at 100,000 listings."""
    con.register("_public", public)
    con.register("_membership", _membership(con, public.column("id").to_pylist()))
    select = ",\n".join(f"{sql} AS {name}" for name, _, _, sql in ENTITY_COLUMNS)
    try:
        tables = {}
        for stem, kind in ENTITY_FILES.items():
            tables[stem] = con.execute(f"""
                WITH r AS (
                    SELECT mm.entity_id, p.id,
                           row_number() OVER (PARTITION BY mm.entity_id
                               ORDER BY {_FILLED} DESC, p.first_seen, p.id) AS rank
                    FROM _public p JOIN _membership mm ON mm.listing_id = p.id
                    WHERE p.kind = $kind),
                a AS (
                    SELECT mm.entity_id, {_union('topics')}, {_union('topic_codes')},
                           {_union('phones')}, {_union('emails')}, {_union('websites')},
                           {_union('source_id', 'sources')}, {_union('id', 'listing_ids')},
                           {_union('source_url', 'source_urls')},
                           {_union('licence', 'licences')},
                           max(verified_at) AS verified_at, min(first_seen) AS first_seen,
                           max(changed_at) AS changed_at
                    FROM _public p JOIN _membership mm ON mm.listing_id = p.id
                    WHERE p.kind = $kind
                    GROUP BY mm.entity_id),
                b AS (
                    SELECT r.entity_id, p.*
                    FROM r JOIN _public p ON p.id = r.id
                    WHERE r.rank = 1)
                SELECT {select}
                FROM b JOIN a USING (entity_id)
                LEFT JOIN _membership pe ON pe.listing_id = b.parent_id
                ORDER BY b.entity_id
            """, {"kind": kind}).to_arrow_table()
        return tables
    finally:
        con.unregister("_public")
        con.unregister("_membership")
