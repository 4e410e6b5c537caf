-- Browser sessions of `--auth required`, shared by every server on the database. The id the
-- cookie carries is stored only as its sha256; a session ends with its token's revocation.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    token_id      BIGINT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_by_token ON sessions (token_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
