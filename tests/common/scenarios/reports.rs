//! The admin API's reports (DESIGN §4, §7): the roster with survey eligibility at any time, and
//! the provisioning activity log, as Okta's and Entra's lifecycles of an employee leave them.
//!
//! Times come from the log itself (`at` of each entry is the time of its write, the same time
//! the activation history records), so the scenarios run alike on the host's fixed clock and on
//! the real worker's.

use super::users::{okta_user, CORE, ENTERPRISE, PATCH_OP};
use super::APART_MS;
use crate::common::{unique, Client, Reply, Tenant};
use scim_edge::scim::datetime::Timestamp;
use serde_json::{json, Value};

pub const OKTA_CLIENT: &str = "Okta SCIM Client 1.0.0";
/// Entra's documented requests print no User-Agent; any stands for it here.
pub const ENTRA_CLIENT: &str = "scim-edge tests (Entra-style requests)";

/// Query string of `pairs`, each value percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

pub fn roster_reply(c: &impl Client, tenant: &str, pairs: &[(&str, &str)]) -> Reply {
    c.admin(
        "GET",
        &format!("/tenants/{tenant}/employees{}", query(pairs)),
        None,
    )
}

/// One roster page (200).
pub fn roster(c: &impl Client, tenant: &str, pairs: &[(&str, &str)]) -> Value {
    let r = roster_reply(c, tenant, pairs);
    r.expect(200);
    r.json()
}

pub fn activity_reply(c: &impl Client, tenant: &str, pairs: &[(&str, &str)]) -> Reply {
    c.admin(
        "GET",
        &format!("/tenants/{tenant}/activity{}", query(pairs)),
        None,
    )
}

/// One activity-log page (200).
pub fn activity(c: &impl Client, tenant: &str, pairs: &[(&str, &str)]) -> Value {
    let r = activity_reply(c, tenant, pairs);
    r.expect(200);
    r.json()
}

/// Every page of a list, following `next_cursor` with `limit`; asserts that every page but
/// the last is full and that `extra` (e.g. `total`) is the same on every page.
pub fn all_pages(
    mut get: impl FnMut(Option<&str>) -> Value,
    list: &str,
    limit: usize,
    between: &mut dyn FnMut(usize),
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let mut totals = Vec::new();
    for page in 0.. {
        assert!(page < 1000, "paging does not end");
        let body = get(cursor.as_deref());
        let items = body[list]
            .as_array()
            .unwrap_or_else(|| panic!("no {list}: {body}"))
            .clone();
        totals.push(body.get("total").cloned());
        cursor = body["next_cursor"].as_str().map(str::to_string);
        if cursor.is_some() {
            assert_eq!(items.len(), limit, "a page before the last is full: {body}");
        } else {
            assert_eq!(body["next_cursor"], Value::Null, "{body}");
        }
        out.extend(items);
        if cursor.is_none() {
            break;
        }
        between(page);
    }
    assert!(
        totals.windows(2).all(|w| w[0] == w[1]),
        "total changed between pages: {totals:?}"
    );
    out
}

/// A SCIM request as an IdP sends it: with its User-Agent and a request id of its own.
pub fn send_as(
    c: &impl Client,
    t: &Tenant,
    client: &str,
    request_id: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let auth = format!("Bearer {}", t.token);
    let body = body.map(|b| b.to_string());
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("User-Agent", client),
        ("X-Request-Id", request_id),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    c.send(
        method,
        &format!("/scim/v2{path}"),
        &headers,
        body.as_deref().map(str::as_bytes),
    )
}

/// The request id the server gave an answer (`X-Request-Id`): its own, never the client's
/// (DESIGN §3), and the one the activity log records.
pub fn server_id(r: &Reply) -> String {
    let id = r.header("x-request-id").expect("X-Request-Id").to_string();
    assert!(
        id.len() == 24 && id.bytes().all(|c| c.is_ascii_hexdigit()),
        "not a server-generated id: {id}"
    );
    id
}

/// `t` moved by `ms` milliseconds, in the canonical form.
pub fn shift(t: &str, ms: i64) -> String {
    Timestamp::parse_rfc3339(t)
        .unwrap_or_else(|| panic!("not a time: {t}"))
        .add_millis(ms)
        .to_rfc3339()
}

/// The roster entry of `id` at `at` (`None`: now), or `None` when not listed; checks `total`
/// against the listed employees of a tenant small enough for one page.
pub fn listed(
    c: &impl Client,
    tenant: &str,
    id: &str,
    at: Option<&str>,
    eligible: Option<&str>,
) -> Option<Value> {
    let mut pairs = vec![("limit", "1000")];
    if let Some(at) = at {
        pairs.push(("at", at));
    }
    if let Some(e) = eligible {
        pairs.push(("eligible", e));
    }
    let body = roster(c, tenant, &pairs);
    let employees = body["employees"].as_array().unwrap();
    assert_eq!(body["total"], json!(employees.len()), "{body}");
    assert_eq!(body["next_cursor"], Value::Null, "{body}");
    if let Some(at) = at {
        assert_eq!(body["at"], json!(at), "{body}");
    }
    employees.iter().find(|e| e["id"] == json!(id)).cloned()
}

/// The roster line of the employee at `at`: `None` when not listed, else (active, changed_at),
/// after checking that `eligible` equals `active` and that the eligibility filters agree.
pub fn state_at(
    c: &impl Client,
    tenant: &str,
    id: &str,
    at: Option<&str>,
) -> Option<(bool, String)> {
    let e = listed(c, tenant, id, at, None)?;
    let active = e["active"].as_bool().unwrap();
    assert_eq!(e["eligible"], json!(active), "{e}");
    let only_eligible = listed(c, tenant, id, at, Some("true"));
    let only_ineligible = listed(c, tenant, id, at, Some("false"));
    assert_eq!(
        (only_eligible.is_some(), only_ineligible.is_some()),
        (active, !active),
        "filters at {at:?}"
    );
    Some((active, e["changed_at"].as_str().unwrap().to_string()))
}

/// The log entries of one employee, oldest first.
fn entries_of(c: &impl Client, tenant: &str, id: &str) -> Vec<Value> {
    let body = activity(c, tenant, &[("user", id)]);
    assert_eq!(body["next_cursor"], Value::Null);
    let mut entries = body["entries"].as_array().unwrap().clone();
    entries.reverse();
    entries
}

/// Fields every entry has: the request's client and token, a canonical time, no token.
fn check_common(e: &Value, t: &Tenant, client: &str) {
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "at",
            "changes",
            "client",
            "detail",
            "operation",
            "request_id",
            "status",
            "token_id",
            "user_id",
            "user_name"
        ],
        "{e}"
    );
    assert_eq!(e["client"], json!(client), "{e}");
    assert_eq!(e["token_id"], json!(t.token_id), "{e}");
    let at = e["at"].as_str().unwrap();
    assert_eq!(
        Timestamp::parse_rfc3339(at)
            .map(Timestamp::to_rfc3339)
            .as_deref(),
        Some(at),
        "{e}"
    );
    assert!(!e.to_string().contains(&t.token), "a token in the log: {e}");
}

fn change<'a>(e: &'a Value, path: &str) -> Option<&'a Value> {
    e["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == json!(path))
}

/// Okta: create, deactivate and reactivate by PATCH, then the deactivation by PUT that app
/// integrations made with Okta's wizard receive (fixture okta-scim-20-reference.json).
pub fn okta_lifecycle_in_roster_and_log(c: &impl Client) {
    let t = c.new_tenant(&unique("Okta roster "));
    let name = format!("{}@example.com", unique("isaac."));
    let body = okta_user(&name);
    let rid = |step: &str| format!("{}-{step}", unique("okta"));
    let (r_create, r_deact, r_react, r_put) = (
        rid("create"),
        rid("deactivate"),
        rid("reactivate"),
        rid("put"),
    );

    let created = send_as(
        c,
        &t,
        OKTA_CLIENT,
        &r_create,
        "POST",
        "/Users",
        Some(body.clone()),
    );
    created.expect(201);
    let s_create = server_id(&created);
    let id = created.json()["id"].as_str().unwrap().to_string();
    c.tick(APART_MS);
    let off = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    let s_deact = server_id(
        send_as(
            c,
            &t,
            OKTA_CLIENT,
            &r_deact,
            "PATCH",
            &format!("/Users/{id}"),
            Some(off),
        )
        .expect(200),
    );
    c.tick(APART_MS);
    let on = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": true } }] });
    let s_react = server_id(
        send_as(
            c,
            &t,
            OKTA_CLIENT,
            &r_react,
            "PATCH",
            &format!("/Users/{id}"),
            Some(on),
        )
        .expect(200),
    );
    c.tick(APART_MS);
    let mut put = body.clone();
    put["id"] = json!(id);
    put["active"] = json!(false);
    let r = send_as(
        c,
        &t,
        OKTA_CLIENT,
        &r_put,
        "PUT",
        &format!("/Users/{id}"),
        Some(put),
    );
    r.expect(200);
    let s_put = server_id(&r);
    assert_eq!(r.json()["active"], json!(false));

    // The log: one entry per write, every field.
    let log = entries_of(c, &t.id, &id);
    let summary: Vec<(&str, &str, i64)> = log
        .iter()
        .map(|e| {
            (
                e["request_id"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (s_create.as_str(), "create", 201),
            (s_deact.as_str(), "deactivate", 200),
            (s_react.as_str(), "reactivate", 200),
            (s_put.as_str(), "deactivate", 200),
        ]
    );
    // The clients' own ids were never taken for ours.
    for client_id in [&r_create, &r_deact, &r_react, &r_put] {
        assert!(log.iter().all(|e| e["request_id"] != json!(client_id)));
    }
    for e in &log {
        check_common(e, &t, OKTA_CLIENT);
        assert_eq!(
            (&e["user_id"], &e["user_name"], &e["detail"]),
            (&json!(id), &json!(name), &Value::Null),
            "{e}"
        );
    }
    assert_eq!(
        change(&log[0], "userName"),
        Some(&json!({ "path": "userName", "old": null, "new": name }))
    );
    assert_eq!(
        change(&log[0], "active"),
        Some(&json!({ "path": "active", "old": null, "new": true }))
    );
    assert_eq!(
        log[1]["changes"],
        json!([{ "path": "active", "old": true, "new": false }])
    );
    assert_eq!(
        log[2]["changes"],
        json!([{ "path": "active", "old": false, "new": true }])
    );
    assert_eq!(
        log[3]["changes"],
        json!([{ "path": "active", "old": true, "new": false }])
    );
    let at: Vec<String> = log
        .iter()
        .map(|e| e["at"].as_str().unwrap().to_string())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "distinct, increasing times: {at:?}"
    );

    // The roster now, and at every moment of the history (T before, at and between the steps).
    let (created_at, deactivated, reactivated, put_at) = (&at[0], &at[1], &at[2], &at[3]);
    let now = state_at(c, &t.id, &id, None).expect("listed now");
    assert_eq!(now, (false, put_at.clone()));
    let table: [(String, Option<(bool, &String)>); 8] = [
        (shift(created_at, -1), None),
        (created_at.clone(), Some((true, created_at))),
        (shift(deactivated, -1), Some((true, created_at))),
        (deactivated.clone(), Some((false, deactivated))),
        (shift(reactivated, -1), Some((false, deactivated))),
        (reactivated.clone(), Some((true, reactivated))),
        (shift(put_at, -1), Some((true, reactivated))),
        (put_at.clone(), Some((false, put_at))),
    ];
    for (when, expected) in table {
        let got = state_at(c, &t.id, &id, Some(&when));
        assert_eq!(got, expected.map(|(a, ch)| (a, ch.clone())), "at {when}");
    }
    let line = listed(c, &t.id, &id, None, None).unwrap();
    assert_eq!(
        (&line["userName"], &line["email"]),
        (&json!(name), &json!(name)),
        "{line}"
    );
}

/// Entra: create (Microsoft's tutorial body), deactivate with `Replace active "False"`, then
/// DELETE: gone now, still in the roster of the past with the name it had.
pub fn entra_lifecycle_in_roster_and_log(c: &impl Client) {
    let t = c.new_tenant(&unique("Entra roster "));
    let name = format!("{}@testuser.com", unique("Test_User_"));
    let email = format!("{}@testuser.com", unique("Test_User_mail_"));
    let body = json!({
        "schemas": [CORE, ENTERPRISE],
        "externalId": unique("0a21f0f2-"),
        "userName": name,
        "active": true,
        "emails": [{ "primary": true, "type": "work", "value": email }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName" },
        "roles": []
    });
    let rid = |step: &str| format!("{}-{step}", unique("entra"));
    let (r_create, r_deact, r_delete) = (rid("create"), rid("deactivate"), rid("delete"));
    let created = send_as(
        c,
        &t,
        ENTRA_CLIENT,
        &r_create,
        "POST",
        "/Users?aadOptscim062020",
        Some(body),
    );
    created.expect(201);
    let s_create = server_id(&created);
    let id = created.json()["id"].as_str().unwrap().to_string();
    c.tick(APART_MS);
    let off = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let s_deact = server_id(
        send_as(
            c,
            &t,
            ENTRA_CLIENT,
            &r_deact,
            "PATCH",
            &format!("/Users/{id}"),
            Some(off),
        )
        .expect(200),
    );
    c.tick(APART_MS);
    let s_delete = server_id(
        send_as(
            c,
            &t,
            ENTRA_CLIENT,
            &r_delete,
            "DELETE",
            &format!("/Users/{id}"),
            None,
        )
        .expect(204),
    );
    c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
        .expect(404);

    let log = entries_of(c, &t.id, &id);
    let summary: Vec<(&str, &str, i64)> = log
        .iter()
        .map(|e| {
            (
                e["request_id"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (s_create.as_str(), "create", 201),
            (s_deact.as_str(), "deactivate", 200),
            (s_delete.as_str(), "delete", 204)
        ]
    );
    for client_id in [&r_create, &r_deact, &r_delete] {
        assert!(log.iter().all(|e| e["request_id"] != json!(client_id)));
    }
    for e in &log {
        check_common(e, &t, ENTRA_CLIENT);
        assert_eq!(
            (&e["user_id"], &e["user_name"], &e["detail"]),
            (&json!(id), &json!(name), &Value::Null),
            "{e}"
        );
    }
    assert_eq!(
        change(&log[0], "emails"),
        Some(
            &json!({ "path": "emails", "old": null, "new": [{ "primary": true, "type": "work", "value": email }] })
        )
    );
    assert_eq!(
        log[1]["changes"],
        json!([{ "path": "active", "old": true, "new": false }])
    );
    assert_eq!(log[2]["changes"], json!([]));
    let at: Vec<String> = log
        .iter()
        .map(|e| e["at"].as_str().unwrap().to_string())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "distinct, increasing times: {at:?}"
    );
    let (created_at, deactivated, deleted) = (&at[0], &at[1], &at[2]);

    assert_eq!(
        state_at(c, &t.id, &id, None),
        None,
        "deleted: not in today's roster"
    );
    let table: [(String, Option<(bool, &String)>); 6] = [
        (shift(created_at, -1), None),
        (created_at.clone(), Some((true, created_at))),
        (shift(deactivated, -1), Some((true, created_at))),
        (deactivated.clone(), Some((false, deactivated))),
        (shift(deleted, -1), Some((false, deactivated))),
        (deleted.clone(), None),
    ];
    for (when, expected) in table {
        let got = state_at(c, &t.id, &id, Some(&when));
        assert_eq!(got, expected.map(|(a, ch)| (a, ch.clone())), "at {when}");
    }
    // The deleted employee is named as they were when deleted.
    let line = listed(c, &t.id, &id, Some(&shift(deleted, -1)), None).unwrap();
    assert_eq!(
        (&line["userName"], &line["email"]),
        (&json!(name), &json!(email)),
        "{line}"
    );
}

/// Paging through the roster while the IdP keeps writing: the first page pins the time, so the
/// pages together are exactly the roster of that moment, each employee once, in userName order.
pub fn roster_pages_hold_still_under_concurrent_writes(c: &impl Client) {
    for eligible in [None, Some("true"), Some("false")] {
        let t = c.new_tenant(&unique("Roster pages "));
        let prefix = unique("p");
        let mut ids = Vec::new();
        for (i, letter) in ["b", "D", "f", "H", "j", "L", "n"].iter().enumerate() {
            let mut body = okta_user(&format!("{letter}.{prefix}@example.com"));
            body["active"] = json!(i % 2 == 0);
            ids.push(
                c.scim(&t.token, "POST", "/Users", Some(body)).json()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let with_filter = |mut p: Vec<(&'static str, String)>| {
            p.extend(eligible.map(|e| ("eligible", e.to_string())));
            p
        };
        let get = |p: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            roster(c, &t.id, &pairs)
        };
        let before = get(with_filter(vec![("limit", "1000".into())]))["employees"]
            .as_array()
            .unwrap()
            .clone();
        let names: Vec<String> = before
            .iter()
            .map(|e| e["userName"].as_str().unwrap().to_lowercase())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "ordered by userName ignoring case");
        c.tick(APART_MS);

        // Pages of 2 (no `at`: the first page pins its own time), with writes between pages:
        // new employees before and after the cursor, deactivations, a deletion.
        let mut pinned: Option<String> = None;
        let mut writes = 0;
        let pages = all_pages(
            |cursor| {
                let mut p = with_filter(vec![("limit", "2".into())]);
                p.extend(cursor.map(|c| ("cursor", c.to_string())));
                let body = get(p);
                let at = body["at"].as_str().unwrap().to_string();
                assert_eq!(
                    pinned.get_or_insert(at.clone()),
                    &at,
                    "one time for all pages"
                );
                body
            },
            "employees",
            2,
            &mut |page| {
                c.tick(APART_MS);
                let name = format!(
                    "{}.{prefix}.{page}@example.com",
                    if page % 2 == 0 { "a" } else { "z" }
                );
                c.scim(&t.token, "POST", "/Users", Some(okta_user(&name)))
                    .expect(201);
                let off = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
                c.scim(
                    &t.token,
                    "PATCH",
                    &format!("/Users/{}", ids[2 + 2 * (page % 2)]),
                    Some(off),
                )
                .expect(200);
                if page == 0 {
                    c.scim(&t.token, "DELETE", &format!("/Users/{}", ids[6]), None)
                        .expect(204);
                }
                writes += 1;
            },
        );
        assert!(writes >= 1, "writes happened between pages ({eligible:?})");
        assert_eq!(
            pages, before,
            "the pages are the roster as it was ({eligible:?})"
        );
        let pinned = pinned.unwrap();
        let at_pinned = get(with_filter(vec![
            ("limit", "1000".into()),
            ("at", pinned.clone()),
        ]));
        assert_eq!(
            at_pinned["employees"],
            json!(before),
            "the roster at the pinned time is still that"
        );
        let now = get(with_filter(vec![("limit", "1000".into())]));
        assert_ne!(
            now["employees"],
            json!(before),
            "while the roster of now moved on"
        );
    }
}

/// The log's filters (user by id or userName, operation, result) and paging, newest first.
pub fn activity_filters_and_pages(c: &impl Client) {
    let t = c.new_tenant(&unique("Activity "));
    let ada = format!("{}@example.com", unique("ada."));
    let bob = format!("{}@example.com", unique("bob."));
    let a = c
        .scim(&t.token, "POST", "/Users", Some(okta_user(&ada)))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = c
        .scim(&t.token, "POST", "/Users", Some(okta_user(&bob)))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user(&ada.to_uppercase())),
    )
    .expect(409);
    c.scim(&t.token, "POST", "/Users", Some(json!({ "userName": 5 })))
        .expect(400);
    let off = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    c.scim(&t.token, "PATCH", &format!("/Users/{b}"), Some(off))
        .expect(200);
    c.scim(&t.token, "DELETE", &format!("/Users/{a}"), None)
        .expect(204);
    c.scim(&t.token, "DELETE", &format!("/Users/{a}"), None)
        .expect(404);

    let all = activity(c, &t.id, &[]);
    assert_eq!(all["next_cursor"], Value::Null);
    let all = all["entries"].as_array().unwrap().clone();
    let ops = |entries: &[Value]| -> Vec<(String, i64)> {
        entries
            .iter()
            .map(|e| {
                (
                    e["operation"].as_str().unwrap().to_string(),
                    e["status"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let expected = |list: &[(&str, i64)]| -> Vec<(String, i64)> {
        list.iter().map(|(o, s)| (o.to_string(), *s)).collect()
    };
    assert_eq!(
        ops(&all),
        expected(&[
            ("delete", 404),
            ("delete", 204),
            ("deactivate", 200),
            ("create", 400),
            ("create", 409),
            ("create", 201),
            ("create", 201)
        ]),
        "newest first"
    );
    let refused = &all[4];
    assert_eq!(
        (
            &refused["user_id"],
            &refused["user_name"],
            &refused["changes"]
        ),
        (&Value::Null, &json!(ada.to_uppercase()), &Value::Null)
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("already taken"),
        "{refused}"
    );
    assert_eq!(
        (&all[3]["user_id"], &all[3]["user_name"], &all[3]["detail"]),
        (
            &Value::Null,
            &Value::Null,
            &json!("userName must be of type string")
        )
    );

    let filtered = |pairs: &[(&str, &str)]| -> Vec<(String, i64)> {
        let body = activity(c, &t.id, pairs);
        ops(body["entries"].as_array().unwrap())
    };
    let (ada_upper, bob_upper) = (ada.to_uppercase(), bob.to_uppercase());
    // One line per filter: what it keeps.
    type Query<'a> = Vec<(&'a str, &'a str)>;
    let table: [(Query, Vec<(&str, i64)>); 10] = [
        (
            vec![("user", a.as_str())],
            vec![("delete", 404), ("delete", 204), ("create", 201)],
        ),
        (
            vec![("user", b.as_str())],
            vec![("deactivate", 200), ("create", 201)],
        ),
        // A userName: the employee (deleted since) by their name in any case, and refusals
        // logged with exactly that name.
        (
            vec![("user", ada.as_str())],
            vec![("delete", 404), ("delete", 204), ("create", 201)],
        ),
        (
            vec![("user", ada_upper.as_str())],
            vec![
                ("delete", 404),
                ("delete", 204),
                ("create", 409),
                ("create", 201),
            ],
        ),
        (
            vec![("user", bob_upper.as_str())],
            vec![("deactivate", 200), ("create", 201)],
        ),
        (vec![("user", "nobody@example.com")], vec![]),
        (
            vec![("operation", "create")],
            vec![
                ("create", 400),
                ("create", 409),
                ("create", 201),
                ("create", 201),
            ],
        ),
        (
            vec![("result", "failure")],
            vec![("delete", 404), ("create", 400), ("create", 409)],
        ),
        (
            vec![("result", "success")],
            vec![
                ("delete", 204),
                ("deactivate", 200),
                ("create", 201),
                ("create", 201),
            ],
        ),
        (
            vec![
                ("operation", "create"),
                ("result", "failure"),
                ("user", ada_upper.as_str()),
            ],
            vec![("create", 409)],
        ),
    ];
    for (pairs, keeps) in table {
        assert_eq!(filtered(&pairs), expected(&keeps), "{pairs:?}");
    }

    // Pages of 3 while the IdP keeps writing: newer entries never push older ones into the
    // next page twice, nor out of it.
    let mut writes = 0;
    let pages = all_pages(
        |cursor| {
            let mut p = vec![("limit", "3")];
            p.extend(cursor.map(|c| ("cursor", c)));
            activity(c, &t.id, &p)
        },
        "entries",
        3,
        &mut |_| {
            let name = format!("{}@example.com", unique("late."));
            c.scim(&t.token, "POST", "/Users", Some(okta_user(&name)))
                .expect(201);
            writes += 1;
        },
    );
    assert_eq!(writes, 2);
    assert_eq!(
        pages, all,
        "the pages are the log as it was at the first page"
    );
    assert_eq!(
        activity(c, &t.id, &[])
            .get("entries")
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(all.len() + writes)
    );
}

/// Another tenant's employees and log never appear; bad parameters are 400s, an unknown tenant
/// a 404, a missing or SCIM credential a 401.
pub fn reports_are_tenant_scoped_and_validated(c: &impl Client) {
    let t = c.new_tenant(&unique("Scoped "));
    let other = c.new_tenant(&unique("Other "));
    let mine = c
        .scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("{}@example.com", unique("mine.")))),
        )
        .json();
    let theirs = c
        .scim(
            &other.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("{}@example.com", unique("theirs.")))),
        )
        .json();
    let ids = |body: &Value, list: &str, key: &str| -> Vec<Value> {
        body[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[key].clone())
            .collect()
    };
    assert_eq!(
        ids(&roster(c, &t.id, &[]), "employees", "id"),
        [mine["id"].clone()]
    );
    assert_eq!(
        ids(&roster(c, &other.id, &[]), "employees", "id"),
        [theirs["id"].clone()]
    );
    assert_eq!(
        ids(&activity(c, &t.id, &[]), "entries", "user_id"),
        [mine["id"].clone()]
    );
    let theirs_id = theirs["id"].as_str().unwrap();
    let theirs_name = theirs["userName"].as_str().unwrap();
    assert_eq!(
        activity(c, &t.id, &[("user", theirs_id)])["entries"],
        json!([])
    );
    assert_eq!(
        activity(c, &t.id, &[("user", theirs_name)])["entries"],
        json!([])
    );
    let roster_cursor = {
        c.scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("{}@example.com", unique("second.")))),
        )
        .expect(201);
        roster(c, &t.id, &[("limit", "1")])["next_cursor"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let activity_cursor = activity(c, &t.id, &[("limit", "1")])["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let table: [(&str, Vec<(&str, &str)>); 14] = [
        ("employees", vec![("at", "yesterday")]),
        ("employees", vec![("at", "2026-01-02")]),
        ("employees", vec![("at", "2026-01-02T03:04:05")]),
        ("employees", vec![("eligible", "yes")]),
        ("employees", vec![("limit", "0")]),
        ("employees", vec![("cursor", "not-a-cursor")]),
        ("employees", vec![("cursor", &activity_cursor)]),
        (
            "employees",
            vec![("cursor", &roster_cursor), ("at", "2001-01-01T00:00:00Z")],
        ),
        (
            "employees",
            vec![("cursor", &roster_cursor), ("eligible", "true")],
        ),
        ("activity", vec![("result", "ok")]),
        ("activity", vec![("operation", "obliterate")]),
        ("activity", vec![("limit", "many")]),
        ("activity", vec![("cursor", "not-a-cursor")]),
        ("activity", vec![("cursor", &roster_cursor)]),
    ];
    for (list, pairs) in table {
        let r = c.admin(
            "GET",
            &format!("/tenants/{}/{list}{}", t.id, query(&pairs)),
            None,
        );
        r.expect_admin_error(400, "invalid_request");
    }
    for list in ["employees", "activity"] {
        c.admin(
            "GET",
            &format!("/tenants/tnt_00000000000000000000/{list}"),
            None,
        )
        .expect_admin_error(404, "not_found");
        c.admin(
            "POST",
            &format!("/tenants/{}/{list}", t.id),
            Some(json!({})),
        )
        .expect(405);
        let path = format!("/admin/v1/tenants/{}/{list}", t.id);
        c.send("GET", &path, &[], None)
            .expect_admin_error(401, "unauthorized");
        let scim = format!("Bearer {}", t.token);
        c.send("GET", &path, &[("Authorization", scim.as_str())], None)
            .expect_admin_error(401, "unauthorized");
    }
    // Parameters that are fine: any letter case of the enumerations, an offset in `at`.
    roster(
        c,
        &t.id,
        &[("eligible", "TRUE"), ("at", "2030-01-01T02:00:00+02:00")],
    );
    activity(c, &t.id, &[("operation", "Create"), ("result", "Success")]);
}
