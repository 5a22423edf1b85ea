//! lexops: the operating system of an in-house legal department.
//!
//! The application crate: it owns the data (SQLite or PostgreSQL), the web UI, the REST API and
//! the CLI. `platform` is what every module stands on; see ARCHITECTURE.md for the map.

pub mod cli;
pub mod contracts;
pub mod matters;
pub mod platform;
pub mod records;
pub mod spend;

pub use platform::app::App;
