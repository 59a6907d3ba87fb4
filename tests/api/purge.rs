//! Deleting a tenant through the admin API, on the host (DESIGN §3, §7): 204; its tokens fail and
//! the admin API answers 404 from the next request on; its data is purged in bounded steps,
//! within the request for a tenant of ordinary size, by the purge job (the Cron Trigger's) for a
//! larger one; no other tenant loses anything. (The purge's own steps, interrupted after each one,
//! are tested in `app::purge`; the purge of 20,000 employees under `wrangler dev` in `tests/e2e`.)

use crate::common::scenarios::tenants::scim_accepts;
use crate::common::scenarios::users::okta_user;
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::purge::{self, Budget};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::tenants::TENANT_TABLES;
use serde_json::json;

/// Everything of a tenant in the database, as text: its row, its rows in every tenant table,
/// and its purge entry.
fn snapshot(app: &TestApp, tenant: &str) -> Vec<String> {
    app.store.with_conn(|c| {
        let mut out = Vec::new();
        let tables = TENANT_TABLES.iter().map(|t| (t.name, "tenant_id"));
        for (table, column) in [("tenants", "id"), ("tenant_purges", "id")]
            .into_iter()
            .chain(tables)
        {
            let mut st = c
                .prepare(&format!(
                    "SELECT * FROM {table} WHERE {column} = ?1 ORDER BY rowid"
                ))
                .unwrap();
            let columns = st.column_count();
            let rows = st
                .query_map([tenant], |r| {
                    let values: Vec<String> = (0..columns)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect();
                    Ok(format!("{table}: {}", values.join(" | ")))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    })
}

/// A tenant with something in every table: users with emails, an attribute with an alias,
/// employee references (resolved and pending), history, activity, a second token.
/// A webhook endpoint with an undelivered event and a failed attempt in its log (the webhook
/// tables' rows of the tenant).
fn webhooks_in_use(app: &TestApp, t: &Tenant) {
    app.store.with_conn(|c| {
        c.execute(
            "INSERT INTO webhook_endpoints (tenant_id, id, url, secret, state, created, state_changed, fanned_seq) \
             VALUES (?1, ?1 || '-whe', 'https://receiver.example/hook', 'sealed', 'active', \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0)",
            [&t.id],
        )
        .unwrap();
        c.execute(
            "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, seq, user_id, next_attempt) \
             SELECT tenant_id, ?1 || '-whe', seq, user_id, at FROM employee_events WHERE tenant_id = ?1",
            [&t.id],
        )
        .unwrap();
        c.execute(
            "INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, event_seq, attempt, at, status, latency_ms) \
             SELECT tenant_id, ?1 || '-whe', 'evt_' || seq, seq, 1, at, 500, 3 FROM employee_events WHERE tenant_id = ?1",
            [&t.id],
        )
        .unwrap();
    });
}

fn populated(app: &TestApp, name: &str) -> Tenant {
    let t = app.new_tenant(name);
    app.admin(
        "POST",
        &format!("/tenants/{}/attributes", t.id),
        Some(json!({"name": "Manager", "type": "employee", "aliases": ["Boss"]})),
    )
    .expect(201);
    app.admin(
        "POST",
        &format!("/tenants/{}/tokens", t.id),
        Some(json!({"label": "Entra"})),
    )
    .expect(201);
    let ext = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";
    for (user, boss) in [
        ("ada@example.com", "nobody@example.com"),
        ("bo@example.com", "ada@example.com"),
    ] {
        let mut body = okta_user(user);
        body["schemas"].as_array_mut().unwrap().push(json!(ext));
        body[ext] = json!({ "Manager": boss });
        app.scim(&t.token, "POST", "/Users", Some(body)).expect(201);
    }
    // A company admin signed in (`sign_in_links`, `admin_sessions`, `admin_audit`).
    crate::common::scenarios::admins::sign_in(app, &t, "admin@example.com");
    // A deleted employee, kept for the retention (`deleted_users`); with a guard this sensitive,
    // one deletion trips it (`guard_trips`).
    app.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "guard": { "minimum": 1, "percent": 1 } })),
    )
    .expect(200);
    let gone = app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user("cy@example.com")),
    );
    let gone = gone.json()["id"].as_str().unwrap().to_string();
    app.scim(&t.token, "DELETE", &format!("/Users/{gone}"), None)
        .expect(204);
    webhooks_in_use(app, &t);
    // A name the tenant's attributes do not answer to (`attribute_misses`): refused, noted.
    let mut unknown = okta_user("dee@example.com");
    unknown["schemas"].as_array_mut().unwrap().push(json!(ext));
    unknown[ext] = json!({ "Cost_Center": "x" });
    app.scim(&t.token, "POST", "/Users", Some(unknown))
        .expect(400);
    let snap = snapshot(app, &t.id);
    for table in TENANT_TABLES {
        assert!(
            snap.iter()
                .any(|row| row.starts_with(&format!("{}: ", table.name))),
            "the tenant has no row in {}: {snap:#?}",
            table.name
        );
    }
    t
}

#[test]
fn deleting_a_tenant_stops_its_tokens_at_once_and_purges_only_its_data() {
    let app = TestApp::new();
    let a = populated(&app, "Acme");
    let b = populated(&app, "Bolt");
    let b_before = snapshot(&app, &b.id);

    app.admin("DELETE", &format!("/tenants/{}", a.id), None)
        .expect(204);
    // From the very next request on (the host clock does not move between the two).
    app.now.set(app.now.get() - 1);
    app.scim(&a.token, "GET", "/Users", None)
        .expect_scim_error(401, None);
    assert!(!scim_accepts(&app, &a.token));
    app.admin("GET", &format!("/tenants/{}", a.id), None)
        .expect_admin_error(404, "not_found");
    app.admin("GET", &format!("/tenants/{}/tokens", a.id), None)
        .expect_admin_error(404, "not_found");
    app.admin("DELETE", &format!("/tenants/{}", a.id), None)
        .expect_admin_error(404, "not_found");

    // A tenant of this size is purged within the request.
    assert_eq!(snapshot(&app, &a.id), Vec::<String>::new());
    assert_eq!(
        snapshot(&app, &b.id),
        b_before,
        "the other tenant is untouched"
    );
    assert!(scim_accepts(&app, &b.token));
    let listed = app.scim(&b.token, "GET", "/Users", None).json();
    assert_eq!(listed["totalResults"], json!(2));
}

/// More rows than one request's budget: the request answers 204 with its tenant gone and part
/// of its data left, and the purge job (what the Cron Trigger runs) finishes it.
#[test]
fn a_tenant_larger_than_the_request_budget_is_finished_by_the_purge_job() {
    let app = TestApp::new();
    let a = populated(&app, "Acme");
    let b = populated(&app, "Bolt");
    let b_before = snapshot(&app, &b.id);
    let users = TENANT_TABLES
        .iter()
        .find(|t| t.name == "users")
        .unwrap()
        .chunk;
    // More user rows than the request's steps can delete.
    let n = users * (purge::IN_REQUEST.statements as i64 / 2 + 1);
    app.store.with_conn(|c| {
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) \
             INSERT INTO users (tenant_id, id, user_name, user_name_fold, active, version, write_id, \
             created, last_modified, resource, folded) \
             SELECT ?1, 'seed-' || i, 'seed' || i, 'seed' || i, 1, 1, 'w', \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{}', '{}' FROM n",
            rusqlite::params![a.id, n],
        )
        .unwrap()
    });

    app.admin("DELETE", &format!("/tenants/{}", a.id), None)
        .expect(204);
    assert!(!scim_accepts(&app, &a.token));
    app.admin("GET", &format!("/tenants/{}", a.id), None)
        .expect_admin_error(404, "not_found");
    let left = snapshot(&app, &a.id);
    assert!(left[0].starts_with("tenant_purges: "), "{:?}", &left[..1]);
    assert!(left.len() > 1, "rows are left for the purge job");
    // The operator sees the purge that is not finished, and no other tenant.
    let listed = app.admin("GET", "/purges", None);
    listed.expect(200);
    let body = listed.json();
    assert_eq!(body["purges"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["purges"][0]["tenant"], json!(a.id));
    assert!(body["purges"][0]["requested"].is_string());
    assert_eq!(body["next_cursor"], json!(null));

    let clock = || Timestamp(app.now.get());
    let mut budget = Budget::new(purge::PER_RUN, clock());
    let p = block_on(purge::resume(&app.store, &clock, &mut budget));
    assert_eq!(p.error, None);
    assert_eq!(p.finished.len(), 1);
    assert!(!p.pending);
    assert!(snapshot(&app, &a.id).is_empty());
    assert_eq!(snapshot(&app, &b.id), b_before);
    let listed = app.admin("GET", "/purges", None).json();
    assert_eq!(listed, json!({"purges": [], "next_cursor": null}));
}

/// `GET /admin/v1/purges` is a list like the others: newest first, paged, admin token only.
#[test]
fn pending_purges_are_listed_newest_first_and_paged() {
    let app = TestApp::new();
    let mut deleted = Vec::new();
    for name in ["One", "Two", "Three"] {
        let t = app.new_tenant(name);
        // Keep each purge pending: no statements for the request's steps.
        app.store.with_conn(|c| {
            c.execute(
                "INSERT INTO tenant_purges (id, requested) VALUES (?1, ?2)",
                [
                    t.id.as_str(),
                    &format!("2026-01-0{}T00:00:00.000Z", deleted.len() + 1),
                ],
            )
            .unwrap();
            c.execute("DELETE FROM tenants WHERE id = ?1", [t.id.as_str()])
                .unwrap();
        });
        deleted.push(t.id);
    }
    let first = app.admin("GET", "/purges?limit=2", None).json();
    let ids: Vec<&str> = first["purges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [deleted[2].as_str(), deleted[1].as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .admin("GET", &format!("/purges?limit=2&cursor={cursor}"), None)
        .json();
    assert_eq!(second["purges"][0]["tenant"], json!(deleted[0]));
    assert_eq!(second["next_cursor"], json!(null));
    app.send("GET", "/admin/v1/purges", &[], None)
        .expect_admin_error(401, "unauthorized");
    app.admin("POST", "/purges", Some(json!({})))
        .expect_admin_error(405, "method_not_allowed");
}
