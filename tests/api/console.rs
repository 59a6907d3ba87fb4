//! The console's admin API on the host (issue 23): what needs the fixed clock or the database
//! itself — the export's pages, the search column's backfill by the refold job, the bound on
//! unmatched names, `last_received` at most once an hour, SCIM names in any script. (The
//! scenarios both suites run are in `common::scenarios::console`.)

use crate::common::scenarios::custom::PEAKON;
use crate::common::scenarios::users::{okta_user, CORE};
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::admin_api::export::PAGE;
use scim_edge::app::maintenance::refold;
use scim_edge::app::plumbing::ids::SeededRandom;
use serde_json::{json, Value};

fn query_one(app: &TestApp, sql: &str) -> Option<String> {
    app.store.with_conn(|c| {
        c.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
            .unwrap()
    })
}

fn with_ext(user: &str, ext: Value) -> Value {
    let mut body = okta_user(user);
    body["schemas"] = json!([CORE, PEAKON]);
    body[PEAKON] = ext;
    body
}

#[test]
fn an_export_larger_than_a_page_is_read_a_page_per_batch() {
    let app = TestApp::new();
    let t = app.new_tenant("Big");
    let n = PAGE as usize * 2 + 3;
    for i in 0..n {
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("u{i:04}@example.com"))),
        )
        .expect(201);
    }
    let before = app.batches.get();
    let r = app.admin("GET", &format!("/tenants/{}/employees.csv", t.id), None);
    r.expect(200);
    // The first page with the answer, then one batch per further page (1,003 rows: 3 pages).
    assert_eq!(app.batches.get() - before, 3);
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 1003);
    // In userName order, each once, across the page boundaries.
    for (i, line) in lines[1..].iter().enumerate() {
        let user = format!("u{i:04}@example.com");
        assert!(line.contains(&format!(",{user},{user},")), "{i}: {line}");
    }
}

#[test]
fn the_refold_job_fills_the_search_words_of_rows_written_before_them() {
    let app = TestApp::new();
    let t = app.new_tenant("Old");
    let mut body = okta_user("jn@example.com");
    body["name"] = json!({"givenName": "José", "familyName": "Núñez"});
    app.scim(&t.token, "POST", "/Users", Some(body)).expect(201);
    assert_eq!(
        query_one(&app, "SELECT search FROM users").as_deref(),
        Some(" jose nunez isaac brock jn@example.com")
    );
    // As migration 0016 leaves a row written before it.
    app.store.with_conn(|c| {
        c.execute_batch("UPDATE users SET search = NULL, fold_stale = 1")
            .unwrap()
    });
    let found = |app: &TestApp| {
        app.admin("GET", &format!("/tenants/{}/employees?q=nun", t.id), None)
            .json()["total"]
            .clone()
    };
    assert_eq!(found(&app), json!(0));
    let r = block_on(refold(&app.store, &mut SeededRandom(9), 5)).unwrap();
    assert_eq!((r.users, r.more), (1, false));
    assert_eq!(found(&app), json!(1));
}

#[test]
fn a_deleted_employee_is_found_in_the_roster_of_an_earlier_time() {
    let app = TestApp::new();
    let t = app.new_tenant("Gone");
    let mut body = okta_user("jn@example.com");
    body["name"] = json!({"givenName": "José", "familyName": "Núñez"});
    let id = app.scim(&t.token, "POST", "/Users", Some(body)).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = app.now().to_rfc3339();
    app.advance(10);
    app.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect(204);
    let at = before.replace(':', "%3A");
    let page = app
        .admin(
            "GET",
            &format!("/tenants/{}/employees?q=nunez&at={at}", t.id),
            None,
        )
        .json();
    assert_eq!(page["employees"][0]["id"], json!(id), "{page}");
    let now = app
        .admin("GET", &format!("/tenants/{}/employees?q=nunez", t.id), None)
        .json();
    assert_eq!(now["total"], json!(0));
}

#[test]
fn unmatched_names_are_bounded_per_tenant_the_oldest_going_first() {
    let app = TestApp::new();
    let t = app.new_tenant("Many");
    for i in 0..205 {
        app.advance(1000);
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(with_ext(
                "x@example.com",
                json!({ format!("N{i:03}"): "v" }),
            )),
        )
        .expect(400);
    }
    let h = app
        .admin("GET", &format!("/tenants/{}/attribute-health", t.id), None)
        .json();
    let names: Vec<&str> = h["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 200);
    assert_eq!(names[0], "N204");
    assert_eq!(names[199], "N005");
}

#[test]
fn last_received_is_written_at_most_once_an_hour() {
    let app = TestApp::new();
    let t: Tenant = app.new_tenant("Hourly");
    app.admin(
        "POST",
        &format!("/tenants/{}/attributes", t.id),
        Some(json!({"name": "Team", "type": "text"})),
    )
    .expect(201);
    let received = |app: &TestApp| query_one(app, "SELECT last_received FROM attributes");
    assert_eq!(received(&app), None);
    app.now.set(1_767_323_045_000 - 1); // 2026-01-02T03:04:05.000Z
    app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(with_ext("a@example.com", json!({"Team": "x"}))),
    )
    .expect(201);
    assert_eq!(received(&app).as_deref(), Some("2026-01-02T03:04:05.000Z"));
    app.advance(59 * 60 * 1000);
    app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(with_ext("b@example.com", json!({"Team": "y"}))),
    )
    .expect(201);
    assert_eq!(received(&app).as_deref(), Some("2026-01-02T03:04:05.000Z"));
    app.advance(2 * 60 * 1000);
    app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(with_ext("c@example.com", json!({"Team": "z"}))),
    )
    .expect(201);
    assert_eq!(received(&app).as_deref(), Some("2026-01-02T04:05:05.002Z"));
}

#[test]
fn an_attribute_named_in_any_script_takes_a_scim_name() {
    let app = TestApp::new();
    let t = app.new_tenant("Script");
    let path = format!("/tenants/{}/attributes", t.id);
    let e = app
        .admin("POST", &path, Some(json!({"name": "部署", "type": "text"})))
        .expect_admin_error(400, "invalid_request");
    assert!(e["detail"]
        .as_str()
        .unwrap()
        .contains("give one in \"scim_name\""));
    let created = app.admin(
        "POST",
        &path,
        Some(json!({"name": "部署", "type": "text", "scim_name": "Department"})),
    );
    created.expect(201);
    assert_eq!(created.json()["scim_name"], json!("Department"));
    app.admin(
        "POST",
        &path,
        Some(json!({"name": "Отдел", "type": "text", "scim_name": "department"})),
    )
    .expect_admin_error(409, "conflict");
    app.admin(
        "POST",
        &path,
        Some(json!({"name": "Отдел", "type": "text", "scim_name": "Отдел"})),
    )
    .expect_admin_error(400, "invalid_request");
    // IdPs send it by its SCIM name or its display name.
    let r = app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(with_ext("a@example.com", json!({"部署": "営業"}))),
    );
    r.expect(201);
    assert_eq!(r.json()[PEAKON], json!({"Department": "営業"}));
}
