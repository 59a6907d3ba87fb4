//! SQL of a tenant's connection status (DESIGN §7): each token's last request (its
//! `last_used`, written at most every five minutes, and the client of that request), and from
//! the activity log the refused writes of a recent window by status, the last success and the
//! last refusal. Reads only; every statement names the tenant.
//!
//! The activity log holds writes only, so a client that only reads shows in its token's
//! `last_used`, not in the log's successes.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{Row, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;

/// Most tokens a status lists (newest first).
pub const MAX_TOKENS: i64 = 100;

/// A token as the connection status shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUse {
    pub id: String,
    pub label: Option<String>,
    pub prefix: String,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    pub last_client: Option<String>,
    pub revoked_at: Option<Timestamp>,
}

impl FromRow for TokenUse {
    fn from_row(row: &Row) -> Result<TokenUse, StoreError> {
        let c = Columns(row);
        Ok(TokenUse {
            id: c.text("id")?.to_string(),
            label: c.opt_text("label")?.map(str::to_string),
            prefix: c.text("prefix")?.to_string(),
            created: c.time("created")?,
            last_used: c.opt_time("last_used")?,
            last_client: c.opt_text("last_client")?.map(str::to_string),
            revoked_at: c.opt_time("revoked_at")?,
        })
    }
}

/// The tenant's tokens, newest first.
pub fn token_uses(tenant: &TenantId) -> Query<Vec<TokenUse>> {
    let mut q = Sql::new();
    let (t, limit) = (q.bind(tenant), q.bind(MAX_TOKENS));
    Query::all(q.stmt(format!(
        "SELECT id, label, prefix, created, last_used, last_client, revoked_at FROM tokens \
         WHERE tenant_id = {t} ORDER BY created DESC, id DESC LIMIT {limit}"
    )))
}

/// How many logged writes answered `status` in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCount {
    pub status: i64,
    pub count: i64,
}

impl FromRow for StatusCount {
    fn from_row(row: &Row) -> Result<StatusCount, StoreError> {
        let c = Columns(row);
        Ok(StatusCount {
            status: c.int("status")?,
            count: c.int("n")?,
        })
    }
}

/// The refused writes (status 400 and above) logged at or after `since`, by status (the
/// partial index `activity_failed` holds only refusals).
pub fn errors_since(tenant: &TenantId, since: Timestamp) -> Query<Vec<StatusCount>> {
    let mut q = Sql::new();
    let (t, since) = (q.bind(tenant), q.bind(since));
    Query::all(q.stmt(format!(
        "SELECT status, count(*) AS n FROM activity \
         WHERE tenant_id = {t} AND status >= 400 AND at >= {since} GROUP BY status ORDER BY status"
    )))
}

/// A logged write, as the connection status shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedWrite {
    pub at: Timestamp,
    pub operation: String,
    pub status: i64,
    pub detail: Option<String>,
    pub client: Option<String>,
    pub token_id: Option<String>,
}

impl FromRow for LoggedWrite {
    fn from_row(row: &Row) -> Result<LoggedWrite, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        Ok(LoggedWrite {
            at: c.time("at")?,
            operation: c.text("operation")?.to_string(),
            status: c.int("status")?,
            detail: owned("detail")?,
            client: owned("client")?,
            token_id: owned("token_id")?,
        })
    }
}

/// The last logged write that succeeded (`failed` false) or was refused (`failed` true).
pub fn last_write(tenant: &TenantId, failed: bool) -> Query<Option<LoggedWrite>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let status = if failed {
        "status >= 400"
    } else {
        "status < 400"
    };
    Query::first(q.stmt(format!(
        "SELECT at, operation, status, detail, client, token_id FROM activity \
         WHERE tenant_id = {t} AND {status} ORDER BY seq DESC LIMIT 1"
    )))
}
