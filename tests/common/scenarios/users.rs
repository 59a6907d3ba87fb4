//! The Users resource (RFC 7643 §4.1, §4.3; RFC 7644 §3.3–§3.6) as Okta and Entra use it.

use super::APART_MS;
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

pub const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Okta's create body (Okta's SCIM 2.0 guide), with the given userName.
pub fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": [CORE],
        "userName": user_name,
        "name": { "givenName": "Isaac", "familyName": "Brock" },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": "Isaac Brock",
        "locale": "en-US",
        "externalId": unique("00u"),
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

pub fn create(c: &impl Client, t: &Tenant, body: Value) -> Value {
    let r = c.scim(&t.token, "POST", "/Users", Some(body));
    r.expect(201);
    r.json()
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, ch)| {
            if [8, 13, 18, 23].contains(&i) {
                ch == '-'
            } else {
                ch.is_ascii_hexdigit()
            }
        })
}

pub fn create_read_replace_delete(c: &impl Client) {
    let t = c.new_tenant(&unique("Users "));
    let name = format!("{}@example.com", unique("isaac."));
    let r = c.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
    r.expect(201);
    let u = r.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert!(is_uuid(&id), "{id}");
    assert_eq!(u["userName"], json!(name));
    assert_eq!(u["active"], json!(true));
    assert_eq!(
        u["name"],
        json!({ "givenName": "Isaac", "familyName": "Brock" })
    );
    assert!(
        u.get("password").is_none() && u.get("groups").is_none(),
        "{u}"
    );
    assert_eq!(u["schemas"], json!([CORE]));
    assert_eq!(u["meta"]["resourceType"], json!("User"));
    let location = u["meta"]["location"].as_str().unwrap();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(r.header("location"), Some(location));
    assert_eq!(r.header("etag"), u["meta"]["version"].as_str());
    assert!(u["meta"]["version"].as_str().unwrap().starts_with("W/\""));
    assert_eq!(u["meta"]["created"], u["meta"]["lastModified"]);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));

    // Read back exactly what was returned.
    let got = c.scim(&t.token, "GET", &format!("/Users/{id}"), None);
    got.expect(200);
    assert_eq!(got.json(), u);
    assert_eq!(got.header("etag"), u["meta"]["version"].as_str());

    // PUT replaces: unspecified attributes are cleared, readOnly ones ignored.
    let put = c.scim(
        &t.token,
        "PUT",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": [CORE, ENTERPRISE],
            "id": "something-else",
            "userName": name,
            "name": { "givenName": "Isaac" },
            "meta": { "created": "1999-01-01T00:00:00Z" },
            ENTERPRISE: { "employeeNumber": "701984", "department": "Tour Operations" }
        })),
    );
    put.expect(200);
    let p = put.json();
    assert_eq!(p["id"], json!(id));
    assert_eq!(p["name"], json!({ "givenName": "Isaac" }));
    assert!(
        p.get("emails").is_none()
            && p.get("displayName").is_none()
            && p.get("externalId").is_none(),
        "{p}"
    );
    assert_eq!(p["active"], json!(true), "active absent on PUT means true");
    assert_eq!(
        p[ENTERPRISE],
        json!({ "employeeNumber": "701984", "department": "Tour Operations" })
    );
    assert_eq!(p["schemas"], json!([CORE, ENTERPRISE]));
    assert_eq!(p["meta"]["created"], u["meta"]["created"]);
    assert_ne!(
        p["meta"]["version"], u["meta"]["version"],
        "the version changes on every change"
    );
    assert_eq!(
        c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .json(),
        p
    );

    // DELETE: 204, then 404, twice.
    let d = c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None);
    d.expect(204);
    assert!(d.body.is_empty());
    c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
        .expect_scim_error(404, None);
    c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect_scim_error(404, None);
    c.scim(
        &t.token,
        "PUT",
        &format!("/Users/{id}"),
        Some(okta_user(&name)),
    )
    .expect_scim_error(404, None);
    // The userName is free again.
    create(c, &t, okta_user(&name));
}

pub fn user_names_are_unique_ignoring_case(c: &impl Client) {
    let t = c.new_tenant(&unique("Unique "));
    let base = unique("åsa.");
    let name = format!("{base}@example.com");
    create(c, &t, okta_user(&name));
    for dup in [
        name.clone(),
        name.to_uppercase(),
        format!("{}@EXAMPLE.com", base.to_uppercase()),
    ] {
        c.scim(&t.token, "POST", "/Users", Some(okta_user(&dup)))
            .expect_scim_error(409, Some("uniqueness"));
    }
    // Another tenant may use the same userName.
    let other = c.new_tenant(&unique("Other "));
    create(c, &other, okta_user(&name));
    // PUT onto a taken name: 409, nothing changed.
    let second = create(
        c,
        &t,
        okta_user(&format!("{}@example.com", unique("second."))),
    );
    let id = second["id"].as_str().unwrap();
    let mut body = okta_user(&name.to_uppercase());
    body["displayName"] = json!("Changed");
    c.scim(&t.token, "PUT", &format!("/Users/{id}"), Some(body))
        .expect_scim_error(409, Some("uniqueness"));
    assert_eq!(
        c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .json(),
        second
    );
}

pub fn invalid_bodies_are_scim_errors(c: &impl Client) {
    let t = c.new_tenant(&unique("Invalid "));
    let cases = [
        json!({ "schemas": [CORE] }),
        json!({ "schemas": [CORE], "userName": "" }),
        json!({ "schemas": [CORE], "userName": 42 }),
        json!({ "schemas": ["urn:example:unknown"], "userName": "x" }),
        json!({ "schemas": [CORE], "userName": "x", "active": "maybe" }),
        json!({ "schemas": [CORE], "userName": "x", "emails": "not-a-list-of-objects" }),
    ];
    for body in cases {
        c.scim(&t.token, "POST", "/Users", Some(body))
            .expect_scim_error(400, Some("invalidValue"));
    }
    let auth = format!("Bearer {}", t.token);
    c.send(
        "POST",
        "/scim/v2/Users",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(b"{\"userName\":"),
    )
    .expect_scim_error(400, Some("invalidSyntax"));
    c.send(
        "POST",
        "/scim/v2/Users",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(b"[]"),
    )
    .expect_scim_error(400, Some("invalidSyntax"));
    // No Content-Type at all (Okta's SPEC test) is parsed as JSON.
    let body = okta_user(&format!("{}@example.com", unique("nocontenttype."))).to_string();
    c.send(
        "POST",
        "/scim/v2/Users",
        &[("Authorization", &auth)],
        Some(body.as_bytes()),
    )
    .expect(201);
}

pub fn ignored_attributes_are_ignored(c: &impl Client) {
    let t = c.new_tenant(&unique("Ignored "));
    let u = create(
        c,
        &t,
        json!({
            "schemas": [CORE],
            "userName": unique("ign"),
            "password": "secret",
            "groups": [{ "value": "g1" }],
            "roles": [],
            "entitlements": [{ "value": "e" }],
            "x509Certificates": [{ "value": "MIIB" }],
            "shoeSize": 44,
            ENTERPRISE: { "favouriteFood": "pizza", "costCenter": "4130" }
        }),
    );
    for k in [
        "password",
        "groups",
        "roles",
        "entitlements",
        "x509Certificates",
        "shoeSize",
    ] {
        assert!(u.get(k).is_none(), "{k} in {u}");
    }
    assert_eq!(u[ENTERPRISE], json!({ "costCenter": "4130" }));
}

pub fn deactivate_and_reactivate(c: &impl Client) {
    let t = c.new_tenant(&unique("Activation "));
    let u = create(c, &t, okta_user(&format!("{}@example.com", unique("act."))));
    let id = u["id"].as_str().unwrap().to_string();
    let path = format!("/Users/{id}");
    let patch = |ops: Value| {
        c.scim(
            &t.token,
            "PATCH",
            &path,
            Some(json!({ "schemas": [PATCH_OP], "Operations": ops })),
        )
    };

    // Okta: path-less replace.
    let r = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    r.expect(200);
    let off = r.json();
    assert_eq!(off["active"], json!(false));
    assert_ne!(off["meta"]["version"], u["meta"]["version"]);
    assert_eq!(r.header("etag"), off["meta"]["version"].as_str());
    // Still readable and listed.
    assert_eq!(
        c.scim(&t.token, "GET", &path, None).json()["active"],
        json!(false)
    );
    let list = c.scim(&t.token, "GET", "/Users", None).json();
    assert_eq!(list["totalResults"], json!(1));
    assert_eq!(list["Resources"][0]["active"], json!(false));

    let on = patch(json!([{ "op": "replace", "value": { "active": true } }]));
    assert_eq!(on.json()["active"], json!(true));
    // Entra: capitalised op, a path, a string boolean.
    assert_eq!(
        patch(json!([{ "op": "Replace", "path": "active", "value": "False" }])).json()["active"],
        json!(false)
    );
    assert_eq!(
        patch(json!([{ "op": "REPLACE", "path": "active", "value": "True" }])).json()["active"],
        json!(true)
    );
    // Okta: PUT with active false.
    let mut body = okta_user(u["userName"].as_str().unwrap());
    body["active"] = json!(false);
    let put = c.scim(&t.token, "PUT", &path, Some(body));
    assert_eq!(put.json()["active"], json!(false));

    // A PATCH that changes nothing keeps the version.
    let before = c.scim(&t.token, "GET", &path, None).json();
    let same = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    same.expect(200);
    assert_eq!(same.json()["meta"]["version"], before["meta"]["version"]);

    // Bad PATCH requests.
    patch(json!([{ "op": "replace", "path": "nope", "value": 1 }]))
        .expect_scim_error(400, Some("invalidPath"));
    // RFC 7644 §3.12, Table 9: an unknown operation is `invalidValue` for PATCH.
    patch(json!([{ "op": "jump", "path": "active" }])).expect_scim_error(400, Some("invalidValue"));
    c.scim(&t.token, "PATCH", "/Users/not-a-user", Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] })))
        .expect_scim_error(404, None);
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn list_filters_and_pages(c: &impl Client) {
    let t = c.new_tenant(&unique("List "));
    let mut created = Vec::new();
    for i in 0..5 {
        let mut body = okta_user(&format!("user{i}.{}@example.com", unique("l")));
        body["externalId"] = json!(format!("ext-{i}"));
        body["emails"] = json!([{ "value": format!("User{i}@Work.example.com"), "type": "work", "primary": true }, { "value": format!("user{i}@home.example.com"), "type": "home" }]);
        created.push(create(c, &t, body));
        // Distinct creation times (milliseconds), so that creation order is this order.
        c.tick(APART_MS);
    }
    let all_ids: Vec<String> = created
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let get = |path: &str| -> Reply { c.scim(&t.token, "GET", path, None) };

    // Everything, in creation order.
    let all = get("/Users").json();
    assert_eq!(all["schemas"], json!([LIST]));
    assert_eq!(all["totalResults"], json!(5));
    assert_eq!(all["startIndex"], json!(1));
    assert_eq!(all["itemsPerPage"], json!(5));
    assert_eq!(ids(&all), all_ids);
    // Pages.
    let page = get("/Users?startIndex=2&count=2").json();
    assert_eq!(
        (
            page["totalResults"].clone(),
            page["startIndex"].clone(),
            page["itemsPerPage"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    assert_eq!(ids(&page), all_ids[1..3].to_vec());
    assert_eq!(
        ids(&get("/Users?startIndex=5&count=10").json()),
        all_ids[4..].to_vec()
    );
    let beyond = get("/Users?startIndex=9").json();
    assert_eq!(
        (
            beyond["totalResults"].clone(),
            beyond["itemsPerPage"].clone()
        ),
        (json!(5), json!(0))
    );
    let zero = get("/Users?count=0").json();
    assert_eq!(zero["totalResults"], json!(5));
    assert_eq!(zero["Resources"], json!([]));
    assert_eq!(
        ids(&get("/Users?startIndex=0&count=1").json()),
        all_ids[..1].to_vec(),
        "startIndex < 1 means 1"
    );
    assert_eq!(
        get("/Users?count=-3").json()["itemsPerPage"],
        json!(0),
        "a negative count means 0"
    );
    get("/Users?count=x").expect_scim_error(400, Some("invalidValue"));

    // The lookups Okta and Entra make.
    let name = created[2]["userName"].as_str().unwrap();
    let one = |path: String| -> Vec<String> {
        let r = get(&path);
        r.expect(200);
        ids(&r.json())
    };
    let enc = |s: &str| s.replace('@', "%40").replace('"', "%22").replace(' ', "+");
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc(&format!("userName eq \"{name}\""))
        )),
        vec![all_ids[2].clone()]
    );
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc(&format!("userName eq \"{}\"", name.to_uppercase()))
        )),
        vec![all_ids[2].clone()]
    );
    assert_eq!(
        one(format!("/Users?filter={}", enc("externalId eq \"ext-3\""))),
        vec![all_ids[3].clone()]
    );
    assert!(
        one(format!("/Users?filter={}", enc("externalId eq \"EXT-3\""))).is_empty(),
        "externalId is caseExact"
    );
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc(&format!("id eq \"{}\"", all_ids[1]))
        )),
        vec![all_ids[1].clone()]
    );
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc("emails.value eq \"user4@work.example.com\"")
        )),
        vec![all_ids[4].clone()]
    );
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc("emails[type eq \"work\"].value eq \"USER0@work.example.com\"")
        )),
        vec![all_ids[0].clone()]
    );
    assert!(one(format!(
        "/Users?filter={}",
        enc("emails[type eq \"home\"].value eq \"user0@work.example.com\"")
    ))
    .is_empty());
    assert_eq!(
        one(format!(
            "/Users?filter={}",
            enc(&format!(
                "userName eq \"{name}\" and externalId eq \"ext-2\""
            ))
        )),
        vec![all_ids[2].clone()]
    );
    assert!(one(format!(
        "/Users?filter={}",
        enc(&format!(
            "userName eq \"{name}\" and externalId eq \"ext-1\""
        ))
    ))
    .is_empty());
    // Entra's Test Connection: a random GUID finds nothing.
    let empty = get(&format!(
        "/Users?filter={}",
        enc("userName eq \"7f2f7a07-cc6b-4f42-a1c5-36c47bb2f0e4\"")
    ))
    .json();
    assert_eq!(
        (empty["totalResults"].clone(), empty["Resources"].clone()),
        (json!(0), json!([]))
    );
    // Entra appends flags to the tenant URL.
    assert_eq!(
        one(format!(
            "/Users?aadOptscim062020&filter={}",
            enc("externalId eq \"ext-4\"")
        )),
        vec![all_ids[4].clone()]
    );

    for bad in [
        "userName+eq",
        "nope+eq+%22x%22",
        "userName+eq+%22x",
        "(userName+eq+%22x%22",
    ] {
        get(&format!("/Users?filter={bad}")).expect_scim_error(400, Some("invalidFilter"));
    }
}

pub fn tenants_never_see_each_others_users(c: &impl Client) {
    let a = c.new_tenant(&unique("A "));
    let b = c.new_tenant(&unique("B "));
    let name = format!("{}@example.com", unique("secret."));
    let u = create(c, &a, okta_user(&name));
    let id = u["id"].as_str().unwrap();
    let path = format!("/Users/{id}");
    c.scim(&b.token, "GET", &path, None)
        .expect_scim_error(404, None);
    c.scim(&b.token, "PUT", &path, Some(okta_user(&name)))
        .expect_scim_error(404, None);
    c.scim(&b.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] })))
        .expect_scim_error(404, None);
    c.scim(&b.token, "DELETE", &path, None)
        .expect_scim_error(404, None);
    let list = c.scim(&b.token, "GET", "/Users", None).json();
    assert_eq!(list["totalResults"], json!(0));
    let by_name = c
        .scim(
            &b.token,
            "GET",
            &format!(
                "/Users?filter=userName+eq+%22{}%22",
                name.replace('@', "%40")
            ),
            None,
        )
        .json();
    assert_eq!(by_name["totalResults"], json!(0));
    // A's user is untouched.
    assert_eq!(c.scim(&a.token, "GET", &path, None).json(), u);
}

pub fn enterprise_manager_is_returned_in_rfc_form(c: &impl Client) {
    let t = c.new_tenant(&unique("Managers "));
    let boss = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("boss"), "displayName": "The Boss" }),
    );
    let boss_id = boss["id"].as_str().unwrap();
    // Entra sends the manager as a bare id.
    let u = create(
        c,
        &t,
        json!({ "schemas": [CORE, ENTERPRISE], "userName": unique("report"), ENTERPRISE: { "manager": boss_id } }),
    );
    let m = &u[ENTERPRISE]["manager"];
    assert_eq!(m["value"], json!(boss_id));
    assert_eq!(m["displayName"], json!("The Boss"));
    assert!(
        m["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{boss_id}")),
        "{m}"
    );
    // A manager id that names nobody (yet) is kept as written, without $ref.
    let v = create(
        c,
        &t,
        json!({ "schemas": [CORE, ENTERPRISE], "userName": unique("orphan"), ENTERPRISE: { "manager": { "value": "someone-else" } } }),
    );
    assert_eq!(v[ENTERPRISE]["manager"], json!({ "value": "someone-else" }));
}

pub fn discovery_endpoints(c: &impl Client) {
    let t = c.new_tenant(&unique("Discovery "));
    let schemas = c.scim(&t.token, "GET", "/Schemas", None);
    schemas.expect(200);
    let s = schemas.json();
    assert_eq!(s["schemas"], json!([LIST]));
    let ids: Vec<&str> = s["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&CORE) && ids.contains(&ENTERPRISE), "{ids:?}");
    let core = c.scim(&t.token, "GET", &format!("/Schemas/{CORE}"), None);
    core.expect(200);
    let core = core.json();
    let attrs: Vec<&str> = core["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(attrs.contains(&"userName") && attrs.contains(&"emails") && attrs.contains(&"active"));
    for not_kept in [
        "password",
        "groups",
        "roles",
        "entitlements",
        "x509Certificates",
    ] {
        assert!(!attrs.contains(&not_kept), "{not_kept} is advertised");
    }
    c.scim(&t.token, "GET", "/Schemas/urn:example:nope", None)
        .expect_scim_error(404, None);
    let rts = c.scim(&t.token, "GET", "/ResourceTypes", None).json();
    assert_eq!(rts["totalResults"], json!(1));
    let user = c.scim(&t.token, "GET", "/ResourceTypes/User", None).json();
    assert_eq!(user["endpoint"], json!("/Users"));
    assert_eq!(user["schema"], json!(CORE));
    assert!(user["schemaExtensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["schema"] == json!(ENTERPRISE)));
    c.scim(&t.token, "GET", "/ResourceTypes/Group", None)
        .expect_scim_error(404, None);
    // Writes to discovery endpoints: 405.
    for path in [
        "/Schemas",
        "/ResourceTypes",
        "/ServiceProviderConfig",
        "/ResourceTypes/User",
    ] {
        c.scim(&t.token, "POST", path, Some(json!({})))
            .expect_scim_error(405, None);
        c.scim(&t.token, "DELETE", path, None)
            .expect_scim_error(405, None);
    }
    let spc = c
        .scim(&t.token, "GET", "/ServiceProviderConfig", None)
        .json();
    assert_eq!(spc["patch"]["supported"], json!(true));
    assert_eq!(spc["filter"]["supported"], json!(true));
    assert!(spc["filter"]["maxResults"].as_i64().unwrap() > 0);
    // A wrong token is refused even here.
    c.scim(
        "scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "GET",
        "/Schemas",
        None,
    )
    .expect_scim_error(401, None);
}
