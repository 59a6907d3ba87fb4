//! Scenarios: request sequences with their expected answers, written once and run by both the
//! host suite and the end-to-end suite.
pub mod custom;
pub mod patch;
pub mod protocol;
pub mod query;
pub mod reports;
pub mod tenants;
pub mod users;

/// How far scenarios move the clock ([`Client::tick`]) between two steps that must have
/// distinct times: requests in the same millisecond share a time.
///
/// [`Client::tick`]: crate::common::Client::tick
pub const APART_MS: u64 = 3;
