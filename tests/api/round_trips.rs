//! D1 round trips per operation (issue 22), counted through the `Store` seam: every batch the
//! application sends is one round trip in production. An isolate that served the tenant's
//! token before (its definitions remembered, `app::recent`) answers each operation in one, and
//! the IdPs' read-then-write (Okta's GET then PUT, Entra's filter then PATCH) in one for the
//! write. Remembered state is only a starting point: the tests below make it stale in every way
//! it can be (another isolate's write, a definitions change, a revoked token, a deletion, a
//! conditional request) and check that the outcome is the database's, in as many round trips as
//! the fallback takes.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::users::{create, okta_user, PATCH_OP};
use crate::common::{unique, Client, Reply, Tenant};
use crate::helpers::TestApp;
use scim_edge::app::recent::Recent;
use serde_json::{json, Value};

/// The batches `f` sent, and what it returned.
fn trips<T>(app: &TestApp, f: impl FnOnce() -> T) -> (usize, T) {
    let before = app.batches.get();
    let out = f();
    (app.batches.get() - before, out)
}

fn enc(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "%20")
        .replace('"', "%22")
        .replace('@', "%40")
        .replace(':', "%3A")
}

fn deactivate() -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] })
}

fn set(path: &str, value: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": path, "value": value }] })
}

/// Runs `f` as another isolate would: with a memory of its own (empty), leaving this one's as
/// it was.
fn in_another_isolate<T>(app: &TestApp, f: impl FnOnce() -> T) -> T {
    let mine = app.recent.replace(Recent::default());
    let out = f();
    app.recent.replace(mine);
    out
}

/// A tenant with one attribute, and one request made so that this isolate knows its token.
fn warm_tenant(app: &TestApp) -> Tenant {
    let t = app.new_tenant(&unique("Trips "));
    define(app, &t, json!({ "name": "Employed Since", "type": "date" }));
    app.scim(&t.token, "GET", "/Users?count=0", None)
        .expect(200);
    t
}

fn user(app: &TestApp, t: &Tenant, id: &str) -> Value {
    let r = app.scim(&t.token, "GET", &format!("/Users/{id}"), None);
    r.expect(200);
    r.json()
}

/// Operation, activity-log entries of a user, oldest first.
fn logged(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    app.store.with_conn(|c| {
        let mut st = c
            .prepare("SELECT operation, status FROM activity WHERE user_id = ?1 ORDER BY seq")
            .unwrap();
        st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    })
}

#[test]
fn every_operation_is_one_round_trip_in_an_isolate_that_knows_the_token() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let name = unique("ada@example.com");
    let (n, r) = trips(&app, || {
        app.scim(&t.token, "POST", "/Users", Some(okta_user(&name)))
    });
    r.expect(201);
    assert_eq!(n, 1, "create");
    let id = r.json()["id"].as_str().unwrap().to_string();

    let mut custom = okta_user(&unique("grace@example.com"));
    custom["schemas"] = json!([crate::common::scenarios::users::CORE, PEAKON]);
    custom[PEAKON] = json!({ "Employed_Since": "2019-04-01" });
    let (n, r) = trips(&app, || app.scim(&t.token, "POST", "/Users", Some(custom)));
    r.expect(201);
    assert_eq!(r.json()[PEAKON], json!({ "Employed_Since": "2019-04-01" }));
    assert_eq!(n, 1, "create with the company's attributes");

    let (n, r) = trips(&app, || {
        app.scim(&t.token, "GET", &format!("/Users/{id}"), None)
    });
    r.expect(200);
    assert_eq!(n, 1, "get");

    let filter = enc(&format!("userName eq \"{name}\""));
    let (n, r) = trips(&app, || {
        app.scim(&t.token, "GET", &format!("/Users?filter={filter}"), None)
    });
    r.expect(200);
    assert_eq!(r.json()["totalResults"], json!(1));
    assert_eq!(n, 1, "filter userName eq");

    let custom_filter = enc(&format!("{PEAKON}:Employed_Since gt \"2019-01-01\""));
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "GET",
            &format!(
                "/Users?filter={custom_filter}&sortBy={}",
                enc(&format!("{PEAKON}:Employed_Since"))
            ),
            None,
        )
    });
    r.expect(200);
    assert_eq!(r.json()["totalResults"], json!(1));
    assert_eq!(n, 1, "filter and sort on the company's attribute");

    let (n, r) = trips(&app, || {
        app.scim(&t.token, "GET", "/Users?startIndex=1&count=100", None)
    });
    r.expect(200);
    assert_eq!(r.json()["totalResults"], json!(2));
    assert_eq!(n, 1, "list");

    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "POST",
            "/Users/.search",
            Some(json!({ "count": 10 })),
        )
    });
    r.expect(200);
    assert_eq!(n, 1, "search");

    let (n, r) = trips(&app, || {
        app.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
    });
    r.expect(204);
    assert_eq!(n, 1, "delete");
}

#[test]
fn the_idps_read_then_write_costs_one_round_trip_for_the_write() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let name = unique("okta@example.com");
    let id = create(&app, &t, okta_user(&name))["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Okta: GET, then PUT the whole user.
    let mut read = user(&app, &t, &id);
    read["displayName"] = json!("Isaac B. Brock");
    let (n, r) = trips(&app, || {
        app.scim(&t.token, "PUT", &format!("/Users/{id}"), Some(read))
    });
    r.expect(200);
    assert_eq!(r.json()["displayName"], json!("Isaac B. Brock"));
    assert_eq!(r.json()["meta"]["version"], json!("W/\"2\""));
    assert_eq!(n, 1, "PUT after GET");

    // Entra: filter, then PATCH.
    let filter = enc(&format!("userName eq \"{name}\""));
    app.scim(&t.token, "GET", &format!("/Users?filter={filter}"), None)
        .expect(200);
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(deactivate()),
        )
    });
    r.expect(200);
    assert_eq!(r.json()["active"], json!(false));
    assert_eq!(n, 1, "PATCH after a filter");

    // A write's answer is as good as a read: the next write starts from it.
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(set("active", json!(true))),
        )
    });
    r.expect(200);
    assert_eq!(r.json()["active"], json!(true));
    assert_eq!(n, 1, "PATCH after a PATCH");

    // A create's too.
    let other = create(&app, &t, okta_user(&unique("new@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{other}"),
            Some(deactivate()),
        )
    });
    r.expect(200);
    assert_eq!(n, 1, "PATCH after the create");

    // A PATCH that changes nothing is one too, and logged as such.
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{other}"),
            Some(deactivate()),
        )
    });
    r.expect(200);
    assert_eq!(n, 1, "PATCH that changes nothing");
    let ops: Vec<String> = logged(&app, &other).into_iter().map(|(o, _)| o).collect();
    assert_eq!(ops, ["create", "deactivate", "update"]);
}

#[test]
fn an_isolate_that_does_not_know_the_user_or_the_definitions_reads_first() {
    let app = TestApp::new();
    let t = app.new_tenant(&unique("Cold "));
    define(
        &app,
        &t,
        json!({ "name": "Employed Since", "type": "date" }),
    );
    let mut body = okta_user(&unique("cold@example.com"));
    body[PEAKON] = json!({ "Employed_Since": "2019-04-01" });
    // The body names the company's attributes, which this isolate never read: one more.
    let (n, r) = trips(&app, || app.scim(&t.token, "POST", "/Users", Some(body)));
    r.expect(201);
    assert_eq!(n, 2, "create with the company's attributes, cold");
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = in_another_isolate(&app, || {
        trips(&app, || {
            app.scim(
                &t.token,
                "PATCH",
                &format!("/Users/{id}"),
                Some(deactivate()),
            )
        })
    });
    r.1.expect(200);
    assert_eq!(r.0, 2, "PATCH in an isolate that never saw the user");
}

#[test]
fn a_write_from_a_remembered_user_another_isolate_changed_keeps_both_changes() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let id = create(&app, &t, okta_user(&unique("both@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    user(&app, &t, &id);
    // Another isolate renames the user: this one still remembers version 1.
    in_another_isolate(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(set("displayName", json!("Renamed Elsewhere"))),
        )
        .expect(200);
    });
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(deactivate()),
        )
    });
    r.expect(200);
    let body = r.json();
    assert_eq!(body["displayName"], json!("Renamed Elsewhere"));
    assert_eq!(body["active"], json!(false));
    assert_eq!(body["meta"]["version"], json!("W/\"3\""));
    // The remembered attempt wrote nothing; the write that follows it starts from its read-back.
    assert_eq!(n, 2);
    let ops: Vec<String> = logged(&app, &id).into_iter().map(|(o, _)| o).collect();
    assert_eq!(ops, ["create", "update", "deactivate"]);
}

#[test]
fn a_patch_that_changes_nothing_by_a_remembered_user_is_checked_against_the_database() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let id = create(&app, &t, okta_user(&unique("noop@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    user(&app, &t, &id);
    in_another_isolate(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(deactivate()),
        )
        .expect(200);
    });
    // By what this isolate remembers, `active: true` changes nothing; it does change the user.
    let r = app.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(set("active", json!(true))),
    );
    r.expect(200);
    assert_eq!(r.json()["active"], json!(true));
    assert_eq!(r.json()["meta"]["version"], json!("W/\"3\""));
    let ops: Vec<String> = logged(&app, &id).into_iter().map(|(o, _)| o).collect();
    assert_eq!(ops, ["create", "deactivate", "reactivate"]);
}

#[test]
fn if_match_is_decided_on_the_database_not_on_a_remembered_user() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let id = create(&app, &t, okta_user(&unique("etag@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    user(&app, &t, &id);
    in_another_isolate(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(set("displayName", json!("V2"))),
        )
        .expect(200);
    });
    // The client knows version 2 (this isolate remembers 1): not a 412.
    let auth = format!("Bearer {}", t.token);
    let body = deactivate().to_string();
    let r = app.send(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
            ("If-Match", "W/\"2\""),
        ],
        Some(body.as_bytes()),
    );
    r.expect(200);
    assert_eq!(r.json()["meta"]["version"], json!("W/\"3\""));
    // And a version this isolate remembers but the database has left is a 412.
    user(&app, &t, &id);
    in_another_isolate(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(set("displayName", json!("V4"))),
        )
        .expect(200);
    });
    let r = app.send(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
            ("If-Match", "W/\"3\""),
        ],
        Some(set("active", json!(true)).to_string().as_bytes()),
    );
    r.expect_scim_error(412, None);
    assert_eq!(user(&app, &t, &id)["active"], json!(false));
}

/// Moves the alias `alias` from attribute `from` to attribute `to` (admin API).
fn move_alias(app: &TestApp, t: &Tenant, from: &str, to: &str, alias: &str) {
    let base = format!("/tenants/{}/attributes", t.id);
    app.admin(
        "PATCH",
        &format!("{base}/{from}"),
        Some(json!({ "aliases": [] })),
    )
    .expect(200);
    app.admin(
        "PATCH",
        &format!("{base}/{to}"),
        Some(json!({ "aliases": [alias] })),
    )
    .expect(200);
}

#[test]
fn writes_computed_with_definitions_that_changed_are_computed_again() {
    let app = TestApp::new();
    let t = app.new_tenant(&unique("Defs "));
    let dept = define(
        &app,
        &t,
        json!({ "name": "Department", "type": "text", "aliases": ["Team"] }),
    );
    let division = define(&app, &t, json!({ "name": "Division", "type": "text" }));
    let (dept, division) = (
        dept["id"].as_str().unwrap(),
        division["id"].as_str().unwrap(),
    );
    let id = create(&app, &t, okta_user(&unique("defs@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    // This isolate remembers the user and the definitions: `Team` is the department.
    user(&app, &t, &id);
    move_alias(&app, &t, dept, division, "Team");
    let (n, r) = trips(&app, || {
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(set(&format!("{PEAKON}:Team"), json!("Research"))),
        )
    });
    r.expect(200);
    assert_eq!(r.json()[PEAKON], json!({ "Division": "Research" }));
    assert_eq!(
        n, 2,
        "the remembered attempt wrote nothing; the second one did"
    );
    let ops: Vec<(String, i64)> = logged(&app, &id);
    assert_eq!(ops.last(), Some(&("update".to_string(), 200)));
    assert_eq!(ops.len(), 2);

    // A create read with remembered definitions, the same way.
    move_alias(&app, &t, division, dept, "Team");
    let mut body = okta_user(&unique("defs2@example.com"));
    body[PEAKON] = json!({ "Team": "Sales" });
    let (n, r) = in_another_isolate(&app, || {
        // This other isolate reads the definitions (Team: department)...
        app.scim(&t.token, "GET", "/Users?count=0", None)
            .expect(200);
        move_alias(&app, &t, dept, division, "Team");
        // ...which change before its create.
        trips(&app, || app.scim(&t.token, "POST", "/Users", Some(body)))
    });
    r.expect(201);
    assert_eq!(r.json()[PEAKON], json!({ "Division": "Sales" }));
    assert_eq!(n, 2);

    // A filter planned with remembered definitions, the same way.
    let filter = enc(&format!("{PEAKON}:Team eq \"Sales\""));
    let r = app.scim(&t.token, "GET", &format!("/Users?filter={filter}"), None);
    r.expect(200);
    assert_eq!(r.json()["totalResults"], json!(1));

    // A name the remembered definitions do not know yet is not refused by them.
    let user_id = id.clone();
    user(&app, &t, &user_id);
    define(&app, &t, json!({ "name": "Cost Centre", "type": "text" }));
    let r = app.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{user_id}"),
        Some(set(&format!("{PEAKON}:Cost_Centre"), json!("CC-7"))),
    );
    r.expect(200);
    assert_eq!(r.json()[PEAKON]["Cost_Centre"], json!("CC-7"));
}

#[test]
fn a_remembered_user_is_nothing_to_a_revoked_token_another_tenant_or_after_a_delete() {
    let app = TestApp::new();
    let t = warm_tenant(&app);
    let other = warm_tenant(&app);
    let id = create(&app, &t, okta_user(&unique("mine@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    user(&app, &t, &id);
    // Another tenant's token, with the id: 404, whatever this isolate remembers.
    let r: Reply = app.scim(
        &other.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(deactivate()),
    );
    r.expect_scim_error(404, None);
    assert_eq!(user(&app, &t, &id)["active"], json!(true));

    // Deleted by another isolate: a 404, nothing written.
    in_another_isolate(&app, || {
        app.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
            .expect(204);
    });
    app.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(deactivate()),
    )
    .expect_scim_error(404, None);
    app.scim(&t.token, "GET", &format!("/Users/{id}"), None)
        .expect_scim_error(404, None);

    // Revoked after this isolate remembered the user: 401, nothing written.
    let id = create(&app, &t, okta_user(&unique("rev@example.com")))["id"]
        .as_str()
        .unwrap()
        .to_string();
    user(&app, &t, &id);
    let second = app.admin("POST", &format!("/tenants/{}/tokens", t.id), None);
    second.expect(201);
    let second = second.json()["token"].as_str().unwrap().to_string();
    app.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, t.token_id),
        None,
    )
    .expect(204);
    app.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(deactivate()),
    )
    .expect_scim_error(401, None);
    let r = app.scim(&second, "GET", &format!("/Users/{id}"), None);
    r.expect(200);
    assert_eq!(r.json()["active"], json!(true));
    assert_eq!(r.json()["meta"]["version"], json!("W/\"1\""));
}
