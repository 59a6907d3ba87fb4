//! `/admin/v1/tenants/{tenant}/webhooks` (issue 19): a tenant's webhook endpoints.
//!
//! - `POST .../webhooks` `{"url", "event_types"?, "description"?}`: 201, the endpoint with its
//!   `secret` (`whsec_…`, shown only here); `url` is https (or loopback http under `make dev`
//!   and the tests, `app::webhooks::check_url`); `event_types` a non-empty list of the feed's
//!   types (absent: all). It receives the events committed from then on.
//! - `GET .../webhooks`, `GET .../webhooks/{id}`: state (`active`, `disabled`, `failing`),
//!   `undelivered` (events still to be delivered), never a secret.
//! - `PATCH .../webhooks/{id}` (any of `active`, `url`, `event_types`, `description`):
//!   `active: false` disables it; `active: true` re-enables a disabled or failing one, which
//!   resumes delivery from each employee's oldest undelivered event, in order.
//! - `POST .../webhooks/{id}/rotate`: a new secret (shown only here); deliveries are signed
//!   with both for 24 h (`previous_valid_until`).
//! - `GET .../webhooks/{id}/deliveries?limit=&cursor=`: the delivery log, newest first:
//!   attempt time, status, latency, error (no secret, no payload).

use super::error::AdminError;
use super::request::{display_string, limit, refuse_unknown_fields};
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::prefixed_id;
use crate::app::plumbing::{query, Response};
use crate::app::webhooks::seal::WEBHOOK_SECRET_KEY;
use crate::app::webhooks::{check_url, sign};
use crate::model::{EventType, TenantId};
use crate::scim::datetime::Timestamp;
use crate::store::webhooks::{self as sql, Endpoint, EndpointChange, State};
use crate::store::Store;
use serde_json::{json, Map, Value};

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;
/// Most endpoints per tenant.
pub const MAX_ENDPOINTS: usize = 20;

fn bad(detail: impl Into<String>) -> AdminError {
    AdminError::BadRequest(detail.into())
}

fn not_found() -> AdminError {
    AdminError::NotFound("No such webhook endpoint".into())
}

pub fn endpoint_json(e: &Endpoint) -> Value {
    json!({
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "event_types": e.event_types,
        "state": e.state.as_str(),
        "active": e.state == State::Active,
        "created": e.created.to_rfc3339(),
        "state_changed": e.state_changed.to_rfc3339(),
        "undelivered": e.undelivered,
        "previous_secret_valid_until": e.previous_until.map(|t| t.to_rfc3339()),
    })
}

fn event_types(value: &Value) -> Result<Option<Vec<String>>, AdminError> {
    if value.is_null() {
        return Ok(None);
    }
    let message = || {
        let all: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        bad(format!(
            "\"event_types\" must be a non-empty list of: {}",
            all.join(", ")
        ))
    };
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(message)?;
    let mut types = Vec::new();
    for t in list {
        let t = t.as_str().and_then(EventType::parse).ok_or_else(message)?;
        if !types.contains(&t.as_str().to_string()) {
            types.push(t.as_str().to_string());
        }
    }
    Ok(Some(types))
}

fn url(value: &Value, ctx: &Ctx<'_>) -> Result<String, AdminError> {
    let url = value
        .as_str()
        .ok_or_else(|| bad("\"url\" must be a string"))?;
    check_url(url, ctx.config.webhooks.loopback_http).map_err(bad)?;
    Ok(url.to_string())
}

fn description(value: &Value) -> Result<Option<String>, AdminError> {
    match value {
        Value::Null => Ok(None),
        v => Ok(Some(display_string(v, "description", 200)?)),
    }
}

/// A new secret, and the same sealed for the endpoint `id`.
fn new_secret(id: &str, ctx: &mut Ctx<'_>) -> Result<(String, String), AdminError> {
    let config = ctx.config;
    let seal = config.webhooks.seal_key.as_ref().map_err(|p| {
        ctx.log.push(format!(
            "admin: {}: no webhook endpoint can be created",
            p.describe(WEBHOOK_SECRET_KEY)
        ));
        AdminError::NotConfigured(
            "Webhook secrets cannot be stored: this deployment's webhook secret key is not \
             configured; the worker's log says why"
                .into(),
        )
    })?;
    let secret = sign::new_secret(ctx.random).map_err(AdminError::Internal)?;
    let sealed = seal
        .seal(id, &secret, ctx.random)
        .map_err(AdminError::Internal)?;
    Ok((secret, sealed))
}

pub async fn create<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["url", "event_types", "description"])?;
    let url = url(body.get("url").unwrap_or(&Value::Null), ctx)?;
    let event_types = event_types(body.get("event_types").unwrap_or(&Value::Null))?;
    let description = description(body.get("description").unwrap_or(&Value::Null))?;
    let id = prefixed_id("whe", ctx.random).map_err(AdminError::Internal)?;
    let (secret, sealed) = new_secret(&id, ctx)?;
    let endpoint = Endpoint {
        tenant_id: tenant.clone(),
        id: id.clone(),
        url,
        description,
        event_types,
        secret: sealed,
        previous_secret: None,
        previous_until: None,
        state: State::Active,
        created: ctx.now,
        state_changed: ctx.now,
        undelivered: 0,
    };
    let mut batch = TenantBatch::new(tenant);
    let existing = batch.read(sql::list_endpoints(tenant));
    let (_, mut results) = batch.run(store).await?;
    if results.take(existing)?.len() >= MAX_ENDPOINTS {
        return Err(AdminError::Conflict(format!(
            "A tenant has at most {MAX_ENDPOINTS} webhook endpoints"
        )));
    }
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::create_endpoint(&endpoint));
    let created = batch.read(sql::get_endpoint(tenant, &id));
    let (_, mut results) = batch.run(store).await?;
    let created = results.take(created)?.ok_or_else(not_found)?;
    let mut answer = endpoint_json(&created);
    answer["secret"] = Value::String(secret);
    Ok(json(201, &answer))
}

pub async fn list<S: Store>(tenant: &TenantId, store: &S) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let all = batch.read(sql::list_endpoints(tenant));
    let (_, mut results) = batch.run(store).await?;
    let all: Vec<Value> = results.take(all)?.iter().map(endpoint_json).collect();
    Ok(json(200, &json!({ "webhooks": all })))
}

pub async fn get<S: Store>(tenant: &TenantId, id: &str, store: &S) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let one = batch.read(sql::get_endpoint(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    let one = results.take(one)?.ok_or_else(not_found)?;
    Ok(json(200, &endpoint_json(&one)))
}

pub async fn update<S: Store>(
    tenant: &TenantId,
    id: &str,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["active", "url", "event_types", "description"])?;
    let mut change = EndpointChange::default();
    if let Some(v) = body.get("url") {
        change.url = Some(url(v, ctx)?);
    }
    if let Some(v) = body.get("event_types") {
        change.event_types = Some(event_types(v)?);
    }
    if let Some(v) = body.get("description") {
        change.description = Some(description(v)?);
    }
    if let Some(v) = body.get("active") {
        let active = v
            .as_bool()
            .ok_or_else(|| bad("\"active\" must be true or false"))?;
        change.state = Some(if active {
            State::Active
        } else {
            State::Disabled
        });
    }
    let mut batch = TenantBatch::new(tenant);
    batch.write_all(sql::update_endpoint(tenant, id, &change, ctx.now));
    let one = batch.read(sql::get_endpoint(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    let one = results.take(one)?.ok_or_else(not_found)?;
    Ok(json(200, &endpoint_json(&one)))
}

pub async fn rotate<S: Store>(
    tenant: &TenantId,
    id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let (secret, sealed) = new_secret(id, ctx)?;
    let until = Timestamp(ctx.now.0 + ROTATION_OVERLAP_MS);
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::rotate_secret(tenant, id, &sealed, until));
    let one = batch.read(sql::get_endpoint(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    let one = results.take(one)?.ok_or_else(not_found)?;
    Ok(json(
        200,
        &json!({
            "id": one.id,
            "secret": secret,
            "previous_secret_valid_until": until.to_rfc3339(),
        }),
    ))
}

pub async fn deliveries<S: Store>(
    tenant: &TenantId,
    id: &str,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let limit = limit(params)?;
    let before = match query::get(params, "cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| bad("\"cursor\" is not valid"))?,
        ),
    };
    let mut batch = TenantBatch::new(tenant);
    let endpoint = batch.read(sql::get_endpoint(tenant, id));
    let log = batch.read(sql::attempts(tenant, id, before, limit + 1));
    let (_, mut results) = batch.run(store).await?;
    results.take(endpoint)?.ok_or_else(not_found)?;
    let mut log = results.take(log)?;
    let more = log.len() as i64 > limit;
    log.truncate(usize::try_from(limit).unwrap_or(0));
    let next = match (more, log.last()) {
        (true, Some(last)) => Value::String(last.seq.to_string()),
        _ => Value::Null,
    };
    let attempts: Vec<Value> = log
        .iter()
        .map(|a| {
            json!({
                "event_id": a.event_id,
                "attempt": a.attempt,
                "at": a.at.to_rfc3339(),
                "status": a.status,
                "latency_ms": a.latency_ms,
                "error": a.error,
            })
        })
        .collect();
    Ok(json(
        200,
        &json!({ "attempts": attempts, "next_cursor": next }),
    ))
}
