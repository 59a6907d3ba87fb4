//! The mass-deactivation guard on the host (DESIGN §4): the window arithmetic and the counting
//! rules (each exclusion), and eligibility at time T with held, applied, dismissed, cleared and
//! automatically applied changes, at exact times. (End to end: `tests/e2e/guard.rs`.)

use crate::common::scenarios::reports::roster;
use crate::common::scenarios::users::okta_user;
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::auto_apply;
use scim_edge::app::erasure;
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::scim::datetime::Timestamp;
use serde_json::{json, Value};

pub(crate) const MINUTE: i64 = 60_000;
pub(crate) const DAY: i64 = 86_400_000;
pub(crate) const T0: &str = "2026-06-01T08:00:00.000Z";

pub(crate) fn ts(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().0
}

pub(crate) fn iso(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// The next request is stamped exactly `ms`.
pub(crate) fn at(app: &TestApp, ms: i64) {
    app.now.set(ms - 1);
}

pub(crate) fn create(app: &TestApp, t: &Tenant, name: &str, active: bool) -> String {
    let mut body = okta_user(name);
    body["active"] = json!(active);
    let r = app.scim(&t.token, "POST", "/Users", Some(body));
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_string()
}

/// `n` employees created at `when`, one millisecond apart.
pub(crate) fn staff(app: &TestApp, t: &Tenant, n: usize, prefix: &str, when: i64) -> Vec<String> {
    at(app, when);
    (0..n)
        .map(|i| create(app, t, &format!("{prefix}{i}@example.com"), true))
        .collect()
}

/// Entra's deactivation (`Replace` of `active` with the string "False").
pub(crate) fn deactivate(app: &TestApp, t: &Tenant, id: &str) {
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let r = app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(body));
    r.expect(200);
    assert_eq!(r.json()["active"], json!(false), "SCIM follows the IdP");
}

pub(crate) fn reactivate(app: &TestApp, t: &Tenant, id: &str) {
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "Replace", "path": "active", "value": "True" }] });
    app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(body))
        .expect(200);
}

pub(crate) fn delete(app: &TestApp, t: &Tenant, id: &str) {
    app.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect(204);
}

pub(crate) fn guard(app: &TestApp, t: &Tenant) -> Value {
    let r = app.admin("GET", &format!("/tenants/{}/guard", t.id), None);
    r.expect(200);
    r.json()
}

pub(crate) fn tripped(app: &TestApp, t: &Tenant) -> bool {
    guard(app, t)["tripped"].as_bool().unwrap()
}

pub(crate) fn settings(app: &TestApp, t: &Tenant, guard: Value) {
    app.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "guard": guard })),
    )
    .expect(200);
}

/// The roster line of `id` at `when`, or None.
fn line(app: &TestApp, t: &Tenant, id: &str, when: i64) -> Option<Value> {
    let body = roster(app, &t.id, &[("at", &iso(when)), ("limit", "1000")]);
    body["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == json!(id))
        .cloned()
}

/// (listed, eligible) totals of the roster at `when`.
pub(crate) fn totals(app: &TestApp, t: &Tenant, when: i64) -> (i64, i64) {
    let all = roster(app, &t.id, &[("at", &iso(when))])["total"]
        .as_i64()
        .unwrap();
    let eligible = roster(app, &t.id, &[("at", &iso(when)), ("eligible", "true")])["total"]
        .as_i64()
        .unwrap();
    (all, eligible)
}

#[test]
fn the_guard_trips_past_both_thresholds_within_the_window() {
    let app = TestApp::new();
    let t = app.new_tenant("Window");
    let start = ts(T0);
    let ids = staff(&app, &t, 300, "w", start);
    // 25 of 300 within an hour: at least 20, but not more than 10 % (30): no trip.
    let burst = start + DAY;
    for (i, id) in ids[..25].iter().enumerate() {
        at(&app, burst + i as i64 * MINUTE);
        deactivate(&app, &t, id);
    }
    assert!(!tripped(&app, &t));
    // 6 more at burst + 61 min (+ i ms): the window (burst + 1 min + i, ...] holds deactivations
    // 2..24 of the first 25 (23) and these: 29 at most, against the 298 eligible at its start
    // (two had left by then): not more than 10 %.
    for (i, id) in ids[25..31].iter().enumerate() {
        at(&app, burst + 61 * MINUTE + i as i64);
        deactivate(&app, &t, id);
    }
    assert!(!tripped(&app, &t), "{}", guard(&app, &t));
    // At burst + 62 min the window starts at burst + 2 min: 22 + 6 + 1 = 29 of 297, no trip;
    // one more a millisecond later is 30 of 297 (> 29.7): tripped.
    let t1 = burst + 62 * MINUTE;
    at(&app, t1);
    deactivate(&app, &t, &ids[31]);
    assert!(!tripped(&app, &t), "{}", guard(&app, &t));
    at(&app, t1 + 1);
    deactivate(&app, &t, &ids[32]);
    assert!(tripped(&app, &t));
    let g = guard(&app, &t);
    let trip = &g["trip"];
    assert_eq!(trip["eligible_before"], json!(297), "{g}");
    assert_eq!(trip["losses"], json!(30), "{g}");
    assert_eq!(
        trip["window_start"],
        json!(iso(t1 + 1 - 60 * MINUTE)),
        "{g}"
    );
    assert_eq!(trip["clients"], json!([]), "no User-Agent sent: {g}");
    // Holding is retroactive within the window: every loss of the window is held.
    let window_start = Timestamp::parse_rfc3339(trip["window_start"].as_str().unwrap())
        .unwrap()
        .0;
    let held: Vec<&Value> = g["held"].as_array().unwrap().iter().collect();
    for h in &held {
        let received = ts(h["received_at"].as_str().unwrap());
        assert!(received > window_start, "{h}");
    }
    assert_eq!(g["held_employees"], json!(held.len()));
    assert_eq!(held.len() as i64, trip["losses"].as_i64().unwrap());
}

#[test]
fn what_the_guard_does_not_count() {
    let app = TestApp::new();
    let t = app.new_tenant("Exclusions");
    let start = ts(T0);
    let ids = staff(&app, &t, 100, "e", start);
    // Deactivated long ago: their deletions now are not losses.
    at(&app, start + MINUTE);
    for id in &ids[..30] {
        deactivate(&app, &t, id);
    }
    assert!(tripped(&app, &t), "30 of 100 in a minute trips it");
    app.admin("POST", &format!("/tenants/{}/guard/apply", t.id), None)
        .expect(200);
    assert!(!tripped(&app, &t));
    let later = start + DAY;
    at(&app, later);
    // Entra's first sync: many creates with active false.
    for i in 0..40 {
        create(&app, &t, &format!("new{i}@example.com"), false);
    }
    // Deletes of already inactive employees.
    for id in &ids[..30] {
        delete(&app, &t, id);
    }
    assert!(!tripped(&app, &t), "{}", guard(&app, &t));
    // A deactivation then a delete of the same employee counts once: 10 deactivated and
    // deleted, then 9 more deactivated, are 19 employees (< 20), not 29.
    for id in &ids[30..40] {
        deactivate(&app, &t, id);
        delete(&app, &t, id);
    }
    for id in &ids[40..49] {
        deactivate(&app, &t, id);
    }
    assert!(!tripped(&app, &t), "{}", guard(&app, &t));
    // The 20th employee trips it (20 > 10 % of the 70 eligible at the window's start).
    deactivate(&app, &t, &ids[49]);
    let g = guard(&app, &t);
    assert_eq!(g["trip"]["losses"], json!(20), "{g}");
    assert_eq!(g["trip"]["eligible_before"], json!(70), "{g}");
    // The deleted ones are held with their deactivations; not purged while held.
    let held_deletions = g["held"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["change"] == json!("delete"))
        .count();
    assert_eq!(held_deletions, 10, "{g}");
    let due = block_on(erasure::purge_due(
        &app.store,
        Timestamp(later + 400 * DAY),
        &mut SeededRandom(4),
    ))
    .unwrap();
    // The 30 deleted while inactive are purged; the 10 held deletions are never due.
    assert_eq!(due.employees, 30);
    let kept = app
        .admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None)
        .json();
    assert_eq!(kept["total"], json!(10), "{kept}");
    // Off: no trip, whatever the count.
    let other = app.new_tenant("Off");
    settings(&app, &other, json!({ "enabled": false }));
    let staff_off = staff(&app, &other, 30, "off", later + DAY);
    for id in &staff_off {
        deactivate(&app, &other, id);
    }
    assert!(!tripped(&app, &other));
}

#[test]
fn eligibility_at_t_with_held_applied_dismissed_cleared_and_auto_applied_changes() {
    let app = TestApp::new();
    let start = ts(T0);
    let burst = start + DAY;
    // The same burst in three tenants: 30 of 100 deactivated one second apart.
    let run = |name: &str| {
        let t = app.new_tenant(name);
        let ids = staff(&app, &t, 100, name, start);
        for (i, id) in ids[..30].iter().enumerate() {
            at(&app, burst + i as i64 * 1_000);
            deactivate(&app, &t, id);
        }
        (t, ids)
    };
    let received = |i: usize| burst + i as i64 * 1_000;
    let after = burst + 31_000;

    // Held: everyone is eligible, the 30 marked held, inactive as the IdP says.
    let (a, a_ids) = run("apply");
    assert!(tripped(&app, &a));
    assert_eq!(totals(&app, &a, after), (100, 100));
    let held = line(&app, &a, &a_ids[3], after).unwrap();
    assert_eq!(
        (
            &held["active"],
            &held["eligible"],
            &held["held"],
            &held["overridden"]
        ),
        (&json!(false), &json!(true), &json!(true), &json!(false)),
        "{held}"
    );
    // A reactivation clears one hold: eligible throughout.
    at(&app, after + 1_000);
    reactivate(&app, &a, &a_ids[29]);
    let cleared = line(&app, &a, &a_ids[29], after).unwrap();
    assert_eq!(
        (&cleared["eligible"], &cleared["held"]),
        (&json!(true), &json!(false))
    );
    // Apply: the held changes count from the times they were received.
    at(&app, after + 2 * MINUTE);
    let applied = app.admin("POST", &format!("/tenants/{}/guard/apply", a.id), None);
    applied.expect(200);
    assert_eq!(applied.json()["applied"], json!(29), "{}", applied.json());
    assert!(!tripped(&app, &a));
    assert_eq!(totals(&app, &a, after), (100, 71));
    for i in [0, 3, 19, 28] {
        let id = &a_ids[i];
        assert_eq!(
            line(&app, &a, id, received(i) - 1).unwrap()["eligible"],
            json!(true)
        );
        let then = line(&app, &a, id, received(i)).unwrap();
        assert_eq!(
            (&then["eligible"], &then["held"]),
            (&json!(false), &json!(false)),
            "{then}"
        );
    }
    let entries = app
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=apply", a.id),
            None,
        )
        .json();
    assert_eq!(
        entries["entries"].as_array().unwrap().len(),
        29,
        "{entries}"
    );
    let trip_entries = app
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=guard", a.id),
            None,
        )
        .json();
    assert_eq!(
        trip_entries["entries"].as_array().unwrap().len(),
        1,
        "{trip_entries}"
    );

    // Dismiss: eligible, overridden, at every time.
    let (d, d_ids) = run("dismiss");
    at(&app, after + 2 * MINUTE);
    let dismissed = app.admin("POST", &format!("/tenants/{}/guard/dismiss", d.id), None);
    dismissed.expect(200);
    assert_eq!(
        dismissed.json()["dismissed"],
        json!(30),
        "{}",
        dismissed.json()
    );
    assert!(!tripped(&app, &d));
    for when in [received(0), after, after + DAY] {
        assert_eq!(totals(&app, &d, when), (100, 100), "at {}", iso(when));
    }
    let o = line(&app, &d, &d_ids[5], after + DAY).unwrap();
    assert_eq!(
        (&o["active"], &o["eligible"], &o["overridden"], &o["held"]),
        (&json!(false), &json!(true), &json!(true), &json!(false)),
        "{o}"
    );
    // SCIM still says inactive.
    let u = app
        .scim(&d.token, "GET", &format!("/Users/{}", d_ids[5]), None)
        .json();
    assert_eq!(u["active"], json!(false));

    // Nobody decides: applied by themselves after 7 days, as of their received times.
    let (n, n_ids) = run("auto");
    let trip = guard(&app, &n)["trip"].clone();
    let due = ts(trip["auto_apply_at"].as_str().unwrap());
    assert_eq!(due, ts(trip["tripped_at"].as_str().unwrap()) + 7 * DAY);
    let early = block_on(auto_apply::apply_due(
        &app.store,
        Timestamp(due - 1),
        &mut SeededRandom(5),
    ))
    .unwrap();
    assert!(early.is_empty());
    assert!(tripped(&app, &n));
    let done = block_on(auto_apply::apply_due(
        &app.store,
        Timestamp(due),
        &mut SeededRandom(5),
    ))
    .unwrap();
    assert_eq!(done.len(), 1);
    assert!(!tripped(&app, &n));
    assert_eq!(totals(&app, &n, after), (100, 70));
    assert_eq!(
        line(&app, &n, &n_ids[7], received(7)).unwrap()["eligible"],
        json!(false)
    );
    let auto_entries = app
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=apply", n.id),
            None,
        )
        .json();
    assert_eq!(
        auto_entries["entries"][0]["client"],
        json!(auto_apply::AUTO_CLIENT)
    );
    // The tenants never touched each other's holds.
    assert_eq!(totals(&app, &d, after), (100, 100));
}

#[test]
fn a_dismissed_deletion_restores_the_employee_and_an_applied_one_starts_its_retention() {
    let app = TestApp::new();
    let start = ts(T0);
    let t = app.new_tenant("Deletes");
    settings(&app, &t, json!({ "minimum": 5 }));
    let ids = staff(&app, &t, 20, "del", start);
    let burst = start + DAY;
    for (i, id) in ids[..6].iter().enumerate() {
        at(&app, burst + i as i64 * 1_000);
        delete(&app, &t, id);
    }
    // 6 of 20 (> 10 %, ≥ 5): held. Gone to SCIM, eligible in the roster.
    assert!(tripped(&app, &t));
    app.scim(&t.token, "GET", &format!("/Users/{}", ids[0]), None)
        .expect_scim_error(404, None);
    let after = burst + 10_000;
    assert_eq!(totals(&app, &t, after), (20, 20));
    let gone = line(&app, &t, &ids[0], after).unwrap();
    assert_eq!(
        (&gone["eligible"], &gone["held"]),
        (&json!(true), &json!(true)),
        "{gone}"
    );
    // Dismiss two: restored, active, eligible.
    at(&app, after);
    let r = app.admin(
        "POST",
        &format!("/tenants/{}/guard/dismiss", t.id),
        Some(json!({ "users": [ids[0], ids[1]] })),
    );
    r.expect(200);
    assert_eq!(
        r.json()["restored"],
        json!([ids[0], ids[1]]),
        "{}",
        r.json()
    );
    let back = app.scim(&t.token, "GET", &format!("/Users/{}", ids[0]), None);
    back.expect(200);
    assert_eq!(back.json()["active"], json!(true));
    assert!(tripped(&app, &t), "four deletions are still held");
    // Apply the rest: the retention starts now, not at the deletion.
    at(&app, after + DAY);
    app.admin("POST", &format!("/tenants/{}/guard/apply", t.id), None)
        .expect(200);
    assert!(!tripped(&app, &t));
    let list = app
        .admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None)
        .json();
    for d in list["deleted_employees"].as_array().unwrap() {
        assert_eq!(
            ts(d["purge_at"].as_str().unwrap()),
            after + DAY + 30 * DAY,
            "{d}"
        );
    }
    // The four applied are gone from their deletion on; the two dismissed never were.
    assert_eq!(totals(&app, &t, after), (16, 16));
    assert_eq!(totals(&app, &t, burst - 1), (20, 20));
}

#[test]
fn guard_settings_are_validated() {
    let app = TestApp::new();
    let t = app.new_tenant("Settings");
    let path = format!("/tenants/{}", t.id);
    let g = app.admin("GET", &path, None).json()["guard"].clone();
    assert_eq!(
        g,
        json!({ "enabled": true, "percent": 10, "minimum": 20, "window_minutes": 60, "auto_apply_days": 7 })
    );
    for bad in [
        json!({ "percent": 0 }),
        json!({ "percent": 101 }),
        json!({ "minimum": 0 }),
        json!({ "window_minutes": 0 }),
        json!({ "window_minutes": 10_081 }),
        json!({ "auto_apply_days": -1 }),
        json!({ "enabled": "yes" }),
        json!({ "threshold": 5 }),
        json!(5),
    ] {
        app.admin("PATCH", &path, Some(json!({ "guard": bad })))
            .expect_admin_error(400, "invalid_request");
    }
    let set = app.admin(
        "PATCH",
        &path,
        Some(json!({ "guard": { "percent": 25, "auto_apply_days": 0 } })),
    );
    assert_eq!(set.json()["guard"]["percent"], json!(25));
    assert_eq!(set.json()["guard"]["auto_apply_days"], json!(0));
    let reset = app.admin(
        "PATCH",
        &path,
        Some(json!({ "guard": { "percent": null } })),
    );
    assert_eq!(reset.json()["guard"]["percent"], json!(10));
    app.admin(
        "POST",
        &format!("/tenants/{}/guard/apply", t.id),
        Some(json!({ "users": "everyone" })),
    )
    .expect_admin_error(400, "invalid_request");
    app.admin("GET", "/tenants/tnt_00000000000000000000/guard", None)
        .expect_admin_error(404, "not_found");
}

/// What every deactivation and deletion adds to its batch reaches its rows by indexes: a scan
/// of the tenant-wide tables would make every deactivation as slow as the database is large.
#[test]
fn the_guard_statements_of_every_write_are_index_backed() {
    use scim_edge::model::{TenantId, TokenHash};
    use scim_edge::store::guard::{self, Actor, Selection};
    let app = TestApp::new();
    let hash = TokenHash::of("scim_x");
    let tenant = TenantId::new("t");
    let by = Actor {
        at: Timestamp(ts(T0)),
        request_id: "r",
        client: Some("c"),
    };
    let mut stmts = guard::check(&hash, &by);
    stmts.extend(guard::apply(&tenant, Selection::Users("[\"u\"]"), &by));
    stmts.extend(guard::dismiss_deactivations(&tenant, Selection::All, &by));
    for (k, stmt) in stmts.into_iter().enumerate() {
        let steps = app.plan(&stmt);
        // The count and the trip check count the window's losses by their own index: by time
        // alone they would read every create of the window too (a tenant provisioned within the
        // hour: all of them, on every deactivation; measured with `cargo run --release --example
        // batch_cost`: 1.8 ms at 10,000 employees, 23 µs by the losses' index). The count reads
        // by time only the rows between two window starts, bounded on both sides
        // (`guard_count::the_carried_count_reads_the_rows_between_two_counts_not_the_tenant`).
        if k <= 1 {
            assert!(
                steps
                    .iter()
                    .filter(|s| s.contains("activation_by_time"))
                    .all(|s| k == 0 && s.contains("(tenant_id=? AND at>? AND at<?)")),
                "the window's losses counted by time in {steps:#?} of {}",
                stmt.sql
            );
            assert!(
                steps.iter().any(|s| s.contains("activation_losses")),
                "{steps:#?}"
            );
        }
        // Only the count reads the whole tenant's history, and only without a count kept (then
        // it keeps one) and when the window's losses have reached the minimum.
        if k > 0 {
            assert!(
                !steps
                    .iter()
                    .any(|s| s.contains("activation_state (tenant_id=?)")),
                "a walk over the tenant's history in {steps:#?} of {}",
                stmt.sql
            );
        }
        for table in [
            "activation",
            "activity",
            "deleted_users",
            "users",
            "guard_trips",
        ] {
            assert!(
                !steps.iter().any(|s| s.starts_with(&format!("SCAN {table}"))
                    || s.starts_with(&format!("SCAN {} ", &table[..1]))),
                "a scan of {table} in {steps:#?} of {}",
                stmt.sql
            );
        }
    }
}
