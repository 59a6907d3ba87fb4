//! Company admins on the host (DESIGN §7): the permission matrix row by row, for the operator
//! and for a company admin's session on its own tenant and on another; and the clock: a link
//! lasts 15 minutes, a session 8 hours. (The flows both suites run are in
//! `common::scenarios::admins`.)

use crate::common::scenarios::admins::{confirm, issue_link, sign_in};
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use scim_edge::app::plumbing::throttle::Limiter;
use scim_edge::app::{self, Body, Config};
use serde_json::{json, Value};

/// (method, path under the tenant ("" for the tenant itself; "/…" absolute when it starts with
/// "!"), body, operator may, company admin may on its own tenant).
type Row = (&'static str, &'static str, Option<Value>, bool, bool);

fn matrix() -> Vec<Row> {
    vec![
        ("GET", "!/tenants", None, true, false),
        (
            "POST",
            "!/tenants",
            Some(json!({ "name": "New" })),
            true,
            false,
        ),
        ("GET", "!/purges", None, true, false),
        ("GET", "", None, true, true),
        ("PATCH", "", Some(json!({ "name": "Renamed" })), true, false),
        ("PATCH", "", Some(json!({ "active": true })), true, false),
        (
            "PATCH",
            "",
            Some(json!({ "quota": { "employees": 100 } })),
            true,
            false,
        ),
        (
            "PATCH",
            "",
            Some(json!({ "guard": { "minimum": 30 } })),
            true,
            true,
        ),
        (
            "PATCH",
            "",
            Some(json!({ "deleted_retention_days": 20 })),
            true,
            true,
        ),
        (
            "POST",
            "/sign-in-links",
            Some(json!({ "email": "b@example.com" })),
            true,
            false,
        ),
        ("POST", "/connect", None, true, true),
        ("GET", "/tokens", None, true, true),
        ("POST", "/tokens", None, true, true),
        ("GET", "/attributes", None, true, true),
        (
            "POST",
            "/attributes",
            Some(json!({ "name": "Team", "type": "text" })),
            true,
            true,
        ),
        ("GET", "/employees", None, true, true),
        ("GET", "/activity", None, true, true),
        ("GET", "/deleted-employees", None, true, true),
        ("GET", "/guard", None, true, true),
        ("GET", "/sessions", None, true, true),
        ("GET", "/audit", None, true, true),
        ("POST", "/disconnect", None, true, true),
        ("DELETE", "", None, true, false),
    ]
}

fn path(row: &Row, t: &Tenant) -> String {
    match row.1.strip_prefix('!') {
        Some(absolute) => absolute.to_string(),
        None => format!("/tenants/{}{}", t.id, row.1),
    }
}

/// Whether an answer means "allowed" (anything but 401, 403 and 404; a 201, 200 or 204 here).
fn allowed(status: u16) -> bool {
    (200..300).contains(&status)
}

#[test]
fn the_permission_matrix_row_by_row() {
    let app = TestApp::new();
    // Each row runs on tenants of its own, so that one row's change never decides another's.
    for row in matrix() {
        let own = app.new_tenant("Own");
        let other = app.new_tenant("Other");
        let admin = sign_in(&app, &own, "admin@example.com");
        let (method, body) = (row.0, row.2.clone());

        let as_admin = admin.api(method, &path(&row, &own), body.clone());
        assert_eq!(
            allowed(as_admin.status),
            row.4,
            "admin {method} {}: {}",
            row.1,
            as_admin.body
        );
        if !row.4 {
            let code = if row.1.starts_with('!') || row.1.is_empty() || row.1 == "/sign-in-links" {
                "forbidden"
            } else {
                "not_found"
            };
            as_admin.expect_admin_error(403, code);
        }
        // Another tenant's id: 404, whatever the row (the operator-only rows without a tenant
        // stay 403).
        if !row.1.starts_with('!') {
            admin
                .api(method, &path(&row, &other), body.clone())
                .expect_admin_error(404, "not_found");
        }
        let fresh = app.new_tenant("Operator's");
        let as_operator = app.admin(method, &path(&row, &fresh), body);
        assert_eq!(
            allowed(as_operator.status),
            row.3,
            "operator {method} {}: {}",
            row.1,
            as_operator.body
        );
    }
}

#[test]
fn a_link_lasts_fifteen_minutes_and_a_session_eight_hours() {
    let app = TestApp::new();
    let t = app.new_tenant("Clock");
    let link = issue_link(&app, &t, "a@example.com");
    app.advance(15 * 60_000);
    let late = confirm(&app, &link, &app.origin());
    assert_eq!(late.status, 410, "{}", late.body);
    assert!(late.body.contains("expired"));
    let link = issue_link(&app, &t, "a@example.com");
    app.advance(15 * 60_000 - 10);
    confirm(&app, &link, &app.origin()).expect(303);

    let admin = sign_in(&app, &t, "a@example.com");
    let tokens = format!("/tenants/{}/tokens", t.id);
    app.advance(8 * 3_600_000 - 10);
    admin.api("GET", &tokens, None).expect(200);
    app.advance(10);
    admin
        .api("GET", &tokens, None)
        .expect_admin_error(401, "unauthorized");
}

#[test]
fn a_deleted_tenant_ends_its_sessions_and_links() {
    let app = TestApp::new();
    let t = app.new_tenant("Gone");
    let admin = sign_in(&app, &t, "a@example.com");
    let link = issue_link(&app, &t, "b@example.com");
    app.admin("DELETE", &format!("/tenants/{}", t.id), None)
        .expect(204);
    admin
        .api("GET", "/session", None)
        .expect_admin_error(401, "unauthorized");
    let page = confirm(&app, &link, &app.origin());
    assert!(page.status == 400 || page.status == 410, "{}", page.body);
}

#[test]
fn sign_in_requests_are_counted_per_address_before_the_database() {
    let config = Config::new(
        Some(crate::helpers::ADMIN_TOKEN.to_string()),
        Some(crate::helpers::CREDENTIAL_SECRET),
    );
    for method in ["GET", "POST"] {
        let req = http::Request::builder()
            .method(method)
            .uri("https://h/sign-in?link=x")
            .header("CF-Connecting-IP", "198.51.100.7")
            .body(Body::empty())
            .unwrap();
        let counts = app::throttle_counts(&req, &config);
        assert_eq!(counts.len(), 1, "{method}");
        assert_eq!(counts[0].limiter, Limiter::FailedCredential);
        assert_eq!(counts[0].key, "signin:198.51.100.7");
    }
    // A genuine session cookie is not a failed admin credential; a forged one is.
    let app = TestApp::new();
    let t = app.new_tenant("Counted");
    let admin = sign_in(&app, &t, "a@example.com");
    let with_cookie = |cookie: &str| {
        http::Request::builder()
            .uri("https://h/admin/v1/session")
            .header("CF-Connecting-IP", "198.51.100.7")
            .header("Cookie", format!("__Host-session={cookie}"))
            .body(Body::empty())
            .unwrap()
    };
    assert!(app::throttle_counts(&with_cookie(&admin.cookie), &config).is_empty());
    assert_eq!(
        app::throttle_counts(&with_cookie("session_1_0_nope"), &config).len(),
        1
    );
}
