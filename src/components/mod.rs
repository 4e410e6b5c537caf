//! Shared UI, written once and used by every page: the pager, the status bar and its legend,
//! score cells and status badges, stored text, error and not-found views, a bench's latest runs,
//! the live pages' event stream and its "live" mark;
//! a results row's text or search snippet, export links.

pub mod cells;
pub mod errors;
pub mod export_links;
pub mod latest_runs;
pub mod live;
pub mod pager;
pub mod snippet;
pub mod status_bar;
pub mod stored_text;

pub use cells::{FlakyBadge, RunStatusBadge, SampledTag, ScoreCell, StatusBadge, VerdictBadge, VersionLink};
pub use errors::{respond_not_found, respond_status, ErrorView, NotFoundView};
pub use export_links::ExportLinks;
pub use latest_runs::LatestRuns;
pub use live::LiveMark;
pub use pager::{PageLink, Pager};
pub use snippet::ResultTextCell;
pub use status_bar::{StatusBar, StatusLegend};
pub use stored_text::StoredText;
