//! What one tenant may take of what all share: a unique externalId per employee, and the
//! tenant's quota of employees and stored bytes, which the operator sets (the bounded-input
//! issue). Each refusal is a SCIM error the IdP does not retry, changes nothing, and is logged.

use super::users::{create, okta_user, CORE, PATCH_OP};
use crate::common::{unique, Client, Tenant};
use serde_json::{json, Value};

fn activity(c: &impl Client, t: &Tenant, query: &str) -> Vec<Value> {
    let r = c.admin("GET", &format!("/tenants/{}/activity?{query}", t.id), None);
    r.expect(200);
    r.json()["entries"].as_array().unwrap().clone()
}

fn tenant(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}", t.id), None);
    r.expect(200);
    r.json()
}

fn set_quota(c: &impl Client, t: &Tenant, quota: Value) -> Value {
    let r = c.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "quota": quota })),
    );
    r.expect(200);
    r.json()
}

pub fn external_ids_are_unique_in_a_tenant(c: &impl Client) {
    let t = c.new_tenant(&unique("ExternalId "));
    let other = c.new_tenant(&unique("ExternalId other "));
    let external_id = unique("00u");
    let mut first = okta_user(&format!("{}@example.com", unique("ext.a")));
    first["externalId"] = json!(external_id);
    let a = create(c, &t, first);

    // A second user with the same externalId: 409 uniqueness, and nothing is created.
    let name_b = format!("{}@example.com", unique("ext.b"));
    let mut second = okta_user(&name_b);
    second["externalId"] = json!(external_id);
    let body = c
        .scim(&t.token, "POST", "/Users", Some(second.clone()))
        .expect_scim_error(409, Some("uniqueness"));
    assert!(
        body["detail"].as_str().unwrap().contains("externalId"),
        "{body}"
    );
    let found = c.scim(
        &t.token,
        "GET",
        &format!("/Users?filter=userName%20eq%20%22{name_b}%22"),
        None,
    );
    assert_eq!(found.json()["totalResults"], json!(0));
    let logged = activity(c, &t, "result=failure");
    assert_eq!(logged[0]["status"], json!(409), "{logged:?}");
    assert_eq!(logged[0]["user_name"], json!(name_b));

    // Another tenant may use it; users without one are many.
    create(c, &other, second);
    let mut none = okta_user(&format!("{}@example.com", unique("ext.c")));
    none.as_object_mut().unwrap().remove("externalId");
    let c1 = create(c, &t, none.clone());
    none["userName"] = json!(format!("{}@example.com", unique("ext.d")));
    create(c, &t, none);

    // An update to a taken externalId is refused too, and the user keeps its own.
    let r = c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{}", c1["id"].as_str().unwrap()),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{ "op": "replace", "path": "externalId", "value": external_id }]
        })),
    );
    r.expect_scim_error(409, Some("uniqueness"));
    let again = c
        .scim(
            &t.token,
            "GET",
            &format!("/Users/{}", c1["id"].as_str().unwrap()),
            None,
        )
        .json();
    assert_eq!(again.get("externalId"), None, "{again}");
    assert_eq!(again["meta"]["version"], c1["meta"]["version"]);
    // The holder can still write it (to itself).
    let a_id = a["id"].as_str().unwrap();
    c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{a_id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{ "op": "replace", "path": "displayName", "value": "Still A" }]
        })),
    )
    .expect(200);
}

pub fn the_employee_quota_refuses_creates_beyond_it(c: &impl Client) {
    let t = c.new_tenant(&unique("Quota "));
    let shown = tenant(c, &t);
    assert_eq!(shown["usage"], json!({ "employees": 0, "bytes": 0 }));
    assert!(
        shown["quota"]["employees"].as_i64().unwrap() >= 100_000,
        "{shown}"
    );

    let a = create(c, &t, okta_user(&format!("{}@example.com", unique("q.a"))));
    let b = create(c, &t, okta_user(&format!("{}@example.com", unique("q.b"))));
    let used = tenant(c, &t)["usage"].clone();
    assert_eq!(used["employees"], json!(2));
    assert!(used["bytes"].as_i64().unwrap() > 0);

    let limited = set_quota(c, &t, json!({ "employees": 2 }));
    assert_eq!(limited["quota"]["employees"], json!(2));
    let name = format!("{}@example.com", unique("q.c"));
    let body = c
        .scim(&t.token, "POST", "/Users", Some(okta_user(&name)))
        .expect_scim_error(403, None);
    assert!(body["detail"].as_str().unwrap().contains("quota"), "{body}");
    let logged = activity(c, &t, "result=failure");
    assert_eq!(logged[0]["status"], json!(403), "{logged:?}");
    assert_eq!(logged[0]["user_name"], json!(name));
    assert_eq!(tenant(c, &t)["usage"]["employees"], json!(2));

    // Updates still work within it; a delete makes room again.
    c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{}", a["id"].as_str().unwrap()),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{ "op": "replace", "value": { "active": false } }]
        })),
    )
    .expect(200);
    c.scim(
        &t.token,
        "DELETE",
        &format!("/Users/{}", b["id"].as_str().unwrap()),
        None,
    )
    .expect(204);
    assert_eq!(tenant(c, &t)["usage"]["employees"], json!(1));
    create(c, &t, okta_user(&name));

    // Back to the default.
    let reset = set_quota(c, &t, json!({ "employees": null }));
    assert!(reset["quota"]["employees"].as_i64().unwrap() >= 100_000);
    // The operator's input is checked.
    for bad in [
        json!({ "employees": -1 }),
        json!({ "bytes": "lots" }),
        json!({ "rows": 1 }),
        json!(5),
    ] {
        c.admin(
            "PATCH",
            &format!("/tenants/{}", t.id),
            Some(json!({ "quota": bad })),
        )
        .expect_admin_error(400, "invalid_request");
    }
}

pub fn the_byte_quota_refuses_growth_beyond_it(c: &impl Client) {
    let t = c.new_tenant(&unique("Bytes "));
    let a = create(c, &t, okta_user(&format!("{}@example.com", unique("b.a"))));
    let used = tenant(c, &t)["usage"]["bytes"].as_i64().unwrap();
    set_quota(c, &t, json!({ "bytes": used + 100 }));
    let id = a["id"].as_str().unwrap();
    // Growing past the quota: 403, the user unchanged.
    let r = c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{ "op": "replace", "path": "title", "value": "t".repeat(500) }]
        })),
    );
    r.expect_scim_error(403, None);
    let unchanged = c
        .scim(&t.token, "GET", &format!("/Users/{id}"), None)
        .json();
    assert_eq!(unchanged.get("title"), None);
    // Shrinking always works, and a small growth within the quota too.
    let r = c.scim(
        &t.token,
        "PUT",
        &format!("/Users/{id}"),
        Some(json!({ "schemas": [CORE], "userName": a["userName"], "title": "t" })),
    );
    r.expect(200);
    assert!(tenant(c, &t)["usage"]["bytes"].as_i64().unwrap() < used);
    // A new user does not fit in what remains.
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user(&format!("{}@example.com", unique("b.b")))),
    )
    .expect_scim_error(403, None);
}
