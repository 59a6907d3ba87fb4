//! The SCIM protocol, pure: no I/O, no clock, no randomness.
pub mod bulk;
pub mod columns;
pub mod datetime;
pub mod error;
pub mod filter;
pub mod fold;
pub mod limits;
pub mod list;
pub mod naming;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;
pub mod sent;
pub mod sizes;
pub mod tenant;
pub mod user;
