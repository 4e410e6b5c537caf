//! Sign-in sessions of `--auth required`: a random 256-bit id handed to the browser once and
//! stored only as its sha256, tied to the token it was opened with. Every lookup reads the
//! database (no cache), so a logout or a token revoked by another process ends it at once, on
//! every server sharing the database.

use rand::rngs::OsRng;
use rand::RngCore;

use super::{Scope, Store, StoreResult};
use crate::args;
use crate::server::hash::sha256_hex;
use crate::server::time::now_ms;

/// A session id is 32 random bytes, written as 64 lower-case hex digits.
pub const SESSION_ID_LEN: usize = 64;

/// A session's expiry slides forward on use, at most once this often (one write a minute per
/// active session instead of one per request).
pub const RENEW_AFTER_MS: i64 = 60_000;

/// The live token behind a bearer secret or a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    pub token_id: i64,
    pub name: String,
    pub scope: Scope,
}

/// A live session: its token, and whether this lookup slid its expiry forward (the cookie's
/// lifetime should then be renewed too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionHolder {
    pub holder: TokenHolder,
    pub renewed: bool,
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    id: i64,
    name: String,
    scope: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    name: String,
    scope: String,
    last_seen_at: i64,
}

fn holder(id: i64, name: String, scope: &str) -> Option<TokenHolder> {
    Scope::parse(scope).map(|scope| TokenHolder { token_id: id, name, scope })
}

/// True for what a session id can look like; anything else is never looked up.
pub fn is_session_id(s: &str) -> bool {
    s.len() == SESSION_ID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Store {
    /// The live token a secret names (None for an unknown or revoked one).
    pub async fn token_holder(&self, secret: &str) -> StoreResult<Option<TokenHolder>> {
        Ok(self
            .db
            .opt::<HolderRow>(
                "SELECT id, name, scope FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                args![sha256_hex(secret.as_bytes())],
            )
            .await?
            .and_then(|r| holder(r.id, r.name, &r.scope)))
    }

    /// Open a session for a live token, living `ttl_ms` past its last use. Answers the session
    /// id (shown only now) with the token, or None when the secret names no live token. Also
    /// drops sessions that can never be used again (expired, or of revoked tokens).
    pub async fn create_session(&self, secret: &str, ttl_ms: i64) -> StoreResult<Option<(String, TokenHolder)>> {
        let Some(token) = self.token_holder(secret).await? else {
            return Ok(None);
        };
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let id = hex::encode(bytes);
        let now = now_ms();
        let mut tx = self.begin().await?;
        tx.exec(
            "DELETE FROM sessions WHERE expires_at <= $1 \
             OR token_id IN (SELECT id FROM api_tokens WHERE revoked_at IS NOT NULL)",
            args![now],
        )
        .await?;
        tx.exec(
            "INSERT INTO sessions (id_hash, token_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
            args![sha256_hex(id.as_bytes()), token.token_id, now, now + ttl_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(Some((id, token)))
    }

    /// The live session an id names: not expired, its token not revoked. A session last seen
    /// over [`RENEW_AFTER_MS`] ago is renewed to live `ttl_ms` from now.
    pub async fn session_holder(&self, session_id: &str, ttl_ms: i64) -> StoreResult<Option<SessionHolder>> {
        if !is_session_id(session_id) {
            return Ok(None);
        }
        let id_hash = sha256_hex(session_id.as_bytes());
        let now = now_ms();
        let Some(row) = self
            .db
            .opt::<SessionRow>(
                "SELECT t.id, t.name, t.scope, s.last_seen_at FROM sessions s JOIN api_tokens t ON t.id = s.token_id \
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
                args![id_hash.clone(), now],
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(token) = holder(row.id, row.name, &row.scope) else {
            return Ok(None);
        };
        let mut renewed = false;
        if now - row.last_seen_at >= RENEW_AFTER_MS {
            let mut tx = self.begin().await?;
            // `expires_at > now` again: a session that expired (or was deleted) meanwhile stays ended.
            renewed = tx
                .exec(
                    "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3 AND expires_at > $1",
                    args![now, now + ttl_ms, id_hash],
                )
                .await?
                > 0;
            tx.commit().await?;
        }
        Ok(Some(SessionHolder { holder: token, renewed }))
    }

    /// End a session; answers how many were deleted (0 or 1).
    pub async fn delete_session(&self, session_id: &str) -> StoreResult<u64> {
        if !is_session_id(session_id) {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let n = tx.exec("DELETE FROM sessions WHERE id_hash = $1", args![sha256_hex(session_id.as_bytes())]).await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_lower_hex_digits_are_session_ids() {
        assert!(is_session_id(&"0123456789abcdef".repeat(4)));
        assert!(!is_session_id(&"0123456789ABCDEF".repeat(4)), "upper case is not what we hand out");
        assert!(!is_session_id(&"a".repeat(63)));
        assert!(!is_session_id(&"a".repeat(65)));
        assert!(!is_session_id(&format!("{}g", "a".repeat(63))));
        assert!(!is_session_id(""));
    }
}
