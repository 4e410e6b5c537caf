//! Settings the binary parses and the server runs with. Nothing here depends on the rest of the
//! server, so any layer may read it.

use axum::http::HeaderName;

/// Who may read: writes always need a token of the right scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum AuthMode {
    /// Reads are open to anyone who can reach the server (a laptop).
    #[default]
    Open,
    /// Every page, server function and read needs credentials (a shared deployment).
    Required,
}

/// The sign-in settings of `assay serve` (flags and environment), kept together so the binary
/// and the tests build the same gate.
#[derive(Clone, Debug, clap::Args)]
pub struct AuthConfig {
    /// `open`: reads need no token (a laptop); `required`: every page, server function and read
    /// needs a read token or a session from /login (a shared deployment).
    #[arg(long = "auth", value_enum, env = "ASSAY_AUTH", default_value = "open")]
    pub mode: AuthMode,
    /// Days a sign-in session lives after its last use.
    #[arg(long, env = "ASSAY_SESSION_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_days: u32,
    /// Header an SSO proxy in front sets to the signed-in user (e.g. X-Forwarded-User): a request
    /// carrying it is a reader of that name. Only safe when the proxy strips it from clients.
    #[arg(long, env = "ASSAY_TRUST_PROXY_HEADER", value_name = "NAME")]
    pub trust_proxy_header: Option<HeaderName>,
    /// Always mark the session cookie `Secure` (the server is reached over https).
    #[arg(long, env = "ASSAY_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Believe the proxy's X-Forwarded-Proto (https → `Secure` cookie), X-Forwarded-Host (the
    /// origin cross-site checks compare with) and X-Forwarded-For (the address failed sign-ins
    /// are counted by). Only safe when a proxy sets them and clients cannot reach the server directly.
    #[arg(long, env = "ASSAY_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
}

impl AuthConfig {
    /// How long a session lives past its last use, in milliseconds.
    pub fn session_ttl_ms(&self) -> i64 {
        i64::from(self.session_days) * 24 * 3600 * 1000
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig::from(AuthMode::Open)
    }
}

impl From<AuthMode> for AuthConfig {
    fn from(mode: AuthMode) -> Self {
        AuthConfig { mode, session_days: 14, trust_proxy_header: None, secure_cookies: false, trust_forwarded: false }
    }
}
