//! One module per route: the page component and its server functions.

pub mod runs;
pub mod run;
