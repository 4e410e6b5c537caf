-- Full-text search of finished runs. A finished run is immutable, so its text is indexed once,
-- when it finishes (store/search/index.rs); ingest never writes here, and a running run is
-- searched by a scan. Keep in step with ../postgres/0008_search.sql.

-- The runs whose results are indexed, with the range of their result ids (FTS5 reads only the
-- part of each doclist inside it).
CREATE TABLE run_search (
    run_id      INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    first_id    INTEGER NOT NULL,
    last_id     INTEGER NOT NULL,
    indexed_at  INTEGER NOT NULL
);

-- One row per result of an indexed run (rowid = results.id): `body` holds the distinct words of
-- its case id and name, output, case inputs, error and scorer reasons; `grams` the hex-encoded
-- 3-character n-grams of its case id and name (domain/search.rs). Contentless: the text
-- itself stays in its own tables.
CREATE VIRTUAL TABLE result_fts USING fts5(
    body, grams, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);

-- A contentless table has no foreign key: a deleted result (a deleted run) leaves with its row,
-- so a reused rowid never inherits another result's words.
CREATE TRIGGER result_fts_forget AFTER DELETE ON results BEGIN
    DELETE FROM result_fts WHERE rowid = old.id;
END;
