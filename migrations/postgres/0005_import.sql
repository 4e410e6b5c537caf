-- `assay import`: a run remembers the source it came from (format, id and column, so importing the
-- same file again finds it) and whether some of its verdicts are the source's own pass/fail.
ALTER TABLE runs ADD COLUMN import_key TEXT;
ALTER TABLE runs ADD COLUMN verdicts_from_source BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX runs_import_key ON runs (import_key) WHERE import_key IS NOT NULL;
