//! `GET /admin/v1/tenants/{tenant}/events?after=<seq>&limit=` (issue 19): the tenant's change
//! feed in sequence order, `limit` events (default 100, at most 1,000) after the event whose
//! `seq` is `after` (default 0: the oldest kept). Paging by `seq` never skips or repeats an
//! event, even under concurrent writes: seq order is commit order (`store::outbox`). The answer
//! is `{"events": [...], "next_cursor"}`: `next_cursor` is the `after` of the next page, `null`
//! when this page is the last for now (a reader polling the feed goes on from the last event's
//! `seq`). Events older than the retention (`EVENTS_RETENTION_DAYS`, default 30) are gone.

use super::error::AdminError;
use super::request::limit;
use super::{json, TenantBatch};
use crate::app::plumbing::{query, Response};
use crate::app::webhooks::event_json;
use crate::model::TenantId;
use crate::store::outbox;
use crate::store::Store;
use serde_json::{json, Value};

pub async fn list<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let after = match query::get(params, "after").filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=(1i64 << 53)).contains(n))
            .ok_or_else(|| {
                AdminError::BadRequest(
                    "\"after\" must be the seq of an event (a non-negative integer)".into(),
                )
            })?,
    };
    let limit = limit(params)?;
    let mut batch = TenantBatch::new(tenant);
    let events = batch.read(outbox::list(tenant, after, limit + 1));
    let (_, mut results) = batch.run(store).await?;
    let mut events = results.take(events)?;
    let more = events.len() as i64 > limit;
    events.truncate(usize::try_from(limit).unwrap_or(0));
    let next = match (more, events.last()) {
        (true, Some(last)) => Value::String(last.seq.to_string()),
        _ => Value::Null,
    };
    let events: Vec<Value> = events.iter().map(event_json).collect();
    Ok(json(200, &json!({ "events": events, "next_cursor": next })))
}
