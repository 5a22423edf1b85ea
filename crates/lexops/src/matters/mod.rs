//! Matters: the unit of legal work that spend, contracts, holds and the rest refer to.
//! A matter has a number, a type (types are data), a status lifecycle, people, dates and an
//! optional ethical wall: a confidential matter is visible only to the people on its wall,
//! everywhere (lists, search, exports, API), whatever their role.

pub mod api;
pub mod model;
pub mod pages;
pub mod rules;
pub mod store;
