//! SCIM requests and their tenant: the token check runs as the first statement of the
//! operation's own batch (no extra D1 round trip, DESIGN §9), and its `last_used` is written
//! after the answer, at most every five minutes.

use super::auth::{AuthFailure, TokenHash};
use super::Ctx;
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::store::{attributes, tenancy, Consistency, Row, Stmt, Store, StoreError};

/// How often a token's `last_used` may be written.
pub const LAST_USED_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// The authenticated tenant of a SCIM request, and its schema as of this batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub tenant_id: String,
    pub token_id: String,
    pub schema: TenantSchema,
}

pub fn store_error(e: StoreError) -> ScimError {
    match e {
        StoreError::Constraint(_) => {
            ScimError::Uniqueness("A value that must be unique is already taken".into())
        }
        // The store logged the cause; it is not for the client.
        StoreError::Unavailable(_) => ScimError::Unavailable { retry_after: 1 },
        StoreError::Internal(cause) => ScimError::Internal(cause),
    }
}

/// Runs `stmts` (each scoped with `?1` = the token hash) behind the token check and the read of
/// the tenant's attribute definitions, in one batch. Answers 401 when the token is unknown,
/// revoked, or its tenant disabled; the statements then touched nothing, because their tenant
/// subquery was NULL.
pub async fn scim_batch<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    hash: &TokenHash,
    stmts: Vec<Stmt>,
) -> Result<(Tenant, Vec<Vec<Row>>), ScimError> {
    let mut all = Vec::with_capacity(stmts.len() + 1);
    all.push(tenancy::auth_check(hash.as_str()));
    all.push(attributes::definitions(hash.as_str()));
    all.extend(stmts);
    let mut results = store
        .batch(Consistency::Primary, all)
        .await
        .map_err(store_error)?;
    let auth = results.remove(0);
    let definitions = results.remove(0);
    let row = auth.first().ok_or(ScimError::Unauthorized(
        AuthFailure::Invalid.detail().into(),
    ))?;
    if row.get("tenant_active").and_then(|v| v.as_i64()) != Some(1) {
        return Err(ScimError::Unauthorized(
            AuthFailure::TenantDisabled.detail().into(),
        ));
    }
    let text = |k: &str| {
        row.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let tenant = Tenant {
        tenant_id: text("tenant_id"),
        token_id: text("token_id"),
        schema: TenantSchema::from_rows(&definitions)?,
    };
    let stale_before = ctx.now.add_millis(-LAST_USED_INTERVAL_MS).to_rfc3339();
    let last_used = row.get("last_used").and_then(|v| v.as_str());
    if last_used.is_none_or(|t| t < stale_before.as_str()) {
        ctx.deferred.push(tenancy::touch_token(
            &tenant.token_id,
            &ctx.now.to_rfc3339(),
            &stale_before,
        ));
    }
    Ok((tenant, results))
}
