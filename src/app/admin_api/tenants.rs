//! `/admin/v1/tenants` (DESIGN §3, §7): create a tenant (with its first token, shown once),
//! list, read, rename or disable, and delete with everything it holds. The tenant as read,
//! listed or updated carries `legacy_tokens`: how many live tokens it still has from before the
//! credential format (to rotate; a tenant created now has none).
//!
//! Tenants live on several shards (`store::shards`): a new one goes to the least full, for
//! good, and its id says which; the list and the purges page across every shard in one order
//! (newest first, then id), each page asking every shard for a page and keeping the first.

use super::audit::{did, record};
use super::error::AdminError;
use super::guard;
use super::request::{bool_field, display_string, page, paging, refuse_unknown_fields};
use super::{credential_key, json, run_batch, shard_of, TenantBatch};
use crate::app::plumbing::auth::generate_token;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::credential;
use crate::app::plumbing::ids::{hex, prefixed_id};
use crate::app::plumbing::respond::empty;
use crate::app::plumbing::Response;
use crate::app::purge::{self, Budget, Progress};
use crate::model::{TenantId, TokenId};
use crate::scim::sorting;
use crate::store::admins::Action;
use crate::store::guard as guard_sql;
use crate::store::shards::{self, Shards};
use crate::store::tenants::{
    self as sql, TenantChange, TenantRow, DEFAULT_MAX_BYTES, DEFAULT_MAX_EMPLOYEES,
};
use crate::store::tokens::{count_legacy_tokens, insert_token, legacy_token_counts, NewToken};
use crate::store::{deleted, deletion_clock};
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
        "quota": { "employees": t.quota.employees, "bytes": t.quota.bytes },
        "usage": { "employees": t.employees, "bytes": t.stored_bytes },
        "legacy_tokens": legacy_tokens,
        "deleted_retention_days": t.deleted_retention_days,
        "guard": guard::settings_json(&t.guard),
    })
}

/// The largest quota the operator may set: a whole D1 database (10 GB), and as many
/// employees as would fit in it.
pub const MAX_QUOTA_BYTES: i64 = 10_000_000_000;
pub const MAX_QUOTA_EMPLOYEES: i64 = 10_000_000;

/// A change of one limit: `None` keeps it, `Some(None)` restores the default.
type LimitChange = Option<Option<i64>>;

/// `quota` of a PATCH: `{"employees": n, "bytes": n}`, either optional; `null` restores the
/// default.
fn quota_change(value: &Value) -> Result<(LimitChange, LimitChange), AdminError> {
    let bad = |d: String| AdminError::BadRequest(d);
    let Some(quota) = value.as_object() else {
        return Err(bad(
            "\"quota\" must be an object with \"employees\" and/or \"bytes\"".into(),
        ));
    };
    refuse_unknown_fields(quota, &["employees", "bytes"])?;
    let field = |name: &str, max: i64| -> Result<LimitChange, AdminError> {
        match quota.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => match v.as_i64() {
                Some(n) if (0..=max).contains(&n) => Ok(Some(Some(n))),
                _ => Err(bad(format!(
                    "\"quota.{name}\" must be an integer from 0 to {max}, or null for the default"
                ))),
            },
        }
    };
    Ok((
        field("employees", MAX_QUOTA_EMPLOYEES)?,
        field("bytes", MAX_QUOTA_BYTES)?,
    ))
}

/// `deleted_retention_days` of a PATCH: days from 0 (purged at the purge cron's next run) to
/// `deletion_clock::MAX_RETENTION_DAYS`; `null` restores the default.
fn retention_change(value: &Value) -> Result<Option<i64>, AdminError> {
    match value {
        Value::Null => Ok(None),
        v => match v.as_i64() {
            Some(n) if (0..=deletion_clock::MAX_RETENTION_DAYS).contains(&n) => Ok(Some(n)),
            _ => Err(AdminError::BadRequest(format!(
                "\"deleted_retention_days\" must be an integer from 0 to {}, or null for the default ({})",
                deletion_clock::MAX_RETENTION_DAYS,
                deletion_clock::DEFAULT_RETENTION_DAYS
            ))),
        },
    }
}

fn internal(e: String) -> AdminError {
    AdminError::Internal(e)
}

/// Where a new tenant goes: the least full shard (`shards::least_full`), asked of every shard's
/// primary (a round trip each; tenants are created rarely). A shard that does not answer is
/// left out (and logged); none answering is that shard's failure.
async fn place<S: Store>(shards: &Shards<S>, ctx: &mut Ctx<'_>) -> Result<u16, AdminError> {
    let mut fullness = vec![None; usize::from(shards.count())];
    let mut failure = None;
    for (shard, store) in shards.iter() {
        let mut batch = Batch::new();
        let f = batch.read(shards::placement());
        match run_batch(store, batch).await.and_then(|mut r| r.take(f)) {
            Ok(f) => fullness[usize::from(shard)] = Some(f),
            Err(e) => {
                ctx.log.push(format!("placement: shard {shard}: {e}"));
                failure = Some(e);
            }
        }
    }
    match (shards::least_full(&fullness), failure) {
        (Some(shard), _) => Ok(shard),
        (None, Some(e)) => Err(e),
        (None, None) => Err(internal("no shard is open".into())),
    }
}

/// `POST /admin/v1/tenants`: the tenant and its first token, in one batch, on the least full
/// shard.
pub async fn create<S: Store>(
    body: Map<String, Value>,
    base: &str,
    shards: &Shards<S>,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name"])?;
    let name = display_string(
        body.get("name").unwrap_or(&Value::Null),
        "name",
        MAX_NAME_CHARS,
    )?;
    let shard = place(shards, ctx).await?;
    let store = shards
        .get(shard)
        .ok_or_else(|| internal(format!("shard {shard} is not open")))?;
    let mut random = [0u8; 10];
    ctx.random.fill(&mut random).map_err(internal)?;
    let tenant = shards::new_tenant_id(shard, &hex(&random));
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
    let mut response = json(
        201,
        &json!({
            "id": tenant.as_str(),
            "name": name,
            "active": true,
            "created": created.to_rfc3339(),
            "scim_base_url": base,
            "quota": { "employees": DEFAULT_MAX_EMPLOYEES, "bytes": DEFAULT_MAX_BYTES },
            "usage": { "employees": 0, "bytes": 0 },
            "token_id": token_id.as_str(),
            "token": token.secret,
        }),
    );
    // The bookmark of the tenant's shard: the caller's next requests about it see it.
    super::bookmark::hand_back(&mut response, shard, store.bookmark(), false);
    Ok(response)
}

/// `GET /admin/v1/tenants`: newest first (then by id), across every shard: each shard's next
/// page, merged, and the first `limit` of them kept (a round trip per shard, on the primaries).
pub async fn list<S: Store>(
    params: &[(String, String)],
    base: &str,
    shards: &Shards<S>,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut merged: Vec<(TenantRow, i64)> = Vec::new();
    for (_, store) in shards.iter() {
        let mut batch = Batch::new();
        let rows = batch.read(sql::list_tenants(after.as_ref(), limit + 1));
        let legacy = batch.read(legacy_token_counts(after.as_ref(), limit + 1));
        let mut results = run_batch(store, batch).await?;
        let rows = results.take(rows)?;
        // At most one count per tenant of the page, sorted for the lookup.
        let mut legacy = results.take(legacy)?;
        sorting::sort_by(&mut legacy, |a, b| a.tenant_id.cmp(&b.tenant_id));
        let legacy_of = |t: &TenantId| {
            legacy
                .binary_search_by(|c| c.tenant_id.cmp(t))
                .map_or(0, |i| legacy[i].n)
        };
        merged.extend(rows.into_iter().map(|t| {
            let n = legacy_of(&t.id);
            (t, n)
        }));
    }
    sorting::sort_by(&mut merged, |(a, _), (b, _)| {
        (b.created, &b.id).cmp(&(a.created, &a.id))
    });
    let (rows, next) = page(merged, limit, |(t, _)| After {
        created: t.created,
        id: t.id.to_string(),
    });
    let tenants: Vec<Value> = rows
        .iter()
        .map(|(t, legacy)| tenant_json(t, base, *legacy))
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

/// `PATCH /admin/v1/tenants/{tenant}`: rename, enable or disable SCIM (`active`), set the quota.
pub async fn update<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    base: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(
        &body,
        &["name", "active", "quota", "deleted_retention_days", "guard"],
    )?;
    let name = body
        .get("name")
        .map(|v| display_string(v, "name", MAX_NAME_CHARS))
        .transpose()?;
    let active = body
        .get("active")
        .map(|v| bool_field(v, "active"))
        .transpose()?;
    let (max_employees, max_bytes) = match body.get("quota") {
        None => (None, None),
        Some(q) => quota_change(q)?,
    };
    let deleted_retention_days = body
        .get("deleted_retention_days")
        .map(retention_change)
        .transpose()?;
    let change = TenantChange {
        name,
        active,
        max_employees,
        max_bytes,
        deleted_retention_days,
    };
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::update_tenant(tenant, &change));
    if let Some(g) = body.get("guard") {
        batch.write(guard_sql::update_settings(tenant, &guard::change(g)?));
    }
    if deleted_retention_days.is_some() {
        // The employees already deleted are purged by the new retention too.
        batch.write(deleted::reschedule(tenant));
    }
    let fields: Vec<&str> = body.keys().map(String::as_str).collect();
    let changed = fields.join(", ");
    record(
        &mut batch,
        tenant,
        ctx,
        Action {
            detail: Some(&changed),
            ..did("tenant.updated", None)
        },
    );
    let updated = batch.read(sql::get_tenant(tenant));
    let legacy = batch.read(count_legacy_tokens(tenant));
    let (_, mut results) = batch.run(store).await?;
    let legacy = results.take(legacy)?;
    let row = results
        .take(updated)?
        .ok_or_else(|| AdminError::Internal("the tenant vanished within its batch".into()))?;
    Ok(json(200, &tenant_json(&row, base, legacy)))
}

/// `DELETE /admin/v1/tenants/{tenant}`: the tenant goes at once, its data in bounded steps
/// (irreversible; DESIGN §3). One batch deletes the tenant's row and records its purge: from the
/// next request on its tokens fail and this API answers 404. Then the purge's first steps run
/// within this request ([`purge::IN_REQUEST`]: every step, for most tenants); the purge Cron
/// Trigger finishes a larger one. The answer is 204 either way: the tenant is gone, and what is
/// left of its data is no one's to read.
pub async fn delete<S: Store>(
    tenant: &TenantId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    batch.write_all(sql::delete_tenant(tenant, ctx.now));
    batch.run(store).await?;
    let mut budget = Budget::new(purge::IN_REQUEST, (ctx.clock)());
    let mut progress = Progress::default();
    // Unfinished is no failure (the Cron Trigger logs the rest); a failed step is logged.
    match purge::purge_tenant(store, ctx.clock, &mut budget, tenant, &mut progress).await {
        Ok(_) => {}
        Err(e) => ctx.log.push(format!(
            "purge of {tenant}: stopped after {} steps by {e}; the purge Cron Trigger resumes it",
            progress.steps
        )),
    }
    Ok(empty(204))
}

/// `GET /admin/v1/purges`: deleted tenants whose data is still being purged, newest deletion
/// first (then by id), across every shard, paged like every list. A tenant leaves this list
/// when the last of its rows is gone.
pub async fn purges<S: Store>(
    params: &[(String, String)],
    shards: &Shards<S>,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut merged = Vec::new();
    for (_, store) in shards.iter() {
        let mut batch = Batch::new();
        let rows = batch.read(sql::list_purges(after.as_ref(), limit + 1));
        merged.extend(run_batch(store, batch).await?.take(rows)?);
    }
    sorting::sort_by(&mut merged, |a, b| {
        (b.requested, &b.tenant).cmp(&(a.requested, &a.tenant))
    });
    let (rows, next) = page(merged, limit, |p| After {
        created: p.requested,
        id: p.tenant.to_string(),
    });
    let purges: Vec<Value> = rows
        .iter()
        .map(|p| json!({ "tenant": p.tenant.as_str(), "requested": p.requested.to_rfc3339() }))
        .collect();
    Ok(json(200, &json!({ "purges": purges, "next_cursor": next })))
}
