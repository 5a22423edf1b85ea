//! Spend: outside-counsel e-billing. Vendors and their timekeepers and approved rates, matter
//! assignments, budgets and accruals; LEDES invoice intake; the billing-guidelines engine
//! (`guidelines` crate) applied to every invoice; review, approval routing and appeals; the
//! accounts-payable export; and spend analytics.
//!
//! Invariants: a file with any LEDES error stores nothing; amounts are exact (`money`); a
//! vendor user reaches only its own firm's rows; invoices of a walled matter are visible only to
//! people on the wall (and to the firm that sent them).

pub mod analytics;
pub mod api;
pub mod bench;
pub mod context;
pub mod demo;
pub mod export;
pub mod guidelines_pages;
pub mod intake;
pub mod model;
pub mod money;
pub mod pages;
pub mod portal;
pub mod review;
pub mod rollup;
pub mod vendors;
