//! `/admin/v1/tenants` (DESIGN §3, §7): create a tenant (with its first token, shown once),
//! list, read, rename or disable, and delete with everything it holds. The tenant as read,
//! listed or updated carries `legacy_tokens`: how many live tokens it still has from before the
//! credential format (to rotate; a tenant created now has none).

use super::error::AdminError;
use super::request::{bool_field, display_string, page, paging, refuse_unknown_fields};
use super::{credential_key, json, run_batch, shard_of, TenantBatch};
use crate::app::plumbing::auth::generate_token;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::credential;
use crate::app::plumbing::ids::prefixed_id;
use crate::app::plumbing::respond::empty;
use crate::app::plumbing::Response;
use crate::model::{TenantId, TokenId};
use crate::store::tenants::{self as sql, TenantRow};
use crate::store::tokens::{count_legacy_tokens, insert_token, legacy_token_counts, NewToken};
use crate::store::{After, Batch, Store};
use serde_json::{json, Map, Value};

/// Longest tenant name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

fn tenant_json(t: &TenantRow, base: &str, legacy_tokens: i64) -> Value {
    json!({
        "id": t.id.as_str(),
        "name": t.name,
        "active": t.active,
        "created": t.created.to_rfc3339(),
        "scim_base_url": base,
        "legacy_tokens": legacy_tokens,
    })
}

fn internal(e: String) -> AdminError {
    AdminError::Internal(e)
}

/// `POST /admin/v1/tenants`: the tenant and its first token, in one batch.
pub async fn create<S: Store>(
    body: Map<String, Value>,
    base: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name"])?;
    let name = display_string(
        body.get("name").unwrap_or(&Value::Null),
        "name",
        MAX_NAME_CHARS,
    )?;
    let tenant = TenantId::new(prefixed_id("tnt", ctx.random).map_err(internal)?);
    let token_id = TokenId::new(prefixed_id("tok", ctx.random).map_err(internal)?);
    let key = credential_key(ctx)?;
    let token = generate_token(key, shard_of(&tenant), ctx.random).map_err(internal)?;
    let created = ctx.now;
    let mut batch = Batch::new();
    batch.write(sql::insert_tenant(&tenant, &name, created));
    batch.write(insert_token(
        &tenant,
        &NewToken {
            id: &token_id,
            hash: &token.hash,
            prefix: &token.prefix,
            label: None,
            created,
            format: i64::from(credential::VERSION),
        },
    ));
    run_batch(store, batch).await?;
    Ok(json(
        201,
        &json!({
            "id": tenant.as_str(),
            "name": name,
            "active": true,
            "created": created.to_rfc3339(),
            "scim_base_url": base,
            "token_id": token_id.as_str(),
            "token": token.secret,
        }),
    ))
}

/// `GET /admin/v1/tenants`: newest first.
pub async fn list<S: Store>(
    params: &[(String, String)],
    base: &str,
    store: &S,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut batch = Batch::new();
    let rows = batch.read(sql::list_tenants(after.as_ref(), limit + 1));
    let legacy = batch.read(legacy_token_counts(after.as_ref(), limit + 1));
    let mut results = run_batch(store, batch).await?;
    let rows = results.take(rows)?;
    // At most one count per tenant of the page, sorted for the lookup.
    let mut legacy = results.take(legacy)?;
    legacy.sort_unstable_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
    let legacy_of = |t: &TenantId| {
        legacy
            .binary_search_by(|c| c.tenant_id.cmp(t))
            .map_or(0, |i| legacy[i].n)
    };
    let (rows, next) = page(rows, limit, |t| After {
        created: t.created,
        id: t.id.to_string(),
    });
    let tenants: Vec<Value> = rows
        .iter()
        .map(|t| tenant_json(t, base, legacy_of(&t.id)))
        .collect();
    Ok(json(
        200,
        &json!({ "tenants": tenants, "next_cursor": next }),
    ))
}

/// `GET /admin/v1/tenants/{tenant}`.
pub async fn get<S: Store>(
    tenant: &TenantId,
    base: &str,
    store: &S,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let legacy = batch.read(count_legacy_tokens(tenant));
    let (row, mut results) = batch.run(store).await?;
    Ok(json(200, &tenant_json(&row, base, results.take(legacy)?)))
}

/// `PATCH /admin/v1/tenants/{tenant}`: rename, and enable or disable SCIM (`active`).
pub async fn update<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    base: &str,
    store: &S,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name", "active"])?;
    let name = body
        .get("name")
        .map(|v| display_string(v, "name", MAX_NAME_CHARS))
        .transpose()?;
    let active = body
        .get("active")
        .map(|v| bool_field(v, "active"))
        .transpose()?;
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::update_tenant(tenant, name.as_deref(), active));
    let updated = batch.read(sql::get_tenant(tenant));
    let legacy = batch.read(count_legacy_tokens(tenant));
    let (_, mut results) = batch.run(store).await?;
    let legacy = results.take(legacy)?;
    let row = results
        .take(updated)?
        .ok_or_else(|| AdminError::Internal("the tenant vanished within its batch".into()))?;
    Ok(json(200, &tenant_json(&row, base, legacy)))
}

/// `DELETE /admin/v1/tenants/{tenant}`: everything of the tenant is purged (irreversible).
pub async fn delete<S: Store>(tenant: &TenantId, store: &S) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    batch.write_all(sql::purge_tenant(tenant));
    batch.run(store).await?;
    Ok(empty(204))
}
