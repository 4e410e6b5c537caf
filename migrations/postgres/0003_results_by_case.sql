-- A case's results across runs (the case page's history: one index range per case).
CREATE INDEX results_by_case ON results (case_id, run_id);
