//! Bad input is a 4xx SCIM error, never a 500 or a panic: random bodies, paths, filters and
//! PATCH operations thrown at the whole app. Every answer of 400 or more must be the RFC 7644
//! §3.12 error body (or the admin API's), and no write may be half done (checked by reading the
//! user back whole after every refused request).

use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::Client;
use crate::helpers::TestApp;
use proptest::prelude::*;
use serde_json::{json, Value};

/// JSON values of every shape, with the names the app looks for, so that random input reaches
/// past the first checks.
fn value() -> impl Strategy<Value = Value> {
    let name = prop::sample::select(vec![
        "userName",
        "USERNAME",
        "name",
        "givenName",
        "emails",
        "value",
        "type",
        "primary",
        "active",
        "schemas",
        "Operations",
        "op",
        "path",
        "manager",
        "externalId",
        "id",
        "meta",
        "displayName",
        "addresses",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:peakon:2.0:User",
        "Employed_Since",
        "$ref",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "x",
            "True",
            "false",
            "add",
            "Replace",
            "remove",
            "a@example.com",
            "emails[type eq \"work\"].value",
            "name.givenName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "emails[",
            "]",
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:api:messages:2.0:PatchOp",
            "2020-01-01",
            "\u{0}",
            "ß",
            "%",
            "userName eq \"x\"",
            "not (",
            "active",
            "members[value eq \"1\"]",
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((name.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

fn patch_op() -> impl Strategy<Value = Value> {
    let op = prop::sample::select(vec![
        "add", "Add", "replace", "REPLACE", "remove", "Remove", "move", "",
    ]);
    let path = prop::option::of(prop::sample::select(vec![
        "active",
        "userName",
        "name",
        "name.givenName",
        "name.nope",
        "emails",
        "emails.value",
        "emails[type eq \"work\"].value",
        "emails[type eq \"work\"]",
        "emails[value co \"@\"].primary",
        "emails[nope eq 1]",
        "addresses[type eq \"home\"].locality",
        "phoneNumbers",
        "id",
        "meta.created",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Employed_Since",
        "groups",
        "roles[primary eq \"True\"].value",
        "x[",
        "emails[type eq \"work\"].value.extra",
        "",
    ]));
    (op, path, prop::option::of(value())).prop_map(|(op, path, value)| {
        let mut o = serde_json::Map::new();
        o.insert("op".into(), json!(op));
        if let Some(p) = path {
            o.insert("path".into(), json!(p));
        }
        if let Some(v) = value {
            o.insert("value".into(), v);
        }
        Value::Object(o)
    })
}

#[track_caller]
fn check(reply: &crate::common::Reply) {
    assert!(
        reply.status < 500,
        "status {}: {}",
        reply.status,
        reply.body
    );
    if reply.status >= 400 {
        reply.expect_scim_error(
            reply.status,
            reply.json().get("scimType").and_then(Value::as_str),
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bodies_never_cause_a_server_error(body in value(), method in prop::sample::select(vec!["POST", "PUT", "PATCH"])) {
        let app = TestApp::new();
        let t = app.new_tenant("Robust");
        app.admin("POST", &format!("/tenants/{}/attributes", t.id), Some(json!({ "name": "Employed Since", "type": "date" }))).expect(201);
        let u = app.scim(&t.token, "POST", "/Users", Some(okta_user("robust@example.com"))).json();
        let path = match method { "POST" => "/Users".to_string(), _ => format!("/Users/{}", u["id"].as_str().unwrap()) };
        let reply = app.scim(&t.token, method, &path, Some(body));
        check(&reply);
        if reply.status >= 400 {
            // A refused write changed nothing.
            prop_assert_eq!(app.scim(&t.token, "GET", &format!("/Users/{}", u["id"].as_str().unwrap()), None).json(), u);
        }
    }

    #[test]
    fn random_patch_operations_never_cause_a_server_error(ops in prop::collection::vec(patch_op(), 1..4)) {
        let app = TestApp::new();
        let t = app.new_tenant("Robust");
        app.admin("POST", &format!("/tenants/{}/attributes", t.id), Some(json!({ "name": "Employed Since", "type": "date" }))).expect(201);
        let u = app.scim(&t.token, "POST", "/Users", Some(okta_user("robust@example.com"))).json();
        let path = format!("/Users/{}", u["id"].as_str().unwrap());
        let reply = app.scim(&t.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": ops })));
        check(&reply);
        let after = app.scim(&t.token, "GET", &path, None);
        after.expect(200);
        if reply.status >= 400 {
            prop_assert_eq!(after.json(), u);
        } else {
            prop_assert_eq!(after.json(), reply.json());
        }
    }

    #[test]
    fn random_query_strings_never_cause_a_server_error(
        filter in prop::option::of(".{0,40}"),
        sort in prop::option::of(prop::sample::select(vec!["userName", "name.givenName", "emails", "meta.created", "nope", "", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"])),
        start in prop::option::of(".{0,4}"),
        count in prop::option::of(".{0,4}"),
        attributes in prop::option::of(".{0,20}"),
        cursor in prop::option::of(".{0,16}"),
    ) {
        let app = TestApp::new();
        let t = app.new_tenant("Robust");
        app.scim(&t.token, "POST", "/Users", Some(okta_user("robust@example.com"))).expect(201);
        let enc = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        let mut q = Vec::new();
        for (k, v) in [("filter", &filter), ("sortBy", &sort.map(str::to_string)), ("startIndex", &start), ("count", &count), ("attributes", &attributes), ("cursor", &cursor)] {
            if let Some(v) = v {
                q.push(format!("{k}={}", enc(v)));
            }
        }
        check(&app.scim(&t.token, "GET", &format!("/Users?{}", q.join("&")), None));
    }

    #[test]
    fn random_paths_never_cause_a_server_error(segments in prop::collection::vec("[A-Za-z0-9%.:_\\-]{0,10}", 0..4), method in prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])) {
        let app = TestApp::new();
        let t = app.new_tenant("Robust");
        let path = format!("/{}", segments.join("/"));
        let reply = app.scim(&t.token, method, &path, None);
        // 501 is the deliberate answer of the endpoints RFC 7644 defines that the service does
        // not implement (`/Me`, DESIGN §6), not a server error.
        let not_implemented = segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("me"));
        if reply.status == 501 && not_implemented {
            reply.expect_scim_error(501, None);
        } else {
            check(&reply);
        }
        let r = app.admin(method, &path, None);
        prop_assert!(r.status < 500, "admin {} {}: {}", method, path, r.body);
    }
}
