-- Full-text search of finished runs. A finished run is immutable, so its text is indexed once,
-- when it finishes (store/search/index.rs); ingest never writes here, and a running run is
-- searched by a scan. Keep in step with ../sqlite/0008_search.sql.

-- The runs whose results are indexed, with the range of their result ids.
CREATE TABLE run_search (
    run_id      BIGINT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    first_id    BIGINT NOT NULL,
    last_id     BIGINT NOT NULL,
    indexed_at  BIGINT NOT NULL
);

-- One row per result of an indexed run. `doc` holds, as lexemes without positions: the distinct
-- words of its case id and name, output, case inputs, error and scorer reasons; `~` + each
-- hex-encoded 3-character n-gram of its case id and name; and `#run<id>`, so the GIN
-- index answers one run's matches by intersecting with that run's lexeme instead of reading
-- every run's postings (domain/search.rs, store/search/).
CREATE TABLE result_search (
    result_id  BIGINT PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
    doc        tsvector NOT NULL
);
CREATE INDEX result_search_doc ON result_search USING GIN (doc);
