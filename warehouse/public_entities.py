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
import pyarrow.compute as pc

from warehouse.linkage.entities import ENTITY_NS
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
    *_best("opening_hours", "opening_hours_text", "phone_hours", "phone_hours_text",
           "meeting_text", "meeting_on_request",
           "meeting_rrule", "meeting_opens_at", "meeting_closes_at", "contact_route",
           "accessibility", "online", "org_type", "org_flags"),
    ("parent_id", "string", "id of the parent entity (a branch's main office)",
     "b.parent_entity"),
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


#: The columns gathered over all members: name -> (listing column, how). "union": the
#: distinct ' | '-separated values, sorted; "max"/"min": of the (ISO 8601) timestamps.
_GATHERED: dict[str, tuple[str, str]] = {
    "topics": ("topics", "union"), "topic_codes": ("topic_codes", "union"),
    "phones": ("phones", "union"), "emails": ("emails", "union"),
    "websites": ("websites", "union"), "sources": ("source_id", "union"),
    "listing_ids": ("id", "union"), "source_urls": ("source_url", "union"),
    "licences": ("licence", "union"), "verified_at": ("verified_at", "max"),
    "first_seen": ("first_seen", "min"), "changed_at": ("changed_at", "max"),
}


def _sorted_set(values: str) -> str:
    """SQL: a list of ' | '-separated values, distinct and sorted, joined again (NULL for
    none)."""
    return (f"nullif(array_to_string(list_sort(list_distinct(list_filter({values}, "
            "lambda v: v <> ''))), ' | '), '')")


def _gathered(over_members: bool) -> dict[str, str]:
    """SQL per gathered column: an aggregate over the members `p` of an entity, or (one
    member) the same value from that member `b` alone, without an aggregate."""
    out = {}
    for name, (column, how) in _GATHERED.items():
        if how == "union":
            split = f"string_split(coalesce({'p' if over_members else 'b'}.{column}, ''), ' | ')"
            out[name] = _sorted_set(f"flatten(list({split}))" if over_members else split)
        else:
            out[name] = f"{how}(p.{column})" if over_members else f"b.{column}"
    return out


def _select(gathered: dict[str, str]) -> str:
    """SQL: the published columns in order, `gathered` in place of those it names."""
    return ", ".join(f"{gathered.get(name, sql)} AS {name}" for name, _, _, sql in ENTITY_COLUMNS)


def _entity_ids(con: duckdb.DuckDBPyConnection, listing_ids: pa.ChunkedArray) -> pa.Array:
    """The current entity id of each of `listing_ids` (see module doc)."""
    linked = dict(con.execute("""
        SELECT m.listing_id::VARCHAR, coalesce(e.retired_into, e.entity_id)::VARCHAR
        FROM entity_members m JOIN entities e USING (entity_id)""").fetchall())
    return pa.array([linked.get(i) or str(uuid.uuid5(ENTITY_NS, i))
                     for i in listing_ids.to_pylist()], pa.string())


def _with_entities(public: pa.Table, entity_ids: pa.Array) -> pa.Table:
    """`public` (its columns shared, not copied) with each listing's `entity_id`, the entity
    of its parent listing (`parent_entity`, when that is public) and whether its entity has
    `several` members."""
    parents = pc.index_in(public.column("parent_id"), value_set=public.column("id"))
    counts = pc.value_counts(entity_ids)
    several = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return (public.append_column("entity_id", entity_ids)
            .append_column("parent_entity", entity_ids.take(parents))
            .append_column("several", pc.is_in(entity_ids, value_set=several)))


def entity_tables(con: duckdb.DuckDBPyConnection, public: pa.Table) -> dict[str, pa.Table]:
    """File stem -> public entity table, from the public listing table `public`.

    Most entities have one member: their rows are that member's, the lists sorted, row by
    row without a join. Only entities of several members are grouped, and their best member
    ranked on its id and fill alone and joined back for its columns. Grouping and joining
    every entity (lists of lists of strings in hash tables) took 600 MB at 100,000 listings
    for nothing."""
    con.register("_members", _with_entities(public, _entity_ids(con, public.column("id"))))
    alone_columns, merged_columns = _select(_gathered(False)), _select({})
    grouped = ", ".join(f"{sql} AS {name}" for name, sql in _gathered(True).items())
    try:
        tables = {}
        for stem, kind in ENTITY_FILES.items():
            alone = con.execute(f"""
                SELECT {alone_columns}
                FROM _members b WHERE b.kind = $kind AND NOT b.several
            """, {"kind": kind}).to_arrow_table()
            merged = con.execute(f"""
                WITH m AS (SELECT * FROM _members WHERE kind = $kind AND several),
                r AS (
                    SELECT entity_id, id,
                           row_number() OVER (PARTITION BY entity_id
                               ORDER BY {_FILLED} DESC, first_seen, id) AS rank
                    FROM m),
                a AS (SELECT p.entity_id, {grouped} FROM m p GROUP BY p.entity_id),
                b AS (SELECT m.* FROM r JOIN m USING (entity_id, id) WHERE r.rank = 1)
                SELECT {merged_columns}
                FROM b JOIN a USING (entity_id)
            """, {"kind": kind}).to_arrow_table()
            tables[stem] = pa.concat_tables([alone, merged]).sort_by("id")
        return tables
    finally:
        con.unregister("_members")
