//! Records: the file plan (record categories and their retention rules, from the `retention`
//! crate), versioned; the document store, disposition and holds come next (issue #5).

pub mod api;
pub mod bench;
pub mod custodians;
pub mod demo;
pub mod disposition;
pub mod holds;
pub mod pages;
pub mod plan;
pub mod store;
