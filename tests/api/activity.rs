//! The activity log and the activation history, read straight from the database (the admin API
//! that reads them is its own work): every SCIM write leaves exactly one entry.

use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use serde_json::{json, Value};
use std::cell::RefCell;

fn log_entries(app: &TestApp, tenant: &str) -> Vec<Value> {
    app.store.with_conn(|c| {
        let mut st = c
            .prepare(
                "SELECT at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id \
                 FROM activity WHERE tenant_id = ?1 ORDER BY seq",
            )
            .unwrap();
        st.query_map([tenant], |r| {
            Ok(json!({
                "at": r.get::<_, String>(0)?,
                "request_id": r.get::<_, String>(1)?,
                "operation": r.get::<_, String>(2)?,
                "user_id": r.get::<_, Option<String>>(3)?,
                "user_name": r.get::<_, Option<String>>(4)?,
                "status": r.get::<_, i64>(5)?,
                "detail": r.get::<_, Option<String>>(6)?,
                "changes": r.get::<_, Option<String>>(7)?.map(|c| serde_json::from_str::<Value>(&c).unwrap()),
                "client": r.get::<_, Option<String>>(8)?,
                "token_id": r.get::<_, Option<String>>(9)?,
            }))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    })
}

fn history(app: &TestApp, tenant: &str) -> Vec<(String, String, i64, String)> {
    app.store.with_conn(|c| {
        let mut st = c
            .prepare("SELECT kind, at, active, user_name FROM activation WHERE tenant_id = ?1 ORDER BY seq")
            .unwrap();
        st.query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
    })
}

fn send_as_okta(
    app: &TestApp,
    t: &Tenant,
    method: &str,
    path: &str,
    body: Option<Value>,
    request_id: &str,
) -> crate::common::Reply {
    let auth = format!("Bearer {}", t.token);
    let body = body.map(|b| b.to_string());
    let reply = app.send(
        method,
        &format!("/scim/v2{path}"),
        &[
            ("Authorization", &auth),
            ("User-Agent", "Okta SCIM Client 1.0.0"),
            ("X-Request-Id", request_id),
            ("Content-Type", "application/scim+json"),
        ],
        body.as_deref().map(str::as_bytes),
    );
    let server = reply.header("x-request-id").unwrap().to_string();
    SENT.with(|s| s.borrow_mut().push((request_id.to_string(), server)));
    reply
}

thread_local! {
    /// (the client's `X-Request-Id`, the server's own) of each request `send_as_okta` sent.
    static SENT: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// The entries with the client's request id in place of the server's, after checking that the
/// log holds the server's ids (each that of one sent request), never the clients'.
fn by_client_ids(log: Vec<Value>) -> Vec<Value> {
    log.into_iter()
        .map(|mut e| {
            let server = e["request_id"].as_str().unwrap().to_string();
            let client = SENT
                .with(|s| {
                    s.borrow()
                        .iter()
                        .find(|(_, ours)| *ours == server)
                        .map(|(theirs, _)| theirs.clone())
                })
                .unwrap_or_else(|| panic!("{server} is no answer's X-Request-Id"));
            assert_ne!(client, server, "the client's id was taken for ours");
            e["request_id"] = json!(client);
            e
        })
        .collect()
}

#[test]
fn every_write_leaves_one_entry_with_its_fields() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let body = okta_user("isaac@example.com");
    let created = send_as_okta(&app, &t, "POST", "/Users", Some(body.clone()), "req-create");
    created.expect(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let deactivate = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    send_as_okta(
        &app,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(deactivate),
        "req-deactivate",
    )
    .expect(200);
    let reactivate = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "active", "value": true }] });
    send_as_okta(
        &app,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(reactivate.clone()),
        "req-reactivate",
    )
    .expect(200);
    send_as_okta(
        &app,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(reactivate),
        "req-noop",
    )
    .expect(200);
    let mut renamed = body.clone();
    renamed["displayName"] = json!("Isaac B.");
    send_as_okta(
        &app,
        &t,
        "PUT",
        &format!("/Users/{id}"),
        Some(renamed),
        "req-replace",
    )
    .expect(200);
    send_as_okta(
        &app,
        &t,
        "POST",
        "/Users",
        Some(okta_user("ISAAC@example.com")),
        "req-dup",
    )
    .expect(409);
    send_as_okta(
        &app,
        &t,
        "POST",
        "/Users",
        Some(json!({ "userName": 5 })),
        "req-bad",
    )
    .expect(400);
    send_as_okta(
        &app,
        &t,
        "DELETE",
        &format!("/Users/{id}"),
        None,
        "req-delete",
    )
    .expect(204);
    send_as_okta(
        &app,
        &t,
        "DELETE",
        &format!("/Users/{id}"),
        None,
        "req-delete-again",
    )
    .expect(404);

    let log = by_client_ids(log_entries(&app, &t.id));
    let summary: Vec<(String, String, i64)> = log
        .iter()
        .map(|e| {
            (
                e["request_id"].as_str().unwrap().to_string(),
                e["operation"].as_str().unwrap().to_string(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64)> = [
        ("req-create", "create", 201),
        ("req-deactivate", "deactivate", 200),
        ("req-reactivate", "reactivate", 200),
        ("req-noop", "update", 200),
        ("req-replace", "replace", 200),
        ("req-dup", "create", 409),
        ("req-bad", "create", 400),
        ("req-delete", "delete", 204),
        ("req-delete-again", "delete", 404),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(summary, expected);

    for e in &log {
        assert_eq!(e["client"], json!("Okta SCIM Client 1.0.0"), "{e}");
        assert_eq!(e["token_id"], json!(t.token_id), "{e}");
        assert_eq!(e["at"].as_str().unwrap().len(), 24, "{e}");
        assert!(!e.to_string().contains(&t.token), "a token in the log");
    }
    let by = |rid: &str| {
        log.iter()
            .find(|e| e["request_id"] == json!(rid))
            .unwrap()
            .clone()
    };
    let create = by("req-create");
    assert_eq!(create["user_id"], json!(id));
    assert_eq!(create["user_name"], json!("isaac@example.com"));
    let changes = create["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({ "path": "userName", "old": null, "new": "isaac@example.com" })),
        "{changes:?}"
    );
    assert!(changes.contains(&json!({ "path": "active", "old": null, "new": true })));
    assert_eq!(
        by("req-deactivate")["changes"],
        json!([{ "path": "active", "old": true, "new": false }])
    );
    assert_eq!(by("req-noop")["changes"], json!([]));
    assert_eq!(by("req-noop")["detail"], json!("no change"));
    assert_eq!(
        by("req-replace")["changes"],
        json!([{ "path": "displayName", "old": "Isaac Brock", "new": "Isaac B." }])
    );
    let dup = by("req-dup");
    assert_eq!(
        (
            dup["user_id"].clone(),
            dup["user_name"].clone(),
            dup["changes"].clone()
        ),
        (Value::Null, json!("ISAAC@example.com"), Value::Null)
    );
    assert!(dup["detail"].as_str().unwrap().contains("already taken"));
    let bad = by("req-bad");
    assert_eq!(bad["detail"], json!("userName must be of type string"));
    assert_eq!(by("req-delete")["user_name"], json!("isaac@example.com"));
    assert_eq!(by("req-delete-again")["user_id"], json!(id));

    let h = history(&app, &t.id);
    let kinds: Vec<(&str, i64)> = h.iter().map(|(k, _, a, _)| (k.as_str(), *a)).collect();
    assert_eq!(
        kinds,
        vec![
            ("create", 1),
            ("deactivate", 0),
            ("reactivate", 1),
            ("delete", 0)
        ]
    );
    assert!(
        h.windows(2).all(|w| w[0].1 < w[1].1),
        "history times increase: {h:?}"
    );
    assert!(h.iter().all(|(_, _, _, n)| n == "isaac@example.com"));
}

#[test]
fn requests_with_bad_tokens_are_not_logged() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    app.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, t.token_id),
        None,
    )
    .expect(204);
    app.scim(&t.token, "POST", "/Users", Some(okta_user("x@example.com")))
        .expect(401);
    app.scim(&t.token, "POST", "/Users", Some(json!({})))
        .expect(401);
    assert!(log_entries(&app, &t.id).is_empty());
}

#[test]
fn a_refused_put_changes_nothing() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    app.scim(&t.token, "POST", "/Users", Some(okta_user("a@example.com")))
        .expect(201);
    let b = app
        .scim(&t.token, "POST", "/Users", Some(okta_user("b@example.com")))
        .json();
    let id = b["id"].as_str().unwrap();
    let before = app.store.with_conn(|c| {
        c.query_row("SELECT resource, version, (SELECT count(*) FROM user_emails WHERE user_id = ?1) FROM users WHERE id = ?1", [id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
        .unwrap()
    });
    let mut body = okta_user("A@EXAMPLE.COM");
    body["emails"] = json!([]);
    app.scim(&t.token, "PUT", &format!("/Users/{id}"), Some(body))
        .expect(409);
    let after = app.store.with_conn(|c| {
        c.query_row("SELECT resource, version, (SELECT count(*) FROM user_emails WHERE user_id = ?1) FROM users WHERE id = ?1", [id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
        .unwrap()
    });
    assert_eq!(before, after);
    let last = log_entries(&app, &t.id).pop().unwrap();
    assert_eq!(
        (last["operation"].clone(), last["status"].clone()),
        (json!("replace"), json!(409))
    );
}

#[test]
fn deleting_a_tenant_purges_its_users_history_and_log() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let u = app
        .scim(&t.token, "POST", "/Users", Some(okta_user("a@example.com")))
        .json();
    app.scim(
        &t.token,
        "DELETE",
        &format!("/Users/{}", u["id"].as_str().unwrap()),
        None,
    )
    .expect(204);
    app.scim(&t.token, "POST", "/Users", Some(okta_user("b@example.com")))
        .expect(201);
    app.admin("DELETE", &format!("/tenants/{}", t.id), None)
        .expect(204);
    for table in ["users", "user_emails", "activation", "activity", "tokens"] {
        let n: i64 = app.store.with_conn(|c| {
            c.query_row(
                &format!("SELECT count(*) FROM {table} WHERE tenant_id = ?1"),
                [&t.id],
                |r| r.get(0),
            )
            .unwrap()
        });
        assert_eq!(n, 0, "{table}");
    }
}

#[test]
fn an_ignored_deactivated_attribute_is_noted_in_the_log() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let attr = app
        .admin(
            "POST",
            &format!("/tenants/{}/attributes", t.id),
            Some(json!({ "name": "Shoe size", "type": "number" })),
        )
        .json();
    app.admin(
        "PATCH",
        &format!(
            "/tenants/{}/attributes/{}",
            t.id,
            attr["id"].as_str().unwrap()
        ),
        Some(json!({ "active": false })),
    )
    .expect(200);
    let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@example.com", "urn:ietf:params:scim:schemas:extension:peakon:2.0:User": { "Shoe_size": 44 } });
    app.scim(&t.token, "POST", "/Users", Some(body)).expect(201);
    let entry = log_entries(&app, &t.id).pop().unwrap();
    assert_eq!(entry["status"], json!(201));
    assert_eq!(
        entry["detail"],
        json!("ignored the deactivated attribute \"Shoe_size\"")
    );
}

/// A refused create logs the userName it sent, but no more of it than a userName may hold: a
/// refusal costs no more to log than a write.
#[test]
fn a_refused_oversized_user_name_is_logged_cut_to_the_limit() {
    let app = TestApp::new();
    let t = app.new_tenant("Long names");
    let long = format!("{}@example.com", "é".repeat(300_000));
    let body =
        json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": long });
    app.scim(&t.token, "POST", "/Users", Some(body))
        .expect_scim_error(400, Some("invalidValue"));
    let entry = log_entries(&app, &t.id).pop().unwrap();
    assert_eq!(entry["status"], json!(400));
    assert_eq!(
        entry["detail"],
        json!("userName may hold at most 512 characters, not 300012")
    );
    assert_eq!(entry["user_name"], json!("é".repeat(512)));
}
