//! The company's own employee attributes (DESIGN §4, §7): defined through the admin API, sent
//! by IdPs under `urn:ietf:params:scim:schemas:extension:peakon:2.0:User`.

use crate::common::scenarios::users::{create, CORE, PATCH_OP};
use crate::common::{unique, Client, Tenant};
use serde_json::{json, Value};

pub const PEAKON: &str = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";

pub fn define(c: &impl Client, t: &Tenant, body: Value) -> Value {
    let r = c.admin("POST", &format!("/tenants/{}/attributes", t.id), Some(body));
    r.expect(201);
    r.json()
}

fn enc(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "+")
        .replace('"', "%22")
        .replace('@', "%40")
        .replace(':', "%3A")
}

pub fn admin_defines_attributes(c: &impl Client) {
    let t = c.new_tenant(&unique("Attrs "));
    let since = define(
        c,
        &t,
        json!({ "name": "Employed Since", "type": "date", "aliases": ["EmployedSince"] }),
    );
    let keys: Vec<&str> = since
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "id",
        "name",
        "scim_name",
        "type",
        "aliases",
        "options",
        "active",
    ] {
        assert!(keys.contains(&k), "missing {k}: {since}");
    }
    assert_eq!(since["name"], json!("Employed Since"));
    assert_eq!(since["scim_name"], json!("Employed_Since"));
    assert_eq!(since["type"], json!("date"));
    assert_eq!(since["aliases"], json!(["EmployedSince"]));
    assert_eq!(since["options"], Value::Null);
    assert_eq!(since["active"], json!(true));
    let dept = define(
        c,
        &t,
        json!({ "name": "Department", "type": "option", "options": ["Sales", "R&D"] }),
    );
    assert_eq!(dept["options"], json!(["Sales", "R&D"]));
    let dob = define(c, &t, json!({ "name": "Date of birth", "type": "date" }));
    assert_eq!(dob["scim_name"], json!("Date_of_birth"));
    let accented = define(c, &t, json!({ "name": "Équipe d'été", "type": "text" }));
    assert_eq!(accented["scim_name"], json!("Equipe_d_ete"));
    let digits = define(c, &t, json!({ "name": "2nd Manager", "type": "employee" }));
    assert_eq!(digits["scim_name"], json!("a_2nd_Manager"));

    // One namespace per tenant, compared without case.
    let base = format!("/tenants/{}/attributes", t.id);
    for clash in [
        json!({ "name": "department", "type": "text" }),
        json!({ "name": "Employed since", "type": "text" }),
        json!({ "name": "Tenure", "type": "number", "aliases": ["employed_since"] }),
        json!({ "name": "Tenure", "type": "number", "aliases": ["EMPLOYEDSINCE"] }),
        json!({ "name": "Employed_Since", "type": "text" }),
    ] {
        c.admin("POST", &base, Some(clash))
            .expect_admin_error(409, "conflict");
    }
    // Another tenant may use the same names.
    let other = c.new_tenant(&unique("Other "));
    define(c, &other, json!({ "name": "Department", "type": "text" }));

    for bad in [
        json!({ "name": "Colour", "type": "colour" }),
        json!({ "name": "Colour" }),
        json!({ "name": "Colour", "type": "text", "aliases": ["Favourite Colour"] }),
        json!({ "name": "Colour", "type": "text", "aliases": ["1st"] }),
        json!({ "name": "Colour", "type": "date", "options": ["a"] }),
        json!({ "name": "!!!", "type": "text" }),
        json!({ "name": "", "type": "text" }),
        json!({ "name": "Colour", "type": "text", "required": true }),
    ] {
        c.admin("POST", &base, Some(bad))
            .expect_admin_error(400, "invalid_request");
    }
    c.admin(
        "POST",
        "/tenants/tnt_nope/attributes",
        Some(json!({ "name": "X", "type": "text" })),
    )
    .expect_admin_error(404, "not_found");

    // Listed in creation order.
    let list = c.admin("GET", &base, None).json();
    let names: Vec<&str> = list["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scim_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "Employed_Since",
            "Department",
            "Date_of_birth",
            "Equipe_d_ete",
            "a_2nd_Manager"
        ]
    );

    // Rename: the SCIM name stays; the new display name answers, the old one no longer does.
    let id = since["id"].as_str().unwrap();
    let renamed = c.admin(
        "PATCH",
        &format!("{base}/{id}"),
        Some(json!({ "name": "Start date", "aliases": ["StartDate", "EmployedSince"] })),
    );
    renamed.expect(200);
    let r = renamed.json();
    assert_eq!(
        (
            r["name"].clone(),
            r["scim_name"].clone(),
            r["aliases"].clone()
        ),
        (
            json!("Start date"),
            json!("Employed_Since"),
            json!(["StartDate", "EmployedSince"])
        )
    );
    // The old display name no longer answers for it...
    let u = c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(json!({ "userName": unique("u"), PEAKON: { "Employed Since": "2020-01-01" } })),
    );
    u.expect_scim_error(400, Some("invalidValue"));
    let u = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("u"), PEAKON: { "Start date": "2020-01-01", "StartDate": null } }),
    );
    assert_eq!(u[PEAKON], json!({ "Employed_Since": "2020-01-01" }));
    // ...but a new attribute of that name would derive the same SCIM name, which stays taken.
    c.admin(
        "POST",
        &base,
        Some(json!({ "name": "Employed Since", "type": "text" })),
    )
    .expect_admin_error(409, "conflict");
    define(
        c,
        &t,
        json!({ "name": "Employed Since (old)", "type": "text" }),
    );
    c.admin(
        "PATCH",
        &format!("{base}/{id}"),
        Some(json!({ "aliases": ["Department"] })),
    )
    .expect_admin_error(409, "conflict");
    c.admin(
        "PATCH",
        &format!("{base}/{id}"),
        Some(json!({ "type": "text" })),
    )
    .expect_admin_error(400, "invalid_request");
    c.admin(
        "PATCH",
        &format!("{base}/{id}"),
        Some(json!({ "options": ["a"] })),
    )
    .expect_admin_error(400, "invalid_request");
    c.admin(
        "PATCH",
        &format!("{base}/att_nope"),
        Some(json!({ "active": false })),
    )
    .expect_admin_error(404, "not_found");
    let got = c.admin("GET", &format!("{base}/{id}"), None);
    got.expect(200);
    assert_eq!(got.json()["name"], json!("Start date"));
    c.admin("GET", &format!("{base}/att_nope"), None)
        .expect_admin_error(404, "not_found");
    // Deactivate and back.
    let off = c
        .admin(
            "PATCH",
            &format!("{base}/{id}"),
            Some(json!({ "active": false })),
        )
        .json();
    assert_eq!(off["active"], json!(false));
    let on = c
        .admin(
            "PATCH",
            &format!("{base}/{id}"),
            Some(json!({ "active": true })),
        )
        .json();
    assert_eq!(on["active"], json!(true));
    let opts = c
        .admin(
            "PATCH",
            &format!("{base}/{}", dept["id"].as_str().unwrap()),
            Some(json!({ "options": ["Sales", "R&D", "Support"] })),
        )
        .json();
    assert_eq!(opts["options"], json!(["Sales", "R&D", "Support"]));
}

/// The Okta custom-attribute flow of the seed guide: define Department and "Employed Since",
/// provision a user with `Employed_Since`, update it, filter on it, deactivate, reactivate.
pub fn okta_custom_attribute_flow(c: &impl Client) {
    let t = c.new_tenant(&unique("Okta custom "));
    define(c, &t, json!({ "name": "Department", "type": "text" }));
    define(c, &t, json!({ "name": "Employed Since", "type": "date" }));
    let name = format!("{}@example.com", unique("isaac."));
    let body = |since: &str, active: bool| {
        json!({
            "schemas": [CORE, PEAKON],
            "userName": name,
            "name": { "givenName": "Isaac", "familyName": "Brock" },
            "emails": [{ "primary": true, "value": name, "type": "work" }],
            "active": active,
            PEAKON: { "department": "Engineering", "Employed_Since": since }
        })
    };
    let u = create(c, &t, body("2019-03-01", true));
    assert_eq!(
        u[PEAKON],
        json!({ "Department": "Engineering", "Employed_Since": "2019-03-01" })
    );
    assert!(u["schemas"].as_array().unwrap().contains(&json!(PEAKON)));
    let id = u["id"].as_str().unwrap().to_string();
    let path = format!("/Users/{id}");
    assert_eq!(
        c.scim(&t.token, "GET", &path, None).json()[PEAKON],
        u[PEAKON]
    );

    // Okta updates profiles with PUT.
    let put = c.scim(&t.token, "PUT", &path, Some(body("2018-06-15", true)));
    put.expect(200);
    assert_eq!(put.json()[PEAKON]["Employed_Since"], json!("2018-06-15"));

    // Filter on it (dates compare as instants).
    let other = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("later"), PEAKON: { "Employed_Since": "2021-01-10T09:00:00+01:00" } }),
    );
    assert_eq!(
        other[PEAKON]["Employed_Since"],
        json!("2021-01-10T08:00:00.000Z")
    );
    let found = |filter: &str| -> Vec<String> {
        let r = c.scim(
            &t.token,
            "GET",
            &format!("/Users?filter={}", enc(filter)),
            None,
        );
        r.expect(200);
        r.json()["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        found(&format!("{PEAKON}:Employed_Since lt \"2020-01-01\"")),
        vec![id.clone()]
    );
    assert_eq!(
        found(&format!(
            "{PEAKON}:Employed_Since ge \"2021-01-10T08:00:00Z\""
        )),
        vec![other["id"].as_str().unwrap().to_string()]
    );
    assert_eq!(
        found(&format!("{PEAKON}:department eq \"engineering\"")),
        vec![id.clone()]
    );
    assert_eq!(
        found("Employed_Since pr").len(),
        2,
        "an unqualified name finds the company's attribute"
    );

    // Deactivate with Okta's PATCH, reactivate; the attributes stay.
    let off = c.scim(&t.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] })));
    assert_eq!(off.json()["active"], json!(false));
    assert_eq!(off.json()[PEAKON]["Employed_Since"], json!("2018-06-15"));
    let on = c.scim(&t.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": true } }] })));
    assert_eq!(on.json()["active"], json!(true));

    // Unknown and badly typed values are 400 invalidValue naming the attribute.
    let mut bad = body("2019-03-01", true);
    bad[PEAKON] = json!({ "Favourite_Colour": "red" });
    bad["userName"] = json!(unique("bad"));
    let e = c
        .scim(&t.token, "POST", "/Users", Some(bad.clone()))
        .expect_scim_error(400, Some("invalidValue"));
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.contains("Favourite_Colour")
            && detail.contains("Department")
            && detail.contains("Employed_Since"),
        "{detail}"
    );
    bad[PEAKON] = json!({ "Employed_Since": "last spring" });
    let e = c
        .scim(&t.token, "POST", "/Users", Some(bad))
        .expect_scim_error(400, Some("invalidValue"));
    assert!(e["detail"].as_str().unwrap().contains("Employed_Since"));
}

/// Employee references: by email, userName or id; pending until the employee exists; shown as
/// that employee's email; gone when that employee is deleted.
pub fn employee_references(c: &impl Client) {
    let t = c.new_tenant(&unique("Refs "));
    define(c, &t, json!({ "name": "Manager", "type": "employee" }));
    let boss_email = format!("{}@example.com", unique("boss."));
    // The report arrives first (Okta does not order its creates): pending, shown as sent.
    let report = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("report"), PEAKON: { "Manager": boss_email.to_uppercase() } }),
    );
    assert_eq!(report[PEAKON]["Manager"], json!(boss_email.to_uppercase()));
    let report_path = format!("/Users/{}", report["id"].as_str().unwrap());
    // Then the boss: the reference resolves, and shows the boss's email as the boss wrote it.
    let boss = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("boss"), "emails": [{ "value": boss_email, "type": "work" }] }),
    );
    let boss_id = boss["id"].as_str().unwrap().to_string();
    assert_eq!(
        c.scim(&t.token, "GET", &report_path, None).json()[PEAKON]["Manager"],
        json!(boss_email)
    );
    // It follows the boss's later changes.
    let new_email = format!("{}@example.com", unique("boss.new."));
    let put = c.scim(&t.token, "PUT", &format!("/Users/{boss_id}"), Some(json!({ "schemas": [CORE], "userName": boss["userName"], "emails": [{ "value": new_email, "type": "work" }] })));
    put.expect(200);
    assert_eq!(
        c.scim(&t.token, "GET", &report_path, None).json()[PEAKON]["Manager"],
        json!(new_email)
    );
    // By userName and by id.
    let by_name = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("r2"), PEAKON: { "Manager": boss["userName"] } }),
    );
    assert_eq!(by_name[PEAKON]["Manager"], json!(new_email));
    let by_id = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("r3"), PEAKON: { "Manager": boss_id } }),
    );
    assert_eq!(by_id[PEAKON]["Manager"], json!(new_email));
    // The list shows references too.
    let list = c.scim(&t.token, "GET", "/Users", None).json();
    let shown: Vec<&Value> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u.get(PEAKON))
        .map(|p| &p["Manager"])
        .collect();
    assert_eq!(
        shown,
        vec![&json!(new_email), &json!(new_email), &json!(new_email)]
    );
    // Deleting the boss removes the references, and the reports' versions move on.
    let before = c.scim(&t.token, "GET", &report_path, None).json();
    c.scim(&t.token, "DELETE", &format!("/Users/{boss_id}"), None)
        .expect(204);
    let after = c.scim(&t.token, "GET", &report_path, None).json();
    assert!(after.get(PEAKON).is_none(), "{after}");
    assert_ne!(after["meta"]["version"], before["meta"]["version"]);
    // A new employee with the old email does not inherit the removed reference.
    create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("boss2"), "emails": [{ "value": new_email }] }),
    );
    assert!(c
        .scim(&t.token, "GET", &report_path, None)
        .json()
        .get(PEAKON)
        .is_none());
}

pub fn deactivated_attributes_are_ignored_and_kept(c: &impl Client) {
    let t = c.new_tenant(&unique("Deactivated "));
    let shoe = define(c, &t, json!({ "name": "Shoe size", "type": "number" }));
    let shoe_id = shoe["id"].as_str().unwrap();
    let u = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("feet"), PEAKON: { "Shoe_size": "44" } }),
    );
    assert_eq!(u[PEAKON], json!({ "Shoe_size": 44 }));
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    c.admin(
        "PATCH",
        &format!("/tenants/{}/attributes/{shoe_id}", t.id),
        Some(json!({ "active": false })),
    )
    .expect(200);
    // Not shown, not in /Schemas, ignored on input (no 400: IdP mappings outlive the change).
    let hidden = c.scim(&t.token, "GET", &path, None).json();
    assert!(hidden.get(PEAKON).is_none(), "{hidden}");
    let schema = c
        .scim(&t.token, "GET", &format!("/Schemas/{PEAKON}"), None)
        .json();
    assert_eq!(schema["attributes"], json!([]));
    let put = c.scim(&t.token, "PUT", &path, Some(json!({ "schemas": [CORE, PEAKON], "userName": u["userName"], PEAKON: { "Shoe_size": 46 } })));
    put.expect(200);
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(json!({ "schemas": [CORE, PEAKON], "userName": unique("new"), PEAKON: { "shoe size": 40 } })),
    )
    .expect(201);
    // Active again: the stored value was kept, unchanged.
    c.admin(
        "PATCH",
        &format!("/tenants/{}/attributes/{shoe_id}", t.id),
        Some(json!({ "active": true })),
    )
    .expect(200);
    assert_eq!(
        c.scim(&t.token, "GET", &path, None).json()[PEAKON],
        json!({ "Shoe_size": 44 })
    );
    // Renaming keeps the value too, and responses use the unchanged SCIM name.
    c.admin(
        "PATCH",
        &format!("/tenants/{}/attributes/{shoe_id}", t.id),
        Some(json!({ "name": "Shoe size (EU)" })),
    )
    .expect(200);
    assert_eq!(
        c.scim(&t.token, "GET", &path, None).json()[PEAKON],
        json!({ "Shoe_size": 44 })
    );
}

pub fn each_tenant_sees_only_its_own_attributes(c: &impl Client) {
    let a = c.new_tenant(&unique("A "));
    let b = c.new_tenant(&unique("B "));
    define(c, &a, json!({ "name": "Cost Centre", "type": "text" }));
    let schema_a = c
        .scim(&a.token, "GET", &format!("/Schemas/{PEAKON}"), None)
        .json();
    assert_eq!(schema_a["attributes"][0]["name"], json!("Cost_Centre"));
    assert_eq!(
        schema_a["attributes"][0]["description"],
        json!("Cost Centre")
    );
    let schema_b = c
        .scim(&b.token, "GET", &format!("/Schemas/{PEAKON}"), None)
        .json();
    assert_eq!(schema_b["attributes"], json!([]));
    let all_b = c.scim(&b.token, "GET", "/Schemas", None).json();
    assert!(!all_b.to_string().contains("Cost_Centre"));
    let rt = c.scim(&a.token, "GET", "/ResourceTypes/User", None).json();
    assert!(rt["schemaExtensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["schema"] == json!(PEAKON)));
    c.scim(
        &b.token,
        "POST",
        "/Users",
        Some(json!({ "userName": unique("x"), PEAKON: { "Cost_Centre": "42" } })),
    )
    .expect_scim_error(400, Some("invalidValue"));
    // A change applies to the very next request.
    define(c, &b, json!({ "name": "Cost Centre", "type": "number" }));
    let u = create(
        c,
        &b,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("y"), PEAKON: { "cost centre": "42" } }),
    );
    assert_eq!(u[PEAKON], json!({ "Cost_Centre": 42 }));
    // A filter on an attribute the tenant does not have is a 400 naming it.
    let e = c
        .scim(
            &a.token,
            "GET",
            &format!("/Users?filter={}", enc(&format!("{PEAKON}:Shoe_size gt 3"))),
            None,
        )
        .expect_scim_error(400, Some("invalidFilter"));
    assert!(e["detail"].as_str().unwrap().contains("Shoe_size"));
}

/// The Entra flow: the company's attributes by extension URN paths, `Replace` with a capital R,
/// a Manager given by email before that employee exists, then created, then resolved.
pub fn entra_custom_attribute_flow(c: &impl Client) {
    let t = c.new_tenant(&unique("Entra custom "));
    define(
        c,
        &t,
        json!({ "name": "Department", "type": "option", "options": ["Sales", "Engineering"] }),
    );
    define(
        c,
        &t,
        json!({ "name": "Employed Since", "type": "date", "aliases": ["EmployedSince"] }),
    );
    define(c, &t, json!({ "name": "Manager", "type": "employee" }));
    let boss_email = format!("{}@contoso.com", unique("kelly."));
    // Entra's create body, with the company's extension.
    let u = create(
        c,
        &t,
        json!({
            "schemas": [CORE, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", PEAKON],
            "externalId": unique("jyoung"),
            "userName": format!("{}@contoso.com", unique("jyoung.")),
            "active": true,
            "emails": [{ "primary": true, "type": "work", "value": "jyoung@contoso.com" }],
            "name": { "formatted": "Jordan Young", "familyName": "Young", "givenName": "Jordan" },
            "roles": [],
            PEAKON: { "Department": "sales" }
        }),
    );
    assert_eq!(u[PEAKON], json!({ "Department": "Sales" }));
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    // Several capitalised Replace operations with extension URN paths, booleans as strings.
    let r = c.scim(
        &t.token,
        "PATCH",
        &path,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "Replace", "path": format!("{PEAKON}:Department"), "value": "Engineering" },
                { "op": "Replace", "path": format!("{PEAKON}:EmployedSince"), "value": "2020-09-01" },
                { "op": "Add", "path": format!("{PEAKON}:Manager"), "value": boss_email },
                { "op": "Replace", "path": "active", "value": "False" }
            ]
        })),
    );
    r.expect(200);
    let patched = r.json();
    assert_eq!(
        patched[PEAKON],
        json!({ "Department": "Engineering", "Employed_Since": "2020-09-01", "Manager": boss_email })
    );
    assert_eq!(patched["active"], json!(false));
    // The manager arrives later (Entra provisions in no particular order)...
    let boss = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("kelly"), "emails": [{ "type": "work", "value": boss_email.to_uppercase() }] }),
    );
    // ...and the reference resolves to that employee's email.
    let got = c.scim(&t.token, "GET", &path, None).json();
    assert_eq!(got[PEAKON]["Manager"], json!(boss_email.to_uppercase()));
    let enc = |s: &str| s.replace(' ', "+").replace('"', "%22").replace(':', "%3A");
    let found = c
        .scim(
            &t.token,
            "GET",
            &format!(
                "/Users?filter={}",
                enc(&format!("{PEAKON}:Department eq \"engineering\""))
            ),
            None,
        )
        .json();
    assert_eq!(found["totalResults"], json!(1));
    // A path-less Replace with full extension URN keys (Entra's aadOptscim062020 behaviour), and
    // Remove of one attribute by its path.
    let r = c.scim(
        &t.token,
        "PATCH",
        &format!("{path}?aadOptscim062020"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "Replace", "value": { format!("{PEAKON}:Department"): "Sales", "active": "True" } },
                { "op": "Remove", "path": format!("{PEAKON}:Employed_Since") }
            ]
        })),
    );
    r.expect(200);
    let after = r.json();
    assert_eq!(
        after[PEAKON],
        json!({ "Department": "Sales", "Manager": boss_email.to_uppercase() })
    );
    assert_eq!(after["active"], json!(true));
    // A value outside the option list, or for an unknown attribute: 400 naming it.
    let bad = c.scim(&t.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": format!("{PEAKON}:Department"), "value": "Marketing" }] })));
    let e = bad.expect_scim_error(400, Some("invalidValue"));
    assert!(e["detail"].as_str().unwrap().contains("Department"), "{e}");
    let unknown = c.scim(&t.token, "PATCH", &path, Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": format!("{PEAKON}:CostCenter"), "value": "x" }] })));
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(unknown.body.contains("CostCenter"), "{}", unknown.body);
    // Deleting the manager removes the reference.
    c.scim(
        &t.token,
        "DELETE",
        &format!("/Users/{}", boss["id"].as_str().unwrap()),
        None,
    )
    .expect(204);
    assert_eq!(
        c.scim(&t.token, "GET", &path, None).json()[PEAKON],
        json!({ "Department": "Sales" })
    );
}

/// Issue 14: a filter on an employee attribute compares as the employee it names, read as a
/// write reads it (DESIGN §4: by SCIM id, else userName, else email, the last two ignoring
/// case), or as a pending reference's value; `ne` and `pr` follow, and it keeps following
/// the employee's later changes.
pub fn employee_attributes_filter_as_the_employee_they_name(c: &impl Client) {
    use crate::common::scenarios::query::enc;
    let t = c.new_tenant(&unique("Ref filters "));
    define(
        c,
        &t,
        json!({ "name": "Mentor", "type": "employee", "aliases": ["Coach"] }),
    );
    let boss_email = format!("{}@example.com", unique("mentor."));
    let boss = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("mentor"), "emails": [{ "value": boss_email, "type": "work" }] }),
    );
    let boss_id = boss["id"].as_str().unwrap().to_string();
    let boss_name = boss["userName"].as_str().unwrap().to_string();
    let with_mentor = |name: &str, mentor: Option<&str>| -> String {
        let mut body = json!({ "schemas": [CORE, PEAKON], "userName": unique(name) });
        if let Some(m) = mentor {
            body[PEAKON] = json!({ "Mentor": m });
        }
        create(c, &t, body)["id"].as_str().unwrap().to_string()
    };
    let pending_email = format!("{}@Example.com", unique("Later."));
    let by_email = with_mentor("a", Some(&boss_email.to_uppercase()));
    let by_name = with_mentor("b", Some(&boss_name));
    let by_id = with_mentor("c", Some(&boss_id));
    let pending = with_mentor("d", Some(&pending_email));
    let none = with_mentor("e", None);
    let found = |filter: &str| -> Vec<String> {
        let r = c.scim(
            &t.token,
            "GET",
            &format!("/Users?filter={}", enc(filter)),
            None,
        );
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        let mut ids: Vec<String> = r.json()["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let set = |ids: &[&String]| {
        let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    let mentored = set(&[&by_email, &by_name, &by_id]);
    let table: Vec<(String, Vec<String>)> = vec![
        // However each reference was written, each way of naming the mentor finds all three.
        (format!("Mentor eq {boss_id}"), mentored.clone()),
        (
            format!("Mentor eq \"{}\"", boss_email.to_uppercase()),
            mentored.clone(),
        ),
        (
            format!("{PEAKON}:coach eq {}", boss_name.to_uppercase()),
            mentored.clone(),
        ),
        // An id compares exactly (DESIGN §4), another employee is another employee.
        (format!("Mentor eq {}", boss_id.to_uppercase()), vec![]),
        (format!("Mentor eq {none}"), vec![]),
        // A pending reference compares as its value, ignoring case.
        (
            format!("Mentor eq {}", pending_email.to_lowercase()),
            set(&[&pending]),
        ),
        // ne, pr and null.
        (
            format!("Mentor ne {boss_id}"),
            set(&[&boss_id, &pending, &none]),
        ),
        (
            "Mentor pr".into(),
            set(&[&by_email, &by_name, &by_id, &pending]),
        ),
        ("Mentor eq null".into(), set(&[&boss_id, &none])),
    ];
    for (filter, expected) in &table {
        assert_eq!(&found(filter), expected, "{filter}");
    }
    // Substrings and orders of an identity are refused, saying why.
    let r = c.scim(
        &t.token,
        "GET",
        &format!("/Users?filter={}", enc("Mentor co mentor")),
        None,
    );
    let body = r.expect_scim_error(400, Some("invalidFilter"));
    assert_eq!(
        body["detail"],
        json!(format!(
            "\"{PEAKON}:Mentor\" is an employee reference; only eq, ne and pr apply"
        ))
    );
    // The mentor changes email: the new one names them, the old one nobody.
    let new_email = format!("{}@example.com", unique("mentor.new."));
    c.scim(
        &t.token,
        "PUT",
        &format!("/Users/{boss_id}"),
        Some(json!({ "schemas": [CORE], "userName": boss_name, "emails": [{ "value": new_email, "type": "work" }] })),
    )
    .expect(200);
    assert_eq!(found(&format!("Mentor eq {new_email}")), mentored);
    assert_eq!(
        found(&format!("Mentor eq {boss_email}")),
        Vec::<String>::new()
    );
    // The pending employee arrives: the reference resolves, and their id names them.
    let later = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": unique("later"), "emails": [{ "value": pending_email }] }),
    );
    let later_id = later["id"].as_str().unwrap();
    assert_eq!(found(&format!("Mentor eq {later_id}")), set(&[&pending]));
}
