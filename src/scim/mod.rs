//! The SCIM protocol, pure: no I/O, no clock, no randomness.
pub mod datetime;
pub mod error;
pub mod filter;
pub mod fold;
pub mod naming;
