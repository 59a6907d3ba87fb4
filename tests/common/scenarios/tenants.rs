//! Tenants and tokens through the admin API (DESIGN §3, §7), and what they mean for SCIM.

use super::APART_MS;
use crate::common::{unique, Client};
use serde_json::{json, Value};

/// Whether SCIM accepts `token` (any answer but 401).
pub fn scim_accepts(c: &impl Client, token: &str) -> bool {
    c.scim(token, "GET", "/Users?count=0", None).status != 401
}

#[track_caller]
fn assert_rfc3339(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z') && &s[10..11] == "T", "{s}");
}

pub fn tenant_lifecycle(c: &impl Client) {
    let name = unique("Acme ");
    let created = c.admin("POST", "/tenants", Some(json!({ "name": name })));
    created.expect(201);
    let t = created.json();
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "id",
        "name",
        "active",
        "created",
        "scim_base_url",
        "token_id",
        "token",
    ] {
        assert!(keys.contains(&k), "missing {k} in {t}");
    }
    assert_eq!(t["name"], json!(name));
    assert_eq!(t["active"], json!(true));
    assert_rfc3339(&t["created"]);
    assert!(
        t["scim_base_url"].as_str().unwrap().ends_with("/scim/v2"),
        "{t}"
    );
    assert!(t["token"].as_str().unwrap().starts_with("scim_"), "{t}");
    let id = t["id"].as_str().unwrap().to_string();
    let token = t["token"].as_str().unwrap().to_string();
    assert!(scim_accepts(c, &token));

    // GET: the tenant, never the token.
    let got = c.admin("GET", &format!("/tenants/{id}"), None);
    got.expect(200);
    let g = got.json();
    assert_eq!(g["id"], json!(id));
    assert_eq!(g["name"], json!(name));
    assert_eq!(g["created"], t["created"]);
    assert_eq!(g["scim_base_url"], t["scim_base_url"]);
    assert!(
        g.get("token").is_none() && !got.body.contains(&token),
        "{g}"
    );

    // Rename.
    let renamed = c.admin(
        "PATCH",
        &format!("/tenants/{id}"),
        Some(json!({ "name": "  Acme Renamed  " })),
    );
    renamed.expect(200);
    assert_eq!(renamed.json()["name"], json!("Acme Renamed"));
    assert_eq!(renamed.json()["active"], json!(true));

    // Disable: SCIM answers 401 on the very next request; enable again.
    let disabled = c.admin(
        "PATCH",
        &format!("/tenants/{id}"),
        Some(json!({ "active": false })),
    );
    disabled.expect(200);
    assert_eq!(disabled.json()["active"], json!(false));
    assert_eq!(disabled.json()["name"], json!("Acme Renamed"));
    let refused = c.scim(&token, "GET", "/Users", None);
    let body = refused.expect_scim_error(401, None);
    assert!(
        body["detail"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    assert!(refused
        .header("www-authenticate")
        .is_some_and(|h| h.starts_with("Bearer")));
    c.admin(
        "PATCH",
        &format!("/tenants/{id}"),
        Some(json!({ "active": true })),
    )
    .expect(200);
    assert!(scim_accepts(c, &token));

    // Bad updates.
    for bad in [
        json!({ "name": "" }),
        json!({ "name": 5 }),
        json!({ "active": "no" }),
        json!({ "nme": "x" }),
    ] {
        c.admin("PATCH", &format!("/tenants/{id}"), Some(bad))
            .expect_admin_error(400, "invalid_request");
    }

    // Delete: purged; its token stops working; a second delete is a 404.
    c.admin("DELETE", &format!("/tenants/{id}"), None)
        .expect(204);
    c.admin("GET", &format!("/tenants/{id}"), None)
        .expect_admin_error(404, "not_found");
    assert!(!scim_accepts(c, &token));
    c.admin("DELETE", &format!("/tenants/{id}"), None)
        .expect_admin_error(404, "not_found");
    c.admin(
        "PATCH",
        &format!("/tenants/{id}"),
        Some(json!({ "name": "x" })),
    )
    .expect_admin_error(404, "not_found");
}

pub fn tenant_creation_is_validated(c: &impl Client) {
    for bad in [
        json!({}),
        json!({ "name": "   " }),
        json!({ "name": null }),
        json!({ "name": ["x"] }),
        json!({ "name": "x", "extra": 1 }),
    ] {
        c.admin("POST", "/tenants", Some(bad))
            .expect_admin_error(400, "invalid_request");
    }
    let long = "x".repeat(201);
    c.admin("POST", "/tenants", Some(json!({ "name": long })))
        .expect_admin_error(400, "invalid_request");
    let auth = format!("Bearer {}", c.admin_token());
    c.send(
        "POST",
        "/admin/v1/tenants",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(b"{"),
    )
    .expect_admin_error(400, "invalid_request");
    c.send(
        "POST",
        "/admin/v1/tenants",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        Some(b"{}"),
    )
    .expect_admin_error(415, "unsupported_media_type");
}

pub fn tenant_list_is_newest_first_and_paged(c: &impl Client) {
    let first = c.new_tenant(&unique("First "));
    // A later creation time (milliseconds), so that "newest first" puts `second` first.
    c.tick(APART_MS);
    let second = c.new_tenant(&unique("Second "));
    // Walk every page with limit=1: no duplicates, and `second` comes before `first`.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let path = match &cursor {
            Some(c) => format!("/tenants?limit=1&cursor={c}"),
            None => "/tenants?limit=1".to_string(),
        };
        let page = c.admin("GET", &path, None);
        page.expect(200);
        let body = page.json();
        let tenants = body["tenants"].as_array().unwrap();
        assert!(tenants.len() <= 1);
        for t in tenants {
            for k in ["id", "name", "active", "created", "scim_base_url"] {
                assert!(t.get(k).is_some(), "missing {k}: {t}");
            }
            assert!(t.get("token").is_none());
            seen.push(t["id"].as_str().unwrap().to_string());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "a tenant appeared twice");
    let pos = |id: &str| {
        seen.iter()
            .position(|s| s == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert!(pos(&second.id) < pos(&first.id), "newest first");
    c.admin("GET", "/tenants?limit=0", None)
        .expect_admin_error(400, "invalid_request");
    c.admin("GET", "/tenants?cursor=%21%21", None)
        .expect_admin_error(400, "invalid_request");
}

pub fn tokens_rotate_and_revoke(c: &impl Client) {
    let t = c.new_tenant(&unique("Tokens "));
    let issued = c.admin(
        "POST",
        &format!("/tenants/{}/tokens", t.id),
        Some(json!({ "label": "Okta" })),
    );
    issued.expect(201);
    let second = issued.json();
    assert_eq!(second["label"], json!("Okta"));
    let second_token = second["token"].as_str().unwrap().to_string();
    let second_id = second["token_id"].as_str().unwrap().to_string();
    assert!(second_token.starts_with("scim_") && second_token != t.token);

    // Rotation with overlap: both work.
    assert!(scim_accepts(c, &t.token));
    assert!(scim_accepts(c, &second_token));

    // A token without a label; an empty body is fine.
    let auth = format!("Bearer {}", c.admin_token());
    let third = c.send(
        "POST",
        &format!("/admin/v1/tenants/{}/tokens", t.id),
        &[("Authorization", &auth)],
        None,
    );
    third.expect(201);
    assert_eq!(third.json()["label"], Value::Null);
    c.admin(
        "POST",
        &format!("/tenants/{}/tokens", t.id),
        Some(json!({ "label": 7 })),
    )
    .expect_admin_error(400, "invalid_request");

    // Listing: label, prefix, created, last used, revoked; never a secret.
    let list = c.admin("GET", &format!("/tenants/{}/tokens", t.id), None);
    list.expect(200);
    assert!(
        !list.body.contains(&t.token) && !list.body.contains(&second_token),
        "a secret leaked"
    );
    let tokens = list.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), 3);
    let find = |id: &str| {
        tokens
            .iter()
            .find(|k| k["token_id"] == json!(id))
            .unwrap()
            .clone()
    };
    let okta = find(&second_id);
    assert_eq!(okta["label"], json!("Okta"));
    assert_eq!(okta["prefix"], json!(&second_token[..12]));
    assert_rfc3339(&okta["created"]);
    assert_eq!(okta["revoked"], json!(false));
    assert_eq!(okta["revoked_at"], Value::Null);
    assert!(okta.get("token").is_none() && okta.get("hash").is_none());
    if !c.is_e2e() {
        // The host runs deferred writes at once; on the worker they follow the answer.
        assert_rfc3339(&okta["last_used"]);
    }

    // Revoke: refused from the very next request; the other token keeps working.
    c.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, second_id),
        None,
    )
    .expect(204);
    let refused = c.scim(&second_token, "GET", "/Users", None);
    refused.expect_scim_error(401, None);
    assert!(scim_accepts(c, &t.token));
    // Again: still 204.
    c.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, second_id),
        None,
    )
    .expect(204);
    let after = c
        .admin("GET", &format!("/tenants/{}/tokens", t.id), None)
        .json();
    let revoked = after["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["token_id"] == json!(second_id))
        .unwrap()
        .clone();
    assert_eq!(revoked["revoked"], json!(true));
    assert_rfc3339(&revoked["revoked_at"]);

    // Unknown tokens and tenants.
    c.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/tok_nope", t.id),
        None,
    )
    .expect_admin_error(404, "not_found");
    c.admin("POST", "/tenants/tnt_nope/tokens", Some(json!({})))
        .expect_admin_error(404, "not_found");
    c.admin("GET", "/tenants/tnt_nope/tokens", None)
        .expect_admin_error(404, "not_found");
}

/// One tenant's admin paths never reach another tenant's tokens.
pub fn tenants_do_not_see_each_other(c: &impl Client) {
    let a = c.new_tenant(&unique("A "));
    let b = c.new_tenant(&unique("B "));
    c.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", b.id, a.token_id),
        None,
    )
    .expect_admin_error(404, "not_found");
    assert!(
        scim_accepts(c, &a.token),
        "A's token must survive a revoke through B's path"
    );
    let b_tokens = c
        .admin("GET", &format!("/tenants/{}/tokens", b.id), None)
        .json();
    assert!(b_tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["token_id"] != json!(a.token_id)));
}

pub fn admin_api_refuses_wrong_credentials(c: &impl Client) {
    let t = c.new_tenant(&unique("Creds "));
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("Authorization", format!("Bearer {}", t.token))],
        vec![("Authorization", format!("Bearer {}x", c.admin_token()))],
        vec![("Authorization", format!("Basic {}", c.admin_token()))],
        vec![("Authorization", "Bearer".to_string())],
    ];
    for headers in cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.send("GET", "/admin/v1/tenants", &h, None);
        r.expect_admin_error(401, "unauthorized");
        assert!(r
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")));
        assert!(
            !r.body.contains(c.admin_token()),
            "the admin token was echoed"
        );
    }
    // The scheme name is case-insensitive.
    let lower = format!("bearer {}", c.admin_token());
    c.send(
        "GET",
        "/admin/v1/tenants?limit=1",
        &[("Authorization", &lower)],
        None,
    )
    .expect(200);
}

pub fn scim_refuses_wrong_credentials(c: &impl Client) {
    let t = c.new_tenant(&unique("Scim creds "));
    let shaped_but_unknown = format!("scim_{}", "A".repeat(43));
    let cases: Vec<Option<String>> = vec![
        None,
        Some("Bearer".into()),
        Some(format!("Basic {}", t.token)),
        Some(format!("Bearer {}", shaped_but_unknown)),
        Some(format!("Bearer {}", &t.token[..t.token.len() - 1])),
        Some(format!("Bearer {}", c.admin_token())),
    ];
    for auth in cases {
        let mut h = vec![];
        if let Some(a) = &auth {
            h.push(("Authorization", a.as_str()));
        }
        let r = c.send("GET", "/scim/v2/Users", &h, None);
        r.expect_scim_error(401, None);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{auth:?}"
        );
        assert!(!r.body.contains(&t.token) && !r.body.contains(c.admin_token()));
    }
    let lower = format!("bearer {}", t.token);
    assert_ne!(
        c.send("GET", "/scim/v2/Users", &[("Authorization", &lower)], None)
            .status,
        401
    );
}
