-- Results pages sort by these exact expressions (nulls sort lowest), so the keyset walks an
-- index instead of sorting a whole run. Keep in step with ../postgres/0002_result_sort_keys.sql.
DROP INDEX results_by_score;
DROP INDEX results_by_latency;
CREATE INDEX results_by_score_key ON results (run_id, COALESCE(headline_score, -1.0), id);
CREATE INDEX results_by_latency_key ON results (run_id, COALESCE(duration_ms, -1), id);
