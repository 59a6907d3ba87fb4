//! The HTTP application, runtime-free: [`handle`] takes an `http::Request`, the stores of the
//! shards it reaches ([`Shards`]) and the request's context (time, request id, randomness,
//! configuration) and returns the `http::Response`. The wasm edge (`lib.rs`) and the host tests
//! call the very same function; both open the databases [`reach`] names (one pure function of
//! the request: its credential's or tenant id's shard, or every shard).
//!
//! Three rooms: `plumbing` (the HTTP plumbing both APIs use: context, credentials, media
//! types, query strings, answers, ids, the URL space), `scim_api` (the SCIM service under
//! `/scim/v2`), `admin_api` (the admin API under `/admin/v1`, for the operator and for company
//! admins' sessions) and `sign_in` (a company admin's sign-in pages); `employee_write`
//! (what every write of an employee's row sends besides it, for both APIs); and the jobs the
//! Cron Triggers run: `retention` (the activity log's), `purge` (deleted tenants' data, which
//! a tenant's deletion starts), `erasure` (deleted employees past their tenant's retention;
//! then the substring index's `compaction`, which removes what purges left in it),
//! `auto_apply` (the eligibility guard's held changes nobody decided) and `maintenance` (the
//! refold). The two APIs share nothing but `plumbing` and
//! `employee_write`; `health` answers `GET /healthz` beside them. Besides [`handle`], the edge
//! calls [`throttle_counts`] and [`throttled`] before it (what the rate limiters count for a
//! request, and the 429 of each API), and [`operation`] and [`RequestLine`] for its log line.
//!
//! Nothing here reads a clock, draws randomness or touches `worker` types.

pub mod admin_api;
pub mod auto_apply;
pub mod compaction;
pub mod employee_write;
pub mod erasure;
pub mod health;
pub mod maintenance;
pub mod plumbing;
pub mod purge;
pub mod recent;
pub mod retention;
pub mod scim_api;
pub mod sign_in;
pub mod webhooks;

pub use plumbing::context::{
    client_request_id, request_id, with_request_id, Config, Ctx, HealthCache,
};
pub use plumbing::log::RequestLine;
pub use plumbing::reach::{reach, Reach};
pub use plumbing::routes::operation;
pub use plumbing::throttle::{Count, Limiter};
pub use plumbing::{Body, Request, Response};

use crate::store::shards::Shards;
use crate::store::Store;
use plumbing::routes::{self, Route};

/// The application: routes the request and answers it, on the shard [`reach`] names (or every
/// shard). Every answer carries `X-Request-Id`.
pub async fn handle<S: Store>(req: Request, shards: &Shards<S>, ctx: &mut Ctx<'_>) -> Response {
    let shard = match reach(&req, ctx.config) {
        Reach::Shard(n) => n,
        // What spans every shard authenticates without a database (the operator's token), or
        // on shard 0.
        Reach::Every => 0,
    };
    let Some(store) = shards.get(shard) else {
        // The caller opened other databases than `reach` names: a bug of the edge's.
        ctx.log
            .push(format!("shard {shard} was not opened for this request"));
        let response = plumbing::respond::json(
            500,
            &serde_json::json!({ "error": "internal", "detail": "Internal error" }),
            admin_api::JSON,
        );
        return with_request_id(response, &ctx.request_id);
    };
    let response = match routes::route(req.uri().path()) {
        Route::Scim(endpoint) => scim_api::handle(endpoint, req, store, ctx).await,
        Route::Admin(endpoint) => admin_api::handle(endpoint, req, shards, shard, ctx).await,
        Route::SignIn => sign_in::handle(req, store, ctx).await,
        Route::Health => health::handle(&req, shards, ctx).await,
        Route::NotFound => scim_api::no_such_service(),
    };
    with_request_id(response, &ctx.request_id)
}

/// What the edge's rate limiters count for a request, in order, before [`handle`] runs (and
/// before any database access): each API decides for its own paths.
pub fn throttle_counts(req: &Request, config: &Config) -> Vec<Count> {
    match routes::route(req.uri().path()) {
        Route::Scim(_) => scim_api::throttle::counts(req, config),
        Route::Admin(_) => admin_api::throttle::counts(req, config),
        Route::SignIn => sign_in::counts(req),
        // Answered without a credential: every request counts, per address.
        Route::Health => vec![Count::per_address(Limiter::Health, "health", req)],
        Route::NotFound => Vec::new(),
    }
}

/// How many units of `limiter` a request takes, all before [`handle`] runs: one, except that
/// every operation of a SCIM Bulk request counts once against the per-token limit (a request
/// refused any of them is refused whole, [`throttled_logged`]).
pub fn throttle_units(req: &Request, limiter: Limiter) -> u32 {
    match (limiter, routes::route(req.uri().path())) {
        (Limiter::Token, Route::Scim(_)) => scim_api::bulk::units(req),
        _ => 1,
    }
}

/// [`throttled`], for the edge, which also leaves the one activity-log entry of a Bulk request
/// that the per-token limit refused whole (every other throttled request is answered without
/// the database).
pub async fn throttled_logged<S: Store>(
    req: &Request,
    count: &Count,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Response {
    let bulk = req.method() == http::Method::POST
        && count.limiter == Limiter::Token
        && routes::route(req.uri().path()) == Route::Scim(plumbing::routes::ScimEndpoint::Bulk);
    let response = match bulk {
        true => {
            let token = scim_api::presented_token(req, ctx.config);
            let retry_after = count.limiter.period_seconds();
            scim_api::bulk::throttled(req, &token, retry_after, store, ctx).await
        }
        false => throttled(req, count),
    };
    with_request_id(response, &ctx.request_id)
}

/// The answer to a request that `count` throttled: 429 with `Retry-After` (the limiter's
/// window) in the shape of the API it was sent to.
pub fn throttled(req: &Request, count: &Count) -> Response {
    let retry_after = count.limiter.period_seconds();
    match routes::route(req.uri().path()) {
        Route::Admin(_) => admin_api::throttle::answer(retry_after),
        Route::SignIn => sign_in::throttled(retry_after),
        Route::Health => health::throttled(retry_after),
        Route::Scim(_) | Route::NotFound => scim_api::throttle::answer(req, retry_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "adm_app_tests_0123456789abcdefghijklmnop";
    const SECRET: &str = "app-tests-credential-secret-0123456789";

    fn req(path: &str, auth: Option<&str>) -> Request {
        let mut b = http::Request::builder()
            .uri(format!("https://h{path}"))
            .header("CF-Connecting-IP", "192.0.2.1");
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn each_api_counts_its_own_requests() {
        let config = Config::new(Some(ADMIN.into()), Some(SECRET));
        let token = plumbing::auth::generate_token(
            config.credential_key().unwrap(),
            0,
            &mut plumbing::ids::SeededRandom(1),
        )
        .unwrap()
        .secret;
        let bearer = format!("Bearer {token}");
        let admin = format!("Bearer {ADMIN}");
        let per_address = |scope: &str| {
            vec![Count {
                limiter: Limiter::FailedCredential,
                key: format!("{scope}:192.0.2.1"),
            }]
        };
        // A SCIM token on the admin API is a wrong admin credential, and the admin token on
        // SCIM a credential without a token's shape: both counted per address.
        assert_eq!(
            throttle_counts(&req("/admin/v1/tenants", Some(&bearer)), &config),
            per_address("admin")
        );
        assert_eq!(
            throttle_counts(&req("/scim/v2/Users", Some(&admin)), &config),
            per_address("scim")
        );
        assert_eq!(
            throttle_counts(&req("/admin/v1/tenants", Some(&admin)), &config),
            []
        );
        assert_eq!(
            throttle_counts(&req("/scim/v2/Users", Some(&bearer)), &config)[0].limiter,
            Limiter::Token
        );
        // The health check counts per address, credential or not.
        for auth in [None, Some(bearer.as_str())] {
            assert_eq!(
                throttle_counts(&req("/healthz", auth), &config),
                vec![Count {
                    limiter: Limiter::Health,
                    key: "health:192.0.2.1".into(),
                }]
            );
        }
        // Other paths outside both APIs are not counted.
        for path in ["/scim/v2x/Users", "/"] {
            assert_eq!(
                throttle_counts(&req(path, Some(&bearer)), &config),
                [],
                "{path}"
            );
        }
    }

    #[test]
    fn each_api_answers_429_in_its_own_shape() {
        let count = |limiter| Count {
            limiter,
            key: "k".into(),
        };
        let r = throttled(
            &req("/admin/v1/tenants", None),
            &count(Limiter::FailedCredential),
        );
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "60");
        assert!(r.body().contains("too_many_requests"), "{}", r.body());
        let r = throttled(&req("/healthz", None), &count(Limiter::Health));
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "60");
        assert_eq!(r.body(), r#"{"status":"throttled"}"#);
        let r = throttled(&req("/scim/v2/Users", None), &count(Limiter::Token));
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "10");
        assert!(r
            .body()
            .contains("urn:ietf:params:scim:api:messages:2.0:Error"));
    }
}
