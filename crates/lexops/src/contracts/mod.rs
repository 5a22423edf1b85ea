//! Contracts (issue #6): the repository, intake requests, versions and redlines, templates and
//! the clause library, statuses and their history. Document text comes from the `evidence`
//! crate, drafting and redlines from the `drafting` crate.

pub mod api;
pub mod approvals;
pub mod bench;
pub mod clauses;
pub mod compare;
pub mod dates;
pub mod demo;
pub mod extract;
pub mod holidays;
pub mod import;
pub mod index;
pub mod keydates;
pub mod model;
pub mod pages;
pub mod store;
pub mod templates;
