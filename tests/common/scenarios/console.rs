//! What the console reads through the admin API (issue 23): attribute health and its alias
//! call, roster search, the roster as CSV, the connection status. Expected values are written
//! out here, never computed by the code under test.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::users::{CORE, PATCH_OP};
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

const OKTA_UA: &str = "Okta SCIM Client 1.0.0";

/// A SCIM request as Okta sends it (its User-Agent).
fn okta(c: &impl Client, t: &Tenant, method: &str, path: &str, body: Value) -> Reply {
    let auth = format!("Bearer {}", t.token);
    let body = body.to_string();
    c.send(
        method,
        &format!("/scim/v2{path}"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
            ("User-Agent", OKTA_UA),
        ],
        Some(body.as_bytes()),
    )
}

fn person(user_name: &str, given: &str, family: &str, ext: Option<Value>) -> Value {
    let mut body = json!({
        "schemas": [CORE],
        "userName": user_name,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "active": true
    });
    if let Some(ext) = ext {
        body["schemas"].as_array_mut().unwrap().push(json!(PEAKON));
        body[PEAKON] = ext;
    }
    body
}

fn health(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/attribute-health", t.id), None);
    r.expect(200);
    r.json()
}

/// The flow: Okta sends a name no attribute answers to (400), it shows in attribute
/// health, the alias call fixes it, and the same request then succeeds.
pub fn an_unknown_extension_name_is_aliased_from_attribute_health(c: &impl Client) {
    let t = c.new_tenant(&unique("Health "));
    let cost = define(c, &t, json!({ "name": "Cost Center", "type": "text" }));
    let since = define(c, &t, json!({ "name": "Employed Since", "type": "date" }));
    let id = cost["id"].as_str().unwrap();

    let h = health(c, &t);
    assert_eq!(h["unmatched"], json!([]));
    let never: Vec<&str> = h["never_received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scim_name"].as_str().unwrap())
        .collect();
    assert_eq!(never, ["Cost_Center", "Employed_Since"]);
    assert!(h["never_received"][0]["hint"]
        .as_str()
        .unwrap()
        .contains("External namespace"));

    let body = person(
        &format!("{}@example.com", unique("ada")),
        "Ada",
        "Lovelace",
        Some(json!({ "CostCentre": "R&D" })),
    );
    let refused = okta(c, &t, "POST", "/Users", body.clone());
    let e = refused.expect_scim_error(400, Some("invalidValue"));
    assert!(
        e["detail"].as_str().unwrap().contains("\"CostCentre\""),
        "{e}"
    );
    okta(c, &t, "POST", "/Users", body.clone()).expect(400);

    let h = health(c, &t);
    let unmatched = h["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{h}");
    assert_eq!(unmatched[0]["name"], json!("CostCentre"));
    assert_eq!(unmatched[0]["count"], json!(2));
    assert_eq!(unmatched[0]["client"], json!(OKTA_UA));
    assert_eq!(unmatched[0]["can_alias"], json!(true));
    assert!(unmatched[0]["last_seen"].as_str().is_some());

    // A value an attribute refuses: its reason is kept.
    let bad_date = person(
        &format!("{}@example.com", unique("bo")),
        "Bo",
        "Diddley",
        Some(json!({ "Employed_Since": "soon" })),
    );
    okta(c, &t, "POST", "/Users", bad_date).expect(400);
    let h = health(c, &t);
    assert_eq!(h["refused"].as_array().unwrap().len(), 1, "{h}");
    assert_eq!(h["refused"][0]["id"], since["id"]);
    assert_eq!(h["refused"][0]["count"], json!(1));
    assert!(h["refused"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("is of type date"));

    // The alias call: a name that is no ATTRNAME is refused, and so is an unknown attribute.
    let path = format!("/tenants/{}/attribute-health/aliases", t.id);
    c.admin(
        "POST",
        &path,
        Some(json!({ "name": "Cost Centre", "attribute": id })),
    )
    .expect_admin_error(400, "invalid_request");
    c.admin(
        "POST",
        &path,
        Some(json!({ "name": "CostCentre", "attribute": "att_nope" })),
    )
    .expect_admin_error(404, "not_found");
    let aliased = c.admin(
        "POST",
        &path,
        Some(json!({ "name": "CostCentre", "attribute": id })),
    );
    aliased.expect(200);
    assert_eq!(aliased.json()["aliases"], json!(["CostCentre"]));
    assert_eq!(health(c, &t)["unmatched"], json!([]));

    // The same request now succeeds, and the attribute counts as received.
    let created = okta(c, &t, "POST", "/Users", body);
    created.expect(201);
    assert_eq!(created.json()[PEAKON], json!({ "Cost_Center": "R&D" }));
    let h = health(c, &t);
    let never: Vec<&str> = h["never_received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scim_name"].as_str().unwrap())
        .collect();
    assert_eq!(never, ["Employed_Since"]);
    let cost_health = h["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == cost["id"])
        .unwrap();
    assert!(cost_health["last_received"].as_str().is_some(), "{h}");
}

fn search(c: &impl Client, t: &Tenant, query: &str) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/employees?{query}", t.id), None);
    r.expect(200);
    r.json()
}

fn names(page: &Value) -> Vec<String> {
    page["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["userName"].as_str().unwrap().to_string())
        .collect()
}

/// `q=`: a prefix of any word of the names, the userName or an email, ignoring case and
/// accents, with `eligible`, `at` and paging.
pub fn roster_search_ignores_case_and_accents(c: &impl Client) {
    let t = c.new_tenant(&unique("Search "));
    let scim = |body: Value| {
        let r = c.scim(&t.token, "POST", "/Users", Some(body));
        r.expect(201);
        r.json()["id"].as_str().unwrap().to_string()
    };
    let jose = scim(person("jn@example.com", "José", "Núñez", None));
    scim(person("ana@example.com", "Ana", "García-López", None));
    scim(person("bob@example.com", "Bob", "Josephs", None));
    c.tick(3);
    let before = search(c, &t, "")["at"].as_str().unwrap().to_string();
    c.tick(3);
    scim(person("zoe@example.com", "Zoë", "Jos", None));

    let table: [(&str, &[&str]); 11] = [
        // A prefix: "jose" begins "Josephs" too.
        ("q=jose", &["bob@example.com", "jn@example.com"]),
        ("q=jos%C3%A9+n", &["jn@example.com"]),
        ("q=nun", &["jn@example.com"]),
        ("q=N%C3%9A%C3%91", &["jn@example.com"]),
        ("q=lop", &["ana@example.com"]),
        ("q=garcia-l", &[]),
        (
            "q=jos",
            &["bob@example.com", "jn@example.com", "zoe@example.com"],
        ),
        ("q=jos+nu", &["jn@example.com"]),
        ("q=ana%40ex", &["ana@example.com"]),
        ("q=zoe", &["zoe@example.com"]),
        ("q=xyz", &[]),
    ];
    for (query, expected) in table {
        let page = search(c, &t, query);
        assert_eq!(names(&page), expected, "{query}");
        assert_eq!(page["total"], json!(expected.len()), "{query}");
    }
    // At an earlier time: Zoë did not exist yet.
    let at = before.replace('+', "%2B").replace(':', "%3A");
    assert_eq!(
        names(&search(c, &t, &format!("q=jos&at={at}"))),
        ["bob@example.com", "jn@example.com"]
    );
    // With eligible: José deactivated.
    c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{jose}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .expect(200);
    assert_eq!(
        names(&search(c, &t, "q=jos&eligible=true")),
        ["bob@example.com", "zoe@example.com"]
    );
    assert_eq!(
        names(&search(c, &t, "q=jos&eligible=false")),
        ["jn@example.com"]
    );
    // Paging keeps the search; a cursor with another q is refused.
    let first = search(c, &t, "q=jos&limit=2");
    assert_eq!(names(&first), ["bob@example.com", "jn@example.com"]);
    assert_eq!(first["total"], json!(3));
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = search(c, &t, &format!("q=jos&limit=2&cursor={cursor}"));
    assert_eq!(names(&second), ["zoe@example.com"]);
    assert_eq!(second["next_cursor"], Value::Null);
    c.admin(
        "GET",
        &format!("/tenants/{}/employees?q=ana&cursor={cursor}", t.id),
        None,
    )
    .expect_admin_error(400, "invalid_request");
    c.admin(
        "GET",
        &format!("/tenants/{}/employees?q=a+b+c+d+e", t.id),
        None,
    )
    .expect_admin_error(400, "invalid_request");
}

/// The roster as CSV: its columns, RFC 4180 quoting, and the formula escape.
pub fn the_roster_exports_as_csv(c: &impl Client) {
    let t = c.new_tenant(&unique("Export "));
    define(c, &t, json!({ "name": "Note", "type": "text" }));
    define(c, &t, json!({ "name": "Level", "type": "number" }));
    define(c, &t, json!({ "name": "=Team", "type": "text" }));
    let quiet = define(c, &t, json!({ "name": "Retired", "type": "text" }));
    let create = |body: Value| {
        let r = c.scim(&t.token, "POST", "/Users", Some(body));
        r.expect(201);
        r.json()["id"].as_str().unwrap().to_string()
    };
    let a = create(person(
        "a@example.com",
        "=cmd|' /C calc'!A0",
        "Smith, Jr.",
        Some(json!({ "Note": "@SUM(1+1)", "Level": -5 })),
    ));
    let b = create(person(
        "b@example.com",
        "José",
        "Núñez",
        Some(json!({ "Note": "says \"hi\"", "Level": 3 })),
    ));
    c.admin(
        "PATCH",
        &format!(
            "/tenants/{}/attributes/{}",
            t.id,
            quiet["id"].as_str().unwrap()
        ),
        Some(json!({ "active": false })),
    )
    .expect(200);
    c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{b}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .expect(200);

    let r = c.admin("GET", &format!("/tenants/{}/employees.csv", t.id), None);
    r.expect(200);
    assert_eq!(
        r.header("content-type"),
        Some("text/csv; charset=utf-8; header=present")
    );
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=\"employees-"));
    let body = r.body.strip_prefix('\u{feff}').expect("a byte-order mark");
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{body:?}");
    assert_eq!(
        lines[0],
        "id,userName,email,givenName,familyName,active,eligible,changed_at,Note,Level,\"'=Team\""
    );
    let a_line = format!(
        "{a},a@example.com,a@example.com,\"'=cmd|' /C calc'!A0\",\"Smith, Jr.\",true,true,"
    );
    assert!(lines[1].starts_with(&a_line), "{}", lines[1]);
    assert!(
        lines[1].ends_with(",\"'@SUM(1+1)\",\"'-5\","),
        "{}",
        lines[1]
    );
    let b_line = format!("{b},b@example.com,b@example.com,José,Núñez,false,false,");
    assert!(lines[2].starts_with(&b_line), "{}", lines[2]);
    assert!(
        lines[2].ends_with(",\"says \"\"hi\"\"\",3,"),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], "");

    // The roster's filters apply.
    let r = c.admin(
        "GET",
        &format!("/tenants/{}/employees.csv?q=nunez&eligible=false", t.id),
        None,
    );
    r.expect(200);
    let rows: Vec<&str> = r.body.split("\r\n").collect();
    assert_eq!(rows.len(), 3, "{:?}", r.body);
    assert!(rows[1].starts_with(&b_line));
    c.admin(
        "GET",
        &format!("/tenants/{}/employees.csv?eligible=maybe", t.id),
        None,
    )
    .expect_admin_error(400, "invalid_request");
    c.admin("GET", "/tenants/tnt_nope/employees.csv", None)
        .expect_admin_error(404, "not_found");
}

/// Connection status: last request and client per token, refused writes of the last 24 h by
/// status, the last success and refusal.
pub fn connection_status_shows_requests_and_errors(c: &impl Client) {
    let t = c.new_tenant(&unique("Conn "));
    let path = format!("/tenants/{}/connection", t.id);
    let empty = c.admin("GET", &path, None);
    empty.expect(200);
    let s = empty.json();
    assert_eq!(s["last_success"], Value::Null);
    assert_eq!(s["errors_24h"]["total"], json!(0));
    assert_eq!(s["tokens"][0]["last_used"], Value::Null);

    okta(
        c,
        &t,
        "POST",
        "/Users",
        person("c@example.com", "C", "D", None),
    )
    .expect(201);
    okta(
        c,
        &t,
        "POST",
        "/Users",
        person("c@example.com", "C", "D", None),
    )
    .expect(409);
    okta(c, &t, "POST", "/Users", json!({"schemas": [CORE]})).expect(400);
    okta(c, &t, "POST", "/Users", json!({"schemas": [CORE]})).expect(400);

    // The token's last_used is written after the answer (the worker's waitUntil).
    let mut s = Value::Null;
    for _ in 0..50 {
        s = c.admin("GET", &path, None).json();
        if !s["tokens"][0]["last_used"].is_null() {
            break;
        }
        c.tick(100);
    }
    assert_eq!(s["tokens"][0]["token_id"], json!(t.token_id));
    assert_eq!(s["tokens"][0]["last_client"], json!(OKTA_UA));
    assert_eq!(s["last_request"]["client"], json!(OKTA_UA));
    assert_eq!(
        s["errors_24h"]["by_status"],
        json!([{"status": 400, "count": 2}, {"status": 409, "count": 1}])
    );
    assert_eq!(s["errors_24h"]["total"], json!(3));
    assert_eq!(s["last_success"]["operation"], json!("create"));
    assert_eq!(s["last_success"]["status"], json!(201));
    assert_eq!(s["last_success"]["client"], json!(OKTA_UA));
    assert_eq!(s["last_error"]["status"], json!(400));
    c.admin("GET", "/tenants/tnt_nope/connection", None)
        .expect_admin_error(404, "not_found");
}
