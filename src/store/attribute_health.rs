//! SQL of attribute health (DESIGN §7): what SCIM writes note about a tenant's custom
//! attributes as they arrive, and what the admin API reads of it.
//!
//! Noted in batches that run anyway, never in a round trip of their own: the names that matched
//! no attribute and the refused values in the batch that logs a refused write
//! (`app::scim_api::write::refuse`), the received attributes in the batch of a write. Bounded:
//! at most [`MAX_UNMATCHED`] names per tenant (the least recently seen go), one row per
//! attribute, and `last_received` written at most once an hour per attribute.
//!
//! SCIM statements reach the tenant through the request's token (`Scope::Token`), so a revoked
//! token notes nothing; the admin reads name the tenant.

use super::batch::{Columns, FromRow, Query};
use super::builder::{Scope, Sql};
use super::{Row, Stmt, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;

/// Most unmatched names kept per tenant: the most recently seen.
pub const MAX_UNMATCHED: i64 = 200;
/// Longest name kept, in characters (a longer one could not be an alias anyway).
pub const MAX_NAME_CHARS: usize = 256;
/// How often an attribute's `last_received` may be written.
pub const RECEIVED_INTERVAL_MS: i64 = 60 * 60 * 1000;

/// Notes names sent under the tenant extension that matched no attribute (`names`: as sent,
/// and their folds), by `client` at `at`: one upsert, then the eviction of the least recently
/// seen beyond [`MAX_UNMATCHED`].
pub fn note_unmatched<'s>(
    scope: impl Into<Scope<'s>>,
    names: &[(String, String)],
    at: Timestamp,
    client: Option<&str>,
) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let rows: serde_json::Value = names
        .iter()
        .map(|(name, fold)| {
            let name: String = name.chars().take(MAX_NAME_CHARS).collect();
            let fold: String = fold.chars().take(MAX_NAME_CHARS).collect();
            serde_json::json!([fold, name])
        })
        .collect();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (rows, at, client) = (q.bind(rows.to_string()), q.bind(at), q.bind(client));
    let upsert = q.stmt(format!(
        "INSERT INTO attribute_misses (tenant_id, name_fold, name, count, first_seen, last_seen, client) \
         SELECT t.tenant_id, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), 1, {at}, {at}, {client} \
         FROM (SELECT {tenant} AS tenant_id) t, json_each({rows}) j WHERE t.tenant_id IS NOT NULL \
         ON CONFLICT (tenant_id, name_fold) DO UPDATE SET name = excluded.name, count = count + 1, \
         last_seen = excluded.last_seen, client = excluded.client"
    ));
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let keep = q.bind(MAX_UNMATCHED);
    let evict = q.stmt(format!(
        "DELETE FROM attribute_misses WHERE tenant_id = {tenant} AND name_fold IN \
         (SELECT name_fold FROM attribute_misses WHERE tenant_id = {tenant} \
          ORDER BY last_seen DESC, name_fold LIMIT -1 OFFSET {keep})"
    ));
    vec![upsert, evict]
}

/// Notes values the attributes refused (`refused`: attribute id, the reason the client was
/// told) at `at`.
pub fn note_refused<'s>(
    scope: impl Into<Scope<'s>>,
    refused: &[(String, String)],
    at: Timestamp,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let rows: serde_json::Value = refused
        .iter()
        .map(|(id, reason)| serde_json::json!([id, reason]))
        .collect();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (rows, at) = (q.bind(rows.to_string()), q.bind(at));
    q.stmt(format!(
        "UPDATE attributes SET last_refused = {at}, refused_reason = x.reason, \
         refused_count = refused_count + 1 \
         FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS reason \
               FROM json_each({rows})) AS x \
         WHERE attributes.tenant_id = {tenant} AND attributes.id = x.id"
    ))
}

/// Notes that the attributes `ids` received a value at `at`: written only where the last
/// note is older than [`RECEIVED_INTERVAL_MS`], so that a busy attribute costs one row write an
/// hour, however many writes carry it.
pub fn note_received<'s>(scope: impl Into<Scope<'s>>, ids: &[String], at: Timestamp) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let ids = q.bind(serde_json::Value::from(ids.to_vec()).to_string());
    let stale_before = q.bind(at.add_millis(-RECEIVED_INTERVAL_MS));
    let at = q.bind(at);
    q.stmt(format!(
        "UPDATE attributes SET last_received = {at} WHERE tenant_id = {tenant} \
         AND id IN (SELECT value FROM json_each({ids})) \
         AND (last_received IS NULL OR last_received < {stale_before})"
    ))
}

/// A name that matched no attribute, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmatched {
    pub name: String,
    pub name_fold: String,
    pub count: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub client: Option<String>,
}

impl FromRow for Unmatched {
    fn from_row(row: &Row) -> Result<Unmatched, StoreError> {
        let c = Columns(row);
        Ok(Unmatched {
            name: c.text("name")?.to_string(),
            name_fold: c.text("name_fold")?.to_string(),
            count: c.int("count")?,
            first_seen: c.time("first_seen")?,
            last_seen: c.time("last_seen")?,
            client: c.opt_text("client")?.map(str::to_string),
        })
    }
}

/// The tenant's unmatched names, most recently seen first (at most [`MAX_UNMATCHED`]).
pub fn unmatched(tenant: &TenantId) -> Query<Vec<Unmatched>> {
    let mut q = Sql::new();
    let (t, limit) = (q.bind(tenant), q.bind(MAX_UNMATCHED));
    Query::all(q.stmt(format!(
        "SELECT name, name_fold, count, first_seen, last_seen, client FROM attribute_misses \
         WHERE tenant_id = {t} ORDER BY last_seen DESC, name_fold LIMIT {limit}"
    )))
}

/// Forgets an unmatched name (it has just become an alias).
pub fn forget_unmatched(tenant: &TenantId, name_fold: &str) -> Stmt {
    let mut q = Sql::new();
    let (t, n) = (q.bind(tenant), q.bind(name_fold));
    q.stmt(format!(
        "DELETE FROM attribute_misses WHERE tenant_id = {t} AND name_fold = {n}"
    ))
}

/// What attribute health shows of one attribute besides its definition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeHealth {
    pub id: String,
    pub last_received: Option<Timestamp>,
    pub last_refused: Option<Timestamp>,
    pub refused_reason: Option<String>,
    pub refused_count: i64,
}

impl FromRow for AttributeHealth {
    fn from_row(row: &Row) -> Result<AttributeHealth, StoreError> {
        let c = Columns(row);
        Ok(AttributeHealth {
            id: c.text("id")?.to_string(),
            last_received: c.opt_time("last_received")?,
            last_refused: c.opt_time("last_refused")?,
            refused_reason: c.opt_text("refused_reason")?.map(str::to_string),
            refused_count: c.int("refused_count")?,
        })
    }
}

/// The health columns of every attribute of the tenant, in creation order.
pub fn attribute_health(tenant: &TenantId) -> Query<Vec<AttributeHealth>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    Query::all(q.stmt(format!(
        "SELECT id, last_received, last_refused, refused_reason, refused_count FROM attributes \
         WHERE tenant_id = {t} ORDER BY created, id"
    )))
}
