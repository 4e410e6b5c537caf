//! API tokens: random secrets shown once, stored as sha256 hashes, with a scope each.

use rand::RngCore;
use serde::Serialize;

use super::{Store, StoreError, StoreResult};
use crate::args;
use crate::server::hash::sha256_hex;
use crate::server::time::{fmt_ms, now_ms};

/// Scopes nest: admin can do what write can, write what read can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s).ok_or_else(|| format!("unknown scope '{s}': use read, write or admin"))
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    scope: String,
    prefix: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl Store {
    /// Create a token; the secret is returned once and never stored in the clear.
    pub async fn create_token(&self, name: &str, scope: Scope) -> StoreResult<(TokenInfo, String)> {
        if name.is_empty() || name.len() > 128 {
            return Err(StoreError::invalid("name", "must be 1–128 characters"));
        }
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let secret = format!("assay_{}", hex::encode(bytes));
        let prefix = secret[..12].to_string();
        let now = now_ms();
        let mut tx = self.begin().await?;
        let (id,) = tx
            .one::<(i64,)>(
                "INSERT INTO api_tokens (name, scope, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![name, scope.as_str(), sha256_hex(secret.as_bytes()), prefix.clone(), now],
            )
            .await?;
        tx.commit().await?;
        Ok((
            TokenInfo {
                id,
                name: name.to_string(),
                scope: scope.as_str().to_string(),
                prefix,
                created_at: fmt_ms(now),
                revoked_at: None,
            },
            secret,
        ))
    }

    pub async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        Ok(self
            .db
            .all::<TokenRow>(
                "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_tokens ORDER BY id",
                vec![],
            )
            .await?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                scope: t.scope,
                prefix: t.prefix,
                created_at: fmt_ms(t.created_at),
                revoked_at: t.revoked_at.map(fmt_ms),
            })
            .collect())
    }

    /// Revoke by id or by name; answers how many tokens were revoked.
    pub async fn revoke_token(&self, id_or_name: &str) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = match id_or_name.parse::<i64>() {
            Ok(id) => {
                tx.exec(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    args![now_ms(), id],
                )
                .await?
            }
            Err(_) => {
                tx.exec(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                    args![now_ms(), id_or_name],
                )
                .await?
            }
        };
        tx.commit().await?;
        Ok(n)
    }

    /// The scope of a live token, or None for an unknown or revoked one.
    pub async fn token_scope(&self, secret: &str) -> StoreResult<Option<Scope>> {
        Ok(self
            .db
            .opt::<(String,)>(
                "SELECT scope FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                args![sha256_hex(secret.as_bytes())],
            )
            .await?
            .and_then(|(s,)| Scope::parse(&s)))
    }
}
