//! Recoverable deletes on the host (DESIGN §4): what needs the fixed clock or the database — the
//! roster at exact times across delete, restore and purge; the retention's purge job at times
//! before and after the retention, per tenant; what a purge leaves in the tables; and the plans
//! of the new statements. (The scenarios both suites run are in `common::scenarios::deleted`.)

use crate::common::scenarios::reports::{roster, state_at};
use crate::common::scenarios::users::okta_user;
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::erasure::{self, RETENTION_CLIENT};
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::model::{TenantId, UserId};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::deleted::{self as sql, Purging};
use scim_edge::store::{After, Stmt};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn ts(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().0
}

/// Sends the next request at exactly `at` (the test clock adds 1 ms per request).
fn at(app: &TestApp, at: &str) {
    app.now.set(ts(at) - 1);
}

fn create(app: &TestApp, t: &Tenant, name: &str) -> String {
    let r = app.scim(&t.token, "POST", "/Users", Some(okta_user(name)));
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_string()
}

fn set_active(app: &TestApp, t: &Tenant, id: &str, active: bool) {
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "value": { "active": active } }] });
    app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(body))
        .expect(200);
}

fn delete(app: &TestApp, t: &Tenant, id: &str) {
    app.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect(204);
}

fn restore(app: &TestApp, t: &Tenant, id: &str) {
    app.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{id}/restore", t.id),
        None,
    )
    .expect(200);
}

fn count(app: &TestApp, sql: &str, params: &[&str]) -> i64 {
    app.store.with_conn(|c| {
        c.query_row(sql, rusqlite::params_from_iter(params.iter()), |r| r.get(0))
            .unwrap()
    })
}

#[test]
fn eligibility_at_t_across_delete_restore_and_purge() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    at(&app, "2026-04-01T10:00:00.000Z");
    let a = create(&app, &t, "ada@example.com");
    at(&app, "2026-04-01T10:30:00.000Z");
    let b = create(&app, &t, "bob@example.com");
    at(&app, "2026-04-01T11:00:00.000Z");
    set_active(&app, &t, &a, false);
    at(&app, "2026-04-01T12:00:00.000Z");
    delete(&app, &t, &a);
    // Restored inactive, as it was when deleted; reactivated; deleted again, then purged.
    at(&app, "2026-04-01T13:00:00.000Z");
    restore(&app, &t, &a);
    at(&app, "2026-04-01T14:00:00.000Z");
    set_active(&app, &t, &a, true);
    at(&app, "2026-04-01T15:00:00.000Z");
    delete(&app, &t, &a);

    type State = Option<(bool, &'static str)>;
    // T, A's state at T (None: not listed), and the totals (all, eligible).
    let table: [(&str, State, [i64; 2]); 12] = [
        ("2026-04-01T09:59:59.999Z", None, [0, 0]),
        (
            "2026-04-01T10:00:00.000Z",
            Some((true, "2026-04-01T10:00:00.000Z")),
            [1, 1],
        ),
        (
            "2026-04-01T10:59:59.999Z",
            Some((true, "2026-04-01T10:00:00.000Z")),
            [2, 2],
        ),
        (
            "2026-04-01T11:00:00.000Z",
            Some((false, "2026-04-01T11:00:00.000Z")),
            [2, 1],
        ),
        (
            "2026-04-01T11:59:59.999Z",
            Some((false, "2026-04-01T11:00:00.000Z")),
            [2, 1],
        ),
        // Deleted: not eligible, not listed, until the restore.
        ("2026-04-01T12:00:00.000Z", None, [1, 1]),
        ("2026-04-01T12:59:59.999Z", None, [1, 1]),
        (
            "2026-04-01T13:00:00.000Z",
            Some((false, "2026-04-01T13:00:00.000Z")),
            [2, 1],
        ),
        (
            "2026-04-01T14:00:00.000Z",
            Some((true, "2026-04-01T14:00:00.000Z")),
            [2, 2],
        ),
        (
            "2026-04-01T14:59:59.999Z",
            Some((true, "2026-04-01T14:00:00.000Z")),
            [2, 2],
        ),
        ("2026-04-01T15:00:00.000Z", None, [1, 1]),
        ("2026-04-02T00:00:00.000Z", None, [1, 1]),
    ];
    let check = |named: Option<&str>| {
        for (when, state, [all, eligible]) in table {
            let owned = state.map(|(a, c)| (a, c.to_string()));
            assert_eq!(state_at(&app, &t.id, &a, Some(when)), owned, "A at {when}");
            let listed = roster(&app, &t.id, &[("at", when)]);
            assert_eq!(listed["total"], json!(all), "total at {when}: {listed}");
            let only = roster(&app, &t.id, &[("at", when), ("eligible", "true")]);
            assert_eq!(only["total"], json!(eligible), "eligible at {when}: {only}");
            if state.is_some() {
                let line = listed["employees"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["id"] == json!(a))
                    .unwrap()
                    .clone();
                assert_eq!(line["userName"], json!(named), "at {when}: {line}");
                assert_eq!(line["purged"], json!(named.is_none()), "at {when}: {line}");
            }
        }
        // B, never deleted, is there from 10:30 on throughout.
        assert_eq!(
            state_at(&app, &t.id, &b, Some("2026-04-01T12:30:00.000Z")),
            Some((true, "2026-04-01T10:30:00.000Z".to_string()))
        );
    };
    check(Some("ada@example.com"));
    // Purged at once: the same states and counts, without her name. The roster orders a purged
    // employee first (no name left to order by).
    at(&app, "2026-04-01T16:00:00.000Z");
    app.admin(
        "DELETE",
        &format!("/tenants/{}/deleted-employees/{a}", t.id),
        None,
    )
    .expect(204);
    check(None);
    let then = roster(&app, &t.id, &[("at", "2026-04-01T14:30:00.000Z")]);
    assert_eq!(then["employees"][0]["id"], json!(a), "{then}");
    assert_eq!(then["employees"][1]["id"], json!(b), "{then}");
}

#[test]
fn the_retention_job_purges_each_tenant_at_its_own_retention() {
    let app = TestApp::new();
    let short = app.new_tenant("Short");
    let long = app.new_tenant("Long");
    app.admin(
        "PATCH",
        &format!("/tenants/{}", short.id),
        Some(json!({ "deleted_retention_days": 1 })),
    )
    .expect(200);
    at(&app, "2026-05-01T09:00:00.000Z");
    let kept = create(&app, &short, "kept@example.com");
    let mut gone = Vec::new();
    for i in 0..3 {
        gone.push(create(&app, &short, &format!("gone{i}@example.com")));
    }
    let other = create(&app, &long, "other@example.com");
    at(&app, "2026-05-01T10:00:00.000Z");
    for id in &gone {
        delete(&app, &short, id);
    }
    delete(&app, &long, &other);
    let deleted_at = ts("2026-05-01T10:00:00.000Z");

    let run = |now: i64| {
        block_on(erasure::purge_due(
            &app.store,
            Timestamp(now),
            &mut SeededRandom(9),
        ))
        .unwrap()
    };
    // Before the retention is over: nothing.
    let early = run(deleted_at + DAY - 1_000);
    assert_eq!((early.employees, early.more), (0, false));
    // Past it: the short tenant's three, and nothing of the other tenant (30 days).
    let due = run(deleted_at + DAY + 10);
    assert_eq!(due.employees, 3);
    assert_eq!(due.tenants, vec![TenantId::new(short.id.clone())]);
    let kept_rows = |t: &Tenant| {
        count(
            &app,
            "SELECT count(*) FROM deleted_users WHERE tenant_id = ?1",
            &[&t.id],
        )
    };
    assert_eq!((kept_rows(&short), kept_rows(&long)), (0, 1));
    // Each purge is logged: client "retention", no token, one run's request id.
    let log = app
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=purge", short.id),
            None,
        )
        .json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{log}");
    for e in entries {
        assert_eq!(e["client"], json!(RETENTION_CLIENT), "{e}");
        assert_eq!(e["token_id"], Value::Null, "{e}");
        assert_eq!(e["request_id"], entries[0]["request_id"], "{e}");
        assert!(gone.contains(&e["user_id"].as_str().unwrap().to_string()));
    }
    // What is left of a purged employee: the ids and times of its history, nameless.
    for id in &gone {
        let named = count(
            &app,
            "SELECT count(*) FROM activation WHERE user_id = ?1 AND (user_name IS NOT NULL OR email IS NOT NULL)",
            &[id],
        );
        let history = count(
            &app,
            "SELECT count(*) FROM activation WHERE user_id = ?1",
            &[id],
        );
        let personal = count(
            &app,
            "SELECT (SELECT count(*) FROM users WHERE id = ?1) + (SELECT count(*) FROM user_emails WHERE user_id = ?1) \
             + (SELECT count(*) FROM employee_refs WHERE user_id = ?1 OR target_id = ?1) \
             + (SELECT count(*) FROM activity WHERE user_id = ?1 AND (user_name IS NOT NULL OR changes IS NOT NULL))",
            &[id],
        );
        assert_eq!((named, history, personal), (0, 2, 0), "{id}");
    }
    // The other tenant's, and the one never deleted, are untouched; the next run has nothing.
    app.scim(&short.token, "GET", &format!("/Users/{kept}"), None)
        .expect(200);
    assert_eq!(run(deleted_at + DAY + 20).employees, 0);
    let late = run(deleted_at + 30 * DAY + 10);
    assert_eq!(late.tenants, vec![TenantId::new(long.id.clone())]);
    assert_eq!(kept_rows(&long), 0);
}

#[test]
fn a_backlog_larger_than_a_batch_is_purged_in_bounded_batches() {
    let app = TestApp::new();
    let t = app.new_tenant("Big");
    app.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        // (So many deletions in a row would trip the eligibility guard, which holds deletions.)
        Some(json!({ "deleted_retention_days": 0, "guard": { "enabled": false } })),
    )
    .expect(200);
    let n = erasure::CHUNK as usize * 2 + 50;
    for i in 0..n {
        let id = create(&app, &t, &format!("e{i}@example.com"));
        delete(&app, &t, &id);
    }
    let batches_before = app.batches.get();
    let now = app.now().add_millis(1);
    let done = block_on(erasure::purge_due(&app.store, now, &mut SeededRandom(3))).unwrap();
    assert_eq!((done.employees, done.more), (n as i64, false));
    assert_eq!(count(&app, "SELECT count(*) FROM deleted_users", &[]), 0);
    // The job wrote through the store directly (not counted as the app's batches).
    assert_eq!(app.batches.get(), batches_before);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM activity WHERE operation = 'purge' AND tenant_id = ?1",
            &[&t.id]
        ),
        n as i64
    );
}

#[test]
fn deleted_employee_statements_are_index_backed() {
    let app = TestApp::new();
    let t = TenantId::new("t");
    let now = Timestamp::parse_rfc3339("2026-01-01T00:00:00.000Z").unwrap();
    let after = After {
        created: now,
        id: "u".into(),
    };
    let due = Purging::Due { now, limit: 200 };
    let id = UserId::new("u1");
    let table: Vec<(&str, Stmt, &str)> = vec![
        (
            "list",
            sql::list_deleted(&t, Some(&after), 101).stmt().clone(),
            "deleted_users_by_time",
        ),
        (
            "tenants due",
            sql::tenants_due(now, 50).stmt().clone(),
            "deleted_users_due",
        ),
        (
            "due count",
            sql::purge_count(&t, due).stmt().clone(),
            "deleted_users_due_by_tenant",
        ),
        (
            "one",
            sql::purge_count(&t, Purging::One(&id)).stmt().clone(),
            "sqlite_autoindex_deleted_users_1",
        ),
    ];
    for (what, stmt, used) in table {
        let steps = app.plan(&stmt);
        assert!(
            steps.iter().any(|s| s.contains(used)),
            "{what}: {used} not in {steps:#?}"
        );
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN deleted_users")),
            "{what}: a scan in {steps:#?}"
        );
    }
    // Every statement of a purge reaches its rows by an index.
    for stmt in sql::purge(
        &t,
        due,
        &sql::Purger {
            at: now,
            request_id: "r",
            client: "retention",
        },
    ) {
        let steps = app.plan(&stmt);
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN ")),
            "a scan in {steps:#?} of {}",
            stmt.sql
        );
    }
}
