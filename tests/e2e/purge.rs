//! Deleting a tenant of 20,000 employees under `wrangler dev` (DESIGN §3): the answer is 204, its
//! tokens fail and the admin API answers 404 from the next request on, and its data is purged in
//! steps: the first ones within the request, the rest by the purge Cron Trigger, which the test
//! drives through wrangler's `/cdn-cgi/handler/scheduled`. Another tenant keeps all it had.
//!
//! The tenant is seeded by `scripts/test.sh` before the worker starts
//! (`tests/e2e/seed/purge_20000.sql`, `SCIM_EDGE_BIG_TENANT`): creating 20,000 employees over
//! HTTP would take minutes. Whether rows are left is read from the local D1 itself, with
//! `wrangler d1 execute` on the worker's state (`SCIM_EDGE_D1_STATE`), which SQLite lets another
//! process read while the worker runs.

use crate::common::scenarios::reports as r;
use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::http_client::worker;
use scim_edge::app::purge::PURGE_CRON;
use scim_edge::store::tenants::TENANT_TABLES;
use serde_json::{json, Value};
use std::time::Instant;

const EMPLOYEES: u64 = 20_000;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the suite with `make test`"))
}

/// One row of the local D1's answer to `sql`, read by `wrangler d1 execute` beside the worker.
fn d1_row(sql: &str) -> Value {
    let out = std::process::Command::new("node_modules/.bin/wrangler")
        .args(["d1", "execute", "DB", "--local", "--persist-to"])
        .arg(env("SCIM_EDGE_D1_STATE"))
        .args(["--json", "--command", sql])
        .env("CI", "true")
        .output()
        .expect("wrangler runs");
    assert!(
        out.status.success(),
        "wrangler d1 execute: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    answer[0]["results"][0].clone()
}

/// The tenant's rows in every table that holds a tenant's data, its own row and its purge entry.
fn rows_of(tenant: &str) -> Value {
    let counts: Vec<String> = TENANT_TABLES
        .iter()
        .map(|t| t.name)
        .chain(["tenants", "tenant_purges"])
        .map(|table| {
            let column = if table.starts_with("tenant") {
                "id"
            } else {
                "tenant_id"
            };
            format!("(SELECT count(*) FROM {table} WHERE {column} = '{tenant}') AS {table}")
        })
        .collect();
    d1_row(&format!("SELECT {}", counts.join(", ")))
}

fn total(rows: &Value) -> u64 {
    rows.as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

/// The purge's lines in the worker's log since `from` (steps in the request and per run).
fn purge_log(from: usize) -> Vec<String> {
    let Ok(path) = std::env::var("SCIM_EDGE_WORKER_LOG") else {
        return Vec::new();
    };
    let log = std::fs::read_to_string(path).unwrap_or_default();
    log.get(from..)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("purge"))
        .map(str::to_string)
        .collect()
}

fn log_len() -> usize {
    std::env::var("SCIM_EDGE_WORKER_LOG")
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len() as usize)
}

#[test]
fn a_tenant_of_20000_employees_is_purged_across_steps() {
    let c = worker();
    let big = env("SCIM_EDGE_BIG_TENANT");

    // The seeded tenant is real to the worker: a token issued to it lists 20,000 employees.
    let issued = c.admin(
        "POST",
        &format!("/tenants/{big}/tokens"),
        Some(json!({"label": "e2e"})),
    );
    issued.expect(201);
    let token = issued.json()["token"].as_str().unwrap().to_string();
    let listed = c.scim(&token, "GET", "/Users?count=1", None);
    listed.expect(200);
    assert_eq!(listed.json()["totalResults"], json!(EMPLOYEES));
    let before = rows_of(&big);
    assert_eq!(before["users"], json!(EMPLOYEES), "{before}");
    assert!(
        TENANT_TABLES
            .iter()
            .all(|t| before[t.name].as_u64() > Some(0)),
        "{before}"
    );

    // Another tenant, with an employee and its log.
    let other = c.new_tenant(&unique("Bystander "));
    let created = c.scim(
        &other.token,
        "POST",
        "/Users",
        Some(okta_user(&format!("{}@example.com", unique("kept.")))),
    );
    created.expect(201);
    let other_user = format!("/Users/{}", created.json()["id"].as_str().unwrap());
    let other_before = (
        c.scim(&other.token, "GET", &other_user, None).json(),
        r::activity(c, &other.id, &[]),
        rows_of(&other.id),
    );

    let log_from = log_len();
    let started = Instant::now();
    c.admin("DELETE", &format!("/tenants/{big}"), None)
        .expect(204);
    let answered = started.elapsed();

    // From the next request on: its tokens fail, the admin API knows it no more.
    c.scim(&token, "GET", "/Users?count=0", None)
        .expect_scim_error(401, None);
    c.admin("GET", &format!("/tenants/{big}"), None)
        .expect_admin_error(404, "not_found");
    c.admin("DELETE", &format!("/tenants/{big}"), None)
        .expect_admin_error(404, "not_found");

    // The request's budget (50 steps at most) is less than this purge (users alone take 40
    // steps of 500, and every other table its own): rows are left for the Cron Trigger.
    let after_request = rows_of(&big);
    assert_eq!(after_request["tenants"], json!(0));
    assert_eq!(after_request["tenant_purges"], json!(1), "{after_request}");
    assert!(total(&after_request) > 1, "{after_request}");

    // The purge Cron Trigger, run until nothing is left.
    let cron = format!(
        "/cdn-cgi/handler/scheduled?cron={}",
        PURGE_CRON.replace(' ', "+")
    );
    let mut runs = Vec::new();
    while total(&rows_of(&big)) > 0 {
        assert!(
            runs.len() < 10,
            "still not purged after {runs:?}: {}",
            rows_of(&big)
        );
        let run = Instant::now();
        let r = c.send("GET", &cron, &[], None);
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "ok"),
            "the purge run raised"
        );
        runs.push(run.elapsed());
    }
    assert_eq!(
        rows_of(&big),
        json!({
            "tokens": 0, "events": 0, "activation": 0, "employee_refs": 0, "user_emails": 0,
            "users": 0, "attribute_names": 0, "attributes": 0, "tenants": 0, "tenant_purges": 0
        })
    );
    // Run again: nothing to do, nothing fails.
    let r = c.send("GET", &cron, &[], None);
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));

    // The other tenant has all it had.
    let other_after = (
        c.scim(&other.token, "GET", &other_user, None).json(),
        r::activity(c, &other.id, &[]),
        rows_of(&other.id),
    );
    assert_eq!(other_after, other_before);

    let left = total(&after_request);
    eprintln!(
        "purge of {EMPLOYEES} employees ({} rows): the DELETE answered in {answered:?}, leaving {left} \
         rows; Cron Trigger runs until none was left: {runs:?}; the worker's log:\n{}",
        total(&before),
        purge_log(log_from).join("\n")
    );
}
