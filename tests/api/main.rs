//! Host integration tests: the whole application (`app::handle`) over rusqlite with the same
//! migrations and SQL that D1 runs, a fixed clock and seeded ids. One binary; a file per area.
//!
//! `scenarios` runs the shared list (`common::scenarios::shared_tests!`) and checks that it names
//! every scenario; the other modules hold what only the host can do: read the database, look at
//! query plans, set the clock, run property tests.

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod activity;
mod admins;
mod bulk;
mod console;
mod credentials;
mod deleted;
mod faults;
mod fixtures;
mod guard;
mod guard_count;
mod health;
mod log_scan;
mod outbox;
mod patch;
mod purge;
mod query;
mod query_props;
mod reports;
mod robustness;
mod round_trips;
mod scanner;
mod scenarios;
mod shards;
mod substrings;
mod tenants;
mod webhooks;
