//! What each statement of a write's batch costs (issue 22, "fewer statements per batch"): runs
//! the application on the host store (`SqliteStore`, the crate's migrations, in memory) with a
//! tenant of `USERS` employees and one company attribute, and before each batch of a measured
//! request (a create, a create with the company's attribute, a PATCH of the displayName after a
//! GET, a deactivation after a GET, a DELETE) runs, runs it statement by statement inside a
//! transaction that is rolled back, `RUNS` times, and prints per statement
//! the median time to prepare it and to run it, and what it is; a slow one (over 50 µs to run)
//! with its query plan.
//!
//!   cargo run --release --example batch_cost [USERS] [RUNS]      (default 2000, 200)
//!
//! SQLite in process is not D1: in production a batch's round trip dwarfs its statements, and
//! D1 adds a fixed cost per statement. So read the counts (statements per batch) and which
//! statements stand out, not the absolute figures. Prints figures; asserts nothing.

use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::recent::RecentCache;
use scim_edge::app::{self, Body, Config, Ctx};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Row, Stmt, Store, StoreError, Value as StoreValue};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

const ADMIN: &str = "adm_batch_cost_0123456789abcdefghijklmnop";
const SECRET: &str = "batch-cost-credential-secret-0123456789abcdef";
const PEAKON: &str = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";

/// The host store, measuring every batch sent to it before it runs it: each statement timed
/// `runs` times on the database as the batch finds it (a transaction rolled back each time).
struct Recording<'a> {
    store: &'a SqliteStore,
    runs: usize,
    batches: RefCell<Batches>,
}

impl Store for Recording<'_> {
    async fn batch(&self, c: Consistency, stmts: Vec<Stmt>) -> Result<Vec<Vec<Row>>, StoreError> {
        if self.runs > 0 {
            let costs = cost(self.store, &stmts, self.runs);
            self.batches.borrow_mut().push((stmts.clone(), costs));
        }
        self.store.batch(c, stmts).await
    }
    fn resume(&self, bookmark: &str) {
        self.store.resume(bookmark)
    }
    fn bookmark(&self) -> Option<String> {
        self.store.bookmark()
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

struct Harness {
    store: SqliteStore,
    /// Runs of each statement of a measured request's batches (0: not measured).
    runs: usize,
    config: Config,
    random: SeededRandom,
    recent: RecentCache,
    now: i64,
}

impl Harness {
    /// Sends a request; returns status, body and the batches it sent.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value, Batches) {
        self.now += 1;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://cost.localhost{path}"))
            .header("authorization", format!("Bearer {token}"));
        let bytes = match body {
            Some(b) => {
                let media = match path.starts_with("/admin") {
                    true => "application/json",
                    false => "application/scim+json",
                };
                builder = builder.header("content-type", media);
                b.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let req = builder.body(Body::from(bytes)).expect("a request");
        let recording = Recording {
            store: &self.store,
            runs: self.runs,
            batches: RefCell::new(Vec::new()),
        };
        let at = Timestamp(self.now);
        let clock = move || at;
        let request_id = app::request_id(&mut self.random);
        let mut ctx = Ctx::new(at, &clock, request_id, &mut self.random, &self.config);
        ctx.recent = Some(&self.recent);
        let response = block_on(app::handle(req, &Shards::all(vec![&recording]), &mut ctx));
        let deferred = std::mem::take(&mut ctx.deferred);
        if !deferred.is_empty() {
            block_on(self.store.batch(Consistency::Primary, deferred)).expect("deferred");
        }
        let status = response.status().as_u16();
        let body = serde_json::from_str(response.body()).unwrap_or(Value::Null);
        (status, body, recording.batches.into_inner())
    }

    fn expect(
        &mut self,
        status: u16,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (Value, Batches) {
        let (got, body, batches) = self.send(method, path, token, body);
        assert_eq!(got, status, "{method} {path}: {body}");
        (body, batches)
    }
}

/// The batches of a request, each statement with its median times (prepare, run).
type Batches = Vec<(Vec<Stmt>, Vec<(f64, f64)>)>;

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "emails": [{ "primary": true, "value": name, "type": "work" }],
        "displayName": "Ada Lovelace",
        "externalId": format!("ext-{name}"),
        "active": true
    })
}

/// The median times of each statement of `batch` (to prepare it, to run it), run in order in a
/// transaction rolled back.
fn cost(store: &SqliteStore, batch: &[Stmt], runs: usize) -> Vec<(f64, f64)> {
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); batch.len()];
    let mut prepare: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); batch.len()];
    store.with_conn(|c| {
        for _ in 0..runs {
            c.execute_batch("BEGIN").expect("begin");
            for (i, stmt) in batch.iter().enumerate() {
                let params = stmt.params.iter().map(|v| match v {
                    StoreValue::Null => rusqlite::types::Value::Null,
                    StoreValue::Int(i) => rusqlite::types::Value::Integer(*i),
                    StoreValue::Real(f) => rusqlite::types::Value::Real(*f),
                    StoreValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
                });
                let started = Instant::now();
                let mut st = c.prepare(&stmt.sql).expect("prepares");
                prepare[i].push(started.elapsed().as_secs_f64() * 1e6);
                let started = Instant::now();
                let mut rows = st.query(rusqlite::params_from_iter(params)).expect("runs");
                while rows.next().expect("a row").is_some() {}
                times[i].push(started.elapsed().as_secs_f64() * 1e6);
            }
            c.execute_batch("ROLLBACK").expect("rollback");
        }
    });
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    prepare
        .into_iter()
        .zip(times)
        .map(|(p, t)| (median(p), median(t)))
        .collect()
}

/// A statement that runs longer than this has its query plan printed.
const SLOW_US: f64 = 50.0;

/// SQLite's plan of a statement, one step a line.
fn plan(store: &SqliteStore, stmt: &Stmt) -> Vec<String> {
    store.with_conn(|c| {
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {}", stmt.sql))
            .expect("plans");
        let params = stmt.params.iter().map(|v| match v {
            StoreValue::Null => rusqlite::types::Value::Null,
            StoreValue::Int(i) => rusqlite::types::Value::Integer(*i),
            StoreValue::Real(f) => rusqlite::types::Value::Real(*f),
            StoreValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
        });
        st.query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })
        .expect("a plan")
        .map(|r| r.expect("a step"))
        .collect()
    })
}

/// What a statement is, in a few words: its first SQL words and table.
fn what(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(90).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let mut h = Harness {
        store: SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).expect("migrations"),
        runs: 0,
        config: Config::new(Some(ADMIN.into()), Some(SECRET)),
        random: SeededRandom(7),
        recent: RecentCache::default(),
        now: 1_767_323_045_000,
    };
    let (tenant, _) = h.expect(
        201,
        "POST",
        "/admin/v1/tenants",
        ADMIN,
        Some(json!({ "name": "Cost" })),
    );
    let (tid, token) = (
        tenant["id"].as_str().unwrap().to_string(),
        tenant["token"].as_str().unwrap().to_string(),
    );
    h.expect(
        201,
        "POST",
        &format!("/admin/v1/tenants/{tid}/attributes"),
        ADMIN,
        Some(json!({ "name": "Employed Since", "type": "date" })),
    );
    for i in 0..users {
        h.expect(
            201,
            "POST",
            "/scim/v2/Users",
            &token,
            Some(user(&format!("seed{i}@example.com"))),
        );
    }
    let mut measured: Vec<(&str, Batches)> = Vec::new();
    h.runs = runs;
    let (_, b) = h.expect(
        201,
        "POST",
        "/scim/v2/Users",
        &token,
        Some(user("new@example.com")),
    );
    measured.push(("create", b));
    let mut custom = user("custom@example.com");
    custom[PEAKON] = json!({ "Employed_Since": "2020-02-02" });
    let (created, b) = h.expect(201, "POST", "/scim/v2/Users", &token, Some(custom));
    measured.push(("create with the company's attribute", b));
    let id = created["id"].as_str().unwrap().to_string();
    h.runs = 0;
    h.expect(200, "GET", &format!("/scim/v2/Users/{id}"), &token, None);
    h.runs = runs;
    let patch = |path: &str, value: Value| {
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "path": path, "value": value }] })
    };
    let (_, b) = h.expect(
        200,
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch("displayName", json!("A. L."))),
    );
    measured.push(("PATCH displayName, after a GET", b));
    h.expect(200, "GET", &format!("/scim/v2/Users/{id}"), &token, None);
    let (_, b) = h.expect(
        200,
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch("active", json!(false))),
    );
    measured.push(("PATCH active=false (deactivation), after a GET", b));
    let (_, b) = h.expect(204, "DELETE", &format!("/scim/v2/Users/{id}"), &token, None);
    measured.push(("DELETE", b));

    println!("# statements of each batch: median µs of {runs} runs on in-process SQLite, {users} employees");
    for (name, batches) in &measured {
        println!("\n## {name}: {} round trip(s)", batches.len());
        for (n, (batch, times)) in batches.iter().enumerate() {
            let prepared: f64 = times.iter().map(|t| t.0).sum();
            let ran: f64 = times.iter().map(|t| t.1).sum();
            println!(
                "batch {}: {} statements; prepare {prepared:.0} µs, run {ran:.0} µs",
                n + 1,
                batch.len()
            );
            println!("   prepare      run");
            for (stmt, (p, t)) in batch.iter().zip(times) {
                println!("  {p:>7.1}  {t:>7.1} µs  {}", what(&stmt.sql));
                if *t > SLOW_US {
                    for step in plan(&h.store, stmt) {
                        println!("                      plan: {step}");
                    }
                }
            }
        }
    }
}
