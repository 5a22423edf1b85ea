//! The integration tests of lexops: one test binary, one module per feature. Every story runs
//! on SQLite and, when `LEXOPS_TEST_POSTGRES_URL` is set, on PostgreSQL (see `harness`).

mod harness;

mod access;
mod accounts;
mod api;
mod audit;
mod browser;
mod cli;
mod contracts;
mod db;
mod documents;
mod holds;
mod jobs_mail;
mod matters;
mod records;
mod routes;
mod schema;
mod search;
mod spend;
mod tidy;
