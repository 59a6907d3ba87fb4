//! Bulk requests on the host: what only the host can see. The D1 statements a Bulk request
//! costs, counted, against D1's 1,000 queries per Worker invocation (the local D1 of `wrangler
//! dev` does not enforce it, so this is what proves the limit holds); and reference resolution
//! read back from the database. The behaviour both suites check is in
//! `common::scenarios::bulk`.

use crate::common::scenarios::bulk::{bulk, bulk_request, post, PEAKON_REF};
use crate::common::scenarios::custom::define;
use crate::common::scenarios::users::PATCH_OP;
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use scim_edge::app::scim_api::bulk::{STATEMENTS_PER_OPERATION, STATEMENTS_PER_REQUEST};
use scim_edge::scim::bulk::MAX_OPERATIONS;
use scim_edge::store::{Consistency, Row, Stmt, Store, StoreError};
use serde_json::{json, Value};
use std::cell::Cell;

/// D1's documented limit of queries per Worker invocation (Workers Paid); each statement of a
/// batch is counted as one, as the purge job counts them (`app::purge`).
const D1_QUERIES_PER_INVOCATION: usize = 1_000;

/// The store, counting every statement sent to it (deferred ones included).
struct Statements<'a> {
    app: &'a TestApp,
    count: Cell<usize>,
}

impl Store for Statements<'_> {
    async fn batch(&self, c: Consistency, stmts: Vec<Stmt>) -> Result<Vec<Vec<Row>>, StoreError> {
        self.count.set(self.count.get() + stmts.len());
        self.app.store.batch(c, stmts).await
    }
}

/// The statements one Bulk request costs.
fn statements_of(app: &TestApp, t: &Tenant, body: &Value) -> (usize, Value) {
    let counting = Statements {
        app,
        count: Cell::new(0),
    };
    let auth = format!("Bearer {}", t.token);
    let text = body.to_string();
    let r = app.send_via(
        &counting,
        "POST",
        "/scim/v2/Bulk",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(text.as_bytes()),
    );
    r.expect(200);
    (counting.count.get(), r.json())
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_string())
        .collect()
}

/// The costliest operations there are, each a whole request of `MAX_OPERATIONS` of them: creates
/// in circular pairs through the enterprise manager and an employee attribute (create, then a
/// PATCH that sets the reference); PUTs and PATCHes with `If-Match` that change the userName,
/// the emails, `active` and an employee reference at once; deletes of users others refer to;
/// and refusals. Every one stays below D1's limit.
#[test]
fn a_worst_case_request_of_max_operations_stays_below_d1s_queries_per_invocation() {
    let app = TestApp::new();
    let t = app.new_tenant("Statements");
    define(&app, &t, json!({"name": "Mentor", "type": "employee"}));
    let n = MAX_OPERATIONS;
    // The bound the limit was derived from, itself below D1's limit.
    let bound = STATEMENTS_PER_REQUEST + n * STATEMENTS_PER_OPERATION;
    assert!(bound <= D1_QUERIES_PER_INVOCATION, "{bound}");
    let worst = Cell::new(0);
    let measure = |what: &str, body: Value, expect: &str| {
        let (count, answer) = statements_of(&app, &t, &body);
        let s = statuses(&answer);
        assert_eq!(s.len(), n, "{what}: {answer}");
        assert!(s.iter().all(|x| x == expect), "{what}: {s:?}");
        eprintln!("{what}: {count} statements for {n} operations");
        worst.set(worst.get().max(count));
        assert!(
            count <= bound,
            "{what}: {count} statements, more than {bound}"
        );
    };

    // Each user names itself as manager and mentor (created, then set: the costliest create).
    let selves: Vec<Value> = (0..n)
        .map(|i| {
            let me = format!("s{i}");
            let mut data = post_user(&format!("self{i}@example.com"));
            data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                json!({"manager": {"value": format!("bulkId:{me}")}});
            data[PEAKON_REF] = json!({"Mentor": format!("bulkId:{me}")});
            post(&me, data)
        })
        .collect();
    measure("self-referring creates", bulk_request(selves, None), "201");
    // Circular pairs: a names b as manager and mentor, b names a.
    let pairs: Vec<Value> = (0..n)
        .map(|i| {
            let (me, other) = (format!("c{i}"), format!("c{}", i ^ 1));
            let mut data = post_user(&format!("cycle{i}@example.com"));
            data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                json!({"manager": {"value": format!("bulkId:{other}")}});
            data[PEAKON_REF] = json!({"Mentor": format!("bulkId:{other}")});
            post(&me, data)
        })
        .collect();
    let (count, created) = statements_of(&app, &t, &bulk_request(pairs, None));
    assert!(statuses(&created).iter().all(|s| s == "201"), "{created}");
    eprintln!("circular creates: {count} statements for {n} operations");
    assert!(count <= bound, "circular creates: {count}");
    worst.set(worst.get().max(count));
    let ids: Vec<(String, String)> = created["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let location = o["location"].as_str().unwrap();
            (
                location.rsplit('/').next().unwrap().to_string(),
                o["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // PATCH with If-Match: userName, emails, active, manager and the employee reference.
    let patches: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, (id, version))| {
            let other = &ids[(i + 2) % n].0;
            json!({"method": "PATCH", "path": format!("/Users/{id}"), "version": version, "data": {
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "path": "userName", "value": format!("patched{i}@example.com")},
                    {"op": "replace", "path": "emails", "value": [{"value": format!("patched{i}@example.com"), "type": "work"}]},
                    {"op": "replace", "path": "active", "value": false},
                    {"op": "replace", "path": format!("{PEAKON_REF}:Mentor"), "value": other},
                ]
            }})
        })
        .collect();
    measure("PATCH with If-Match", bulk_request(patches, None), "200");

    // PUT: everything again, and reactivated.
    let puts: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            let mut data = post_user(&format!("put{i}@example.com"));
            data[PEAKON_REF] = json!({"Mentor": ids[(i + 3) % n].0});
            json!({"method": "PUT", "path": format!("/Users/{id}"), "data": data})
        })
        .collect();
    measure("PUT", bulk_request(puts, None), "200");

    // Refusals: a stale version on each (412, logged on their own).
    let stale: Vec<Value> = ids
        .iter()
        .map(|(id, _)| json!({"method": "PATCH", "path": format!("/Users/{id}"), "version": "W/\"1\"",
            "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}}))
        .collect();
    measure("stale PATCH", bulk_request(stale, None), "412");

    // Deletes of users the others refer to.
    let deletes: Vec<Value> = ids
        .iter()
        .map(|(id, _)| json!({"method": "DELETE", "path": format!("/Users/{id}")}))
        .collect();
    measure("DELETE", bulk_request(deletes, None), "204");
    eprintln!("worst: {} statements for {n} operations", worst.get());
}

fn post_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "name": {"givenName": "W", "familyName": "Case"},
    })
}

/// References resolve in every place an id may stand, read back from the database: the
/// enterprise manager (value and `$ref`), an employee attribute, a PATCH path's filter, the
/// path of an operation, a forward reference and a circular one.
#[test]
fn bulk_ids_resolve_everywhere_an_id_may_appear() {
    let app = TestApp::new();
    let t = app.new_tenant("References");
    define(&app, &t, json!({"name": "Mentor", "type": "employee"}));
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let answer = bulk(
        &app,
        &t,
        bulk_request(
            vec![
                // Forward: the manager is created by the next operation.
                post(
                    "emp",
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "emp@example.com",
                        enterprise: {"manager": {"value": "bulkId:boss", "$ref": "../Users/bulkId:boss"}},
                        PEAKON_REF: {"Mentor": "bulkId:boss"},
                    }),
                ),
                post(
                    "boss",
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "boss@example.com",
                        "emails": [{"value": "boss@example.com", "type": "work"}],
                    }),
                ),
                // The path, and a value path's filter.
                json!({"method": "PATCH", "path": "/Users/bulkId:boss", "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "title", "value": "Boss of bulkId:emp"}]
                }}),
                // Circular, through the employee attribute.
                post(
                    "x",
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com", PEAKON_REF: {"Mentor": "bulkId:y"}}),
                ),
                post(
                    "y",
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "y@example.com", PEAKON_REF: {"Mentor": "bulkId:x"}, "emails": [{"value": "y@example.com"}]}),
                ),
                json!({"method": "DELETE", "path": "/Users/bulkId:nobody"}),
            ],
            None,
        ),
    );
    let ops = answer["Operations"].as_array().unwrap();
    assert_eq!(
        statuses(&answer),
        ["201", "201", "200", "201", "201", "409"],
        "{answer}"
    );
    let id_of = |i: usize| {
        ops[i]["location"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let (emp, boss, x, y) = (id_of(0), id_of(1), id_of(3), id_of(4));
    let get = |id: &str| {
        let r = app.scim(&t.token, "GET", &format!("/Users/{id}"), None);
        r.expect(200);
        r.json()
    };
    let e = get(&emp);
    assert_eq!(e[enterprise]["manager"]["value"], json!(boss));
    // `$ref` is kept as sent (DESIGN §4), with the reference resolved.
    assert_eq!(
        e[enterprise]["manager"]["$ref"],
        json!(format!("../Users/{boss}"))
    );
    assert_eq!(e[PEAKON_REF]["Mentor"], json!("boss@example.com"));
    assert_eq!(
        get(&boss)["title"],
        json!("Boss of bulkId:emp".replace("bulkId:emp", &emp))
    );
    // The circle: y was created first without its mentor (x did not exist yet), then x with
    // y as its mentor, then y's mentor was set: y's version is that of the set.
    assert_eq!(get(&x)[PEAKON_REF]["Mentor"], json!("y@example.com"));
    assert_eq!(get(&y)[PEAKON_REF]["Mentor"], json!("x@example.com"));
    assert_eq!(ops[4]["version"], get(&y)["meta"]["version"]);
    assert_eq!(ops[4]["version"], json!("W/\"2\""));
    let detail = ops[5]["response"]["detail"].as_str().unwrap();
    assert!(detail.contains("bulkId \"nobody\""), "{detail}");
    assert_eq!(ops[5]["response"].get("scimType"), None);
}

/// A POST of `body` to `/scim/v2{path}` with `token`, answered as the edge answers a request the
/// per-token rate limit refused (`app::throttled_logged`): the response and the notes of the
/// worker's log line.
fn throttled(
    app_: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
    request_id: &str,
) -> (scim_edge::app::Response, Vec<String>) {
    use crate::helpers::block_on;
    use scim_edge::app::plumbing::ids::SeededRandom;
    use scim_edge::app::{self, Body, Count, Ctx, Limiter};
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://scim.test/scim/v2{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string().into_bytes()))
        .unwrap();
    let mut random = SeededRandom(7);
    let clock = || app_.now();
    let mut ctx = Ctx::new(
        app_.now(),
        &clock,
        request_id.into(),
        &mut random,
        &app_.config,
    );
    let count = Count {
        limiter: Limiter::Token,
        key: format!("scim:{request_id}"),
    };
    let r = block_on(app::throttled_logged(&req, &count, &app_.store, &mut ctx));
    (r, ctx.log)
}

/// Every operation of a Bulk request is one unit of the per-token rate limit, taken before it
/// runs; a request refused them is answered 429 with `Retry-After`, performs nothing, and
/// leaves one activity-log entry that says so.
#[test]
fn a_bulk_request_takes_a_unit_per_operation_and_its_refusal_is_logged_once() {
    use scim_edge::app::{self, Body, Limiter};
    let app_ = TestApp::new();
    let t = app_.new_tenant("Units");
    let request = |path: &str, body: &Value| {
        http::Request::builder()
            .method("POST")
            .uri(format!("http://scim.test/scim/v2{path}"))
            .header("Authorization", format!("Bearer {}", t.token))
            .body(Body::from(body.to_string().into_bytes()))
            .unwrap()
    };
    let three = bulk_request(
        (0..3)
            .map(|i| post(&format!("u{i}"), json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("units{i}@example.com")})))
            .collect(),
        None,
    );
    let units =
        |path: &str, body: &Value| app::throttle_units(&request(path, body), Limiter::Token);
    assert_eq!(units("/Bulk", &three), 3);
    assert_eq!(units("/Users", &three), 1);
    assert_eq!(units("/Bulk", &json!({"Operations": "x"})), 1);
    let too_many = bulk_request(vec![json!({}); MAX_OPERATIONS + 1], None);
    assert_eq!(
        units("/Bulk", &too_many),
        1,
        "refused whole, before running"
    );
    assert_eq!(
        app::throttle_units(&request("/Bulk", &three), Limiter::FailedCredential),
        1
    );

    let (r, _) = throttled(&app_, &t.token, "/Bulk", &three, "req-throttled");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "10");
    assert_eq!(r.headers()["x-request-id"], "req-throttled");
    let log = app_
        .admin("GET", &format!("/tenants/{}/activity", t.id), None)
        .json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["operation"], "bulk");
    assert_eq!(entries[0]["status"], 429);
    assert_eq!(entries[0]["request_id"], "req-throttled");
    assert!(entries[0]["detail"]
        .as_str()
        .unwrap()
        .contains("3 operations"));
    let users = app_.scim(&t.token, "GET", "/Users?count=0", None).json();
    assert_eq!(users["totalResults"], 0);
    // Any other throttled request is answered without the database, and logged nowhere.
    let (r, _) = throttled(&app_, &t.token, "/Users", &json!({}), "req-other");
    assert_eq!(r.status(), 429);
    let log = app_
        .admin("GET", &format!("/tenants/{}/activity", t.id), None)
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 1);
}

/// A Bulk request of a token that is no longer live (revoked), refused by the per-token rate
/// limit: 429 as for any token, and nothing to log, since no tenant's log is its to write to;
/// the worker's log line carries no note of a failed write either (the flood of an IdP that
/// retries a revoked token would otherwise fill the log with them).
#[test]
fn a_throttled_bulk_request_of_a_revoked_token_logs_nothing() {
    let app_ = TestApp::new();
    let t = app_.new_tenant("Revoked units");
    app_.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, t.token_id),
        None,
    )
    .expect(204);
    let body = bulk_request(
        (0..3)
            .map(|i| json!({"method": "DELETE", "path": format!("/Users/absent-{i}")}))
            .collect(),
        Some(1),
    );
    let (r, notes) = throttled(&app_, &t.token, "/Bulk", &body, "req-revoked");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "10");
    assert!(notes.is_empty(), "{notes:?}");
    let log = app_
        .admin("GET", &format!("/tenants/{}/activity", t.id), None)
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 0, "{log}");
}
