//! The platform: what every lexops module uses. Configuration, the database (pools and
//! migrations), the clock, accounts and access control, the audit trail, the encrypted document
//! store, background jobs, mail, the web shell and the REST API.
//!
//! Invariants kept here:
//! - every mutation writes exactly one audit event per changed object in the same transaction;
//! - every route has an access policy (see `routes`), checked before its handler runs;
//! - document bytes are never served unless their SHA-256 matches.

pub mod access;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod blobs;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod pages;
pub mod pdf;
pub mod routes;
pub mod search;
pub mod time;
pub mod users;
pub mod web;
