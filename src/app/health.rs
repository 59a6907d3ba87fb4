//! `GET /healthz`: whether this deployment answers and reaches its databases (every shard,
//! `store::shards`), for uptime monitors and the runbook. No credential, outside both APIs.
//!
//! It cannot be used to load the databases: the check is one statement per shard that reads at
//! most one row (`store::health::probe`), its result (passed or failed) is kept for [`CACHE_MS`] in the
//! isolate (`Ctx::health_cache`), and the edge counts every request per client address
//! (`Limiter::Health`) before it runs. Its answers say nothing about tenants or data:
//! `{"status": "ok" | "unavailable" | "throttled", "checked_at": <the check's time>}`.
//!
//! Leaves out: the deferred work, the Cron Triggers and the secrets (a missing secret is in
//! the log lines of the requests it refuses).

use crate::app::plumbing::context::{Ctx, HealthCheck};
use crate::app::plumbing::respond::{self, allow, retry_after};
use crate::app::plumbing::{Request, Response};
use crate::store::shards::Shards;
use crate::store::{health, Batch, Consistency, Store};
use http::Method;
use serde_json::json;

/// How long a check is reused, in milliseconds.
pub const CACHE_MS: i64 = 5_000;

/// The media type of every health answer.
const JSON: &str = "application/json; charset=utf-8";

pub async fn handle<S: Store>(req: &Request, shards: &Shards<S>, ctx: &mut Ctx<'_>) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = answer(405, json!({ "status": "method_not_allowed" }));
        allow(&mut r, "GET, HEAD");
        return r;
    }
    let cached = ctx
        .health_cache
        .and_then(|c| c.get())
        .filter(|c| c.at <= ctx.now && ctx.now.0 - c.at.0 < CACHE_MS);
    let (check, from_cache) = match cached {
        Some(check) => (check, true),
        None => {
            let check = HealthCheck {
                at: ctx.now,
                ok: probe_all(shards, ctx).await,
            };
            if let Some(cache) = ctx.health_cache {
                cache.set(Some(check));
            }
            (check, false)
        }
    };
    let body = json!({
        "status": if check.ok { "ok" } else { "unavailable" },
        "checked_at": check.at.to_rfc3339(),
        "cached": from_cache,
    });
    if check.ok {
        answer(200, body)
    } else {
        let mut r = answer(503, body);
        retry_after(&mut r, (CACHE_MS / 1000) as u32);
        r
    }
}

/// Every shard answers (one that was not opened does not).
async fn probe_all<S: Store>(shards: &Shards<S>, ctx: &mut Ctx<'_>) -> bool {
    let mut ok = shards.complete();
    for (shard, store) in shards.iter() {
        ok &= probe(shard, store, ctx).await;
    }
    ok
}

/// One statement on the primary; a failure is noted for the log line (the store logged its
/// cause).
async fn probe<S: Store>(shard: u16, store: &S, ctx: &mut Ctx<'_>) -> bool {
    let mut batch = Batch::new();
    let handle = batch.read(health::probe());
    let result = match batch.run(store, Consistency::Primary).await {
        Ok(mut results) => results.take(handle).map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            ctx.log.push(format!(
                "healthz: the database check of shard {shard} failed: {e}"
            ));
            false
        }
    }
}

/// The answer to a `/healthz` request a rate limiter refused.
pub fn throttled(retry: u32) -> Response {
    let mut r = answer(429, json!({ "status": "throttled" }));
    retry_after(&mut r, retry);
    r
}

fn answer(status: u16, body: serde_json::Value) -> Response {
    let mut r = respond::json(status, &body, JSON);
    // Monitors and caches in between must ask again: the answer describes this moment.
    respond::set(&mut r, http::header::CACHE_CONTROL, "no-store");
    r
}
