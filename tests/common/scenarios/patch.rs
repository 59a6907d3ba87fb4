//! PATCH (RFC 7644 §3.5.2) as Okta and Entra send it, and conditional requests (RFC 7644
//! §3.14), over HTTP: the same sequences run in-process and against `wrangler dev`.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::users::{create, okta_user, CORE, ENTERPRISE, PATCH_OP};
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

pub const SPC: &str = "/ServiceProviderConfig";

/// PATCH `/Users/{id}` with these operations.
pub fn patch(c: &impl Client, t: &Tenant, id: &str, ops: Value) -> Reply {
    c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({ "schemas": [PATCH_OP], "Operations": ops })),
    )
}

/// A request with extra headers.
pub fn send_with(
    c: &impl Client,
    t: &Tenant,
    method: &str,
    path: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Reply {
    let auth = format!("Bearer {}", t.token);
    let body = body.map(|b| b.to_string());
    let mut headers = vec![("Authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    headers.extend_from_slice(extra);
    c.send(
        method,
        &format!("/scim/v2{path}"),
        &headers,
        body.as_deref().map(str::as_bytes),
    )
}

fn get(c: &impl Client, t: &Tenant, id: &str) -> Reply {
    c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
}

#[track_caller]
fn ok(r: Reply) -> Value {
    r.expect(200);
    let body = r.json();
    assert_eq!(
        r.header("etag"),
        body["meta"]["version"].as_str(),
        "ETag = meta.version"
    );
    body
}

/// Okta: deactivation and reactivation by path-less replace; 200 with the resource; a PATCH
/// that changes nothing keeps the version.
pub fn okta_patch_sequence(c: &impl Client) {
    let t = c.new_tenant(&unique("Okta PATCH "));
    let u = create(
        c,
        &t,
        okta_user(&format!("{}@example.com", unique("okta."))),
    );
    let id = u["id"].as_str().unwrap();
    let off = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "replace", "value": { "active": false } }]),
    ));
    assert_eq!(off["active"], json!(false));
    assert_eq!(off["userName"], u["userName"]);
    assert_ne!(off["meta"]["version"], u["meta"]["version"]);
    let again = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "replace", "value": { "active": false } }]),
    ));
    assert_eq!(again, off, "nothing changed: same resource, same version");
    let on = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "replace", "value": { "active": true } }]),
    ));
    assert_eq!(on["active"], json!(true));
    assert_eq!(ok(get(c, &t, id)), on);
    // Okta's profile updates: path-less replace of several attributes at once.
    let profile = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "replace", "value": {
        "name": { "givenName": "Ike" }, "displayName": "Ike Brock", "title": "Singer"
    } }]),
    ));
    assert_eq!(
        profile["name"],
        json!({ "givenName": "Ike", "familyName": "Brock" }),
        "sub-attributes not given stay"
    );
    assert_eq!(
        (profile["displayName"].clone(), profile["title"].clone()),
        (json!("Ike Brock"), json!("Singer"))
    );
}

/// Microsoft Entra ID: every quirk of DESIGN §6 against one user.
pub fn entra_patch_sequence(c: &impl Client) {
    let t = c.new_tenant(&unique("Entra PATCH "));
    let boss = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("boss"), "displayName": "The Boss" }),
    );
    let boss_id = boss["id"].as_str().unwrap();
    // A user without a work email (only a home one).
    let name = format!("{}@contoso.com", unique("entra."));
    let u = create(
        c,
        &t,
        json!({
            "schemas": [CORE, ENTERPRISE], "userName": name, "active": true,
            "emails": [{ "value": "home@example.com", "type": "home" }],
            "name": { "givenName": "G", "familyName": "F" }
        }),
    );
    let id = u["id"].as_str().unwrap();

    // emails[type eq "work"].value where no email is of type work: the email is created.
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Add", "path": "emails[type eq \"work\"].value", "value": name }]),
    ));
    assert_eq!(
        r["emails"],
        json!([{ "value": "home@example.com", "type": "home" }, { "type": "work", "value": name }])
    );
    // ... and replaced when there is one.
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com" }]),
    ));
    assert_eq!(
        r["emails"][1],
        json!({ "type": "work", "value": "new@contoso.com" })
    );
    // Any other filter that matches nothing is a 400 noTarget, and changes nothing.
    let body = patch(c, &t, id, json!([{ "op": "Replace", "path": "emails[value eq \"nobody@x.com\"].type", "value": "work" }]))
        .expect_scim_error(400, Some("noTarget"));
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Operation 0: "),
        "{body}"
    );

    // Strings for booleans, ops in any case.
    assert_eq!(
        ok(patch(
            c,
            &t,
            id,
            json!([{ "op": "Replace", "path": "active", "value": "False" }])
        ))["active"],
        json!(false)
    );
    assert_eq!(
        ok(patch(
            c,
            &t,
            id,
            json!([{ "op": "REPLACE", "path": "active", "value": "True" }])
        ))["active"],
        json!(true)
    );
    // Add of a single-valued attribute, then remove in capitals.
    assert_eq!(
        ok(patch(
            c,
            &t,
            id,
            json!([{ "op": "Add", "path": "nickName", "value": "Babs" }])
        ))["nickName"],
        json!("Babs")
    );
    assert!(ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Remove", "path": "nickName" }])
    ))
    .get("nickName")
    .is_none());

    // Several capitalised Replace operations in one request.
    let r = ok(patch(
        c,
        &t,
        id,
        json!([
            { "op": "Replace", "path": "displayName", "value": "Pvlo" },
            { "op": "Replace", "path": "name.givenName", "value": "Gtfd" },
            { "op": "Replace", "path": "name.familyName", "value": "Pkqf" },
            { "op": "Replace", "path": "externalId", "value": "Eqpj" },
            { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "Eqpj" }
        ]),
    ));
    assert_eq!(
        r["name"],
        json!({ "givenName": "Gtfd", "familyName": "Pkqf" })
    );
    assert_eq!(
        (r["displayName"].clone(), r["externalId"].clone()),
        (json!("Pvlo"), json!("Eqpj"))
    );
    assert_eq!(r[ENTERPRISE], json!({ "employeeNumber": "Eqpj" }));

    // aadOptscim062020: path-less replace with dotted and URN keys, flag in the query or not.
    for (query, given) in [("?aadOptscim062020", "Kkom"), ("", "Kkon")] {
        let r = c.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}{query}"),
            Some(json!({ "schemas": [PATCH_OP], "Operations": [{
            "op": "replace",
            "value": {
                "displayName": "Bjfe", "name.givenName": given, "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }] })),
        );
        let r = ok(r);
        assert_eq!(
            r["name"],
            json!({ "givenName": given, "familyName": "Unua" }),
            "{query}"
        );
        assert!(r.get("name.givenName").is_none(), "{r}");
        assert_eq!(r[ENTERPRISE]["employeeNumber"], json!("Aklq"));
    }

    // The manager: a bare id, {"value": id}, and its removal.
    let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Add", "path": manager, "value": boss_id }]),
    ));
    let m = &r[ENTERPRISE]["manager"];
    assert_eq!(
        (m["value"].clone(), m["displayName"].clone()),
        (json!(boss_id), json!("The Boss"))
    );
    assert!(
        m["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/Users/{boss_id}")),
        "{m}"
    );
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Replace", "path": manager, "value": { "value": "someone-else" } }]),
    ));
    assert_eq!(r[ENTERPRISE]["manager"], json!({ "value": "someone-else" }));
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "Remove", "path": manager }]),
    ));
    assert_eq!(r[ENTERPRISE], json!({ "employeeNumber": "Aklq" }));
    assert_eq!(ok(get(c, &t, id)), r);
}

/// A request with one invalid operation is refused whole: 400 naming it, nothing stored.
pub fn a_request_with_one_invalid_operation_changes_nothing(c: &impl Client) {
    let t = c.new_tenant(&unique("Atomic "));
    let u = create(
        c,
        &t,
        okta_user(&format!("{}@example.com", unique("atomic."))),
    );
    let id = u["id"].as_str().unwrap();
    let cases = [
        (
            json!({ "op": "replace", "path": "nope", "value": 1 }),
            "invalidPath",
        ),
        (
            json!({ "op": "replace", "path": "emails[type eq \"home\"]", "value": { "value": "h@x.com" } }),
            "noTarget",
        ),
        (
            json!({ "op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z" }),
            "mutability",
        ),
        (
            json!({ "op": "add", "path": "active", "value": "maybe" }),
            "invalidValue",
        ),
        // RFC 7644 §3.5.2: removing a required attribute is `mutability`.
        (json!({ "op": "remove", "path": "userName" }), "mutability"),
    ];
    for (bad, scim_type) in cases {
        let ops = json!([
            { "op": "replace", "path": "displayName", "value": "Changed" },
            { "op": "remove", "path": "emails" },
            bad
        ]);
        let body = patch(c, &t, id, ops).expect_scim_error(400, Some(scim_type));
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("Operation 2: "),
            "{body}"
        );
        assert_eq!(ok(get(c, &t, id)), u, "{scim_type}: nothing changed");
    }
    let syntax = c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "move", "path": "title" }] })),
    );
    // RFC 7644 §3.12, Table 9: an unknown operation is `invalidValue` for PATCH.
    syntax.expect_scim_error(400, Some("invalidValue"));
    let too_many: Vec<Value> = (0..101)
        .map(|_| json!({ "op": "replace", "path": "title", "value": "x" }))
        .collect();
    patch(c, &t, id, json!(too_many)).expect_scim_error(400, Some("invalidValue"));
    assert_eq!(ok(get(c, &t, id)), u);
}

/// ETag and If-Match / If-None-Match (RFC 7644 §3.14).
pub fn conditional_requests(c: &impl Client) {
    let t = c.new_tenant(&unique("ETags "));
    let spc = c.scim(&t.token, "GET", SPC, None).json();
    assert_eq!(spc["etag"]["supported"], json!(true));

    let created = c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user(&format!("{}@example.com", unique("etag.")))),
    );
    created.expect(201);
    let u = created.json();
    let id = u["id"].as_str().unwrap().to_string();
    let path = format!("/Users/{id}");
    let v1 = u["meta"]["version"].as_str().unwrap().to_string();
    assert_eq!(created.header("etag"), Some(v1.as_str()));
    assert!(v1.starts_with("W/\""), "{v1}");
    let strong = v1.trim_start_matches("W/").to_string();

    // If-None-Match on GET: 304 without a body when it names the version, else 200.
    for tag in [
        v1.as_str(),
        strong.as_str(),
        "*",
        "W/\"0\", W/\"1\", W/\"2\"",
    ] {
        let r = send_with(c, &t, "GET", &path, None, &[("If-None-Match", tag)]);
        assert_eq!(r.status, 304, "If-None-Match: {tag}; body {}", r.body);
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(v1.as_str()));
    }
    assert_eq!(
        send_with(c, &t, "GET", &path, None, &[("If-None-Match", "W/\"999\"")]).json(),
        u
    );

    // If-Match that does not match: 412, a SCIM error, nothing changed.
    let stale = "W/\"999\"";
    let patch_body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "title", "value": "T" }] });
    send_with(
        c,
        &t,
        "PATCH",
        &path,
        Some(patch_body.clone()),
        &[("If-Match", stale)],
    )
    .expect_scim_error(412, None);
    let mut put_body = okta_user(u["userName"].as_str().unwrap());
    put_body["title"] = json!("T");
    send_with(
        c,
        &t,
        "PUT",
        &path,
        Some(put_body.clone()),
        &[("If-Match", stale)],
    )
    .expect_scim_error(412, None);
    send_with(c, &t, "DELETE", &path, None, &[("If-Match", stale)]).expect_scim_error(412, None);
    send_with(
        c,
        &t,
        "DELETE",
        &path,
        None,
        &[("If-Match", "W/\"998\", W/\"999\"")],
    )
    .expect_scim_error(412, None);
    send_with(
        c,
        &t,
        "DELETE",
        &path,
        None,
        &[("If-Match", "W/\"not-a-version\"")],
    )
    .expect_scim_error(412, None);
    assert_eq!(get(c, &t, &id).json(), u, "nothing changed");

    // If-Match that matches, weak or strong: the write happens.
    let p = send_with(
        c,
        &t,
        "PATCH",
        &path,
        Some(patch_body),
        &[("If-Match", &v1)],
    );
    let p = ok(p);
    assert_eq!(p["title"], json!("T"));
    let v2 = p["meta"]["version"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    // The old tag is stale now.
    put_body["title"] = json!("U");
    send_with(
        c,
        &t,
        "PUT",
        &path,
        Some(put_body.clone()),
        &[("If-Match", &v1)],
    )
    .expect_scim_error(412, None);
    let strong2 = v2.trim_start_matches("W/").to_string();
    let q = ok(send_with(
        c,
        &t,
        "PUT",
        &path,
        Some(put_body),
        &[("If-Match", &strong2)],
    ));
    assert_eq!(q["title"], json!("U"));
    let v3 = q["meta"]["version"].as_str().unwrap().to_string();
    // `*` matches any existing user; a malformed header is a 400.
    let r = ok(send_with(
        c,
        &t,
        "PATCH",
        &path,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "remove", "path": "title" }] })),
        &[("If-Match", "*")],
    ));
    assert!(r.get("title").is_none());
    send_with(c, &t, "GET", &path, None, &[("If-None-Match", " , ")]).expect_scim_error(400, None);
    let v4 = r["meta"]["version"].as_str().unwrap().to_string();
    send_with(c, &t, "DELETE", &path, None, &[("If-Match", &v3)]).expect_scim_error(412, None);
    let d = send_with(
        c,
        &t,
        "DELETE",
        &path,
        None,
        &[("If-Match", &format!("W/\"1\", {v4}"))],
    );
    d.expect(204);
    // A precondition on a user that is not there: 404 (RFC 9110 §13.2.1).
    send_with(c, &t, "DELETE", &path, None, &[("If-Match", &v4)]).expect_scim_error(404, None);
    send_with(c, &t, "GET", &path, None, &[("If-None-Match", "*")]).expect_scim_error(404, None);
    let p2 = send_with(
        c,
        &t,
        "PATCH",
        &path,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "remove", "path": "title" }] })),
        &[("If-Match", &v4)],
    );
    p2.expect_scim_error(404, None);
    // A conditional DELETE at the current version.
    let w = create(
        c,
        &t,
        okta_user(&format!("{}@example.com", unique("etag2."))),
    );
    let wpath = format!("/Users/{}", w["id"].as_str().unwrap());
    send_with(
        c,
        &t,
        "DELETE",
        &wpath,
        None,
        &[("If-Match", w["meta"]["version"].as_str().unwrap())],
    )
    .expect(204);
    get(c, &t, w["id"].as_str().unwrap()).expect_scim_error(404, None);
}

/// The tenant's own attributes by PATCH: by full path, by alias without the URN, in a path-less
/// value, typed as in POST and PUT; a deactivated one is ignored; an unknown one is a 400.
pub fn custom_attributes_by_patch(c: &impl Client) {
    let t = c.new_tenant(&unique("Custom PATCH "));
    define(
        c,
        &t,
        json!({ "name": "Employed Since", "type": "date", "aliases": ["StartDate"] }),
    );
    define(c, &t, json!({ "name": "Shoe size", "type": "number" }));
    let team = define(
        c,
        &t,
        json!({ "name": "Team", "type": "option", "options": ["Blue", "Red"] }),
    );
    let u = create(
        c,
        &t,
        okta_user(&format!("{}@example.com", unique("custom."))),
    );
    let id = u["id"].as_str().unwrap();
    let r = ok(patch(
        c,
        &t,
        id,
        json!([
            { "op": "add", "path": format!("{PEAKON}:Employed_Since"), "value": "2020-03-01" },
            { "op": "Replace", "path": "Shoe_size", "value": "44" },
            { "op": "replace", "value": { PEAKON: { "team": "red" } } }
        ]),
    ));
    assert_eq!(
        r[PEAKON],
        json!({ "Employed_Since": "2020-03-01", "Shoe_size": 44, "Team": "Red" })
    );
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "remove", "path": "StartDate" }, { "op": "replace", "path": format!("{PEAKON}:Shoe_size"), "value": 45 }]),
    ));
    assert_eq!(r[PEAKON], json!({ "Shoe_size": 45, "Team": "Red" }));
    patch(
        c,
        &t,
        id,
        json!([{ "op": "add", "path": "Team", "value": "Green" }]),
    )
    .expect_scim_error(400, Some("invalidValue"));
    patch(
        c,
        &t,
        id,
        json!([{ "op": "add", "path": format!("{PEAKON}:Hat_size"), "value": 7 }]),
    )
    .expect_scim_error(400, Some("invalidValue"));
    // Deactivated: ignored, its value kept and no longer shown.
    c.admin(
        "PATCH",
        &format!(
            "/tenants/{}/attributes/{}",
            t.id,
            team["id"].as_str().unwrap()
        ),
        Some(json!({ "active": false })),
    )
    .expect(200);
    let r = ok(patch(
        c,
        &t,
        id,
        json!([{ "op": "replace", "path": "Team", "value": "Blue" }]),
    ));
    assert_eq!(r[PEAKON], json!({ "Shoe_size": 45 }));
    c.admin(
        "PATCH",
        &format!(
            "/tenants/{}/attributes/{}",
            t.id,
            team["id"].as_str().unwrap()
        ),
        Some(json!({ "active": true })),
    )
    .expect(200);
    assert_eq!(
        ok(get(c, &t, id))[PEAKON],
        json!({ "Shoe_size": 45, "Team": "Red" })
    );
}
