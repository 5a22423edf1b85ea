//! Records: the file plan (record categories and their retention rules, from the `retention`
//! crate), versioned; the record store, disposition, legal holds with their custodians and
//! notices (issue #5).

pub mod api;
pub mod bench;
pub mod custodians;
pub mod demo;
pub mod disposition;
pub mod holds;
pub mod notices;
pub mod pages;
pub mod plan;
pub mod store;
pub mod text;
