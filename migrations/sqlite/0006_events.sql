-- Live event streams (issue 9): every result row carries a per-run sequence number assigned in the
-- write transaction, and the run keeps the last one handed out, so a client reconnecting with
-- Last-Event-ID reads what it missed from here. (Row ids cannot serve: SQLite reuses the highest
-- rowid after a replacement.) Keep in step with ../postgres/0006_events.sql.
ALTER TABLE results ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
-- Rows written before this migration are numbered in id order.
UPDATE results SET seq = n.rn
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY id) AS rn FROM results) AS n
  WHERE results.id = n.id;
UPDATE runs SET event_seq = (SELECT COALESCE(MAX(seq), 0) FROM results WHERE results.run_id = runs.id);
CREATE UNIQUE INDEX results_by_seq ON results (run_id, seq);
