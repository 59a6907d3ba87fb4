//! SQL of the refold job (`app::maintenance`): rows whose folded copies an earlier case folding
//! made (`users.fold_stale = 1`, set by the migration that changed folding) are read a chunk at
//! a time and rewritten: the folded document and userName, the email rows, and the pending
//! employee references the user makes. A user whose userName now folds equal to another user's
//! is marked `fold_stale = 2` and left as it was: reported, never merged.
//!
//! Every statement names the tenant directly (this is the operator's job, not a request of a
//! tenant) and applies only at the version it read, so a SCIM write that lands meanwhile (and
//! folds afresh itself) wins.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{Row, Stmt, StoreError};
use crate::model::{TenantId, UserId, WriteId};
use crate::scim::user::Doc;

/// A tenant with users still to refold, if any.
pub fn stale_tenant() -> Query<Option<TenantId>> {
    Query::new(
        Sql::new()
            .stmt("SELECT tenant_id FROM users WHERE fold_stale > 0 AND fold_stale = 1 LIMIT 1"),
        |rows| match rows.first() {
            Some(row) => Ok(Some(TenantId::new(Columns(row).text("tenant_id")?))),
            None => Ok(None),
        },
    )
}

/// A user to refold: its document, the version it was read at, and the values of its pending
/// employee references (attribute id → the value as sent).
#[derive(Debug, Clone, PartialEq)]
pub struct StaleUser {
    pub id: UserId,
    pub version: i64,
    pub doc: Doc,
    pub pending: Vec<(String, String)>,
}

impl FromRow for StaleUser {
    fn from_row(row: &Row) -> Result<StaleUser, StoreError> {
        let c = Columns(row);
        Ok(StaleUser {
            id: UserId::new(c.text("id")?),
            version: c.int("version")?,
            doc: c
                .json("resource")?
                .ok_or_else(|| StoreError::Internal("column resource: NULL".into()))?,
            pending: c.json("pending")?.unwrap_or_default(),
        })
    }
}

/// Up to `limit` users of `tenant` still to refold.
pub fn stale_users(tenant: &TenantId, limit: i64) -> Query<Vec<StaleUser>> {
    let mut q = Sql::new();
    let (t, limit) = (q.bind(tenant), q.bind(limit));
    Query::all(q.stmt(format!(
        "SELECT u.id AS id, u.version AS version, u.resource AS resource, \
         (SELECT json_group_array(json_array(r.attribute_id, r.pending)) FROM employee_refs r \
          WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id AND r.target_id IS NULL \
          AND r.pending IS NOT NULL) AS pending \
         FROM users u WHERE u.tenant_id = {t} AND u.fold_stale > 0 AND u.fold_stale = 1 \
         ORDER BY u.id LIMIT {limit}"
    )))
}

/// One user's folds under the current folding.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Refold {
    pub id: String,
    /// The version read: the rewrite applies only if the user is still at it.
    pub version: i64,
    /// The folded document, as JSON text.
    pub folded: String,
    pub user_name_fold: String,
    /// The roster's search words (`scim::columns::search_words`).
    pub search: Option<String>,
    /// `[[value, value_fold, type_fold, primary], ...]`, as a write stores the email rows.
    pub emails: serde_json::Value,
    /// `[[attribute id, pending_fold], ...]`.
    pub pending: serde_json::Value,
}

/// Rewrites a chunk of a tenant's users, five statements however many users: each user's
/// folded document and userName, then (for those rewritten, which now carry `write_id`) their
/// email rows and pending references. A user whose userName now folds equal to another user's
/// is marked `fold_stale = 2` instead, and keeps its old folds.
pub fn refold(tenant: &TenantId, write_id: &WriteId, chunk: &[Refold]) -> Vec<Stmt> {
    let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
    // The chunk as a table: x(id, version, folded, name, search, emails, pending).
    let rows = |q: &mut Sql| {
        format!(
            "(SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.version') AS version, \
             json_extract(value, '$.folded') AS folded, json_extract(value, '$.user_name_fold') AS name, json_extract(value, '$.search') AS search, \
             json_extract(value, '$.emails') AS emails, json_extract(value, '$.pending') AS pending \
             FROM json_each({}))",
            q.bind(json.as_str())
        )
    };
    let mut stmts = Vec::new();
    let mut q = Sql::new();
    let (t, w) = (q.bind(tenant), q.bind(write_id));
    let x = rows(&mut q);
    // OR IGNORE: a userName now equal to another user's leaves that row as it was (below).
    stmts.push(q.stmt(format!(
        "UPDATE OR IGNORE users SET folded = x.folded, user_name_fold = x.name, search = x.search, write_id = {w}, \
         fold_stale = 0 FROM {x} AS x \
         WHERE users.tenant_id = {t} AND users.id = x.id AND users.version = x.version \
         AND users.fold_stale = 1"
    )));
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let x = rows(&mut q);
    stmts.push(q.stmt(format!(
        "UPDATE users SET fold_stale = 2 FROM {x} AS x \
         WHERE users.tenant_id = {t} AND users.id = x.id AND users.version = x.version \
         AND users.fold_stale = 1 AND EXISTS (SELECT 1 FROM users o \
         WHERE o.tenant_id = {t} AND o.user_name_fold = x.name AND o.id <> x.id)"
    )));
    let rewritten = |q: &mut Sql| {
        format!(
            "(SELECT id FROM users WHERE tenant_id = {} AND write_id = {})",
            q.bind(tenant),
            q.bind(write_id)
        )
    };
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let done = rewritten(&mut q);
    stmts.push(q.stmt(format!(
        "DELETE FROM user_emails WHERE tenant_id = {t} AND user_id IN {done}"
    )));
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let x = rows(&mut q);
    let done = rewritten(&mut q);
    stmts.push(q.stmt(format!(
        "INSERT INTO user_emails (tenant_id, user_id, position, value, value_fold, type_fold, is_primary) \
         SELECT {t}, x.id, j.key, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), \
         json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]') \
         FROM {x} AS x, json_each(x.emails) j WHERE x.id IN {done}"
    )));
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let x = rows(&mut q);
    let done = rewritten(&mut q);
    stmts.push(q.stmt(format!(
        "UPDATE employee_refs SET pending_fold = \
         (SELECT json_extract(p.value, '$[1]') FROM {x} AS x, json_each(x.pending) p \
          WHERE x.id = employee_refs.user_id AND json_extract(p.value, '$[0]') = employee_refs.attribute_id) \
         WHERE tenant_id = {t} AND target_id IS NULL AND pending IS NOT NULL AND user_id IN {done}"
    )));
    stmts
}

/// A user left with its old folds because its userName now folds equal to another user's.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldConflict {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub user_name: String,
}

impl FromRow for FoldConflict {
    fn from_row(row: &Row) -> Result<FoldConflict, StoreError> {
        let c = Columns(row);
        Ok(FoldConflict {
            tenant_id: TenantId::new(c.text("tenant_id")?),
            id: UserId::new(c.text("id")?),
            user_name: c.text("user_name")?.to_string(),
        })
    }
}

/// Up to `limit` users marked as duplicates under the current folding, and how many users are
/// still to refold.
pub fn fold_conflicts(limit: i64) -> Query<Vec<FoldConflict>> {
    let mut q = Sql::new();
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT tenant_id, id, user_name FROM users WHERE fold_stale > 0 AND fold_stale = 2 \
         ORDER BY tenant_id, user_name_fold, id LIMIT {limit}"
    )))
}

/// How many users are still to refold.
pub fn stale_count() -> Query<i64> {
    Query::count(
        Sql::new().stmt("SELECT count(*) AS n FROM users WHERE fold_stale > 0 AND fold_stale = 1"),
    )
}
