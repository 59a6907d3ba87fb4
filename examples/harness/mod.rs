//! The host harness of the benchmarks' examples (`write_cost`, `guard_cost`, `query_cost`,
//! `largest_patch`): the application
//! in process over one database, a request through `app::handle` and its time. Not an example
//! of its own (a folder without `main.rs`); each includes it with `#[path]`.

use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::{self, Body, Config, Ctx};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Store};
use serde_json::{json, Value};
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// At least 32 characters, as the admin API requires of the operator's secret.
pub const ADMIN_TOKEN: &str = "adm_write_cost_example_0123456789abcdef";
const CREDENTIAL_SECRET: &str = "write-cost-example-credential-secret-0123456789";
const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Runs a future that never waits (the rusqlite store answers at once).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The app in-process over one database, with a clock that moves 1 ms a request, and one
/// tenant.
pub struct App {
    pub store: SqliteStore,
    config: Config,
    /// The time of the last request (the next one is a millisecond later).
    pub now: i64,
    random: SeededRandom,
    pub tenant: String,
    pub token: String,
    /// The token's id (the seed's tenants file names it).
    pub token_id: String,
}

impl App {
    /// The app over `store`, with a tenant created through the admin API.
    pub fn new(store: SqliteStore) -> App {
        let mut a = App {
            store,
            config: Config::new(Some(ADMIN_TOKEN.into()), Some(CREDENTIAL_SECRET)),
            now: 1_767_323_045_000,
            random: SeededRandom(7),
            tenant: String::new(),
            token: String::new(),
            token_id: String::new(),
        };
        let (status, tenant) = a.send(
            "POST",
            "/admin/v1/tenants",
            ADMIN_TOKEN,
            Some(json!({ "name": "Write cost" })),
        );
        assert_eq!(status, 201, "{tenant}");
        a.tenant = tenant["id"].as_str().expect("an id").to_string();
        a.token = tenant["token"].as_str().expect("a token").to_string();
        a.token_id = tenant["token_id"].as_str().expect("a token id").to_string();
        a
    }

    /// Sends a request; the status and the body.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send_bytes(method, path, token, bytes)
    }

    /// Sends a request whose body is already bytes (a caller that times the request leaves
    /// the JSON's serialisation out); the status and the body.
    pub fn send_bytes(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let media = match path.starts_with("/admin") {
            true => "application/json",
            false => "application/scim+json",
        };
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://scim.test{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", media)
            .body(Body::from(body))
            .expect("a valid request");
        self.now += 1;
        let now = Timestamp(self.now);
        let clock = move || now;
        let request_id = app::request_id(&mut self.random);
        let mut ctx = Ctx::new(now, &clock, request_id, &mut self.random, &self.config);
        let response = block_on(app::handle(req, &Shards::all(vec![&self.store]), &mut ctx));
        let deferred = std::mem::take(&mut ctx.deferred);
        if !deferred.is_empty() {
            block_on(self.store.batch(Consistency::Primary, deferred)).expect("deferred run");
        }
        let status = response.status().as_u16();
        let body = serde_json::from_str(&response.into_body()).unwrap_or(Value::Null);
        (status, body)
    }

    /// A SCIM request and its time; panics unless its status is `expected`.
    pub fn timed(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) -> (Duration, Value) {
        let token = self.token.clone();
        let t = Instant::now();
        let (status, answer) = self.send(method, &format!("/scim/v2{path}"), &token, body);
        let elapsed = t.elapsed();
        assert_eq!(status, expected, "{method} {path}: {answer}");
        (elapsed, answer)
    }
}

/// Employee `n`, as `examples/seed.rs` and the benchmarks name them.
pub fn user(n: usize) -> Value {
    json!({
        "schemas": [CORE], "userName": format!("user{n}@example.com"),
        "name": { "givenName": format!("Given{n}"), "familyName": format!("Family{}", n % 1000) },
        "displayName": format!("Given{n} Family{}", n % 1000),
        "emails": [{ "value": format!("user{n}@example.com"), "type": "work", "primary": true }],
        "active": true
    })
}

pub fn patch(path: &str, op: &str, value: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": op, "path": path, "value": value }] })
}

/// Median and 90th percentile, in microseconds.
pub fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (us(times[times.len() / 2]), us(times[times.len() * 9 / 10]))
}
