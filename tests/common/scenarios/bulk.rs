//! Bulk requests (RFC 7644 §3.7): many writes in one request, each as its single request
//! would be, with `bulkId` references, `failOnErrors`, the limits of §3.7.4 and one
//! activity-log entry per operation.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::reports::activity;
use crate::common::scenarios::users::{CORE, ENTERPRISE, PATCH_OP};
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The tenant extension, for references in employee attributes.
pub const PEAKON_REF: &str = PEAKON;
/// What `/ServiceProviderConfig` advertises (RFC 7644 §3.7.4).
pub const MAX_OPERATIONS: usize = 30;
pub const MAX_PAYLOAD_SIZE: usize = 1_048_576;

/// A BulkRequest of `operations`.
pub fn bulk_request(operations: Vec<Value>, fail_on_errors: Option<u64>) -> Value {
    let mut body = json!({"schemas": [BULK_REQUEST], "Operations": operations});
    if let Some(n) = fail_on_errors {
        body["failOnErrors"] = json!(n);
    }
    body
}

/// A POST of `data` with `bulk_id`.
pub fn post(bulk_id: &str, data: Value) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data})
}

/// Sends a Bulk request; the reply.
pub fn bulk_reply(c: &impl Client, t: &Tenant, body: &Value) -> Reply {
    c.scim(&t.token, "POST", "/Bulk", Some(body.clone()))
}

/// Sends a Bulk request (200); its BulkResponse.
pub fn bulk(c: &impl Client, t: &Tenant, body: Value) -> Value {
    let r = bulk_reply(c, t, &body);
    r.expect(200);
    let answer = r.json();
    assert_eq!(answer["schemas"], json!([BULK_RESPONSE]), "{answer}");
    answer
}

/// The `status` of each result.
pub fn statuses(answer: &Value) -> Vec<String> {
    answer["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_string())
        .collect()
}

/// The user id a result's `location` names.
pub fn id_at(answer: &Value, i: usize) -> String {
    let location = answer["Operations"][i]["location"]
        .as_str()
        .unwrap_or_else(|| panic!("no location in result {i}: {answer}"));
    location.rsplit('/').next().unwrap().to_string()
}

pub fn user(user_name: &str) -> Value {
    json!({
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": "Bulk", "familyName": "User"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
    })
}

/// How many users of the tenant have a userName that starts with `prefix`.
fn users_starting(c: &impl Client, t: &Tenant, prefix: &str) -> u64 {
    let r = c.scim(
        &t.token,
        "GET",
        &format!("/Users?count=0&filter=userName+sw+%22{prefix}%22"),
        None,
    );
    r.expect(200);
    r.json()["totalResults"].as_u64().unwrap()
}

/// The activity-log entries of one request, oldest first: `[operation, status, user_name]`.
fn log_of(c: &impl Client, t: &Tenant, request_id: &str) -> Vec<(String, u64, String)> {
    let page = activity(c, &t.id, &[("limit", "1000")]);
    let mut entries: Vec<(String, u64, String)> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["request_id"] == request_id)
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
                e["user_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

/// A request of `maxOperations` operations of every kind: creates (one with a custom
/// attribute by its alias, one deactivated), the Okta and Entra PATCH forms, PUT, DELETE,
/// operations on users created earlier in the same request (by `bulkId` path), and one with a
/// stale `version`. Every result in order, the users as the single requests would leave them,
/// the roster's deactivation history, and one activity-log entry per operation.
pub fn a_mixed_request_of_max_operations(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk mixed "));
    define(
        c,
        &t,
        json!({"name": "Employed Since", "type": "date", "aliases": ["EmployedSince"]}),
    );
    let p = unique("mix");
    // Users that exist before: 6 to replace, patch and delete.
    let before: Vec<String> = (0..6)
        .map(|i| {
            let r = c.scim(
                &t.token,
                "POST",
                "/Users",
                Some(user(&format!("{p}.old{i}@example.com"))),
            );
            r.expect(201);
            r.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let okta_deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let entra_patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "home@example.com"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}
    ]});
    let title = |v: &str| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": v}]});
    let mut ops = Vec::new();
    // 0..12: creates n0..n11; n0 with a custom attribute by its alias, n1 created inactive.
    for i in 0..12 {
        let mut data = user(&format!("{p}.n{i}@example.com"));
        if i == 0 {
            data[PEAKON_REF] = json!({"EmployedSince": "2024-02-01"});
        }
        if i == 1 {
            data["active"] = json!(false);
        }
        ops.push(post(&format!("n{i}"), data));
    }
    // 12..16: Okta's deactivation of n2, n3; Entra's PATCH of n4, n5.
    for i in 2..4 {
        ops.push(json!({"method": "PATCH", "path": format!("/Users/bulkId:n{i}"), "data": okta_deactivate}));
    }
    for i in 4..6 {
        ops.push(
            json!({"method": "PATCH", "path": format!("/Users/bulkId:n{i}"), "data": entra_patch}),
        );
    }
    // 16..19: PUT of old0..old2 (old2 deactivated by its PUT, as Okta does).
    for (i, old) in before.iter().enumerate().take(3) {
        let mut data = user(&format!("{p}.old{i}@example.com"));
        data["displayName"] = json!(format!("Replaced {i}"));
        if i == 2 {
            data["active"] = json!(false);
        }
        ops.push(json!({"method": "PUT", "path": format!("/Users/{old}"), "data": data}));
    }
    // 19: PATCH of old3 with its current version; 20: with a stale one (412).
    ops.push(json!({"method": "PATCH", "path": format!("/Users/{}", before[3]), "version": "W/\"1\"", "data": title("Current")}));
    ops.push(json!({"method": "PATCH", "path": format!("/Users/{}", before[4]), "version": "W/\"7\"", "data": title("Stale")}));
    // 21..23: DELETE of old4 (with its version) and old5; 23: of n6, created above.
    ops.push(
        json!({"method": "DELETE", "path": format!("/Users/{}", before[4]), "version": "W/\"1\""}),
    );
    ops.push(json!({"method": "DELETE", "path": format!("/Users/{}", before[5])}));
    ops.push(json!({"method": "DELETE", "path": "/Users/bulkId:n6"}));
    // 24..30: titles of n7..n10 and old0, old1 (after their PUT).
    for i in 7..11 {
        ops.push(json!({"method": "PATCH", "path": format!("/Users/bulkId:n{i}"), "data": title(&format!("T{i}"))}));
    }
    for id in &before[..2] {
        ops.push(
            json!({"method": "PATCH", "path": format!("/Users/{id}"), "data": title("After PUT")}),
        );
    }
    assert_eq!(ops.len(), MAX_OPERATIONS);
    let r = bulk_reply(c, &t, &bulk_request(ops, None));
    r.expect(200);
    let request_id = r.header("x-request-id").unwrap().to_string();
    let answer = r.json();
    let mut expected: Vec<&str> = vec!["201"; 12];
    expected.extend(["200"; 8]);
    expected.extend(["412", "204", "204", "204"]);
    expected.extend(["200"; 6]);
    assert_eq!(statuses(&answer), expected, "{answer}");
    let results = answer["Operations"].as_array().unwrap();
    for (i, o) in results.iter().enumerate() {
        let method = if i < 12 {
            "POST"
        } else if (16..19).contains(&i) {
            "PUT"
        } else if (21..24).contains(&i) {
            "DELETE"
        } else {
            "PATCH"
        };
        assert_eq!(o["method"], method, "{i}: {o}");
        if i < 12 {
            assert_eq!(o["bulkId"], format!("n{i}"), "{o}");
            assert_eq!(o["version"], "W/\"1\"", "{o}");
        }
        let location = o["location"].as_str().unwrap();
        assert!(location.contains("/scim/v2/Users/"), "{o}");
        assert_eq!(o.get("response").is_some(), i == 20, "{i}: {o}");
    }
    assert_eq!(results[20]["response"]["status"], "412");
    let get = |id: &str| c.scim(&t.token, "GET", &format!("/Users/{id}"), None);
    let n = |i: usize| id_at(&answer, i);
    let n0 = get(&n(0)).json();
    assert_eq!(n0[PEAKON_REF]["Employed_Since"], "2024-02-01", "{n0}");
    for (i, active) in [
        (1, false),
        (2, false),
        (3, false),
        (4, false),
        (5, false),
        (7, true),
    ] {
        assert_eq!(get(&n(i)).json()["active"], active, "n{i}");
    }
    let n4 = get(&n(4)).json();
    assert_eq!(n4[ENTERPRISE]["department"], "Sales", "{n4}");
    assert!(
        n4["emails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"] == "home@example.com"),
        "{n4}"
    );
    assert_eq!(get(&n(7)).json()["title"], "T7");
    let old0 = get(&before[0]).json();
    assert_eq!(
        (old0["displayName"].as_str(), old0["title"].as_str()),
        (Some("Replaced 0"), Some("After PUT"))
    );
    assert_eq!(get(&before[2]).json()["active"], false);
    assert_eq!(get(&before[3]).json()["title"], "Current");
    get(&before[4]).expect(404);
    get(&before[5]).expect(404);
    get(&n(23)).expect(404);
    assert_eq!(users_starting(c, &t, &p), 6 + 12 - 3);
    // One entry per operation, as the single requests write them (a PATCH or PUT that
    // deactivates is logged as a deactivation).
    let log = log_of(c, &t, &request_id);
    let ops_logged: Vec<&str> = log.iter().map(|(o, _, _)| o.as_str()).collect();
    let mut expected_log: Vec<&str> = vec!["create"; 12];
    expected_log.extend(["deactivate"; 4]);
    expected_log.extend([
        "replace",
        "replace",
        "deactivate",
        "update",
        "update",
        "delete",
        "delete",
        "delete",
    ]);
    expected_log.extend(["update"; 6]);
    assert_eq!(ops_logged, expected_log, "{log:?}");
    assert_eq!(log[20].1, 412);
    // The roster's history: n1..n5 and old2 are not eligible; n6, old4 and old5 are gone.
    let roster = crate::common::scenarios::reports::roster(c, &t.id, &[("limit", "1000")]);
    let ineligible: Vec<&str> = roster["employees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["eligible"] == false)
        .map(|e| e["userName"].as_str().unwrap())
        .collect();
    let mut want: Vec<String> = (1..6).map(|i| format!("{p}.n{i}@example.com")).collect();
    want.push(format!("{p}.old2@example.com"));
    let mut got: Vec<String> = ineligible.iter().map(|s| s.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(roster["total"], 15);
}

/// `failOnErrors`: once that many operations failed, the rest are not performed and not in
/// the answer; without it every operation is attempted.
pub fn fail_on_errors_stops_at_the_right_operation(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk fail "));
    let p = unique("foe");
    let u = |i: usize| user(&format!("{p}.{i}@example.com"));
    let ops = |p2: &str| {
        vec![
            post("a", u(0)),
            post("b", u(0)), // 409: the userName of a
            post("c", u(1)),
            json!({"method": "DELETE", "path": format!("/Users/{p2}-missing")}), // 404
            post("d", u(2)),
            post("e", u(3)),
        ]
    };
    let answer = bulk(c, &t, bulk_request(ops("x"), Some(2)));
    assert_eq!(statuses(&answer), ["201", "409", "201", "404"], "{answer}");
    assert_eq!(
        answer["Operations"][1]["response"]["scimType"],
        "uniqueness"
    );
    assert_eq!(users_starting(c, &t, &p), 2, "d and e were not performed");
    // failOnErrors 1 stops at the first error; without it all are attempted.
    let t2 = c.new_tenant(&unique("Bulk fail "));
    let answer = bulk(c, &t2, bulk_request(ops("y"), Some(1)));
    assert_eq!(statuses(&answer), ["201", "409"], "{answer}");
    assert_eq!(users_starting(c, &t2, &p), 1);
    let t3 = c.new_tenant(&unique("Bulk fail "));
    let answer = bulk(c, &t3, bulk_request(ops("z"), None));
    assert_eq!(
        statuses(&answer),
        ["201", "409", "201", "404", "201", "201"],
        "{answer}"
    );
    assert_eq!(users_starting(c, &t3, &p), 4);
}

/// Two creates of one userName (in different letter case) in one request: the second is 409
/// `uniqueness`, the others are done.
pub fn a_duplicate_user_name_fails_that_operation_only(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk dup "));
    let p = unique("dup");
    let name = format!("{p}.same@example.com");
    let answer = bulk(
        c,
        &t,
        bulk_request(
            vec![
                post("one", user(&name)),
                post("two", user(&name.to_uppercase())),
                post("three", user(&format!("{p}.other@example.com"))),
                // A reference to the create that failed: 409, naming it.
                json!({"method": "PATCH", "path": "/Users/bulkId:two", "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}}),
            ],
            None,
        ),
    );
    assert_eq!(statuses(&answer), ["201", "409", "201", "409"], "{answer}");
    let results = answer["Operations"].as_array().unwrap();
    assert_eq!(results[1]["response"]["scimType"], "uniqueness");
    assert!(results[1].get("location").is_none(), "{answer}");
    let detail = results[3]["response"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("bulkId \"two\"") && detail.contains("failed"),
        "{detail}"
    );
    assert_eq!(users_starting(c, &t, &p), 2);
}

/// The enterprise manager of a user names a user created later in the same request (RFC 7644
/// §3.7.2, a forward reference), and two new employees who name each other are both created.
pub fn a_manager_created_in_the_same_request(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk manager "));
    let p = unique("mgr");
    let mut report = user(&format!("{p}.report@example.com"));
    report[ENTERPRISE] = json!({"manager": {"value": "bulkId:boss"}});
    let mut boss = user(&format!("{p}.boss@example.com"));
    boss["displayName"] = json!("The Boss");
    let mut a = user(&format!("{p}.a@example.com"));
    a[ENTERPRISE] = json!({"manager": {"value": "bulkId:b"}});
    let mut b = user(&format!("{p}.b@example.com"));
    b[ENTERPRISE] = json!({"manager": {"value": "bulkId:a"}});
    let r = bulk_reply(
        c,
        &t,
        &bulk_request(
            vec![
                post("report", report),
                post("boss", boss),
                post("a", a),
                post("b", b),
            ],
            None,
        ),
    );
    r.expect(200);
    let request_id = r.header("x-request-id").unwrap().to_string();
    let answer = r.json();
    assert_eq!(statuses(&answer), ["201"; 4], "{answer}");
    let (report_id, boss_id, a_id, b_id) = (
        id_at(&answer, 0),
        id_at(&answer, 1),
        id_at(&answer, 2),
        id_at(&answer, 3),
    );
    let manager = |id: &str| {
        let r = c.scim(&t.token, "GET", &format!("/Users/{id}"), None);
        r.expect(200);
        r.json()[ENTERPRISE]["manager"].clone()
    };
    let m = manager(&report_id);
    assert_eq!(m["value"], json!(boss_id));
    assert_eq!(m["displayName"], "The Boss");
    assert!(
        m["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/Users/{boss_id}")),
        "{m}"
    );
    assert_eq!(manager(&a_id)["value"], json!(b_id));
    assert_eq!(manager(&b_id)["value"], json!(a_id));
    // The log: four creates, and the extra write that set the circle's first reference (b was
    // created first, without its manager, then a, then b's manager was set).
    let log = log_of(c, &t, &request_id);
    let ops: Vec<(&str, &str)> = log
        .iter()
        .map(|(o, _, n)| (o.as_str(), n.as_str()))
        .collect();
    let name = |s: &str| format!("{p}.{s}@example.com");
    let (boss_n, report_n, b_n, a_n) = (name("boss"), name("report"), name("b"), name("a"));
    assert_eq!(
        ops,
        [
            ("create", boss_n.as_str()),
            ("create", report_n.as_str()),
            ("create", b_n.as_str()),
            ("create", a_n.as_str()),
            ("update", b_n.as_str())
        ]
    );
}

/// 413 at one past each limit of `/ServiceProviderConfig` (RFC 7644 §3.7.4), naming it, with
/// nothing performed; at the limits the request runs.
pub fn one_past_each_limit_is_413_and_nothing_is_stored(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk limits "));
    let spc = c
        .scim(&t.token, "GET", "/ServiceProviderConfig", None)
        .json();
    assert_eq!(spc["bulk"]["maxOperations"], MAX_OPERATIONS);
    assert_eq!(spc["bulk"]["maxPayloadSize"], MAX_PAYLOAD_SIZE);
    let p = unique("lim");
    let ops: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|i| post(&format!("u{i}"), user(&format!("{p}.{i}@example.com"))))
        .collect();
    let body = bulk_reply(c, &t, &bulk_request(ops.clone(), None)).expect_scim_error(413, None);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("maxOperations ({MAX_OPERATIONS})")),
        "{detail}"
    );
    assert_eq!(users_starting(c, &t, &p), 0);
    // One byte past maxPayloadSize: one create, padded.
    let mut padded = bulk_request(
        vec![post("big", user(&format!("{p}.big@example.com")))],
        None,
    );
    let base_len = padded.to_string().len();
    padded["padding"] = json!("");
    let pad = MAX_PAYLOAD_SIZE + 1 - padded.to_string().len();
    padded["padding"] = json!("x".repeat(pad));
    assert_eq!(padded.to_string().len(), MAX_PAYLOAD_SIZE + 1);
    assert!(base_len < MAX_PAYLOAD_SIZE);
    let body = bulk_reply(c, &t, &padded).expect_scim_error(413, None);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("maxPayloadSize ({MAX_PAYLOAD_SIZE} bytes)")),
        "{detail}"
    );
    assert_eq!(users_starting(c, &t, &p), 0);
    // At both limits: maxOperations operations in maxPayloadSize bytes run.
    let mut at = bulk_request(ops[..MAX_OPERATIONS].to_vec(), None);
    at["padding"] = json!("");
    let pad = MAX_PAYLOAD_SIZE - at.to_string().len();
    at["padding"] = json!("x".repeat(pad));
    assert_eq!(at.to_string().len(), MAX_PAYLOAD_SIZE);
    let answer = bulk(c, &t, at);
    assert_eq!(statuses(&answer), vec!["201"; MAX_OPERATIONS]);
    assert_eq!(users_starting(c, &t, &p), MAX_OPERATIONS as u64);
}

/// A malformed envelope is 400 and performs nothing; inside a valid one, an operation with an
/// unknown method or without a path is 400, one outside `/Users` 404, and the others go on.
pub fn bad_envelopes_and_bad_operations(c: &impl Client) {
    let t = c.new_tenant(&unique("Bulk bad "));
    let p = unique("bad");
    let one = vec![post("a", user(&format!("{p}.a@example.com")))];
    for (body, scim_type) in [
        (json!({"Operations": one}), "invalidValue"),
        (
            json!({"schemas": [BULK_REQUEST], "Operations": one[0]}),
            "invalidSyntax",
        ),
    ] {
        bulk_reply(c, &t, &body).expect_scim_error(400, Some(scim_type));
    }
    let auth = format!("Bearer {}", t.token);
    let r = c.send(
        "POST",
        "/scim/v2/Bulk",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(b"{\"schemas\": ["),
    );
    r.expect_scim_error(400, Some("invalidSyntax"));
    assert_eq!(users_starting(c, &t, &p), 0);
    let answer = bulk(
        c,
        &t,
        bulk_request(
            vec![
                json!({"method": "GET", "path": "/Users"}),
                json!({"method": "POST", "bulkId": "x", "data": user(&format!("{p}.x@example.com"))}),
                json!({"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "G"}}),
                json!({"method": "DELETE", "path": "/Schemas/x"}),
                post("b", user(&format!("{p}.b@example.com"))),
                json!({"method": "POST", "path": "/Users/abc", "bulkId": "c", "data": user(&format!("{p}.c@example.com"))}),
            ],
            None,
        ),
    );
    assert_eq!(
        statuses(&answer),
        ["400", "400", "404", "404", "201", "405"],
        "{answer}"
    );
    assert_eq!(answer["Operations"][0]["method"], "GET");
    assert_eq!(users_starting(c, &t, &p), 1);
}
