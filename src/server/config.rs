//! Settings the binary parses and the server runs with. Nothing here depends on the rest of the
//! server, so any layer may read it.

/// Who may read: writes always need a token of the right scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum AuthMode {
    /// Reads are open to anyone who can reach the server (a laptop).
    #[default]
    Open,
    /// Every read needs a token with read scope (a shared deployment).
    Required,
}
