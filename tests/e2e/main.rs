//! End-to-end tests: HTTP to the real worker under `wrangler dev` (workerd + local D1).
//! `scripts/test.sh` (`make test`) builds the worker, starts it on a free port with a fresh
//! database and runs this suite with `SCIM_EDGE_URL` and `SCIM_EDGE_ADMIN_TOKEN` set.

#[path = "../common/mod.rs"]
mod common;
mod concurrency;
mod custom;
mod http_client;

mod fixtures;
mod patch;
mod patch_concurrency;
mod protocol;
mod query;
mod rate_limit;
mod reports;
mod tenants;
mod users;
