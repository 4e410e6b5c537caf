//! One module per route: the page component and its server functions.

pub mod bench;
pub mod case;
pub mod compare;
pub mod login;
pub mod run;
pub mod runs;
pub mod script;
