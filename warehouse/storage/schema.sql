-- The warehouse, one DuckDB file. Nested values are STRUCT / LIST, never JSON strings.

CREATE TABLE IF NOT EXISTS sources (
    source_id      VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    publisher      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    start_urls     VARCHAR[],
    licence        VARCHAR NOT NULL,
    policy         VARCHAR NOT NULL,
    attribution    VARCHAR,
    cadence        VARCHAR NOT NULL,
    rate_per_second DOUBLE,
    min_records    INTEGER
);

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    mode         VARCHAR NOT NULL,      -- live | replay
    status       VARCHAR NOT NULL,      -- running | ok | partial | failed | aborted (killed)
    release      VARCHAR
);

CREATE TABLE IF NOT EXISTS source_runs (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,     -- ok | failed
    failure_class VARCHAR,
    reason        VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    duration_s    DOUBLE NOT NULL,
    fetched       INTEGER NOT NULL,     -- HTTP requests answered
    not_modified  INTEGER NOT NULL,     -- of which 304
    parsed        INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    inserted      INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    vanished      INTEGER NOT NULL,
    PRIMARY KEY (run_id, source_id)
);

CREATE TABLE IF NOT EXISTS source_run_stats (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    records     INTEGER NOT NULL,       -- valid listings of the run
    present     INTEGER NOT NULL,       -- listings with a value
    missing     INTEGER NOT NULL,       -- listings without one
    invalid     INTEGER NOT NULL,       -- values kept raw: could not be normalised
    repaired    INTEGER NOT NULL,       -- values repaired or moved, with a flag
    PRIMARY KEY (run_id, source_id, field)
);

CREATE TABLE IF NOT EXISTS raw_pages (
    run_id       VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    status       INTEGER NOT NULL,
    not_modified BOOLEAN NOT NULL,
    sha256       VARCHAR NOT NULL,
    bytes        INTEGER NOT NULL,
    encoding     VARCHAR,
    fetched_at   TIMESTAMPTZ NOT NULL,
    warc_file    VARCHAR
);

CREATE TABLE IF NOT EXISTS listings (
    id             UUID PRIMARY KEY,
    source_id      VARCHAR NOT NULL,
    source_key     VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    description    VARCHAR,
    topics         STRUCT(code VARCHAR, label VARCHAR, preferred VARCHAR, area VARCHAR,
                          audience VARCHAR)[],
    carrier        VARCHAR,
    address        STRUCT(street VARCHAR, house_number VARCHAR, extra VARCHAR, postcode VARCHAR,
                          city VARCHAR, district VARCHAR, state VARCHAR, country VARCHAR,
                          original VARCHAR, notes VARCHAR[]),
    coordinates    STRUCT(lat DOUBLE, lon DOUBLE),
    phones         STRUCT(e164 VARCHAR, extension VARCHAR, type VARCHAR, original VARCHAR,
                          valid BOOLEAN, personal BOOLEAN)[],
    emails         STRUCT(address VARCHAR, original VARCHAR, valid BOOLEAN, personal BOOLEAN)[],
    websites       STRUCT(url VARCHAR, original VARCHAR, valid BOOLEAN)[],
    social_links   STRUCT(platform VARCHAR, url VARCHAR, original VARCHAR, valid BOOLEAN,
                          personal BOOLEAN)[],
    opening_hours  STRUCT(osm VARCHAR, original VARCHAR, by_appointment BOOLEAN),
    phone_hours    STRUCT(osm VARCHAR, original VARCHAR, by_appointment BOOLEAN),
    meeting        STRUCT(original VARCHAR, on_request BOOLEAN,
                          schedule STRUCT(freq VARCHAR, "interval" INTEGER, byday VARCHAR[],
                                          opens_at VARCHAR, closes_at VARCHAR,
                                          timezone VARCHAR)),
    accessibility  VARCHAR,
    online         BOOLEAN,
    org_type       VARCHAR,
    parent_id      UUID,
    org_flags      VARCHAR[],
    contact_count  INTEGER,
    contact_route  VARCHAR,
    contact_person VARCHAR,
    personal_fields VARCHAR[],
    flags          VARCHAR[],
    provenance     STRUCT(source_url VARCHAR, fetched_at TIMESTAMPTZ, content_hash VARCHAR,
                          as_of DATE,
                          upstream STRUCT(id VARCHAR, release_url VARCHAR, source_id VARCHAR,
                                          source_key VARCHAR, source_url VARCHAR,
                                          fetched_at TIMESTAMPTZ)),
    licence        VARCHAR NOT NULL,
    -- bookkeeping
    record_hash    VARCHAR NOT NULL,    -- hash of the content fields: equal hash, no change
    active         BOOLEAN NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL,
    inactive_since TIMESTAMPTZ,
    run_id         VARCHAR NOT NULL     -- run that last changed this row
);

-- listing_history has the content columns of listings plus its validity; warehouse/ddl.py
-- derives it from listings, so the two never drift apart.

CREATE TABLE IF NOT EXISTS quarantine (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    source_key  VARCHAR,
    url         VARCHAR,
    field       VARCHAR,
    reason      VARCHAR NOT NULL,
    raw         JSON,
    quarantined_at TIMESTAMPTZ NOT NULL
);

-- One row per source: its last run, how many runs in a row failed, and how old the records
-- still current are (the last accepted run's time), for `shg sources` and researchers.
CREATE OR REPLACE VIEW source_health AS
WITH ordered AS (
    SELECT source_id, status, failure_class, reason, finished_at,
           row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC, run_id DESC)
               AS n
    FROM source_runs),
last_ok AS (
    SELECT source_id, max(finished_at) AS last_ok_at
    FROM source_runs WHERE status = 'ok' GROUP BY source_id),
failures AS (
    SELECT o.source_id, count(*) AS consecutive_failures
    FROM ordered o LEFT JOIN last_ok k USING (source_id)
    WHERE o.status <> 'ok' AND (k.last_ok_at IS NULL OR o.finished_at > k.last_ok_at)
    GROUP BY o.source_id),
active AS (
    SELECT source_id, count(*) AS active_records
    FROM listings WHERE active GROUP BY source_id)
SELECT s.source_id, s.policy, s.cadence,
       l.status AS last_status, l.failure_class, l.reason, l.finished_at AS last_run_at,
       coalesce(f.consecutive_failures, 0) AS consecutive_failures,
       k.last_ok_at, coalesce(a.active_records, 0) AS active_records
FROM sources s
LEFT JOIN ordered l ON l.source_id = s.source_id AND l.n = 1
LEFT JOIN last_ok k ON k.source_id = s.source_id
LEFT JOIN failures f ON f.source_id = s.source_id
LEFT JOIN active a ON a.source_id = s.source_id;
