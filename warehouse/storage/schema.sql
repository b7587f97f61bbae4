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
COMMENT ON TABLE sources IS 'the source registry as of the latest run';
COMMENT ON COLUMN sources.source_id IS 'registry id';
COMMENT ON COLUMN sources.name IS 'human name';
COMMENT ON COLUMN sources.publisher IS 'who publishes it';
COMMENT ON COLUMN sources.kind IS 'html | file | release';
COMMENT ON COLUMN sources.start_urls IS 'where crawling starts';
COMMENT ON COLUMN sources.licence IS 'SPDX id, LicenseRef-… or licence URI';
COMMENT ON COLUMN sources.policy IS 'open: may reach public files; withhold: warehouse only';
COMMENT ON COLUMN sources.attribution IS 'attribution text for releases';
COMMENT ON COLUMN sources.cadence IS 'daily | weekly | monthly';
COMMENT ON COLUMN sources.rate_per_second IS 'politeness: requests per second per host';
COMMENT ON COLUMN sources.min_records IS 'a healthy run yields at least this many records';

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    mode         VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    release      VARCHAR
);
COMMENT ON TABLE runs IS 'one row per pipeline run';
COMMENT ON COLUMN runs.run_id IS 'run id (UTC time + random suffix)';
COMMENT ON COLUMN runs.started_at IS 'start';
COMMENT ON COLUMN runs.finished_at IS 'end';
COMMENT ON COLUMN runs.mode IS 'live | replay';
COMMENT ON COLUMN runs.status IS 'running | ok | partial | failed | aborted (the process died mid-run)';
COMMENT ON COLUMN runs.release IS 'release folder it published';

CREATE TABLE IF NOT EXISTS source_runs (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    failure_class VARCHAR,
    reason        VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    duration_s    DOUBLE NOT NULL,
    fetched       INTEGER NOT NULL,
    not_modified  INTEGER NOT NULL,
    parsed        INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    inserted      INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    vanished      INTEGER NOT NULL,
    PRIMARY KEY (run_id, source_id)
);
COMMENT ON TABLE source_runs IS 'one row per source and run: outcome and counts';
COMMENT ON COLUMN source_runs.run_id IS 'runs.run_id';
COMMENT ON COLUMN source_runs.source_id IS 'sources.source_id';
COMMENT ON COLUMN source_runs.status IS 'ok | failed';
COMMENT ON COLUMN source_runs.failure_class IS 'dns | refused | timeout | http_error | robots | parse_error | site_changed | exception';
COMMENT ON COLUMN source_runs.reason IS 'why it failed, naming source, record or URL';
COMMENT ON COLUMN source_runs.started_at IS 'start';
COMMENT ON COLUMN source_runs.finished_at IS 'end';
COMMENT ON COLUMN source_runs.duration_s IS 'seconds';
COMMENT ON COLUMN source_runs.fetched IS 'HTTP requests answered';
COMMENT ON COLUMN source_runs.not_modified IS 'of which 304';
COMMENT ON COLUMN source_runs.parsed IS 'raw records parsed';
COMMENT ON COLUMN source_runs.rejected IS 'records or pages quarantined';
COMMENT ON COLUMN source_runs.inserted IS 'new listings';
COMMENT ON COLUMN source_runs.updated IS 'changed listings';
COMMENT ON COLUMN source_runs.unchanged IS 'listings seen unchanged';
COMMENT ON COLUMN source_runs.vanished IS 'listings marked inactive';

CREATE TABLE IF NOT EXISTS source_run_stats (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    records     INTEGER NOT NULL,
    present     INTEGER NOT NULL,
    missing     INTEGER NOT NULL,
    invalid     INTEGER NOT NULL,
    repaired    INTEGER NOT NULL,
    PRIMARY KEY (run_id, source_id, field)
);
COMMENT ON TABLE source_run_stats IS 'per source run and field: present, missing, invalid, repaired';
COMMENT ON COLUMN source_run_stats.run_id IS 'runs.run_id';
COMMENT ON COLUMN source_run_stats.source_id IS 'sources.source_id';
COMMENT ON COLUMN source_run_stats.field IS 'listing field';
COMMENT ON COLUMN source_run_stats.records IS 'valid listings of the run';
COMMENT ON COLUMN source_run_stats.present IS 'listings with a value';
COMMENT ON COLUMN source_run_stats.missing IS 'listings without one';
COMMENT ON COLUMN source_run_stats.invalid IS 'values kept raw because they could not be normalised';
COMMENT ON COLUMN source_run_stats.repaired IS 'values repaired or moved between fields, with a flag';

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
COMMENT ON TABLE raw_pages IS 'every page a run fetched (the raw layer); bodies are in the WARC files';
COMMENT ON COLUMN raw_pages.run_id IS 'runs.run_id';
COMMENT ON COLUMN raw_pages.source_id IS 'sources.source_id';
COMMENT ON COLUMN raw_pages.url IS 'page URL';
COMMENT ON COLUMN raw_pages.status IS 'HTTP status';
COMMENT ON COLUMN raw_pages.not_modified IS 'answered 304 and served from the cache';
COMMENT ON COLUMN raw_pages.sha256 IS 'hash of the body';
COMMENT ON COLUMN raw_pages.bytes IS 'body size';
COMMENT ON COLUMN raw_pages.encoding IS 'charset used';
COMMENT ON COLUMN raw_pages.fetched_at IS 'fetch time (WARC date in replays)';
COMMENT ON COLUMN raw_pages.warc_file IS 'WARC file name (in the run''s folder); NULL: confirmed unchanged, not archived (the body is in the WARC of the run whose records stand)';

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
    record_hash    VARCHAR NOT NULL,
    active         BOOLEAN NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL,
    inactive_since TIMESTAMPTZ,
    run_id         VARCHAR NOT NULL
);

-- listing_history has the content columns of listings plus its validity; warehouse/storage/db.py
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
COMMENT ON TABLE quarantine IS 'records and pages that could not be used, with the reason';
COMMENT ON COLUMN quarantine.run_id IS 'runs.run_id';
COMMENT ON COLUMN quarantine.source_id IS 'sources.source_id';
COMMENT ON COLUMN quarantine.source_key IS 'the record''s key, if known';
COMMENT ON COLUMN quarantine.url IS 'page or file row';
COMMENT ON COLUMN quarantine.field IS 'the field at fault, ''(run)'' for a refused run';
COMMENT ON COLUMN quarantine.reason IS 'what was wrong';
COMMENT ON COLUMN quarantine.raw IS 'the raw record as JSON';
COMMENT ON COLUMN quarantine.quarantined_at IS 'when';

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
COMMENT ON VIEW source_health IS 'per source: last run, failures in a row, age of current records';
COMMENT ON COLUMN source_health.source_id IS 'sources.source_id';
COMMENT ON COLUMN source_health.policy IS 'open | withhold';
COMMENT ON COLUMN source_health.cadence IS 'daily | weekly | monthly';
COMMENT ON COLUMN source_health.last_status IS 'status of the last run';
COMMENT ON COLUMN source_health.failure_class IS 'failure class of the last run';
COMMENT ON COLUMN source_health.reason IS 'reason of the last run';
COMMENT ON COLUMN source_health.last_run_at IS 'end of the last run';
COMMENT ON COLUMN source_health.consecutive_failures IS 'failed runs in a row';
COMMENT ON COLUMN source_health.last_ok_at IS 'end of the last accepted run: how old the current records are';
COMMENT ON COLUMN source_health.active_records IS 'listings still current';
