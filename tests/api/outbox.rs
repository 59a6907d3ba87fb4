//! The change feed's outbox (issue 19), read straight from the database: every kind of committed
//! change to an employee writes its event in the batch of the change (SCIM create, replace,
//! update, deactivate, reactivate, delete; references removed by a deletion and brought back by
//! a restore; restore; purge; the guard's hold, apply and dismiss), a refused one none, with the
//! state after the change; and a failing batch leaves neither the change nor its event.

use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use serde_json::{json, Value};

/// (type, user_id, user_name, active, eligible, held) of the tenant's events, in seq order.
type Row = (String, String, Option<String>, bool, bool, bool);

fn events(app: &TestApp, tenant: &str) -> Vec<Row> {
    app.store.with_conn(|c| {
        let mut st = c
            .prepare(
                "SELECT type, user_id, user_name, active, eligible, held FROM employee_events \
                 WHERE tenant_id = ?1 ORDER BY seq",
            )
            .unwrap();
        st.query_map([tenant], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    })
}

fn changes_of_last(app: &TestApp, tenant: &str) -> Value {
    app.store.with_conn(|c| {
        let text: Option<String> = c
            .query_row(
                "SELECT changes FROM employee_events WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1",
                [tenant],
                |r| r.get(0),
            )
            .unwrap();
        text.map_or(Value::Null, |t| serde_json::from_str(&t).unwrap())
    })
}

fn row(kind: &str, id: &str, name: Option<&str>, active: bool, eligible: bool, held: bool) -> Row {
    (
        kind.to_string(),
        id.to_string(),
        name.map(str::to_string),
        active,
        eligible,
        held,
    )
}

fn create(app: &TestApp, t: &Tenant, name: &str) -> String {
    let r = app.scim(&t.token, "POST", "/Users", Some(okta_user(name)));
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_string()
}

fn patch_active(app: &TestApp, t: &Tenant, id: &str, active: bool) {
    let body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] });
    app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(body))
        .expect(200);
}

#[test]
fn every_scim_write_that_takes_effect_has_its_event_and_a_refused_one_none() {
    let app = TestApp::new();
    let t = app.new_tenant("Feed");
    let a = create(&app, &t, "ann@example.com");
    // Refused: the userName is taken (409), the target is absent (404): no event.
    app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user("ANN@example.com")),
    )
    .expect(409);
    app.scim(&t.token, "DELETE", "/Users/nobody", None)
        .expect(404);
    // PUT with another displayName: updated, with its changes.
    let mut body = okta_user("ann@example.com");
    body["displayName"] = json!("Ann B.");
    app.scim(&t.token, "PUT", &format!("/Users/{a}"), Some(body.clone()))
        .expect(200);
    let changes = changes_of_last(&app, &t.id);
    assert!(
        changes
            .as_array()
            .unwrap()
            .contains(&json!({ "path": "displayName", "old": "Isaac Brock", "new": "Ann B." })),
        "{changes}"
    );
    // The same PUT again changes nothing: no event.
    app.scim(&t.token, "PUT", &format!("/Users/{a}"), Some(body))
        .expect(200);
    let patch = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "title", "value": "CTO" }] });
    app.scim(&t.token, "PATCH", &format!("/Users/{a}"), Some(patch))
        .expect(200);
    patch_active(&app, &t, &a, false);
    patch_active(&app, &t, &a, true);
    app.scim(&t.token, "DELETE", &format!("/Users/{a}"), None)
        .expect(204);
    let n = Some("ann@example.com");
    assert_eq!(
        events(&app, &t.id),
        vec![
            row("employee.created", &a, n, true, true, false),
            row("employee.updated", &a, n, true, true, false),
            row("employee.updated", &a, n, true, true, false),
            row("employee.deactivated", &a, n, false, false, false),
            row("employee.reactivated", &a, n, true, true, false),
            row("employee.deleted", &a, n, false, false, false),
        ]
    );
    // Every event has the request id of its write.
    let rids: i64 = app.store.with_conn(|c| {
        c.query_row(
            "SELECT count(DISTINCT request_id) FROM employee_events WHERE tenant_id = ?1",
            [&t.id],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(rids, 6);
}

#[test]
fn a_failed_batch_leaves_neither_the_change_nor_its_event() {
    let app = TestApp::new();
    let t = app.new_tenant("Atomic");
    let a = create(&app, &t, "ann@example.com");
    // Make the activity-log insert fail inside the write's batch: the change rolls back, and
    // the event written earlier in the same batch with it.
    app.store.with_conn(|c| {
        c.execute_batch(
            "CREATE TRIGGER fail_log BEFORE INSERT ON activity WHEN NEW.operation = 'deactivate' \
             BEGIN SELECT RAISE(ABORT, 'injected'); END",
        )
        .unwrap()
    });
    let body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    let r = app.scim(&t.token, "PATCH", &format!("/Users/{a}"), Some(body));
    assert!(r.status >= 500, "{}", r.status);
    let kinds: Vec<String> = events(&app, &t.id).into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, ["employee.created"]);
    let active = app
        .scim(&t.token, "GET", &format!("/Users/{a}"), None)
        .json()["active"]
        .clone();
    assert_eq!(active, json!(true));
}

#[test]
fn references_removed_by_a_deletion_and_restore_and_purge_have_events() {
    let app = TestApp::new();
    let t = app.new_tenant("Refs");
    app.admin(
        "POST",
        &format!("/tenants/{}/attributes", t.id),
        Some(json!({ "name": "Manager", "type": "employee" })),
    )
    .expect(201);
    let boss = create(&app, &t, "boss@example.com");
    let ext = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";
    let mut body = okta_user("ann@example.com");
    body["schemas"].as_array_mut().unwrap().push(json!(ext));
    body[ext] = json!({ "Manager": "boss@example.com" });
    let r = app.scim(&t.token, "POST", "/Users", Some(body));
    r.expect(201);
    let ann = r.json()["id"].as_str().unwrap().to_string();
    let before = events(&app, &t.id).len();

    app.scim(&t.token, "DELETE", &format!("/Users/{boss}"), None)
        .expect(204);
    let feed = events(&app, &t.id);
    let (b, a) = (Some("boss@example.com"), Some("ann@example.com"));
    assert_eq!(
        feed[before..],
        [
            row("employee.updated", &ann, a, true, true, false),
            row("employee.deleted", &boss, b, false, false, false),
        ]
    );
    let removed: Value = app.store.with_conn(|c| {
        let t: String = c
            .query_row(
                "SELECT changes FROM employee_events WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1",
                [&ann],
                |r| r.get(0),
            )
            .unwrap();
        serde_json::from_str(&t).unwrap()
    });
    assert_eq!(
        removed,
        json!([{ "path": format!("{ext}:Manager"), "old": "boss@example.com", "new": null }])
    );

    app.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{boss}/restore", t.id),
        None,
    )
    .expect(200);
    assert_eq!(
        events(&app, &t.id)[before + 2..],
        [
            row("employee.updated", &ann, a, true, true, false),
            row("employee.restored", &boss, b, true, true, false),
        ]
    );
    assert_eq!(changes_of_last(&app, &t.id), Value::Null);

    // Delete, then purge: the purged event names nobody, and earlier events lose the names.
    app.scim(&t.token, "DELETE", &format!("/Users/{boss}"), None)
        .expect(204);
    app.admin(
        "DELETE",
        &format!("/tenants/{}/deleted-employees/{boss}", t.id),
        None,
    )
    .expect(204);
    let feed = events(&app, &t.id);
    assert_eq!(
        feed.last().unwrap(),
        &row("employee.purged", &boss, None, false, false, false)
    );
    assert!(
        feed.iter().filter(|e| e.1 == boss).all(|e| e.2.is_none()),
        "{feed:?}"
    );
}

#[test]
fn the_guards_hold_apply_and_dismiss_have_events_with_the_eligibility_they_leave() {
    let app = TestApp::new();
    let t = app.new_tenant("Guarded");
    app.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "guard": { "minimum": 2, "percent": 1 } })),
    )
    .expect(200);
    let ids: Vec<String> = (0..4)
        .map(|i| create(&app, &t, &format!("g{i}@example.com")))
        .collect();
    let before = events(&app, &t.id).len();
    patch_active(&app, &t, &ids[0], false);
    // The second deactivation trips the guard: both are held, the first retroactively.
    patch_active(&app, &t, &ids[1], false);
    let name = |i: usize| format!("g{i}@example.com");
    let feed = events(&app, &t.id);
    assert_eq!(
        feed[before..],
        [
            row(
                "employee.deactivated",
                &ids[0],
                Some(&name(0)),
                false,
                false,
                false
            ),
            row(
                "employee.deactivated",
                &ids[1],
                Some(&name(1)),
                false,
                false,
                false
            ),
            row("employee.held", &ids[0], Some(&name(0)), false, true, true),
            row("employee.held", &ids[1], Some(&name(1)), false, true, true),
        ]
    );
    app.admin(
        "POST",
        &format!("/tenants/{}/guard/dismiss", t.id),
        Some(json!({ "users": [ids[0]] })),
    )
    .expect(200);
    app.admin("POST", &format!("/tenants/{}/guard/apply", t.id), None)
        .expect(200);
    assert_eq!(
        events(&app, &t.id)[before + 4..],
        [
            row(
                "employee.hold_dismissed",
                &ids[0],
                Some(&name(0)),
                false,
                true,
                false
            ),
            row(
                "employee.hold_applied",
                &ids[1],
                Some(&name(1)),
                false,
                false,
                false
            ),
        ]
    );
}
