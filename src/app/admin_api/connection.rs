//! Connection status (DESIGN §7): is the tenant's IdP talking to us, and how is it going.
//! `GET /admin/v1/tenants/{tenant}/connection` answers one batch (`store::connection`):
//! - `tokens`: each token's last request (`last_used`, written at most every five minutes) and
//!   that request's client (User-Agent), with `revoked`;
//! - `last_request`: the latest of them, with its token;
//! - `errors_24h`: the refused writes of the last 24 hours by status, and their `total`;
//! - `last_success`, `last_error`: the last logged write that succeeded, and was refused.
//!
//! Reads (GET) are not in the activity log: a client that only reads shows in its token's
//! `last_used` alone.

use super::error::AdminError;
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::Response;
use crate::model::TenantId;
use crate::store::connection::{self as sql, LoggedWrite};
use crate::store::Store;
use serde_json::{json, Value};

/// The window of `errors_24h`.
pub const ERROR_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

fn write_json(w: Option<LoggedWrite>) -> Value {
    w.map_or(Value::Null, |w| {
        json!({
            "at": w.at.to_rfc3339(),
            "operation": w.operation,
            "status": w.status,
            "detail": w.detail,
            "client": w.client,
            "token_id": w.token_id,
        })
    })
}

/// `GET /admin/v1/tenants/{tenant}/connection`.
pub async fn get<S: Store>(
    tenant: &TenantId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let since = ctx.now.add_millis(-ERROR_WINDOW_MS);
    let mut batch = TenantBatch::new(tenant);
    let tokens = batch.read(sql::token_uses(tenant));
    let errors = batch.read(sql::errors_since(tenant, since));
    let success = batch.read(sql::last_write(tenant, false));
    let error = batch.read(sql::last_write(tenant, true));
    let (_, mut results) = batch.run(store).await?;
    let tokens = results.take(tokens)?;
    let errors = results.take(errors)?;
    let last_request = tokens
        .iter()
        .filter(|t| t.last_used.is_some())
        .max_by_key(|t| t.last_used)
        .map_or(Value::Null, |t| {
            json!({
                "at": t.last_used.map(|u| u.to_rfc3339()),
                "client": t.last_client,
                "token_id": t.id,
            })
        });
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "token_id": t.id,
                "label": t.label,
                "prefix": t.prefix,
                "created": t.created.to_rfc3339(),
                "last_used": t.last_used.map(|u| u.to_rfc3339()),
                "last_client": t.last_client,
                "revoked": t.revoked_at.is_some(),
            })
        })
        .collect();
    let by_status: Vec<Value> = errors
        .iter()
        .map(|e| json!({"status": e.status, "count": e.count}))
        .collect();
    let total: i64 = errors.iter().map(|e| e.count).sum();
    Ok(json(
        200,
        &json!({
            "tokens": tokens,
            "last_request": last_request,
            "errors_24h": {"since": since.to_rfc3339(), "total": total, "by_status": by_status},
            "last_success": write_json(results.take(success)?),
            "last_error": write_json(results.take(error)?),
        }),
    ))
}
