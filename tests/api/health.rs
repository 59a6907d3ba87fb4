//! `GET /healthz` on the host (`src/app/health.rs`): answered without a token, one database
//! statement per check, the check reused for five seconds (failures too), 503 when the database
//! fails or lacks its schema. The rate limit is the edge's (`app::throttle_counts`, and
//! `tests/e2e/health.rs` against the real limiter). Also the log line's tenant (`Ctx::tenant`).

use crate::common::{Client, Reply};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::{self, Body, Config, Ctx, HealthCache};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::classify::classify;
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Row, Stmt, Store, StoreError};
use serde_json::Value;

fn healthz(app: &TestApp) -> (Reply, Value) {
    let r = app.send("GET", "/healthz", &[], None);
    let body: Value = serde_json::from_str(&r.body).expect("JSON");
    (r, body)
}

#[test]
fn healthz_answers_without_a_token_after_one_statement() {
    let app = TestApp::new();
    let before = app.batches.get();
    let (r, body) = healthz(&app);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["cached"], false);
    assert_eq!(body["checked_at"], app.now().to_rfc3339());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(app.batches.get(), before + 1);
    // It says nothing about tenants or data.
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
}

#[test]
fn healthz_reuses_its_check_for_five_seconds() {
    let app = TestApp::new();
    let (_, first) = healthz(&app);
    let batches = app.batches.get();
    app.advance(4_000);
    let (r, again) = healthz(&app);
    assert_eq!(r.status, 200);
    assert_eq!(again["cached"], true);
    assert_eq!(again["checked_at"], first["checked_at"]);
    assert_eq!(
        app.batches.get(),
        batches,
        "a cached answer asks the database nothing"
    );
    app.advance(1_000);
    let (_, fresh) = healthz(&app);
    assert_eq!(fresh["cached"], false);
    assert_ne!(fresh["checked_at"], first["checked_at"]);
    assert_eq!(app.batches.get(), batches + 1);
}

/// A check dated after the request's time (another isolate's clock) is not reused.
#[test]
fn a_check_from_the_future_is_not_reused() {
    let app = TestApp::new();
    app.health.set(Some(app::plumbing::context::HealthCheck {
        at: Timestamp(app.now.get() + 60_000),
        ok: false,
    }));
    let (r, body) = healthz(&app);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(body["cached"], false);
}

/// Every batch fails as D1 fails when it is overloaded.
struct Down;

impl Store for Down {
    async fn batch(&self, _: Consistency, _: Vec<Stmt>) -> Result<Vec<Vec<Row>>, StoreError> {
        Err(classify(
            "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
        ))
    }
}

#[test]
fn a_failing_database_is_503_and_the_failure_is_cached_too() {
    let app = TestApp::new();
    let r = app.send_via(&Down, "GET", "/healthz", &[], None);
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("5"));
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        app.log.borrow().iter().any(|l| l.contains("healthz")),
        "{:?}",
        app.log.borrow()
    );
    // Within five seconds the failure is answered again without asking (a down database is
    // not asked once per monitor's request)...
    let batches = app.batches.get();
    app.advance(1_000);
    let (r, body) = healthz(&app);
    assert_eq!((r.status, body["cached"].clone()), (503, Value::Bool(true)));
    assert_eq!(app.batches.get(), batches);
    // ...and after them the database is asked again.
    app.advance(5_000);
    let (r, _) = healthz(&app);
    assert_eq!(r.status, 200);
}

/// A database without the schema (migrations not applied) is not healthy.
#[test]
fn a_database_without_its_schema_is_503() {
    let empty = tempdir_without_migrations();
    let store = SqliteStore::open_in_memory(&empty).unwrap();
    let config = Config::default();
    let now = Timestamp(1_767_323_045_000);
    let clock = move || now;
    let mut random = SeededRandom(3);
    let mut ctx = Ctx::new(now, &clock, "r".into(), &mut random, &config);
    let cache = HealthCache::new(None);
    ctx.health_cache = Some(&cache);
    let req = http::Request::get("https://h/healthz")
        .body(Body::empty())
        .unwrap();
    let r = block_on(app::handle(req, &Shards::all(vec![&store]), &mut ctx));
    assert_eq!(r.status(), 503, "{}", r.body());
    assert!(
        ctx.log.iter().any(|l| l.contains("no such table")),
        "{:?}",
        ctx.log
    );
    assert_eq!(cache.get().map(|c| c.ok), Some(false));
}

fn tempdir_without_migrations() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scim-edge-no-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn healthz_takes_get_and_head_only() {
    let app = TestApp::new();
    assert_eq!(app.send("HEAD", "/healthz", &[], None).status, 200);
    let r = app.send("POST", "/healthz", &[], Some(b"{}"));
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // Only the exact path.
    assert_eq!(app.send("GET", "/healthz/", &[], None).status, 404);
}

/// The log line's tenant: a SCIM request's is its token's; an admin request's is its path's,
/// when the path holds a tenant id; nobody's before authentication.
#[test]
fn requests_name_the_tenant_they_served() {
    let app = TestApp::new();
    let t = app.new_tenant("Logged");
    let tenant = |app: &TestApp| app.last_tenant.borrow().as_ref().map(|t| t.to_string());
    app.scim(&t.token, "GET", "/Users?count=1", None)
        .expect(200);
    assert_eq!(tenant(&app), Some(t.id.clone()));
    app.admin("GET", &format!("/tenants/{}/activity", t.id), None)
        .expect(200);
    assert_eq!(tenant(&app), Some(t.id.clone()));
    app.admin("GET", "/tenants", None).expect(200);
    assert_eq!(tenant(&app), None);
    app.send(
        "GET",
        "/scim/v2/Users",
        &[("Authorization", "Bearer nope")],
        None,
    );
    assert_eq!(tenant(&app), None);
    // A path that is not a tenant id's shape stays out of the log line.
    app.admin("GET", "/tenants/jane@example.com", None)
        .expect(404);
    assert_eq!(tenant(&app), None);
}
