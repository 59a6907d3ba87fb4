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

// The app and its requests only; the write examples' users and patches go unused here.
#[allow(dead_code)]
#[path = "harness/mod.rs"]
mod harness;

use harness::App;
use scim_edge::scim::limits::MAX_VALUES;
use scim_edge::scim::patch::{self, MAX_OPERATIONS};
use scim_edge::scim::tenant::TenantSchema;
use scim_edge::scim::user::{self, Doc};
use scim_edge::store::sqlite::SqliteStore;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

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
    let mut a = App::new(
        SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).expect("migrations apply"),
    );
    let token = a.token.clone();
    let mut app_once = |n: usize| {
        let user = json!({ "schemas": [CORE], "userName": format!("asa.{n}@example.com") });
        let (status, created) = a.send("POST", "/scim/v2/Users", &token, Some(user));
        assert_eq!(status, 201, "{created}");
        let path = format!("/scim/v2/Users/{}", created["id"].as_str().expect("an id"));
        let request = body.clone();
        let t = Instant::now();
        let (status, patched) = a.send_bytes("PATCH", &path, &token, request);
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
