//! Scenarios: request sequences with their expected answers, written once and run by both the
//! host suite and the end-to-end suite.
pub mod custom;
pub mod patch;
pub mod protocol;
pub mod query;
pub mod reports;
pub mod tenants;
pub mod users;
