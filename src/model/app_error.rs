//! The one error type of the server functions: what a page can be told went wrong, and match
//! on. It crosses the wire (server functions encode it as JSON), so it compiles for the browser
//! too; the server's own errors turn into it in `server/app_error.rs`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// What the page asks for does not exist (the page answers 404).
    NotFound(String),
    /// A value of the page's URL cannot be used; names the parameter.
    Invalid { field: String, message: String },
    /// The reader may not see this.
    Unauthorized,
    /// Anything else: the database, the server function's transport, a bug. The message is
    /// what the server chose to tell (internal details are logged there, not sent).
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.into(), message: message.into() }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The text a page shows for it.
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound(m) | AppError::Internal(m) => m.clone(),
            AppError::Invalid { field, message } => format!("{field}: {message}"),
            AppError::Unauthorized => "sign in to see this".to_string(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Failures of the call itself (the network, encoding, a missing argument).
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        AppError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::server_fn::error::FromServerFnError;

    #[test]
    fn errors_cross_the_wire_intact() {
        for e in [
            AppError::NotFound("no run 7".into()),
            AppError::invalid("epsilon", "'abc' is not a number"),
            AppError::Unauthorized,
            AppError::internal("database busy, retry later"),
        ] {
            assert_eq!(AppError::de(e.ser()), e, "{e:?}");
        }
        let call = AppError::from_server_fn_error(ServerFnErrorErr::Request("connection refused".into()));
        assert!(matches!(&call, AppError::Internal(m) if m.contains("connection refused")), "{call:?}");
        assert_eq!(AppError::invalid("epsilon", "'abc' is not a number").to_string(), "epsilon: 'abc' is not a number");
    }
}
