//! The worker-side time of the largest PATCH the input limits allow (DESIGN §8,
//! `scim::limits`), run on the host. Prints figures; asserts no speed (tests never time).
//!
//! ```text
//! cargo run --release --example largest_patch [RUNS]
//! ```
//!
//! The PATCH: `MAX_OPERATIONS` (100) operations, each adding the same `MAX_VALUES` (100)
//! emails, long and not ASCII (so each is normalised and case-folded), upper case in every
//! other operation, to a user who has none: the first operation adds them, each of the other
//! 99 matches its 100 against the 100 present and merges them. About 0.9 MiB, just under the
//! 1 MiB body limit. Before PATCH matched by hash, this shape cost 100 × 100 × 100 pairwise
//! comparisons, each folding both values; the issue's 20,000-email add is now refused before
//! any matching (`emails` holds at most 100 values).
//!
//! Two figures, each the median and the slowest of RUNS runs (default 21), after one warm-up:
//! - `core`: what the worker computes in Rust for it: the body parsed from its bytes, the
//!   operations parsed and applied (`scim::patch`), the limits checked, the folded copy and
//!   the activity log's changes;
//! - `app`: the whole request through `app::handle`, in-process over rusqlite (an in-memory
//!   database with the same migrations and SQL as D1): the core's work plus the token check,
//!   the read, the write batch and the answer, on a fresh user each run. Without D1's round
//!   trips; wasm on workerd runs slower than this native code.

use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::{self, Body, Config, Ctx};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::scim::limits::MAX_VALUES;
use scim_edge::scim::patch::{self, MAX_OPERATIONS};
use scim_edge::scim::tenant::TenantSchema;
use scim_edge::scim::user::{self, Doc};
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Store};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// At least 32 characters, as the admin API requires of the operator's secret.
const ADMIN_TOKEN: &str = "adm_largest_patch_example_0123456789";
/// The credential secret tokens are issued under (check values).
const CREDENTIAL_SECRET: &str = "largest-patch-example-credential-secret-0123456789";
const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The PATCH body described above.
fn largest_patch() -> Vec<u8> {
    let ops: Vec<Value> = (0..MAX_OPERATIONS)
        .map(|op| {
            let values: Vec<Value> = (0..MAX_VALUES)
                .map(|i| {
                    let v =
                        format!("Åsa.Lindqvist-Öberg.{i:03}@Provisioning-Test.Example-Company.com");
                    let v = if op % 2 == 0 { v.to_uppercase() } else { v };
                    json!({ "value": v, "type": "work" })
                })
                .collect();
            json!({ "op": "add", "path": "emails", "value": values })
        })
        .collect();
    json!({ "schemas": [PATCH_OP], "Operations": ops })
        .to_string()
        .into_bytes()
}

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

/// The app in-process over an in-memory database, with a clock that moves 1 ms a request.
struct App {
    store: SqliteStore,
    config: Config,
    now: i64,
    random: SeededRandom,
}

impl App {
    fn new() -> App {
        App {
            store: SqliteStore::open_in_memory(&SqliteStore::crate_migrations())
                .expect("migrations apply"),
            config: Config::new(Some(ADMIN_TOKEN.into()), Some(CREDENTIAL_SECRET)),
            now: 1_767_323_045_000,
            random: SeededRandom(7),
        }
    }

    /// Sends a request; the status and the body.
    fn send(&mut self, method: &str, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://scim.test{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/scim+json")
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
}

/// Median and slowest, in milliseconds.
fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.2} ms, slowest {:.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    )
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("RUNS is a number"))
        .unwrap_or(21)
        .max(1);
    let body = largest_patch();
    println!(
        "largest PATCH: {MAX_OPERATIONS} operations x {MAX_VALUES} emails, {} bytes; {runs} runs (host, release build)",
        body.len()
    );

    // core
    let schema = TenantSchema::default();
    let start: Doc = json!({ "userName": "asa@example.com", "active": true })
        .as_object()
        .cloned()
        .unwrap_or_default();
    let core_once = || {
        let t = Instant::now();
        let parsed: Map<String, Value> = serde_json::from_slice(&body).expect("JSON");
        let ops = patch::parse_request(&parsed).expect("a valid PATCH");
        let out = patch::apply(&start, &ops, &schema).expect("within the limits");
        let folded = user::folded(&out.doc, &schema);
        let changes = user::changes(&start, &out.doc, &schema);
        let elapsed = t.elapsed();
        assert_eq!(out.doc["emails"].as_array().map(Vec::len), Some(MAX_VALUES));
        assert!(!folded.is_empty() && !changes.is_empty());
        elapsed
    };
    core_once();
    let times: Vec<Duration> = (0..runs).map(|_| core_once()).collect();
    println!(
        "core (parse, apply, limits, folded copy, changes): {}",
        summary(times)
    );

    // app
    let mut a = App::new();
    let (status, tenant) = a.send(
        "POST",
        "/admin/v1/tenants",
        ADMIN_TOKEN,
        json!({ "name": "Largest PATCH" }).to_string().into_bytes(),
    );
    assert_eq!(status, 201, "{tenant}");
    let token = tenant["token"].as_str().expect("a token").to_string();
    let mut app_once = |n: usize| {
        let user = json!({ "schemas": [CORE], "userName": format!("asa.{n}@example.com") });
        let (status, created) = a.send(
            "POST",
            "/scim/v2/Users",
            &token,
            user.to_string().into_bytes(),
        );
        assert_eq!(status, 201, "{created}");
        let path = format!("/scim/v2/Users/{}", created["id"].as_str().expect("an id"));
        let request = body.clone();
        let t = Instant::now();
        let (status, patched) = a.send("PATCH", &path, &token, request);
        let elapsed = t.elapsed();
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["emails"].as_array().map(Vec::len), Some(MAX_VALUES));
        elapsed
    };
    app_once(0);
    let times: Vec<Duration> = (1..=runs).map(&mut app_once).collect();
    println!(
        "app (app::handle over in-memory SQLite, request to answer): {}",
        summary(times)
    );
}
