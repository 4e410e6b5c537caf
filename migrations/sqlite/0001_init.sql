-- Assay schema, SQLite flavour. Timestamps are milliseconds since the Unix epoch (UTC).
-- JSON values are stored as text. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE scripts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('workflow', 'judge')),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE script_versions (
    id            INTEGER PRIMARY KEY,
    script_id     INTEGER NOT NULL REFERENCES scripts(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    source        TEXT NOT NULL,
    language      TEXT,
    label         TEXT,
    published_by  TEXT,
    content_hash  TEXT NOT NULL,
    model         TEXT,
    system_prompt TEXT,
    temperature   REAL,
    config        TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (script_id, number),
    UNIQUE (script_id, content_hash)
);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    script_id   INTEGER NOT NULL REFERENCES scripts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES script_versions(id),
    updated_at  INTEGER NOT NULL,
    UNIQUE (script_id, name)
);

CREATE TABLE channel_history (
    id            INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    version_id    INTEGER NOT NULL REFERENCES script_versions(id),
    published_by  TEXT,
    published_at  INTEGER NOT NULL
);
CREATE INDEX channel_history_by_channel ON channel_history (channel_id, published_at, id);

CREATE TABLE benches (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    description         TEXT,
    workflow_script_id  INTEGER NOT NULL REFERENCES scripts(id),
    judge_script_id     INTEGER NOT NULL REFERENCES scripts(id),
    judge_channel       TEXT NOT NULL,
    score_max           REAL NOT NULL,
    pass_threshold      REAL NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    bench_id         INTEGER NOT NULL REFERENCES benches(id) ON DELETE CASCADE,
    case_id          TEXT NOT NULL,
    name             TEXT,
    inputs           TEXT,
    expected_output  TEXT,
    ground_truth     TEXT,
    tags             TEXT NOT NULL DEFAULT '[]',
    input_hash       TEXT NOT NULL,
    frozen           BOOLEAN NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (bench_id, case_id)
);

CREATE TABLE case_tags (
    bench_id  INTEGER NOT NULL REFERENCES benches(id) ON DELETE CASCADE,
    case_id   TEXT NOT NULL,
    tag       TEXT NOT NULL,
    PRIMARY KEY (bench_id, tag, case_id)
);

CREATE TABLE runs (
    id                       INTEGER PRIMARY KEY,
    bench_id                 INTEGER NOT NULL REFERENCES benches(id) ON DELETE CASCADE,
    bench_name               TEXT NOT NULL,
    channel                  TEXT NOT NULL,
    workflow_script_name     TEXT NOT NULL,
    workflow_version_id      INTEGER NOT NULL REFERENCES script_versions(id),
    workflow_version_number  INTEGER NOT NULL,
    judge_script_name        TEXT NOT NULL,
    judge_version_id         INTEGER NOT NULL REFERENCES script_versions(id),
    judge_version_number     INTEGER NOT NULL,
    status                   TEXT NOT NULL,
    mode                     TEXT NOT NULL,
    sample_size              INTEGER,
    case_filter              TEXT,
    max_case_pk              INTEGER NOT NULL,
    triggered_by             TEXT,
    triggered_at             INTEGER NOT NULL,
    completed_at             INTEGER,
    notes                    TEXT,
    mcp_session_id           TEXT,
    model                    TEXT,
    system_prompt            TEXT,
    temperature              REAL,
    error                    TEXT,
    metadata                 TEXT NOT NULL DEFAULT '{}',
    idempotency_key          TEXT,
    pass_threshold           REAL NOT NULL,
    score_max                REAL NOT NULL,
    -- aggregates, kept current as results arrive (see domain::aggregate)
    total_cases              INTEGER NOT NULL,
    results_count            INTEGER NOT NULL DEFAULT 0,
    cases_with_results       INTEGER NOT NULL DEFAULT 0,
    n_ok                     INTEGER NOT NULL DEFAULT 0,
    n_cached                 INTEGER NOT NULL DEFAULT 0,
    n_workflow_failed        INTEGER NOT NULL DEFAULT 0,
    n_judge_failed           INTEGER NOT NULL DEFAULT 0,
    n_skipped                INTEGER NOT NULL DEFAULT 0,
    passed                   INTEGER NOT NULL DEFAULT 0,
    failed                   INTEGER NOT NULL DEFAULT 0,
    inconclusive             INTEGER NOT NULL DEFAULT 0,
    scored_count             INTEGER NOT NULL DEFAULT 0,
    score_sum                REAL NOT NULL DEFAULT 0,
    cache_hit_cases          INTEGER NOT NULL DEFAULT 0,
    total_cost_usd           REAL NOT NULL DEFAULT 0,
    latency_count            INTEGER NOT NULL DEFAULT 0,
    latency_sum              INTEGER NOT NULL DEFAULT 0,
    total_tokens             INTEGER NOT NULL DEFAULT 0,
    last_result_at           INTEGER,
    UNIQUE (bench_id, idempotency_key)
);
CREATE INDEX runs_by_time ON runs (triggered_at DESC, id DESC);
CREATE INDEX runs_by_bench ON runs (bench_id, triggered_at DESC, id DESC);
CREATE INDEX runs_by_bench_channel ON runs (bench_id, channel, triggered_at DESC, id DESC);
CREATE INDEX runs_by_channel ON runs (channel, triggered_at DESC, id DESC);
CREATE INDEX runs_by_status ON runs (status, triggered_at DESC, id DESC);
CREATE INDEX runs_by_triggered_by ON runs (triggered_by, triggered_at DESC, id DESC);
CREATE INDEX runs_by_workflow_version ON runs (workflow_version_id);
CREATE INDEX runs_by_judge_version ON runs (judge_version_id);

-- The selection of a run that named its cases (case_ids or sampled); a full run
-- without case_ids selects every case with cases.id <= runs.max_case_pk.
CREATE TABLE run_cases (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    case_id  TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
);

-- Running sums for each run's dimension means.
CREATE TABLE run_dimensions (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    dimension  TEXT NOT NULL,
    score_sum  REAL NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (run_id, dimension)
);

CREATE TABLE results (
    id                     INTEGER PRIMARY KEY,
    run_id                 INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    case_id                TEXT NOT NULL,
    case_name              TEXT,
    epoch                  INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    verdict                TEXT,
    headline_score         REAL,
    duration_ms            INTEGER,
    input_tokens           INTEGER,
    output_tokens          INTEGER,
    tool_tokens            INTEGER,
    tokens_used            INTEGER NOT NULL,
    workflow_cost_usd      REAL,
    judge_cost_usd         REAL,
    cost_usd               REAL NOT NULL,
    cache_hit              BOOLEAN NOT NULL,
    input_hash             TEXT,
    workflow_execution_id  TEXT,
    judge_execution_id     TEXT,
    created_at             INTEGER NOT NULL,
    error                  TEXT,
    output_preview         TEXT,
    score                  TEXT,
    UNIQUE (run_id, case_id, epoch)
);
CREATE INDEX results_by_status ON results (run_id, status, id);
CREATE INDEX results_by_verdict ON results (run_id, verdict, id);
CREATE INDEX results_by_score ON results (run_id, headline_score, id);
CREATE INDEX results_by_latency ON results (run_id, duration_ms, id);
CREATE INDEX results_by_cost ON results (run_id, cost_usd, id);

-- Large bodies live apart from the result rows that list queries read.
CREATE TABLE result_outputs (
    result_id        INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
    workflow_output  TEXT
);

CREATE TABLE scorer_results (
    id           INTEGER PRIMARY KEY,
    result_id    INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    scorer_name  TEXT NOT NULL,
    score        REAL,
    passed       BOOLEAN,
    reason       TEXT,
    dimension    TEXT,
    details      TEXT
);
CREATE INDEX scorer_results_by_result ON scorer_results (result_id, position);

CREATE TABLE result_dimensions (
    result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    dimension  TEXT NOT NULL,
    score      REAL NOT NULL,
    PRIMARY KEY (result_id, dimension)
);

CREATE TABLE trace_steps (
    result_id    INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    step_index   INTEGER NOT NULL,
    type         TEXT,
    name         TEXT,
    output       TEXT,
    tokens_used  INTEGER,
    duration_ms  INTEGER,
    PRIMARY KEY (result_id, position)
);

CREATE TABLE tool_calls (
    result_id    INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    step_index   INTEGER,
    tool_name    TEXT NOT NULL,
    arguments    TEXT,
    result       TEXT,
    error        TEXT,
    duration_ms  INTEGER,
    PRIMARY KEY (result_id, position)
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
