//! End-to-end tests: HTTP to the real worker under `wrangler dev` (workerd + local D1).
//! `scripts/test.sh` (`make test`) builds the worker, starts it on a free port with a fresh
//! database and runs this suite with `SCIM_EDGE_URL` and `SCIM_EDGE_ADMIN_TOKEN` set.
//!
//! `scenarios` runs the shared list (`common::scenarios::shared_tests!`); the other modules hold
//! what only the real worker can run: concurrent requests, rate limiting and throttles, the Cron
//! Triggers (retention, and the purge of a deleted tenant of 20,000 employees), `/healthz`,
//! tenants on two local D1 databases (`shards`). The scan of the worker's log after the whole run is a test target of its own (`tests/log_scan.rs`).

#[path = "../common/mod.rs"]
mod common;
mod http_client;

mod bulk;
mod concurrency;
mod cron;
mod deleted;
mod export;
mod guard;
mod health;
mod patch_concurrency;
mod purge;
mod rate_limit;
mod reports;
mod round_trips;
mod scenarios;
mod shards;
mod throttle;
mod worker_log;
