//! Host integration tests: the whole application (`app::handle`) over rusqlite with the same
//! migrations and SQL that D1 runs, a fixed clock and seeded ids. One binary; a file per area.

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod activity;
mod custom;
mod fixtures;
mod patch;
mod protocol;
mod query;
mod query_props;
mod reports;
mod robustness;
mod tenants;
mod users;
