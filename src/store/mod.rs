//! Persistence: the one primitive the application needs from a database, a **batch** of
//! parameterised SQL statements that runs as one transaction and returns every statement's
//! rows. D1 (`d1.rs`, wasm32) and rusqlite (`sqlite.rs`, host) execute the very same SQL text,
//! so host tests prove the SQL that production runs.
//!
//! Why a batch and not a query-at-a-time API: in production every D1 call is a network round
//! trip. The application sends the token check, the operation and its activity-log entry in one
//! batch (DESIGN §9), with every statement scoped to the token's tenant in SQL.
//!
//! Statements are written with one builder that numbers its own placeholders (`builder.rs`),
//! and a batch's answers are read by typed handle, decoded here (`batch.rs`), so `app` gets
//! typed values and never a column name or a result position.
//!
//! Which database serves a tenant is decided here and nowhere else (`shards.rs`): tenants are
//! spread over several D1 databases, and the shard is in the tenant's id and credentials.
//!
//! Read replicas (D1 Sessions API, DESIGN §9): a batch says how fresh its reads must be
//! ([`Consistency`]). SCIM reads the primary; the admin API reads through the request's
//! session, which a client's bookmark ([`Store::resume`], [`Store::bookmark`]) keeps at least
//! as new as what that client saw or wrote before.
//!
//! What a request cost the database ([`Usage`]: round trips, rows read and written) is counted
//! by the store that ran its batches (`D1Store::usage` from D1's result metadata), for the
//! request's log line; the trait stays the one batch primitive.

use crate::model::{TenantId, TokenHash, TokenId, UserId, WriteId};
use crate::scim::datetime::Timestamp;
use std::borrow::Cow;

pub mod activity;
pub mod admins;
pub mod attribute_health;
pub mod attributes;
pub mod batch;
pub mod builder;
pub mod classify;
pub mod connection;
#[cfg(target_arch = "wasm32")]
pub mod d1;
pub mod deleted;
pub mod deletion_clock;
pub mod eligibility;
pub mod guard;
pub mod health;
pub mod list_sql;
pub mod maintenance;
pub mod outbox;
pub mod reports;
pub mod shards;
#[cfg(not(target_arch = "wasm32"))]
pub mod sqlite;
pub mod substrings;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use batch::{Batch, Handle, Query, Results};

pub use builder::{Param, Scope, Sql};

/// A bound SQL parameter. D1 takes JavaScript numbers, so integers stay within ±2^53.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Int(b as i64)
    }
}
impl From<Timestamp> for Value {
    /// Times are stored as canonical RFC 3339 text: text order is time order.
    fn from(t: Timestamp) -> Self {
        Value::Text(t.to_rfc3339())
    }
}
impl From<u16> for Value {
    fn from(i: u16) -> Self {
        Value::Int(i64::from(i))
    }
}
macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<&$id> for Value {
            fn from(id: &$id) -> Self {
                Value::Text(id.as_str().to_string())
            }
        }
    )*};
}
id_values!(TenantId, UserId, TokenId, WriteId, TokenHash);
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One statement: SQL with `?N` placeholders only (D1 has no named parameters) and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: Cow<'static, str>,
    pub params: Vec<Value>,
}

impl Stmt {
    pub fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Value>) -> Stmt {
        Stmt {
            sql: sql.into(),
            params,
        }
    }
}

/// Where a page of an admin list, keyset-paged on `(created, id)`, starts: after this row.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub created: Timestamp,
    pub id: String,
}

/// A result row: column name → value (INTEGER as a JSON integer, REAL as a JSON number, TEXT as
/// a JSON string, NULL as null). Statements name every column distinctly.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What the batches of one request (or one scheduled run) cost the database, for its log line:
/// D1 round trips (batches sent, failed ones included), and the rows D1 reports it read and
/// wrote (`meta.rows_read`, `meta.rows_written`, summed over the batch's statements; they
/// include index rows, and a statement that scans a table reads every row it passes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub round_trips: u32,
    pub rows_read: u64,
    pub rows_written: u64,
}

impl Usage {
    /// What two stores' batches cost together.
    pub fn plus(self, other: Usage) -> Usage {
        Usage {
            round_trips: self.round_trips + other.round_trips,
            rows_read: self.rows_read + other.rows_read,
            rows_written: self.rows_written + other.rows_written,
        }
    }

    /// One more batch, with what its statements read and wrote.
    pub fn add_batch(&mut self, rows_read: u64, rows_written: u64) {
        self.round_trips += 1;
        self.rows_read += rows_read;
        self.rows_written += rows_written;
    }
}

/// How fresh a batch's reads must be (D1 read replication, DESIGN §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// The primary: everything anyone wrote before is visible (all SCIM traffic: an IdP that
    /// writes and then reads must not see stale data; credentials and sessions, whose
    /// revocation counts from the next request).
    Primary,
    /// The request's read session (D1 Sessions API): any replica at least as new as the
    /// bookmark the request resumed ([`Store::resume`]) and as every batch the session ran
    /// before; a batch that writes goes to the primary all the same. The admin API's reads:
    /// an admin who hands back the bookmark of their last answer sees their own changes.
    Session,
}

/// Why a batch failed, sorted by what the application does about it (DESIGN §8). A failed batch
/// changed nothing: D1 and the host store roll the whole batch back. Every variant keeps the
/// database's message for the worker's log; none of it is ever shown to a client.
///
/// D1 reports failures as messages only; `classify` sorts the messages Cloudflare documents
/// into these variants, and the host store sorts SQLite's result codes into the same ones.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// A unique index (UNIQUE or PRIMARY KEY) refused a row: the value is taken (a userName, an
    /// attribute name). The only constraint that is the client's doing.
    Duplicate(String),
    /// A value or a row is larger than the database stores (D1: 2 MB per string, BLOB or row).
    /// Sending the same again fails again.
    TooLarge(String),
    /// A statement exceeds what the database runs or answers at once (its length, its bound
    /// parameters, a LIKE pattern, an answer too large to read). The statements of this
    /// service grow only with what a request asks for (a filter's terms), so the request asked
    /// for too much.
    TooComplex(String),
    /// The database, or the account's storage, is full: no write succeeds until an operator
    /// makes room. Not a failure to retry.
    Full(String),
    /// A failure that may go away by itself (D1 reset, overloaded, a lost connection): retry
    /// after `retry_after` seconds.
    Unavailable { retry_after: u32, cause: String },
    /// A bug of ours (a CHECK, NOT NULL or foreign-key constraint, SQL that does not compile, a
    /// row that does not decode) or a failure no documentation names.
    Internal(String),
}

impl StoreError {
    /// The database's own words, for the worker's log.
    pub fn cause(&self) -> &str {
        match self {
            StoreError::Duplicate(m)
            | StoreError::TooLarge(m)
            | StoreError::TooComplex(m)
            | StoreError::Full(m)
            | StoreError::Internal(m) => m,
            StoreError::Unavailable { cause, .. } => cause,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Duplicate(m) => write!(f, "unique index refused the row: {m}"),
            StoreError::TooLarge(m) => write!(f, "value or row too large: {m}"),
            StoreError::TooComplex(m) => write!(f, "statement beyond the database's limits: {m}"),
            StoreError::Full(m) => write!(f, "database full: {m}"),
            StoreError::Unavailable { retry_after, cause } => {
                write!(
                    f,
                    "database unavailable (retry after {retry_after} s): {cause}"
                )
            }
            StoreError::Internal(m) => write!(f, "database error: {m}"),
        }
    }
}

/// The database. `batch` runs its statements in order, in one transaction: all of them take
/// effect or none does (an error rolls back the whole batch). Each statement's rows come back
/// in order. Futures are `!Send` on wasm32, hence a plain `async fn` used through generics.
///
/// A store serves one request (or one scheduled run): the session of [`Consistency::Session`]
/// lasts as long as it does. [`Store::resume`] continues a session a client's earlier request
/// left at a bookmark, and [`Store::bookmark`] tells where this one stands, for the client to
/// hand back. A store without replicas ignores both.
pub trait Store {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError>;

    /// Before the first [`Consistency::Session`] batch: that session's reads are at least as
    /// new as `bookmark` (text a [`Store::bookmark`] of the same database gave).
    fn resume(&self, _bookmark: &str) {}

    /// Where this request's session stands after its batches (`None` before any, or without
    /// replicas): at least as new as everything it read and wrote.
    fn bookmark(&self) -> Option<String> {
        None
    }
}

impl<S: Store> Store for &S {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        (**self).batch(consistency, stmts).await
    }

    fn resume(&self, bookmark: &str) {
        (**self).resume(bookmark)
    }

    fn bookmark(&self) -> Option<String> {
        (**self).bookmark()
    }
}
