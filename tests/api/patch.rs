//! PATCH and conditional requests through the app on rusqlite: what only the database shows
//! (the activity log, the stored bytes), and properties over random paths. (The scenarios both
//! suites run are in `common::scenarios::patch`.)

use crate::common::scenarios::patch as s;
use crate::common::scenarios::users::{create, okta_user, ENTERPRISE, PATCH_OP};
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The stored row of a user: resource, folded copy, version, last write, write id.
fn row(app: &TestApp, id: &str) -> (String, String, i64, String, String) {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT resource, folded, version, last_modified, write_id FROM users WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    })
}

/// The last activity-log entry of a tenant: operation, status, detail, changes.
fn last_event(app: &TestApp, tenant: &str) -> (String, i64, Option<String>, Option<String>) {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT operation, status, detail, changes FROM activity WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1",
            [tenant],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    })
}

fn event_count(app: &TestApp, tenant: &str) -> i64 {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT count(*) FROM activity WHERE tenant_id = ?1",
            [tenant],
            |r| r.get(0),
        )
        .unwrap()
    })
}

fn user(app: &TestApp) -> (Tenant, String) {
    let t = app.new_tenant("Acme");
    let u = create(app, &t, okta_user("isaac.brock@example.com"));
    (t, u["id"].as_str().unwrap().to_string())
}

#[test]
fn a_patch_that_changes_nothing_keeps_the_version_and_is_logged_as_a_no_op() {
    let app = TestApp::new();
    let (t, id) = user(&app);
    let before = row(&app, &id);
    let r = s::patch(
        &app,
        &t,
        &id,
        json!([{ "op": "add", "path": "emails", "value": [{ "value": "isaac.brock@example.com", "type": "work" }] }, { "op": "replace", "path": "active", "value": "True" }]),
    );
    r.expect(200);
    assert_eq!(row(&app, &id), before, "the row is untouched");
    assert_eq!(
        last_event(&app, &t.id),
        (
            "update".into(),
            200,
            Some("no change".into()),
            Some("[]".into())
        )
    );
}

#[test]
fn every_refused_patch_and_precondition_is_logged_once_with_its_status() {
    let app = TestApp::new();
    let (t, id) = user(&app);
    let path = format!("/Users/{id}");
    // method, body, If-Match, status, logged operation
    type Refusal<'a> = (&'a str, Option<Value>, Option<&'a str>, i64, &'a str);
    let cases: Vec<Refusal> = vec![
        (
            "PATCH",
            Some(
                json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "nope", "value": 1 }] }),
            ),
            None,
            400,
            "update",
        ),
        (
            "PATCH",
            Some(json!({ "Operations": "x" })),
            None,
            400,
            "update",
        ),
        (
            "PATCH",
            Some(
                json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "title", "value": "T" }] }),
            ),
            Some("W/\"9\""),
            412,
            "update",
        ),
        (
            "PUT",
            Some(okta_user("isaac.brock@example.com")),
            Some("W/\"9\""),
            412,
            "replace",
        ),
        ("DELETE", None, Some("W/\"9\""), 412, "delete"),
        ("DELETE", None, Some(","), 400, "delete"),
    ];
    for (method, body, if_match, status, operation) in cases {
        let before = event_count(&app, &t.id);
        let headers: Vec<(&str, &str)> =
            if_match.map(|m| vec![("If-Match", m)]).unwrap_or_default();
        let r = s::send_with(&app, &t, method, &path, body, &headers);
        assert_eq!(r.status as i64, status, "{method} {if_match:?}: {}", r.body);
        assert_eq!(
            event_count(&app, &t.id),
            before + 1,
            "{method} {if_match:?}: one entry"
        );
        let (op, logged, detail, changes) = last_event(&app, &t.id);
        assert_eq!(
            (op.as_str(), logged),
            (operation, status),
            "{method} {if_match:?}"
        );
        assert_eq!(
            detail.as_deref(),
            r.json()["detail"].as_str(),
            "{method} {if_match:?}"
        );
        assert_eq!(changes, None);
    }
    assert_eq!(row(&app, &id).2, 1, "still the first version");
}

#[test]
fn a_patch_lists_its_changes_by_attribute() {
    let app = TestApp::new();
    let (t, id) = user(&app);
    s::patch(&app, &t, &id, json!([
        { "op": "Replace", "path": "name.givenName", "value": "Ike" },
        { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Tour" }
    ]))
    .expect(200);
    let (op, status, _, changes) = last_event(&app, &t.id);
    assert_eq!((op.as_str(), status), ("update", 200));
    let changes: Value = serde_json::from_str(&changes.unwrap()).unwrap();
    assert_eq!(
        changes,
        json!([
            { "path": "name.givenName", "old": "Isaac", "new": "Ike" },
            { "path": format!("{ENTERPRISE}:department"), "old": null, "new": "Tour" }
        ])
    );
}

/// A path to PATCH, and where its value shows in the resource a GET returns.
struct Case {
    path: &'static str,
    read: fn(&Value) -> Value,
    boolean: bool,
}

fn work_email(r: &Value) -> Value {
    r["emails"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["type"] == "work"))
        .map(|e| e["value"].clone())
        .unwrap_or(Value::Null)
}

fn mobile_phone(r: &Value) -> Value {
    r["phoneNumbers"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["type"] == "mobile"))
        .map(|e| e["value"].clone())
        .unwrap_or(Value::Null)
}

fn home_locality(r: &Value) -> Value {
    r["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["type"] == "home"))
        .map(|e| e["locality"].clone())
        .unwrap_or(Value::Null)
}

const CASES: &[Case] = &[
    Case {
        path: "displayName",
        read: |r| r["displayName"].clone(),
        boolean: false,
    },
    Case {
        path: "nickName",
        read: |r| r["nickName"].clone(),
        boolean: false,
    },
    Case {
        path: "title",
        read: |r| r["title"].clone(),
        boolean: false,
    },
    Case {
        path: "userType",
        read: |r| r["userType"].clone(),
        boolean: false,
    },
    Case {
        path: "preferredLanguage",
        read: |r| r["preferredLanguage"].clone(),
        boolean: false,
    },
    Case {
        path: "locale",
        read: |r| r["locale"].clone(),
        boolean: false,
    },
    Case {
        path: "timezone",
        read: |r| r["timezone"].clone(),
        boolean: false,
    },
    Case {
        path: "externalId",
        read: |r| r["externalId"].clone(),
        boolean: false,
    },
    Case {
        path: "profileUrl",
        read: |r| r["profileUrl"].clone(),
        boolean: false,
    },
    Case {
        path: "active",
        read: |r| r["active"].clone(),
        boolean: true,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:core:2.0:User:title",
        read: |r| r["title"].clone(),
        boolean: false,
    },
    Case {
        path: "name.givenName",
        read: |r| r["name"]["givenName"].clone(),
        boolean: false,
    },
    Case {
        path: "name.familyName",
        read: |r| r["name"]["familyName"].clone(),
        boolean: false,
    },
    Case {
        path: "name.middleName",
        read: |r| r["name"]["middleName"].clone(),
        boolean: false,
    },
    Case {
        path: "name.formatted",
        read: |r| r["name"]["formatted"].clone(),
        boolean: false,
    },
    Case {
        path: "name.honorificPrefix",
        read: |r| r["name"]["honorificPrefix"].clone(),
        boolean: false,
    },
    Case {
        path: "name.honorificSuffix",
        read: |r| r["name"]["honorificSuffix"].clone(),
        boolean: false,
    },
    Case {
        path: "emails[type eq \"work\"].value",
        read: work_email,
        boolean: false,
    },
    Case {
        path: "phoneNumbers[type eq \"mobile\"].value",
        read: mobile_phone,
        boolean: false,
    },
    Case {
        path: "addresses[type eq \"home\"].locality",
        read: home_locality,
        boolean: false,
    },
    Case {
        path: "employeeNumber",
        read: |r| r[ENTERPRISE]["employeeNumber"].clone(),
        boolean: false,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
        read: |r| r[ENTERPRISE]["costCenter"].clone(),
        boolean: false,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
        read: |r| r[ENTERPRISE]["organization"].clone(),
        boolean: false,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
        read: |r| r[ENTERPRISE]["division"].clone(),
        boolean: false,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        read: |r| r[ENTERPRISE]["department"].clone(),
        boolean: false,
    },
    Case {
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        read: |r| r[ENTERPRISE]["manager"]["value"].clone(),
        boolean: false,
    },
];

/// The path with its letters' case flipped where `flips` says (names are case-insensitive,
/// RFC 7643 §2.1); filter literals keep theirs.
fn recase(path: &str, flips: &[bool]) -> String {
    let mut quoted = false;
    path.chars()
        .enumerate()
        .map(|(i, ch)| {
            if ch == '"' {
                quoted = !quoted;
            }
            if quoted || !flips.get(i).copied().unwrap_or(false) {
                ch.to_string()
            } else if ch.is_ascii_lowercase() {
                ch.to_ascii_uppercase().to_string()
            } else {
                ch.to_ascii_lowercase().to_string()
            }
        })
        .collect()
}

/// The JSON a client sends for a value: strings as they are; booleans as JSON or, as Entra
/// sends them, as strings in any case.
fn sent(case: &Case, text: &str, flag: bool, as_string: bool) -> (Value, Value) {
    if case.boolean {
        let v = if as_string {
            json!(if flag { "True" } else { "fALSE" })
        } else {
            json!(flag)
        };
        (v, json!(flag))
    } else {
        (json!(text), json!(text))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn replace_then_get_returns_the_value(
        which in 0..CASES.len(),
        flips in proptest::collection::vec(any::<bool>(), 96),
        text in "\\PC{1,24}",
        flag in any::<bool>(),
        as_string in any::<bool>(),
        op in prop_oneof![Just("replace"), Just("Replace"), Just("add"), Just("ADD")],
    ) {
        let case = &CASES[which];
        let app = TestApp::new();
        let (t, id) = user(&app);
        let path = recase(case.path, &flips);
        let (value, expected) = sent(case, &text, flag, as_string);
        let r = s::patch(&app, &t, &id, json!([{ "op": op, "path": path, "value": value }]));
        prop_assert_eq!(r.status, 200, "{} {}: {}", op, path, r.body);
        prop_assert_eq!((case.read)(&r.json()), expected.clone(), "PATCH answer, {}", path);
        let got = app.scim(&t.token, "GET", &format!("/Users/{id}"), None).json();
        prop_assert_eq!((case.read)(&got), expected, "GET, {}", path);
    }

    #[test]
    fn a_request_with_one_invalid_operation_leaves_the_stored_resource_byte_identical(
        picks in proptest::collection::vec((0..CASES.len(), "[a-z]{1,8}", any::<bool>()), 0..6),
        bad in 0..7usize,
        at in 0..7usize,
    ) {
        let app = TestApp::new();
        let (t, id) = user(&app);
        let before = row(&app, &id);
        let mut ops: Vec<Value> = picks
            .iter()
            .map(|(which, text, flag)| {
                let case = &CASES[*which];
                json!({ "op": "replace", "path": case.path, "value": sent(case, text, *flag, false).0 })
            })
            .collect();
        let invalid = [
            json!({ "op": "replace", "path": "nope", "value": "x" }),
            json!({ "op": "add", "path": "emails[", "value": "x" }),
            json!({ "op": "replace", "path": "emails[value eq \"nobody@x.com\"].type", "value": "work" }),
            json!({ "op": "replace", "path": "id", "value": "x" }),
            json!({ "op": "replace", "path": "active", "value": "maybe" }),
            json!({ "op": "replace", "path": "name", "value": 7 }),
            json!({ "op": "remove", "path": "userName" }),
        ];
        let at = at.min(ops.len());
        ops.insert(at, invalid[bad].clone());
        let r = s::patch(&app, &t, &id, json!(ops));
        prop_assert_eq!(r.status, 400, "{}", r.body);
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
        prop_assert!(detail.starts_with(&format!("Operation {at}: ")), "{}", detail);
        prop_assert_eq!(row(&app, &id), before);
    }
}
