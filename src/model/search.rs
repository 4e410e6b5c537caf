//! What a search shows of a result: the snippet of the field that matched, its matches marked.
//! Parts are plain text; the page renders each as a text node (inside `<mark>` when a hit).

use serde::{Deserialize, Serialize};

/// A window of one field of a result around its first match.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Snippet {
    /// `output`, `error`, `reason`, `input`, `case_name` or `case_id`.
    pub field: String,
    pub parts: Vec<SnippetPart>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SnippetPart {
    pub text: String,
    /// A match of the search.
    pub hit: bool,
}
