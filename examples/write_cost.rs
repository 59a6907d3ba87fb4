//! What the substring index (migration 0018, `store::substrings`) costs the writes, run on the
//! host. Prints figures; asserts no speed (tests never time).
//!
//! ```text
//! cargo run --release --example write_cost [EMPLOYEES] [RUNS] [--file DIR]
//! ```
//!
//! Two databases with the crate's migrations, one of them without the index (its triggers and
//! table dropped: the schema before 0018), each with a tenant of EMPLOYEES employees (default
//! 10,000) created through the application. Then, RUNS times (default 300), each of these
//! requests through `app::handle`, on one database and then the other, alternately, so that the
//! machine's load falls on both alike:
//!
//! - `create`: `POST /Users` (Okta's shape: names, one email);
//! - `PATCH title`: a value the index does not hold (its trigger's condition skips it);
//! - `PATCH familyName`: a value it holds (the index deletes the row's entries and adds them);
//! - `PATCH emails`: an email added;
//! - `DELETE`: the user deleted (kept for the retention; the index's entries go).
//!
//! Each figure is the median (and the 90th percentile) of a request to its answer, in
//! microseconds, without the index, with it, and their ratio. In memory unless `--file DIR`
//! puts the two databases in DIR (rollback journal, SQLite's defaults): D1 writes pages to
//! durable storage, which a file shows better. Without D1's round trips (a request to D1 costs
//! milliseconds of network), this is the database's own work and the worker's Rust.

use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::{self, Body, Config, Ctx};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Store};
use serde_json::{json, Value};
use std::future::Future;
use std::path::PathBuf;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// At least 32 characters, as the admin API requires of the operator's secret.
const ADMIN_TOKEN: &str = "adm_write_cost_example_0123456789abcdef";
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

/// The app in-process over one database, with a clock that moves 1 ms a request.
struct App {
    store: SqliteStore,
    config: Config,
    now: i64,
    random: SeededRandom,
    token: String,
}

impl App {
    fn new(store: SqliteStore, indexed: bool) -> App {
        if !indexed {
            store.with_conn(|c| {
                c.execute_batch(
                    "DROP TRIGGER user_substrings_insert; DROP TRIGGER user_substrings_delete; \
                     DROP TRIGGER user_substrings_update; DROP TABLE user_substrings;",
                )
                .expect("the index's objects")
            });
        }
        let mut a = App {
            store,
            config: Config::new(Some(ADMIN_TOKEN.into()), Some(CREDENTIAL_SECRET)),
            now: 1_767_323_045_000,
            random: SeededRandom(7),
            token: String::new(),
        };
        let (status, tenant) = a.send(
            "POST",
            "/admin/v1/tenants",
            ADMIN_TOKEN,
            Some(json!({ "name": "Write cost" })),
        );
        assert_eq!(status, 201, "{tenant}");
        a.token = tenant["token"].as_str().expect("a token").to_string();
        a
    }

    /// Sends a request; the status and the body.
    fn send(&mut self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://scim.test{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/scim+json")
            .body(Body::from(
                body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            ))
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
    fn timed(
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

fn user(n: usize) -> Value {
    json!({
        "schemas": [CORE], "userName": format!("user{n}@example.com"),
        "name": { "givenName": format!("Given{n}"), "familyName": format!("Family{}", n % 1000) },
        "displayName": format!("Given{n} Family{}", n % 1000),
        "emails": [{ "value": format!("user{n}@example.com"), "type": "work", "primary": true }],
        "active": true
    })
}

fn patch(path: &str, op: &str, value: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": op, "path": path, "value": value }] })
}

/// Median and 90th percentile, in microseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (us(times[times.len() / 2]), us(times[times.len() * 9 / 10]))
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dir: Option<PathBuf> = args.iter().position(|a| a == "--file").map(|i| {
        let d = PathBuf::from(args.get(i + 1).expect("--file DIR"));
        args.drain(i..=i + 1);
        d
    });
    let employees: usize = args
        .first()
        .map_or(10_000, |a| a.parse().expect("EMPLOYEES"));
    let runs: usize = args.get(1).map_or(300, |a| a.parse().expect("RUNS")).max(2);
    let open = |name: &str| {
        match &dir {
            None => SqliteStore::open_in_memory(&SqliteStore::crate_migrations()),
            Some(d) => {
                let path = d.join(format!("{name}.sqlite"));
                let _ = std::fs::remove_file(&path);
                SqliteStore::open(&path, &SqliteStore::crate_migrations())
            }
        }
        .expect("migrations apply")
    };
    // [without the index, with it]
    let mut apps = [
        App::new(open("without"), false),
        App::new(open("with"), true),
    ];
    for app in apps.iter_mut() {
        for n in 0..employees {
            app.timed("POST", "/Users", Some(user(n)), 201);
        }
    }
    let ops = [
        "create",
        "PATCH title",
        "PATCH familyName",
        "PATCH emails",
        "DELETE",
    ];
    let mut times: Vec<[Vec<Duration>; 2]> = ops.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for r in 0..runs {
        for (i, app) in apps.iter_mut().enumerate() {
            let n = employees + r;
            let (t, created) = app.timed("POST", "/Users", Some(user(n)), 201);
            times[0][i].push(t);
            let path = format!("/Users/{}", created["id"].as_str().expect("an id"));
            let requests = [
                patch("title", "replace", json!(format!("Title {r}"))),
                patch("name.familyName", "replace", json!(format!("Renamed{r}"))),
                patch(
                    "emails",
                    "add",
                    json!([{ "value": format!("second{n}@example.org"), "type": "home" }]),
                ),
            ];
            for (k, body) in requests.into_iter().enumerate() {
                let (t, _) = app.timed("PATCH", &path, Some(body), 200);
                times[1 + k][i].push(t);
            }
            let (t, _) = app.timed("DELETE", &path, None, 204);
            times[4][i].push(t);
        }
    }
    println!(
        "{employees} employees, {runs} runs, {} (host, release build); request to answer through app::handle, in µs, median / 90th percentile:",
        if dir.is_some() { "databases in files" } else { "databases in memory" }
    );
    println!();
    println!("| request | without the index | with it | ratio of medians |");
    println!("| --- | ---: | ---: | ---: |");
    for (op, [without, with]) in ops.iter().zip(times) {
        let (a, a90) = percentiles(without);
        let (b, b90) = percentiles(with);
        println!(
            "| {op} | {a:.0} / {a90:.0} | {b:.0} / {b90:.0} | {:.2} |",
            b / a
        );
    }
}
