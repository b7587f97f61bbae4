-- Linkage: listings of different sources that describe the same real group, contact centre or
-- organisation share one entity. Entity ids are stable; a merged-away id is kept with a
-- redirect (`retired_into`) so that published ids never dangle. Run by warehouse/linkage/.

CREATE TABLE IF NOT EXISTS entities (
    entity_id    UUID PRIMARY KEY,
    kind         VARCHAR NOT NULL,
    name         VARCHAR,              -- representative name (the oldest active member's)
    members      INTEGER NOT NULL,     -- active member listings
    sources      VARCHAR[],            -- sources of the active members
    created_run  VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_run  VARCHAR NOT NULL,     -- run that last changed members, name or redirect
    retired_into UUID,                 -- redirect: this id was merged into that entity
    retired_at   TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS entity_members (
    listing_id  UUID PRIMARY KEY,      -- a listing belongs to exactly one entity
    entity_id   UUID NOT NULL,
    source_id   VARCHAR NOT NULL,
    score       DOUBLE,                -- best link score of this member, NULL for a singleton
    evidence    STRUCT(other_listing UUID, score DOUBLE, rule VARCHAR, name_similarity DOUBLE,
                       same_address BOOLEAN, shared_phones VARCHAR[], shared_emails VARCHAR[],
                       same_web_domain BOOLEAN)[],
    linked_run  VARCHAR NOT NULL       -- run that last changed this row
);

-- One row: what the last linkage read (a fingerprint of the linkage code, the active listings'
-- content hashes and the entity tables it left). An unchanged fingerprint means nothing to do.
CREATE TABLE IF NOT EXISTS link_state (
    fingerprint VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    linked_at   TIMESTAMPTZ NOT NULL,
    listings    INTEGER NOT NULL,
    entities    INTEGER NOT NULL,
    linked      INTEGER NOT NULL
);
COMMENT ON TABLE link_state IS 'what the last linkage read, so that an unchanged night skips it';
COMMENT ON COLUMN link_state.fingerprint IS 'sha256 of the linkage code, the active listings'' content hashes and the entity tables after the linkage';
COMMENT ON COLUMN link_state.run_id IS 'run that last computed the linkage';
COMMENT ON COLUMN link_state.linked_at IS 'when it computed it';
COMMENT ON COLUMN link_state.listings IS 'active listings it read';
COMMENT ON COLUMN link_state.entities IS 'entities it formed';
COMMENT ON COLUMN link_state.linked IS 'of which with members from more than one source';

-- The review queue: compared pairs whose score lies in the uncertain band (see
-- warehouse/linkage/decisions.py), replaced by each linkage; `shg review` lists them.
CREATE TABLE IF NOT EXISTS link_review (
    listing_a UUID NOT NULL,           -- the pair, smaller listing id first
    listing_b UUID NOT NULL,
    score     DOUBLE NOT NULL,         -- warehouse.linkage.evidence's score, 0–1
    rule      VARCHAR,                 -- the rule that links it, NULL when none does
    evidence  JSON NOT NULL,           -- every feature compared: what agreed, what disagreed
    run_id    VARCHAR NOT NULL         -- the linkage that found it
);
