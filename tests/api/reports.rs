//! The roster and the activity log (DESIGN §4, §7) on the host: what needs the fixed clock or
//! the database itself — eligibility at exact times around every step of a history, the order
//! and names of the roster, index-backed plans, and retention. (The scenarios both suites run are
//! in `common::scenarios::reports`.)

use crate::common::scenarios::reports::{self as s, activity, roster, state_at};
use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use scim_edge::app::retention::prune_activity;
use scim_edge::model::{Operation, TenantId};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::reports::{self as sql, ActivityFilter, RosterAfter, RosterFilter};
use scim_edge::store::Stmt;
use serde_json::{json, Value};

fn ts(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().0
}

/// Sends the next request at exactly `at` (the test clock adds 1 ms per request).
fn at(app: &TestApp, at: &str) {
    app.now.set(ts(at) - 1);
}

const OFF: &str = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}"#;
const ON: &str = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": true}}]}"#;

fn patch(app: &TestApp, t: &Tenant, id: &str, body: &str) {
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["schemas"][0], json!(PATCH_OP));
    app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(v))
        .expect(200);
}

#[test]
fn eligibility_at_t_over_an_activation_history() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    // A: created, deactivated, reactivated, deleted. B: created inactive, activated later.
    at(&app, "2026-03-01T10:00:00.000Z");
    let a = app
        .scim(&t.token, "POST", "/Users", Some(okta_user("a@example.com")))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    at(&app, "2026-03-01T10:30:00.000Z");
    let mut b_body = okta_user("b@example.com");
    b_body["active"] = json!(false);
    let b = app.scim(&t.token, "POST", "/Users", Some(b_body)).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    at(&app, "2026-03-01T11:00:00.000Z");
    patch(&app, &t, &a, OFF);
    at(&app, "2026-03-01T12:00:00.000Z");
    patch(&app, &t, &a, ON);
    at(&app, "2026-03-01T12:30:00.000Z");
    patch(&app, &t, &b, ON);
    at(&app, "2026-03-01T13:00:00.000Z");
    app.scim(&t.token, "DELETE", &format!("/Users/{a}"), None)
        .expect(204);

    // T; A's and B's state at T: None = not listed, else (active, changed_at); and the totals
    // (all, eligible, ineligible).
    type State = Option<(bool, &'static str)>;
    let table: [(&str, State, State, [usize; 3]); 15] = [
        ("2026-03-01T09:59:59.999Z", None, None, [0, 0, 0]),
        (
            "2026-03-01T10:00:00.000Z",
            Some((true, "2026-03-01T10:00:00.000Z")),
            None,
            [1, 1, 0],
        ),
        (
            "2026-03-01T10:15:00.000Z",
            Some((true, "2026-03-01T10:00:00.000Z")),
            None,
            [1, 1, 0],
        ),
        (
            "2026-03-01T10:30:00.000Z",
            Some((true, "2026-03-01T10:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 1, 1],
        ),
        (
            "2026-03-01T10:59:59.999Z",
            Some((true, "2026-03-01T10:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 1, 1],
        ),
        (
            "2026-03-01T11:00:00.000Z",
            Some((false, "2026-03-01T11:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 0, 2],
        ),
        (
            "2026-03-01T11:30:00.000Z",
            Some((false, "2026-03-01T11:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 0, 2],
        ),
        (
            "2026-03-01T11:59:59.999Z",
            Some((false, "2026-03-01T11:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 0, 2],
        ),
        (
            "2026-03-01T12:00:00.000Z",
            Some((true, "2026-03-01T12:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 1, 1],
        ),
        (
            "2026-03-01T12:15:00.000Z",
            Some((true, "2026-03-01T12:00:00.000Z")),
            Some((false, "2026-03-01T10:30:00.000Z")),
            [2, 1, 1],
        ),
        (
            "2026-03-01T12:30:00.000Z",
            Some((true, "2026-03-01T12:00:00.000Z")),
            Some((true, "2026-03-01T12:30:00.000Z")),
            [2, 2, 0],
        ),
        (
            "2026-03-01T12:59:59.999Z",
            Some((true, "2026-03-01T12:00:00.000Z")),
            Some((true, "2026-03-01T12:30:00.000Z")),
            [2, 2, 0],
        ),
        (
            "2026-03-01T13:00:00.000Z",
            None,
            Some((true, "2026-03-01T12:30:00.000Z")),
            [1, 1, 0],
        ),
        (
            "2026-03-01T14:00:00.000Z",
            None,
            Some((true, "2026-03-01T12:30:00.000Z")),
            [1, 1, 0],
        ),
        (
            "2099-01-01T00:00:00.000Z",
            None,
            Some((true, "2026-03-01T12:30:00.000Z")),
            [1, 1, 0],
        ),
    ];
    let owned = |s: State| s.map(|(a, c)| (a, c.to_string()));
    for (when, a_state, b_state, totals) in table {
        assert_eq!(
            state_at(&app, &t.id, &a, Some(when)),
            owned(a_state),
            "A at {when}"
        );
        assert_eq!(
            state_at(&app, &t.id, &b, Some(when)),
            owned(b_state),
            "B at {when}"
        );
        for (filter, total) in [
            (None, totals[0]),
            (Some("true"), totals[1]),
            (Some("false"), totals[2]),
        ] {
            let mut pairs = vec![("at", when)];
            pairs.extend(filter.map(|f| ("eligible", f)));
            assert_eq!(
                roster(&app, &t.id, &pairs)["total"],
                json!(total),
                "total at {when}, eligible={filter:?}"
            );
        }
    }
    // Without `at`: now, the request's own time.
    at(&app, "2026-03-02T00:00:00.000Z");
    let now = roster(&app, &t.id, &[]);
    assert_eq!(now["at"], json!("2026-03-02T00:00:00.000Z"));
    assert_eq!(now["employees"].as_array().unwrap().len(), 1);
}

#[test]
fn the_roster_is_in_user_name_order_with_everyone_named_as_last_known() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let create = |name: &str| {
        app.scim(&t.token, "POST", "/Users", Some(okta_user(name)))
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    at(&app, "2026-03-01T10:00:00.000Z");
    let emile = create("Émile@example.com");
    let bob = create("bob@example.com");
    let carol = create("Carol@example.com");
    let dave = create("dave@example.com");
    let alice = create("Alice@example.com");
    let before_changes = "2026-03-01T10:00:00.010Z";
    // Carol is renamed (no activation change): she is named as she is now, at every T.
    at(&app, "2026-03-01T11:00:00.000Z");
    let mut renamed = okta_user("Caroline@example.com");
    renamed["emails"] =
        json!([{ "value": "caroline@example.org", "type": "work", "primary": true }]);
    app.scim(&t.token, "PUT", &format!("/Users/{carol}"), Some(renamed))
        .expect(200);
    // Dave leaves; a new DAVE (another employee, another id) takes the name.
    at(&app, "2026-03-01T12:00:00.000Z");
    app.scim(&t.token, "DELETE", &format!("/Users/{dave}"), None)
        .expect(204);
    let new_dave = create("DAVE@example.com");

    let line = |e: &Value| {
        (
            e["id"].as_str().unwrap().to_string(),
            e["userName"].as_str().unwrap().to_string(),
            e["email"].clone(),
        )
    };
    let then: Vec<_> = roster(&app, &t.id, &[("at", before_changes)])["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        then,
        [
            (
                alice.clone(),
                "Alice@example.com".to_string(),
                json!("Alice@example.com")
            ),
            (
                bob.clone(),
                "bob@example.com".to_string(),
                json!("bob@example.com")
            ),
            (
                carol.clone(),
                "Caroline@example.com".to_string(),
                json!("caroline@example.org")
            ),
            (
                dave.clone(),
                "dave@example.com".to_string(),
                json!("dave@example.com")
            ),
            (
                emile.clone(),
                "Émile@example.com".to_string(),
                json!("Émile@example.com")
            ),
        ]
    );
    let now: Vec<_> = roster(&app, &t.id, &[])["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| line(e).0)
        .collect();
    assert_eq!(
        now,
        [
            alice.clone(),
            bob.clone(),
            carol.clone(),
            new_dave.clone(),
            emile.clone()
        ]
    );
    // Paging one by one goes through the same order, at both times.
    for when in [before_changes, "2026-03-01T12:00:00.500Z"] {
        let one = roster(&app, &t.id, &[("at", when), ("limit", "1000")])["employees"].clone();
        let paged = s::all_pages(
            |cursor| {
                let mut p = vec![("at", when), ("limit", "1")];
                p.extend(cursor.map(|c| ("cursor", c)));
                roster(&app, &t.id, &p)
            },
            "employees",
            1,
            &mut |_| {},
        );
        assert_eq!(json!(paged), one, "at {when}");
    }
}

/// The plan SQLite chooses for a statement, one line per step.

#[test]
fn roster_and_activity_reads_are_index_backed() {
    let app = TestApp::new();
    let t = TenantId::new("t");
    let at = Timestamp::parse_rfc3339("2026-01-01T00:00:00.000Z").unwrap();
    let filter = ActivityFilter {
        user: Some(("ada@example.com", "ada@example.com".into())),
        operation: None,
        failed: None,
    };
    let by_operation = ActivityFilter {
        user: None,
        operation: Some(Operation::Create),
        failed: None,
    };
    let failures = ActivityFilter {
        user: None,
        operation: None,
        failed: Some(true),
    };
    // Statement; what its plan may not contain.
    let table: [(&str, Stmt, &[&str], &str); 7] = [
        (
            "roster page",
            sql::roster_page(
                &t,
                at,
                RosterAfter { key: "", id: "" },
                &RosterFilter::default(),
                101,
            )
            .stmt()
            .clone(),
            &["SCAN u", "SCAN d", "SCAN a", "SCAN s", "TEMP B-TREE"],
            "users_by_user_name",
        ),
        (
            "eligible roster page",
            sql::roster_page(
                &t,
                at,
                RosterAfter { key: "k", id: "i" },
                &RosterFilter {
                    eligible: Some(true),
                    words: &[],
                },
                101,
            )
            .stmt()
            .clone(),
            &["SCAN u", "SCAN d", "SCAN a", "SCAN s", "TEMP B-TREE"],
            "activation_deletions",
        ),
        (
            "roster counts",
            sql::roster_counts(&t, at).stmt().clone(),
            &["SCAN activation", "TEMP B-TREE"],
            "COVERING INDEX activation_state",
        ),
        (
            "activity",
            sql::activity_page(&t, &ActivityFilter::default(), Some(10), 101)
                .stmt()
                .clone(),
            &["SCAN activity", "TEMP B-TREE"],
            "activity_by_tenant",
        ),
        (
            "activity by operation",
            sql::activity_page(&t, &by_operation, None, 101)
                .stmt()
                .clone(),
            &["SCAN activity", "TEMP B-TREE"],
            "activity_by_operation",
        ),
        (
            "activity failures",
            sql::activity_page(&t, &failures, Some(10), 101)
                .stmt()
                .clone(),
            &["SCAN activity", "TEMP B-TREE"],
            "activity_failed",
        ),
        (
            "activity by user",
            sql::activity_page(&t, &filter, Some(10), 101)
                .stmt()
                .clone(),
            &[
                "SCAN activity",
                "SCAN users",
                "SCAN activation",
                "TEMP B-TREE",
                "activity_by_tenant",
            ],
            "INTEGER PRIMARY KEY",
        ),
    ];
    for (what, stmt, forbidden, used) in table {
        let steps = app.plan(&stmt);
        assert!(
            steps.iter().any(|s| s.contains(used)),
            "{what}: {used} not in {steps:#?}"
        );
        for bad in forbidden {
            assert!(
                !steps
                    .iter()
                    .any(|s| s.starts_with(bad) || s.contains(&format!(" {bad}"))),
                "{what}: {bad} in {steps:#?}"
            );
        }
    }
    let steps = app.plan(
        sql::roster_page(
            &t,
            at,
            RosterAfter { key: "", id: "" },
            &RosterFilter::default(),
            1,
        )
        .stmt(),
    );
    assert!(
        steps.iter().any(|s| s.contains("MERGE (UNION ALL)")),
        "the two sources merge in order: {steps:#?}"
    );
}

fn count(app: &TestApp, sql: &str, tenant: &str) -> i64 {
    app.store
        .with_conn(|c| c.query_row(sql, [tenant], |r| r.get(0)).unwrap())
}

#[test]
fn retention_removes_old_log_entries_of_every_tenant_and_keeps_the_history() {
    let app = TestApp::new();
    let acme = app.new_tenant("Acme");
    let other = app.new_tenant("Other");
    at(&app, "2026-01-01T09:00:00.000Z");
    let old = app
        .scim(
            &acme.token,
            "POST",
            "/Users",
            Some(okta_user("old@example.com")),
        )
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.scim(
        &other.token,
        "POST",
        "/Users",
        Some(okta_user("o@example.com")),
    )
    .expect(201);
    at(&app, "2026-01-02T09:00:00.000Z");
    app.scim(&acme.token, "DELETE", &format!("/Users/{old}"), None)
        .expect(204);
    at(&app, "2026-04-01T09:00:00.000Z");
    app.scim(
        &acme.token,
        "POST",
        "/Users",
        Some(okta_user("new@example.com")),
    )
    .expect(201);

    // 90 days before 2026-04-01T09:00 is 2026-01-01T09:00: the entry of that very instant stays.
    let run = |now: &str| block_on(prune_activity(&app.store, Timestamp(ts(now)), 90)).unwrap();
    let p = run("2026-04-01T09:00:00.000Z");
    assert_eq!((p.removed, p.more), (0, false));
    let p = run("2026-04-01T09:00:00.002Z");
    assert_eq!(
        (p.removed, p.more),
        (2, false),
        "both tenants' entries of 2026-01-01"
    );
    let at_of = |t: &Tenant| -> Vec<Value> {
        activity(&app, &t.id, &[])["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["at"].clone())
            .collect()
    };
    assert_eq!(
        at_of(&acme),
        [
            json!("2026-04-01T09:00:00.000Z"),
            json!("2026-01-02T09:00:00.000Z")
        ]
    );
    assert_eq!(at_of(&other), Vec::<Value>::new());
    // The activation history is never pruned: the roster of January still answers.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM activation WHERE tenant_id = ?1",
            &acme.id
        ),
        3
    );
    let january = roster(&app, &acme.id, &[("at", "2026-01-01T12:00:00Z")]);
    assert_eq!(january["employees"][0]["id"], json!(old));
    assert_eq!(run("2026-07-01T00:00:00.000Z").removed, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM activity WHERE tenant_id = ?1",
            &acme.id
        ),
        0
    );
}

#[test]
fn an_ignored_deactivated_attribute_is_noted_in_detail() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let attr = app.admin(
        "POST",
        &format!("/tenants/{}/attributes", t.id),
        Some(json!({ "name": "Cost Centre", "type": "text" })),
    );
    attr.expect(201);
    let attr = attr.json();
    app.admin(
        "PATCH",
        &format!(
            "/tenants/{}/attributes/{}",
            t.id,
            attr["id"].as_str().unwrap()
        ),
        Some(json!({ "active": false })),
    )
    .expect(200);
    let mut body = okta_user("ada@example.com");
    body["schemas"] = json!([
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:peakon:2.0:User"
    ]);
    body["urn:ietf:params:scim:schemas:extension:peakon:2.0:User"] =
        json!({ "Cost Centre": "CC-1" });
    app.scim(&t.token, "POST", "/Users", Some(body)).expect(201);
    let log = activity(&app, &t.id, &[]);
    let entry = &log["entries"][0];
    assert_eq!(
        (&entry["operation"], &entry["status"]),
        (&json!("create"), &json!(201))
    );
    assert_eq!(
        entry["detail"],
        json!(format!(
            "ignored the deactivated attribute \"{}\"",
            attr["scim_name"].as_str().unwrap()
        ))
    );
}
