-- Linkage: listings of different sources that describe the same real group, contact centre or
-- organisation share one entity. Entity ids are stable; a merged-away id is kept with a
-- redirect (`retired_into`) so that published ids never dangle. Run by warehouse/linkage/.

CREATE TABLE IF NOT EXISTS entities (
    entity_id    UUID PRIMARY KEY,
    kind         VARCHAR NOT NULL,
    name         VARCHAR,
    members      INTEGER NOT NULL,
    sources      VARCHAR[],
    created_run  VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_run  VARCHAR NOT NULL,
    retired_into UUID,
    retired_at   TIMESTAMPTZ
);
COMMENT ON TABLE entities IS 'one row per real group, contact centre or organisation across sources';
COMMENT ON COLUMN entities.entity_id IS 'stable entity id; survives renames and new phone numbers';
COMMENT ON COLUMN entities.kind IS 'group | contact_centre | organisation | rare_condition';
COMMENT ON COLUMN entities.name IS 'representative name (the oldest active member''s)';
COMMENT ON COLUMN entities.members IS 'active member listings';
COMMENT ON COLUMN entities.sources IS 'sources of the active members';
COMMENT ON COLUMN entities.created_run IS 'run that created it';
COMMENT ON COLUMN entities.created_at IS 'when';
COMMENT ON COLUMN entities.updated_run IS 'run that last changed members, name or redirect';
COMMENT ON COLUMN entities.retired_into IS 'redirect: this id was merged into that entity';
COMMENT ON COLUMN entities.retired_at IS 'when it was merged away';

CREATE TABLE IF NOT EXISTS entity_members (
    listing_id  UUID PRIMARY KEY,
    entity_id   UUID NOT NULL,
    source_id   VARCHAR NOT NULL,
    score       DOUBLE,
    evidence    STRUCT(other_listing UUID, score DOUBLE, rule VARCHAR, name_similarity DOUBLE,
                       same_address BOOLEAN, shared_phones VARCHAR[], shared_emails VARCHAR[],
                       same_web_domain BOOLEAN)[],
    linked_run  VARCHAR NOT NULL
);
COMMENT ON TABLE entity_members IS 'which listing belongs to which entity, with the link''s evidence';
COMMENT ON COLUMN entity_members.listing_id IS 'listings.id: a listing belongs to exactly one entity';
COMMENT ON COLUMN entity_members.entity_id IS 'entities.entity_id';
COMMENT ON COLUMN entity_members.source_id IS 'sources.source_id';
COMMENT ON COLUMN entity_members.score IS 'best link score of this member, NULL for a singleton';
COMMENT ON COLUMN entity_members.evidence IS 'links: other listing, score, rule, name similarity, shared contacts';
COMMENT ON COLUMN entity_members.linked_run IS 'run that last changed this row';

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
    listing_a UUID NOT NULL,
    listing_b UUID NOT NULL,
    score     DOUBLE NOT NULL,
    rule      VARCHAR,
    evidence  JSON NOT NULL,
    run_id    VARCHAR NOT NULL
);
COMMENT ON TABLE link_review IS 'pairs whose link score is uncertain, for a person to decide (shg review)';
COMMENT ON COLUMN link_review.listing_a IS 'listings.id, the smaller of the pair';
COMMENT ON COLUMN link_review.listing_b IS 'listings.id';
COMMENT ON COLUMN link_review.score IS 'link score (warehouse.linkage.evidence), 0-1, inside the review band';
COMMENT ON COLUMN link_review.rule IS 'the rule that links the pair, NULL when none does';
COMMENT ON COLUMN link_review.evidence IS 'every feature compared: what agreed, what disagreed';
COMMENT ON COLUMN link_review.run_id IS 'the linkage run that found the pair';
