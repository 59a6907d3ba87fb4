//! `/admin/v1/tenants/{tenant}/guard` (DESIGN §4): the mass-deactivation guard on survey
//! eligibility, as an admin sees and decides it (`store::guard` says what it counts and holds).
//!
//! - `GET .../guard`: the settings, the open trip (when, how many of how many, the IdP clients
//!   behind it, when it applies by itself) and its held changes, and the latest trips.
//! - `POST .../guard/apply` `{"users"?: [ids]}`: the held changes take effect at the times they
//!   were received (all of them, or those of the listed employees).
//! - `POST .../guard/dismiss` `{"users"?: [ids]}`: the employees stay eligible, marked
//!   overridden; a held deletion is dismissed by restoring the employee (at most
//!   [`MAX_RESTORES`] per request: the answer's `more` says to send it again).
//! - The settings are the tenant's `guard` (`PATCH /admin/v1/tenants/{tenant}`, [`change`]).

use super::deleted::{restore_employee, Why, ADMIN_CLIENT};
use super::error::AdminError;
use super::request::refuse_unknown_fields;
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::Response;
use crate::model::TenantId;
use crate::store::guard::{self as sql, Actor, Held, Selection, Settings, SettingsChange, Trip};
use crate::store::Store;
use serde_json::{json, Map, Value};

/// Held changes listed by `GET .../guard`.
const LISTED: i64 = 1_000;
/// Past trips listed by `GET .../guard`.
const TRIPS_LISTED: i64 = 10;
/// Held deletions one dismissal restores (two batches each).
pub const MAX_RESTORES: i64 = 20;
/// Employees one decision may list.
const MAX_USERS: usize = 1_000;

/// The largest window, percentage, minimum and period an admin may set.
pub const MAX_WINDOW_MINUTES: i64 = 7 * 24 * 60;
pub const MAX_MINIMUM: i64 = 1_000_000;
pub const MAX_AUTO_APPLY_DAYS: i64 = 365;

pub fn settings_json(s: &Settings) -> Value {
    json!({
        "enabled": s.enabled,
        "percent": s.percent,
        "minimum": s.minimum,
        "window_minutes": s.window_minutes,
        "auto_apply_days": s.auto_apply_days,
    })
}

/// The tenant's `guard` of a PATCH: any of `enabled` (true/false), `percent` (1–100),
/// `minimum` (1–1,000,000), `window_minutes` (1–10,080), `auto_apply_days` (0–365, 0 never);
/// `null` restores a default.
pub fn change(value: &Value) -> Result<SettingsChange, AdminError> {
    let bad = |d: String| AdminError::BadRequest(d);
    let Some(fields) = value.as_object() else {
        return Err(bad("\"guard\" must be an object".into()));
    };
    refuse_unknown_fields(
        fields,
        &[
            "enabled",
            "percent",
            "minimum",
            "window_minutes",
            "auto_apply_days",
        ],
    )?;
    let number = |name: &str, min: i64, max: i64| -> Result<Option<Option<i64>>, AdminError> {
        match fields.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(Some(n))),
                _ => Err(bad(format!(
                    "\"guard.{name}\" must be an integer from {min} to {max}, or null for the default"
                ))),
            },
        }
    };
    let enabled = match fields.get("enabled") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Bool(b)) => Some(Some(*b)),
        Some(_) => {
            return Err(bad(
                "\"guard.enabled\" must be true or false, or null for the default".into(),
            ))
        }
    };
    Ok(SettingsChange {
        enabled,
        percent: number("percent", 1, 100)?,
        minimum: number("minimum", 1, MAX_MINIMUM)?,
        window_minutes: number("window_minutes", 1, MAX_WINDOW_MINUTES)?,
        auto_apply_days: number("auto_apply_days", 0, MAX_AUTO_APPLY_DAYS)?,
    })
}

fn time(t: Option<crate::scim::datetime::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn trip_json(t: &Trip) -> Value {
    json!({
        "tripped_at": t.tripped_at.to_rfc3339(),
        "request_id": t.request_id,
        "window_start": t.window_start.to_rfc3339(),
        "losses": t.losses,
        "eligible_before": t.eligible_before,
        "clients": t.clients,
        "auto_apply_at": time(t.auto_apply_at),
        "ended_at": time(t.ended_at),
    })
}

fn held_json(h: &Held) -> Value {
    json!({
        "id": h.user_id.as_str(),
        "userName": h.user_name,
        "change": h.kind,
        "received_at": h.at.to_rfc3339(),
    })
}

/// `GET .../guard`.
pub async fn get<S: Store>(tenant: &TenantId, store: &S) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let trips = batch.read(sql::trips(tenant, TRIPS_LISTED));
    let held = batch.read(sql::held(tenant, LISTED));
    let held_total = batch.read(sql::held_count(tenant));
    let (row, mut results) = batch.run(store).await?;
    let trips = results.take(trips)?;
    let open = trips.iter().find(|t| t.ended_at.is_none());
    let held: Vec<Value> = results.take(held)?.iter().map(held_json).collect();
    Ok(json(
        200,
        &json!({
            "settings": settings_json(&row.guard),
            "tripped": open.is_some(),
            "trip": open.map(trip_json),
            "held": held,
            "held_employees": results.take(held_total)?,
            "trips": trips.iter().map(trip_json).collect::<Vec<_>>(),
        }),
    ))
}

/// The employees a decision names: `{"users": [ids]}` (a JSON array text), or all when absent.
fn selection(body: &Map<String, Value>) -> Result<Option<String>, AdminError> {
    refuse_unknown_fields(body, &["users"])?;
    match body.get("users") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(ids))
            if ids.len() <= MAX_USERS
                && ids
                    .iter()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 200)) =>
        {
            Ok(Some(Value::Array(ids.clone()).to_string()))
        }
        Some(_) => Err(AdminError::BadRequest(format!(
            "\"users\" must be an array of at most {MAX_USERS} employee ids"
        ))),
    }
}

fn actor<'a>(ctx: &'a Ctx<'_>) -> Actor<'a> {
    Actor {
        at: ctx.now,
        request_id: &ctx.request_id,
        client: Some(ADMIN_CLIENT),
    }
}

/// `POST .../guard/apply`.
pub async fn apply<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let users = selection(&body)?;
    let chosen = users.as_deref().map_or(Selection::All, Selection::Users);
    let mut batch = TenantBatch::new(tenant);
    let before = batch.read(sql::held_count(tenant));
    batch.write_all(sql::apply(tenant, chosen, &actor(ctx)));
    let after = batch.read(sql::held_count(tenant));
    let trips = batch.read(sql::trips(tenant, 1));
    let (_, mut results) = batch.run(store).await?;
    let (before, after) = (results.take(before)?, results.take(after)?);
    let trip = results.take(trips)?.into_iter().next();
    Ok(json(
        200,
        &json!({
            "applied": before - after,
            "held_employees": after,
            "tripped": trip.as_ref().is_some_and(|t| t.ended_at.is_none()),
        }),
    ))
}

/// `POST .../guard/dismiss`.
pub async fn dismiss<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let users = selection(&body)?;
    let chosen = users.as_deref().map_or(Selection::All, Selection::Users);
    let mut batch = TenantBatch::new(tenant);
    let before = batch.read(sql::held_count(tenant));
    batch.write_all(sql::dismiss_deactivations(tenant, chosen, &actor(ctx)));
    let after = batch.read(sql::held_count(tenant));
    let deletions = batch.read(sql::held_deletions(tenant, chosen, MAX_RESTORES + 1));
    let (_, mut results) = batch.run(store).await?;
    let dismissed = results.take(before)? - results.take(after)?;
    let mut deletions = results.take(deletions)?;
    let more = deletions.len() as i64 > MAX_RESTORES;
    deletions.truncate(MAX_RESTORES as usize);
    // Each held deletion: the employee comes back, eligible (a restore of its own).
    let (mut restored, mut not_restored) = (Vec::new(), Vec::new());
    for id in &deletions {
        match restore_employee(tenant, id, store, ctx, Why::Dismissal).await {
            Ok(_) => restored.push(Value::from(id.as_str())),
            Err(e) if e.status() < 500 => not_restored.push(json!({
                "id": id.as_str(),
                "error": e.code(),
                "detail": e.detail(),
            })),
            Err(e) => return Err(e),
        }
    }
    let mut batch = TenantBatch::new(tenant);
    let held = batch.read(sql::held_count(tenant));
    let trips = batch.read(sql::trips(tenant, 1));
    let (_, mut results) = batch.run(store).await?;
    let trip = results.take(trips)?.into_iter().next();
    Ok(json(
        200,
        &json!({
            "dismissed": dismissed + restored.len() as i64,
            "restored": restored,
            "not_restored": not_restored,
            "more": more,
            "held_employees": results.take(held)?,
            "tripped": trip.as_ref().is_some_and(|t| t.ended_at.is_none()),
        }),
    ))
}
