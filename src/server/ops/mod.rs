//! Running Assay in production: graceful shutdown, log formats, backups.

pub mod backup;
pub mod cli;
pub mod logging;
pub mod shutdown;
