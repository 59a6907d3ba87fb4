//! Deleting a tenant of 20,000 employees under `wrangler dev` (DESIGN §3): the answer is 204, its
//! tokens fail and the admin API answers 404 from the next request on, and its data is purged in
//! steps: the first ones within the request, the rest by the purge Cron Trigger, which the test
//! drives through wrangler's `/cdn-cgi/handler/scheduled`, until the tenant leaves
//! `GET /admin/v1/purges` (its entry goes in the statement that checks that none of its rows is
//! left). Another tenant keeps all it had.
//!
//! The tenant is seeded by `scripts/test.sh` before the worker starts
//! (`tests/e2e/seed/purge_20000.sql`, `SCIM_EDGE_BIG_TENANT`): creating 20,000 employees over
//! HTTP would take minutes. After the suite, with the worker stopped, `scripts/test.sh` also reads
//! the local D1 itself and fails if any row of the tenant is left. (Reading it while the worker
//! runs is no option: another process opening the database competes for its write lock, and the
//! worker's writes would fail with SQLITE_BUSY.)

use crate::common::scenarios::reports as r;
use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::cron::dated_runs;
use crate::http_client::worker;
use scim_edge::app::purge::PURGE_CRON;
use serde_json::{json, Value};
use std::time::Instant;

const EMPLOYEES: u64 = 20_000;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the suite with `make test`"))
}

/// Whether the admin API lists `tenant` among the purges not yet finished (every page).
fn purging(c: &impl Client, tenant: &str) -> bool {
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(k) => format!("/purges?limit=1000&cursor={k}"),
            None => "/purges?limit=1000".to_string(),
        };
        let page = c.admin("GET", &path, None);
        page.expect(200);
        let body = page.json();
        if body["purges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["tenant"] == json!(tenant))
        {
            return true;
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return false,
        }
    }
}

/// The purge's lines in the worker's log since byte `from` (what each Cron Trigger run did).
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
    // The other tests' Cron Trigger runs purge too: one between the DELETE and the check below
    // would finish what the request left (and this test's runs act on every tenant).
    let _turn = dated_runs();

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
    assert!(!purging(c, &big));

    // Another tenant, with an employee and its log.
    let other = c.new_tenant(&unique("Bystander "));
    let name = format!("{}@example.com", unique("kept."));
    let created = c.scim(&other.token, "POST", "/Users", Some(okta_user(&name)));
    created.expect(201);
    let other_user = format!("/Users/{}", created.json()["id"].as_str().unwrap());
    let snapshot = |c: &crate::http_client::Worker| -> (Value, Value, Value) {
        (
            c.scim(&other.token, "GET", &other_user, None).json(),
            c.scim(&other.token, "GET", "/Users", None).json(),
            r::activity(c, &other.id, &[]),
        )
    };
    let other_before = snapshot(c);

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
    c.admin("GET", &format!("/tenants/{big}/employees"), None)
        .expect_admin_error(404, "not_found");
    c.admin("DELETE", &format!("/tenants/{big}"), None)
        .expect_admin_error(404, "not_found");

    // The request's budget (50 steps at most) is less than this purge needs (users alone take 40
    // steps of 500, and every other table steps of its own): it is left to the Cron Trigger.
    assert!(
        purging(c, &big),
        "the purge was finished within the request"
    );

    // The purge Cron Trigger, run until the purge is over.
    let cron = format!(
        "/cdn-cgi/handler/scheduled?cron={}",
        PURGE_CRON.replace(' ', "+")
    );
    let mut runs = Vec::new();
    while purging(c, &big) {
        assert!(runs.len() < 10, "still purging after runs of {runs:?}");
        let run = Instant::now();
        let r = c.send("GET", &cron, &[], None);
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "ok"),
            "the purge run raised"
        );
        runs.push(run.elapsed());
    }
    // Run again: nothing to do, nothing fails.
    let r = c.send("GET", &cron, &[], None);
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));

    // The other tenant has all it had.
    assert_eq!(snapshot(c), other_before);

    eprintln!(
        "purge of {EMPLOYEES} employees: the DELETE answered in {answered:?}; Cron Trigger runs \
         until the purge was over: {runs:?}; the worker's log:\n{}",
        purge_log(log_from).join("\n")
    );
}
