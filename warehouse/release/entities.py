"""The public entity tables: one row per real group, contact centre or organisation.

Built from the public listing table (`warehouse.release.public`), so the licence and privacy gates
hold by construction: an entity only shows values of its members from `open` sources, and
an entity with no such member does not appear. Members are joined through the linkage
(`entity_members`); a public listing the linkage has not seen (linkage failed this night) is
its own entity with the id linkage would give it, so ids never depend on linkage succeeding.

Single values (name, address, hours, ...) all come from one member, the "best" one (most
filled fields, then the oldest), so an address is never stitched from two sources; contact
data, topics and provenance are the union over members. Lists are sorted, so unchanged data
gives byte-identical files. All of it is SQL over the temporary table `public_listings`
(`create_public_tables`), written to one temporary table `public_<stem>` per file.
"""

from dataclasses import dataclass

import duckdb

from warehouse.linkage.entities import ENTITY_NS
from warehouse.release.public import LIST_COLUMNS, PUBLIC_COLUMNS, public_listings_sql

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
_FILLED = " + ".join(
    f"(len({c}) > 0)::INT" if c in LIST_COLUMNS else f"({c} IS NOT NULL)::INT"
    for c in ("postcode", "street", "description", "phones", "emails", "websites",
              "opening_hours", "meeting_text", "topics"))


#: The columns gathered over all members: name -> (listing column, how). "union": the
#: distinct values (of a list column: of its items), sorted; "max"/"min": of the (ISO 8601)
#: timestamps.
_GATHERED: dict[str, tuple[str, str]] = {
    "topics": ("topics", "union"), "topic_codes": ("topic_codes", "union"),
    "phones": ("phones", "union"), "emails": ("emails", "union"),
    "websites": ("websites", "union"), "sources": ("source_id", "union"),
    "listing_ids": ("id", "union"), "source_urls": ("source_url", "union"),
    "licences": ("licence", "union"), "verified_at": ("verified_at", "max"),
    "first_seen": ("first_seen", "min"), "changed_at": ("changed_at", "max"),
}


def _union(column: str, over_members: bool) -> str:
    """SQL: the distinct values of `column` over the members `p` (an aggregate), or of the one
    member `b`, sorted, as a text list."""
    if over_members:
        items = f"flatten(list(p.{column}))" if column in LIST_COLUMNS else f"list(p.{column})"
    else:
        items = f"b.{column}" if column in LIST_COLUMNS else f"[b.{column}]"
    return f"list_sort(list_distinct({items}))::VARCHAR[]"


def _gathered(over_members: bool) -> dict[str, str]:
    """SQL per gathered column: an aggregate over the members `p` of an entity, or (one
    member) the same value from that member `b` alone, without an aggregate."""
    return {name: _union(column, over_members) if how == "union"
            else f"{how}(p.{column})" if over_members else f"b.{column}"
            for name, (column, how) in _GATHERED.items()}


def _select(gathered: dict[str, str]) -> str:
    """SQL: the published columns in order, `gathered` in place of those it names."""
    return ", ".join(f"{gathered.get(name, sql)} AS {name}" for name, _, _, sql in ENTITY_COLUMNS)


def _uuid5(text: str) -> str:
    """SQL: `uuid.uuid5(ENTITY_NS, text)` as text (SHA-1 of namespace and name, with the
    version and variant bits set), the id linkage gives a listing of its own."""
    h = f"sha1(unhex('{ENTITY_NS.hex}') || encode({text}))"
    return (f"substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-5' || substr({h}, 14, 3)"
            f" || '-' || substr('89ab89ab89ab89ab', strpos('0123456789abcdef',"
            f" substr({h}, 17, 1)), 1) || substr({h}, 18, 3) || '-' || substr({h}, 21, 12)")


#: SQL: every public listing with its current `entity_id` (see module doc), the entity of its
#: parent listing (`parent_entity`, when that is public) and whether its entity has
#: `several` members.
_MEMBERS = f"""
    WITH linked AS (
        SELECT m.listing_id::VARCHAR AS id,
               coalesce(e.retired_into, e.entity_id)::VARCHAR AS linked_entity
        FROM entity_members m JOIN entities e USING (entity_id)),
    p AS (
        SELECT l.*, coalesce(linked.linked_entity, {_uuid5("l.id")}) AS entity_id
        FROM public_listings l LEFT JOIN linked USING (id))
    SELECT p.*, parent.entity_id AS parent_entity,
           count(*) OVER (PARTITION BY p.entity_id) > 1 AS several
    FROM p LEFT JOIN p parent ON parent.id = p.parent_id
"""


def _entity_sql(kind: str) -> str:
    """SQL: the public entity table of listing kind `kind`, sorted by id. Most entities have
    one member: their rows are that member's, without a join. Only entities of several
    members are grouped, and their best member ranked and joined back for its columns."""
    grouped = ", ".join(f"{sql} AS {name}" for name, sql in _gathered(True).items())
    return f"""
        WITH m AS (SELECT * FROM _release_members WHERE kind = '{kind}' AND several),
        r AS (
            SELECT entity_id, id,
                   row_number() OVER (PARTITION BY entity_id
                       ORDER BY {_FILLED} DESC, first_seen, id) AS rank
            FROM m),
        a AS (SELECT p.entity_id, {grouped} FROM m p GROUP BY p.entity_id),
        b AS (SELECT m.* FROM r JOIN m USING (entity_id, id) WHERE r.rank = 1)
        SELECT {_select(_gathered(False))}
        FROM _release_members b WHERE b.kind = '{kind}' AND NOT b.several
        UNION ALL
        SELECT {_select({})} FROM b JOIN a USING (entity_id)
        ORDER BY id
    """


#: The temporary tables of a release: file stem -> its `public_<stem>` table.
PUBLIC_TABLES = {stem: f"public_{stem}" for stem in ("listings", *ENTITY_FILES)}


@dataclass(frozen=True)
class ReleaseTable:
    """One published table as the exporters get it: its file stem, the temporary table
    holding its rows, its columns in published order and what one row is."""

    stem: str
    source: str
    columns: list[tuple[str, str, str, str]]
    label: str


#: The published tables, in file order: `listings` is one row per source listing, the others
#: one row per entity (a real group, centre or organisation, linked across sources).
TABLES = [ReleaseTable("listings", PUBLIC_TABLES["listings"], PUBLIC_COLUMNS,
                       "one row per published listing (selbsthilfe-atlas release)")] + [
    ReleaseTable(stem, PUBLIC_TABLES[stem], ENTITY_COLUMNS, f"one row per {kind} across sources")
    for stem, kind in ENTITY_FILES.items()]


def create_public_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """`public_listings` and one `public_<stem>` per entity file, as temporary tables of
    `con` (dropped by `drop_public_tables`); returns the rows of each."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE public_listings AS {public_listings_sql()}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _release_members AS {_MEMBERS}")
    try:
        for stem, kind in ENTITY_FILES.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {PUBLIC_TABLES[stem]} AS "
                        f"{_entity_sql(kind)}")
    finally:
        con.execute("DROP TABLE IF EXISTS _release_members")
    return {stem: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for stem, table in PUBLIC_TABLES.items()}


def drop_public_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in PUBLIC_TABLES.values():
        con.execute(f"DROP TABLE IF EXISTS {table}")
