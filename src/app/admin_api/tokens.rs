//! `/admin/v1/tenants/{tenant}/tokens` (DESIGN §3, §7): issue a SCIM token (the secret is shown
//! once, in this answer), list a tenant's tokens (never their secrets, which are not stored),
//! and revoke one (it fails from the next request on).
//!
//! Tokens are issued in the credential format (`scim_1_<shard>_<random>_<check>`); without a
//! usable `CREDENTIAL_SECRET` none are issued (503 `not_configured`). The list tells which
//! tokens are older than that format (`legacy` on each, `legacy_tokens`: how many live ones
//! the tenant has), so that operators can rotate them.

use super::audit::{did, record};
use super::error::AdminError;
use super::request::{display_string, page, paging, refuse_unknown_fields};
use super::{credential_key, json, shard_of, TenantBatch};
use crate::app::plumbing::auth::generate_token;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::credential;
use crate::app::plumbing::ids::prefixed_id;
use crate::app::plumbing::respond::empty;
use crate::app::plumbing::Response;
use crate::model::{TenantId, TokenId};
use crate::scim::datetime::Timestamp;
use crate::store::admins::Action;
use crate::store::tokens::{self as sql, NewToken, TokenRow};
use crate::store::{After, Store};
use serde_json::{json, Map, Value};

/// Longest token label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn token_json(t: &TokenRow) -> Value {
    json!({
        "token_id": t.id.as_str(),
        "label": t.label,
        "prefix": t.prefix,
        "created": t.created.to_rfc3339(),
        "last_used": time(t.last_used),
        "revoked": t.revoked_at.is_some(),
        "revoked_at": time(t.revoked_at),
        "legacy": t.legacy,
    })
}

/// `POST /admin/v1/tenants/{tenant}/tokens`: older tokens keep working.
pub async fn issue<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["label"])?;
    let label = match body.get("label") {
        None | Some(Value::Null) => None,
        Some(v) => Some(display_string(v, "label", MAX_LABEL_CHARS)?),
    };
    let internal = AdminError::Internal;
    let token_id = TokenId::new(prefixed_id("tok", ctx.random).map_err(internal)?);
    let key = credential_key(ctx)?;
    let token = generate_token(key, shard_of(tenant), ctx.random).map_err(internal)?;
    let created = ctx.now;
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::insert_token(
        tenant,
        &NewToken {
            id: &token_id,
            hash: &token.hash,
            prefix: &token.prefix,
            label: label.as_deref(),
            created,
            format: i64::from(credential::VERSION),
        },
    ));
    record(
        &mut batch,
        tenant,
        ctx,
        did("token.issued", Some(token_id.as_str())),
    );
    batch.run(store).await?;
    Ok(json(
        201,
        &json!({
            "token_id": token_id.as_str(),
            "label": label,
            "prefix": token.prefix,
            "created": created.to_rfc3339(),
            "token": token.secret,
        }),
    ))
}

/// `GET /admin/v1/tenants/{tenant}/tokens`: newest first, and how many of the tenant's live
/// tokens are older than the credential format (`legacy_tokens`, over all pages).
pub async fn list<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut batch = TenantBatch::new(tenant);
    let rows = batch.read(sql::list_tokens(tenant, after.as_ref(), limit + 1));
    let legacy = batch.read(sql::count_legacy_tokens(tenant));
    let (_, mut results) = batch.run(store).await?;
    let legacy = results.take(legacy)?;
    let (rows, next) = page(results.take(rows)?, limit, |t| After {
        created: t.created,
        id: t.id.to_string(),
    });
    let tokens: Vec<Value> = rows.iter().map(token_json).collect();
    Ok(json(
        200,
        &json!({ "tokens": tokens, "next_cursor": next, "legacy_tokens": legacy }),
    ))
}

/// `DELETE /admin/v1/tenants/{tenant}/tokens/{token}`: 204, also when already revoked.
pub async fn revoke<S: Store>(
    tenant: &TenantId,
    token: &TokenId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let found = batch.read(sql::get_token(tenant, token));
    batch.write(sql::revoke_token(tenant, token, ctx.now));
    record(
        &mut batch,
        tenant,
        ctx,
        Action {
            if_changed: true,
            ..did("token.revoked", Some(token.as_str()))
        },
    );
    let (_, mut results) = batch.run(store).await?;
    if results.take(found)?.is_none() {
        return Err(AdminError::NotFound("No such token for this tenant".into()));
    }
    Ok(empty(204))
}
