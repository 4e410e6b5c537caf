-- What is derived from a finished run, computed once when it finishes (a finished run is
-- immutable): latency percentiles and the score histogram. Reads of a finished run never scan
-- its results.
CREATE TABLE run_figures (
    run_id BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    latency_n BIGINT NOT NULL,
    p50_latency_ms BIGINT,
    p95_latency_ms BIGINT,
    -- JSON array of HISTOGRAM_BINS counts of headline scores over [0, score_max].
    histogram TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);
