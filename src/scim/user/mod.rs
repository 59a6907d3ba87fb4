//! The User resource (RFC 7643 §4.1, §4.3): from a client's JSON to the canonical document the
//! service stores, and back to the representation it returns.
//!
//! The canonical document holds what the client wrote, with attribute names in their schema
//! spelling, values type-checked, nulls and empty values dropped (RFC 7643 §2.5: unassigned),
//! read-only attributes (`id`, `meta`, `manager.displayName`) and the attributes the service does
//! not keep (`password`, `groups`, ...) left out, and the enterprise extension under its URN.
//! `id` and `meta` live in columns. Unknown attributes of the core and enterprise schemas are
//! ignored; an unknown schema URN is a 400 `invalidValue`.
//!
//! One job a file; this one holds the two types they share, [`Doc`] and [`Parsed`], and hands
//! every public item on, so callers name it `scim::user::<item>`:
//!
//! - `parse`: a client's JSON (a POST or PUT body, a path-less PATCH value) into a document:
//!   which keys are read, `schemas`, the extensions, the required `userName`, the defaults.
//! - `canonical`: the canonical value of one attribute against its definition; PATCH uses it
//!   too.
//! - `folded`: the copy of a document with its case-insensitive strings case-folded, which
//!   filters and sorting read.
//! - `render`: the representation returned to clients, with `schemas`, `id` and `meta`.
//! - `diff`: the attribute-level changes between two documents, for the activity log.
//!
//! What of a document the store keeps in columns of their own is `scim::columns`.
//!
//! `parse` builds on `canonical`; the other three read a finished document and use none of
//! their siblings.

mod canonical;
mod diff;
mod folded;
mod parse;
mod render;

pub use canonical::{canonical, check_one_primary, simple};
pub use diff::{changes, Change};
pub use folded::folded;
#[cfg(test)]
pub(crate) use parse::with_schemas;
pub use parse::{
    check_schemas, enterprise_value, finish, parse_attributes, parse_user, require_user_name,
};
pub use render::{etag, render, ManagerInfo, Meta};

use serde_json::{Map, Value};

/// A canonical User document (without `id`, `meta` and `schemas`).
pub type Doc = Map<String, Value>;

/// A User parsed from a client's JSON, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub doc: Doc,
    /// Remarks for the activity log (e.g. an ignored deactivated custom attribute).
    pub notes: Vec<String>,
}
