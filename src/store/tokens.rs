//! SQL of SCIM bearer tokens (DESIGN §3): the check that opens every SCIM batch (with the
//! tenant's attribute definitions, unless the caller has them at their current version), the
//! `last_used` bookkeeping, and the operator's issue, list and revoke, and the count of each
//! tenant's live tokens of the format before the check value (`format` 0, DESIGN §3). Tokens
//! are stored as hashes only; statements bind the hash, never a secret.

use super::attributes::{schema_from_rows, DEFINITION_COLUMNS_OF_A};
use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{After, Row, Stmt, StoreError};
use crate::model::{TenantId, TokenHash, TokenId};
use crate::scim::datetime::Timestamp;
use crate::scim::tenant::TenantSchema;

/// The token a SCIM request presented, if it exists and is not revoked.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthRow {
    pub token_id: TokenId,
    pub tenant_id: TenantId,
    pub tenant_active: bool,
    pub last_used: Option<Timestamp>,
    /// The version of the tenant's attribute definitions (`tenants.attributes_version`).
    pub attributes_version: i64,
    /// Whether the tenant has an active webhook endpoint (then a write's events are swept to
    /// the queue right after its answer).
    pub webhooks: bool,
}

impl FromRow for AuthRow {
    fn from_row(row: &Row) -> Result<AuthRow, StoreError> {
        let c = Columns(row);
        Ok(AuthRow {
            token_id: TokenId::new(c.text("token_id")?),
            tenant_id: TenantId::new(c.text("tenant_id")?),
            tenant_active: c.flag("tenant_active")?,
            last_used: c.opt_time("last_used")?,
            attributes_version: c.int("attributes_version")?,
            webhooks: c.flag("webhooks")?,
        })
    }
}

/// A SCIM token's row and its tenant's attribute definitions, as the first statement of a batch
/// read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    pub auth: AuthRow,
    /// The definitions, unless they were still at the version the batch said it knew.
    pub definitions: Option<TenantSchema>,
}

/// The first statement of every SCIM batch: the token's row, if it is not revoked, with its
/// tenant's state (active, webhooks) and the tenant's attribute definitions (one row per definition, in creation
/// order; one row without any). Definitions still at version `known` are not read again: the
/// caller has them.
pub fn auth_check(hash: &TokenHash, known: Option<i64>) -> Query<Option<Authorized>> {
    let mut q = Sql::new();
    let hash = q.bind(hash);
    let known = q.bind(known);
    Query::new(
        q.stmt(format!(
            "SELECT tk.id AS token_id, tk.tenant_id AS tenant_id, tn.active AS tenant_active, \
             tk.last_used AS last_used, tn.attributes_version AS attributes_version, \
             {known} AS known_version, EXISTS (SELECT 1 FROM webhook_endpoints w \
             WHERE w.tenant_id = tk.tenant_id AND w.state = 'active') AS webhooks, \
             {DEFINITION_COLUMNS_OF_A} \
             FROM tokens tk JOIN tenants tn ON tn.id = tk.tenant_id \
             LEFT JOIN attributes a ON a.tenant_id = tk.tenant_id \
             AND tn.attributes_version IS NOT {known} \
             WHERE tk.hash = {hash} AND tk.revoked_at IS NULL ORDER BY a.created, a.id"
        )),
        |rows| {
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let auth = AuthRow::from_row(first)?;
            let known = Columns(first).opt_int("known_version")?;
            let definitions = match known == Some(auth.attributes_version) {
                true => None,
                false => Some(schema_from_rows(&rows)?),
            };
            Ok(Some(Authorized { auth, definitions }))
        },
    )
}

/// Records a token's use unless it was recorded after `stale_before` (so that at most one write
/// per token per interval happens, and reads do not become writes).
pub fn touch_token(
    token: &TokenId,
    now: Timestamp,
    stale_before: Timestamp,
    client: Option<&str>,
) -> Stmt {
    let mut q = Sql::new();
    let (token, now, stale_before) = (q.bind(token), q.bind(now), q.bind(stale_before));
    let client = q.bind(client);
    q.stmt(format!(
        "UPDATE tokens SET last_used = {now}, last_client = {client} \
         WHERE id = {token} AND (last_used IS NULL OR last_used < {stale_before})"
    ))
}

/// The `format` column of tokens issued before the credential format (no version, no check
/// value).
pub const LEGACY_FORMAT: i64 = 0;

/// A token to issue.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: &'a TokenId,
    pub hash: &'a TokenHash,
    /// The first characters of the secret, shown in listings.
    pub prefix: &'a str,
    pub label: Option<&'a str>,
    pub created: Timestamp,
    /// The credential format's version (`credential::VERSION`).
    pub format: i64,
}

/// Issues a token to a tenant, if the tenant exists.
pub fn insert_token(tenant: &TenantId, token: &NewToken<'_>) -> Stmt {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    let values = [
        q.bind(token.id),
        tenant,
        q.bind(token.hash),
        q.bind(token.prefix),
        q.bind(token.label),
        q.bind(token.created),
        q.bind(token.format),
    ]
    .map(|p| p.to_string())
    .join(", ");
    q.stmt(format!(
        "INSERT INTO tokens (id, tenant_id, hash, prefix, label, created, format) \
         SELECT {values} WHERE EXISTS (SELECT 1 FROM tenants WHERE id = {tenant})"
    ))
}

/// A token as the admin API lists it (never the secret, which is not stored).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: TokenId,
    pub label: Option<String>,
    pub prefix: String,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// Issued before the credential format (rotate it).
    pub legacy: bool,
}

impl FromRow for TokenRow {
    fn from_row(row: &Row) -> Result<TokenRow, StoreError> {
        let c = Columns(row);
        Ok(TokenRow {
            id: TokenId::new(c.text("id")?),
            label: c.opt_text("label")?.map(str::to_string),
            prefix: c.text("prefix")?.to_string(),
            created: c.time("created")?,
            last_used: c.opt_time("last_used")?,
            revoked_at: c.opt_time("revoked_at")?,
            legacy: c.int("format")? == LEGACY_FORMAT,
        })
    }
}

const TOKEN_COLUMNS: &str = "id, label, prefix, created, last_used, revoked_at, format";

/// `limit` of a tenant's tokens, newest first, after `after`.
pub fn list_tokens(tenant: &TenantId, after: Option<&After>, limit: i64) -> Query<Vec<TokenRow>> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " AND (created, id) < ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE tenant_id = {tenant}{after} \
         ORDER BY created DESC, id DESC LIMIT {limit}"
    )))
}

pub fn get_token(tenant: &TenantId, token: &TokenId) -> Query<Option<TokenRow>> {
    let mut q = Sql::new();
    let (tenant, token) = (q.bind(tenant), q.bind(token));
    Query::first(q.stmt(format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE tenant_id = {tenant} AND id = {token}"
    )))
}

/// Revokes a token; revoking it again keeps the first revocation time.
pub fn revoke_token(tenant: &TenantId, token: &TokenId, now: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (tenant, token, now) = (q.bind(tenant), q.bind(token), q.bind(now));
    q.stmt(format!(
        "UPDATE tokens SET revoked_at = COALESCE(revoked_at, {now}) \
         WHERE tenant_id = {tenant} AND id = {token}"
    ))
}

/// Revokes every live token of a tenant (a company admin's disconnect).
pub fn revoke_all_tokens(tenant: &TenantId, now: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (tenant, now) = (q.bind(tenant), q.bind(now));
    q.stmt(format!(
        "UPDATE tokens SET revoked_at = {now} WHERE tenant_id = {tenant} AND revoked_at IS NULL"
    ))
}

/// How many live (not revoked) tokens `tenant` has: it is connected while it has one.
pub fn count_live_tokens(tenant: &TenantId) -> Query<i64> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM tokens WHERE tenant_id = {tenant} AND revoked_at IS NULL"
    )))
}

/// How many live (not revoked) tokens of the format before the check value `tenant` has.
/// Reads the partial index `tokens_legacy_live`.
pub fn count_legacy_tokens(tenant: &TenantId) -> Query<i64> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM tokens \
         WHERE tenant_id = {tenant} AND format = 0 AND revoked_at IS NULL"
    )))
}

/// A tenant's count of live old-format tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyCount {
    pub tenant_id: TenantId,
    pub n: i64,
}

impl FromRow for LegacyCount {
    fn from_row(row: &Row) -> Result<LegacyCount, StoreError> {
        let c = Columns(row);
        Ok(LegacyCount {
            tenant_id: TenantId::new(c.text("tenant_id")?),
            n: c.int("n")?,
        })
    }
}

/// The count of live old-format tokens of each tenant of a page of the tenant list (the page
/// `list_tenants(after, limit)` reads; tenants without such tokens have no row). Reads the
/// partial index `tokens_legacy_live` once per tenant of the page.
pub fn legacy_token_counts(after: Option<&After>, limit: i64) -> Query<Vec<LegacyCount>> {
    let mut q = Sql::new();
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " WHERE (created, id) < ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT tenant_id, count(*) AS n FROM tokens \
         WHERE format = 0 AND revoked_at IS NULL AND tenant_id IN \
         (SELECT id FROM tenants{after} ORDER BY created DESC, id DESC LIMIT {limit}) \
         GROUP BY tenant_id"
    )))
}
