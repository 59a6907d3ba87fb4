//! The substring index (issue 22, `store::substrings`, migration 0018), on the host:
//!
//! - on random employees and random substring filters, the indexed SQL returns exactly the ids
//!   of the SQL without the index (`list_sql::scan_filter_sql`, what filters were before it);
//! - after every kind of write (create, PATCH, replace, delete, restore, refold, Bulk), the index
//!   holds exactly what a fresh build from `users` holds: the same entries, as often, the same
//!   totals;
//! - a purge (a deleted tenant's, a deleted employee's) owes a compaction, and the erasure job's
//!   compaction leaves the index byte for byte a fresh build of the employees that remain: no
//!   trace of the purged in any of its shadow tables;
//! - migration 0018 indexes the employees that were there before it.
//!
//! (Query plans: `query.rs`. The same filters on the worker: `common::scenarios::query`.)

use crate::common::scenarios::users::okta_user;
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use scim_edge::app::erasure;
use scim_edge::app::maintenance::refold;
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::purge::{self, Budget};
use scim_edge::model::TokenHash;
use scim_edge::scim::datetime::Timestamp;
use scim_edge::scim::filter::resolve::resolve;
use scim_edge::scim::filter::{parse_filter, Limits};
use scim_edge::scim::tenant::TenantSchema;
use scim_edge::store::list_sql::{filter_sql, scan_filter_sql};
use scim_edge::store::{Sql, Stmt, Value as StoreValue};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn rows(c: &Connection, stmt: &Stmt) -> Vec<Vec<SqlValue>> {
    let mut st = c.prepare(&stmt.sql).unwrap();
    let params = stmt.params.iter().map(|v| match v {
        StoreValue::Null => SqlValue::Null,
        StoreValue::Int(i) => SqlValue::Integer(*i),
        StoreValue::Real(f) => SqlValue::Real(*f),
        StoreValue::Text(s) => SqlValue::Text(s.clone()),
    });
    let n = st.column_count();
    st.query_map(rusqlite::params_from_iter(params), |r| {
        (0..n).map(|i| r.get::<_, SqlValue>(i)).collect()
    })
    .unwrap_or_else(|e| panic!("{e}: {}", stmt.sql))
    .map(Result::unwrap)
    .collect()
}

/// The ids of the tenant's users that `filter` selects, with the index or without.
fn ids(app: &TestApp, t: &Tenant, filter: &str, indexed: bool) -> BTreeSet<String> {
    let f = resolve(
        &parse_filter(filter, &Limits::DEFAULT).unwrap(),
        &TenantSchema::default(),
    )
    .unwrap();
    let hash = TokenHash::of(&t.token);
    let mut q = Sql::new();
    let tenant = q.tenant_of_token(&hash);
    let w = if indexed {
        filter_sql(&f, &mut q, &hash)
    } else {
        scan_filter_sql(&f, &mut q, &hash)
    }
    .unwrap();
    let stmt = q.stmt(format!(
        "SELECT u.id FROM users u WHERE {} AND {}",
        w.tenant(&tenant),
        w.sql
    ));
    app.store.with_conn(|c| {
        rows(c, &stmt)
            .into_iter()
            .map(|r| match &r[0] {
                SqlValue::Text(s) => s.clone(),
                other => panic!("an id: {other:?}"),
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// The indexed SQL answers what the scan answers.

/// Pieces of values: case pairs, Unicode folds ("ß"/"SS", "İ"), canonically equivalent forms,
/// LIKE's wildcards and escape, quotes, separators, digits.
const PIECES: &[&str] = &[
    "ann",
    "Ann",
    "ANNA",
    "berg",
    "Berg",
    "ÖBERG",
    "öberg",
    "ß",
    "SS",
    "ss",
    "é",
    "e\u{301}",
    "É",
    "İ",
    "i\u{307}",
    "%",
    "_",
    "\\",
    "\"",
    "'",
    "@",
    ".",
    "-",
    " ",
    "x@ex.com",
    "@Example.COM",
    "12",
    "0",
    "ﬃ",
    "straße",
];

fn text() -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(prop::sample::select(PIECES), 1..=4).prop_map(|p| p.concat())
}

fn maybe_text() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.8, text())
}

/// Covered attributes (and two that are not), as filters name them, with what the user
/// bodies below put there.
const ATTRS: &[&str] = &[
    "userName",
    "name.givenName",
    "name.middleName",
    "name.familyName",
    "name.formatted",
    "displayName",
    "employeeNumber",
    "emails",
    "emails.value",
    "title",
    "emails.type",
];

fn user() -> impl Strategy<Value = Value> {
    (
        (text(), maybe_text(), maybe_text(), maybe_text()),
        (maybe_text(), maybe_text(), maybe_text(), maybe_text()),
        prop::collection::vec(
            (text(), prop::sample::select(&["work", "Home", "other"][..])),
            0..=3,
        ),
    )
        .prop_map(
            |((user_name, given, middle, family), (formatted, display, number, title), emails)| {
                let mut name = serde_json::Map::new();
                for (k, v) in [
                    ("givenName", given),
                    ("middleName", middle),
                    ("familyName", family),
                    ("formatted", formatted),
                ] {
                    if let Some(v) = v {
                        name.insert(k.into(), json!(v));
                    }
                }
                let mut u =
                    json!({ "schemas": [CORE, ENTERPRISE], "userName": user_name, "name": name });
                if let Some(d) = display {
                    u["displayName"] = json!(d);
                }
                if let Some(t) = title {
                    u["title"] = json!(t);
                }
                if let Some(n) = number {
                    u[ENTERPRISE] = json!({ "employeeNumber": n });
                }
                if !emails.is_empty() {
                    u["emails"] = json!(emails
                        .iter()
                        .map(|(v, t)| json!({ "value": v, "type": t }))
                        .collect::<Vec<_>>());
                }
                u
            },
        )
}

/// A pattern: some pieces, or a part of the users' values (so that filters match), in either
/// case.
fn pattern(values: Vec<String>) -> impl Strategy<Value = String> + Clone {
    let part = (
        prop::sample::select(values),
        any::<prop::sample::Index>(),
        1..=8usize,
        any::<bool>(),
    )
        .prop_map(|(v, at, len, upper)| {
            let chars: Vec<char> = v.chars().collect();
            let start = at.index(chars.len().max(1)).min(chars.len());
            let s: String = chars[start..(start + len).min(chars.len())]
                .iter()
                .collect();
            if upper {
                s.to_uppercase()
            } else {
                s
            }
        });
    prop_oneof![1 => text(), 3 => part]
}

/// A SCIM string literal of `s`.
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn leaf(values: Vec<String>) -> impl Strategy<Value = String> + Clone {
    (
        prop::sample::select(ATTRS),
        prop::sample::select(&["co", "sw", "ew", "co", "eq"][..]),
        pattern(values),
    )
        .prop_map(|(attr, op, p)| format!("{attr} {op} {}", lit(&p)))
}

fn filter(values: Vec<String>) -> impl Strategy<Value = String> {
    let l = leaf(values.clone());
    let v = pattern(values);
    prop_oneof![
        4 => l.clone(),
        1 => l.clone().prop_map(|f| format!("not ({f})")),
        1 => (l.clone(), l.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
        1 => (l.clone(), l.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
        1 => (l.clone(), l).prop_map(|(a, b)| format!("not ({a}) or name.middleName pr and {b}")),
        1 => v.prop_map(|p| format!("emails[type eq \"work\" and value co {}]", lit(&p))),
    ]
}

/// Every string a user body holds (the patterns' source).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn indexed_filters_return_the_ids_the_scan_returns() {
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(user(), 1..=10).prop_flat_map(|bodies| {
        let mut values = Vec::new();
        bodies.iter().for_each(|b| strings(b, &mut values));
        values.retain(|s| s != CORE && s != ENTERPRISE);
        (Just(bodies), prop::collection::vec(filter(values), 12))
    });
    runner
        .run(&strategy, |(bodies, filters)| {
            let app = TestApp::new();
            // Two tenants with the same employees: neither's filters see the other's.
            let tenants = [app.new_tenant("A"), app.new_tenant("B")];
            for t in &tenants {
                for (i, body) in bodies.iter().enumerate() {
                    let mut body = body.clone();
                    body["userName"] = json!(format!("{}{i}", body["userName"].as_str().unwrap()));
                    let r = app.scim(&t.token, "POST", "/Users", Some(body));
                    prop_assert_eq!(r.status, 201, "{}", r.body);
                }
            }
            for f in &filters {
                let t = &tenants[0];
                let scan = ids(&app, t, f, false);
                prop_assert_eq!(ids(&app, t, f, true), scan.clone(), "filter: {}", f);
                // And the app, which renders with the index, agrees.
                let r = app.scim(
                    &t.token,
                    "GET",
                    &format!(
                        "/Users?count=100&attributes=id&filter={}",
                        crate::common::scenarios::query::enc(f)
                    ),
                    None,
                );
                prop_assert_eq!(r.status, 200, "{}: {}", f, r.body);
                let listed: BTreeSet<String> = r.json()["Resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["id"].as_str().unwrap().to_string())
                    .collect();
                prop_assert_eq!(listed, scan, "filter: {}", f);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// The index holds what `users` holds, and nothing else once compacted.

/// What the index must hold for each employee, written here from migration 0018's definition
/// (rowid; the tenant's tag; userName; the name's parts, displayName and employeeNumber of the
/// folded document; its emails' values, one a line).
const EXPECTED_ROWS: &str = "SELECT u.rowid, substr('____' || u.tenant_id, -4), u.user_name_fold, \
     json_extract(u.folded, '$.name.givenName'), json_extract(u.folded, '$.name.middleName'), \
     json_extract(u.folded, '$.name.familyName'), json_extract(u.folded, '$.name.formatted'), \
     json_extract(u.folded, '$.displayName'), \
     json_extract(u.folded, '$.\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\".employeeNumber'), \
     (SELECT group_concat(json_extract(e.value, '$.value'), char(10)) FROM json_each(u.folded, '$.emails') e) \
     FROM users u ORDER BY u.rowid";

/// The pages of an index (its `%_data` rows in order, the structure record left out: it names
/// segment ids), with the averages record (row counts and token totals).
fn pages(c: &Connection, table: &str) -> Vec<Vec<u8>> {
    let mut st = c
        .prepare(&format!(
            "SELECT block FROM {table}_data WHERE id <> 10 ORDER BY id"
        ))
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The pages of an index built now, from nothing, from `users` (a table made like the real
/// one, filled with [`EXPECTED_ROWS`], merged into one segment).
fn fresh_pages(c: &Connection) -> Vec<Vec<u8>> {
    let create: String = c
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'user_substrings'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute_batch(&format!(
        "DROP TABLE IF EXISTS fresh_substrings; {};",
        create.replacen("user_substrings", "fresh_substrings", 1)
    ))
    .unwrap();
    c.execute(
        &format!(
            "INSERT INTO fresh_substrings (rowid, tenant, user_name, given_name, middle_name, \
             family_name, formatted, display_name, employee_number, emails) {EXPECTED_ROWS}"
        ),
        [],
    )
    .unwrap();
    c.execute_batch("INSERT INTO fresh_substrings (fresh_substrings) VALUES ('optimize')")
        .unwrap();
    let p = pages(c, "fresh_substrings");
    c.execute_batch("DROP TABLE fresh_substrings").unwrap();
    p
}

fn segments(c: &Connection) -> i64 {
    c.query_row(
        "SELECT count(DISTINCT segid) FROM user_substrings_idx",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn owed(app: &TestApp) -> i64 {
    app.store.with_conn(|c| {
        c.query_row("SELECT count(*) FROM user_substrings_compaction", [], |r| {
            r.get(0)
        })
        .unwrap()
    })
}

/// An index's entries, each (trigram, rowid, column) with how often it is there, and its
/// averages record.
type Entries = (Vec<(String, i64, String, i64)>, Vec<u8>);

/// Every entry of an index: each (trigram, rowid, column) with how often it is there
/// (`fts5vocab`'s instances), and its averages record (row count and token totals).
fn entries(c: &Connection, table: &str) -> Entries {
    c.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{table}_instances; \
         CREATE VIRTUAL TABLE temp.{table}_instances USING fts5vocab(main, {table}, instance);"
    ))
    .unwrap();
    let mut st = c
        .prepare(&format!(
            "SELECT term, doc, col, count(*) FROM temp.{table}_instances GROUP BY term, doc, col ORDER BY term, doc, col"
        ))
        .unwrap();
    let all = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let averages = c
        .query_row(
            &format!("SELECT block FROM {table}_data WHERE id = 1"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    (all, averages)
}

/// The index holds what a fresh build from `users` holds: the same entries, as often, and the
/// same totals.
fn assert_index_is_users(app: &TestApp, when: &str) {
    app.store.with_conn(|c| {
        let create: String = c
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'user_substrings'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        c.execute_batch(&format!(
            "DROP TABLE IF EXISTS fresh_substrings; {};",
            create.replacen("user_substrings", "fresh_substrings", 1)
        ))
        .unwrap();
        c.execute(
            &format!(
                "INSERT INTO fresh_substrings (rowid, tenant, user_name, given_name, middle_name, \
                 family_name, formatted, display_name, employee_number, emails) {EXPECTED_ROWS}"
            ),
            [],
        )
        .unwrap();
        let (live, fresh) = (entries(c, "user_substrings"), entries(c, "fresh_substrings"));
        assert!(!fresh.0.is_empty(), "{when}: nothing indexed");
        assert!(live == fresh, "{when}: the index differs from a fresh build of users: {:#?}", {
            let extra: Vec<_> = live.0.iter().filter(|e| !fresh.0.contains(e)).take(10).collect();
            let missing: Vec<_> = fresh.0.iter().filter(|e| !live.0.contains(e)).take(10).collect();
            (extra, missing)
        });
        c.execute_batch(
            "DROP TABLE temp.user_substrings_instances; DROP TABLE temp.fresh_substrings_instances; \
             DROP TABLE fresh_substrings;",
        )
        .unwrap();
    });
}

fn person(user_name: &str, family: &str, emails: &[&str]) -> Value {
    json!({
        "schemas": [CORE, ENTERPRISE], "userName": user_name,
        "name": { "givenName": "Ann", "familyName": family, "formatted": format!("Ann {family}") },
        "displayName": format!("Ann {family}"), "title": "Engineer",
        "emails": emails.iter().map(|e| json!({ "value": e, "type": "work" })).collect::<Vec<_>>(),
        ENTERPRISE: { "employeeNumber": format!("E-{family}") }
    })
}

#[test]
fn the_index_holds_exactly_what_users_hold_after_every_kind_of_write() {
    let app = TestApp::new();
    let t = app.new_tenant("Writes");
    let other = app.new_tenant("Other writes");
    let mut ids = Vec::new();
    for (i, family) in ["Berg", "Öberg", "Straße", "Lind"].iter().enumerate() {
        let body = person(
            &format!("u{i}@example.com"),
            family,
            &[&format!("u{i}@example.com"), "Shared@Example.org"],
        );
        ids.push(
            app.scim(&t.token, "POST", "/Users", Some(body.clone()))
                .json()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        app.scim(&other.token, "POST", "/Users", Some(body))
            .expect(201);
    }
    assert_index_is_users(&app, "after the creates");

    let patch = |ops: Value| json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops });
    let user = |i: usize| format!("/Users/{}", ids[i]);
    // An indexed value changes; then one that is not indexed (the index is left alone).
    app.scim(
        &t.token,
        "PATCH",
        &user(0),
        Some(patch(
            json!([{ "op": "replace", "path": "name.familyName", "value": "Bergström" }]),
        )),
    )
    .expect(200);
    app.scim(&t.token, "PATCH", &user(0), Some(patch(json!([{ "op": "replace", "path": "title", "value": "Lead" }, { "op": "replace", "path": "active", "value": false }])))).expect(200);
    app.scim(
        &t.token,
        "PATCH",
        &user(1),
        Some(patch(
            json!([{ "op": "add", "path": "emails", "value": [{ "value": "second@ÖBERG.se" }] }]),
        )),
    )
    .expect(200);
    app.scim(
        &t.token,
        "PATCH",
        &user(1),
        Some(patch(
            json!([{ "op": "remove", "path": "emails[value eq \"shared@example.org\"]" }]),
        )),
    )
    .expect(200);
    app.scim(
        &t.token,
        "PATCH",
        &user(2),
        Some(patch(
            json!([{ "op": "remove", "path": "name" }, { "op": "remove", "path": "displayName" }]),
        )),
    )
    .expect(200);
    app.scim(
        &t.token,
        "PUT",
        &user(3),
        Some(person("renamed@example.com", "Lindqvist", &[])),
    )
    .expect(200);
    assert_index_is_users(&app, "after PATCHes and a replace");

    // Deleted, then restored; another deleted for good (purged by the admin).
    app.scim(&t.token, "DELETE", &user(1), None).expect(204);
    app.scim(&t.token, "DELETE", &user(2), None).expect(204);
    assert_index_is_users(&app, "after deletes");
    app.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{}/restore", t.id, ids[1]),
        None,
    )
    .expect(200);
    app.admin(
        "DELETE",
        &format!("/tenants/{}/deleted-employees/{}", t.id, ids[2]),
        None,
    )
    .expect(204);
    assert_index_is_users(&app, "after a restore and a purge");

    // Bulk.
    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            { "method": "POST", "path": "/Users", "bulkId": "a", "data": person("bulk@example.com", "Bulkman", &["bulk@example.com"]) },
            { "method": "PATCH", "path": user(0), "data": patch(json!([{ "op": "replace", "path": "displayName", "value": "Ann B." }])) },
            { "method": "DELETE", "path": user(3) }
        ]
    });
    app.scim(&t.token, "POST", "/Bulk", Some(bulk)).expect(200);
    assert_index_is_users(&app, "after a Bulk request");

    // Rows of an earlier folding (here: the folded copies spoilt), rewritten by the refold job.
    app.store.with_conn(|c| {
        c.execute_batch(
            "UPDATE users SET folded = json_set(folded, '$.name.familyName', 'Stale ' || id, '$.emails[0].value', 'STALE@' || id), \
             user_name_fold = upper(user_name_fold) || '~', fold_stale = 1",
        )
        .unwrap()
    });
    assert_index_is_users(&app, "after rows were folded otherwise");
    let done = block_on(refold(&app.store, &mut SeededRandom(5), 10)).unwrap();
    assert!(!done.more);
    assert_index_is_users(&app, "after the refold");
}

#[test]
fn a_purge_leaves_nothing_of_its_employees_in_the_index() {
    let app = TestApp::new();
    let gone = app.new_tenant("Gone");
    let kept = app.new_tenant("Kept");
    for i in 0..30 {
        let u = format!("zq{i}@purged.example");
        app.scim(&gone.token, "POST", "/Users", Some(okta_user(&u)))
            .expect(201);
        let u = format!("kept{i}@example.com");
        app.scim(&kept.token, "POST", "/Users", Some(okta_user(&u)))
            .expect(201);
    }
    // A deleted employee of the kept tenant, to be erased by the retention.
    let leaver = app
        .scim(
            &kept.token,
            "POST",
            "/Users",
            Some(okta_user("leaver@purged.example")),
        )
        .json();
    let leaver = leaver["id"].as_str().unwrap().to_string();
    app.scim(&kept.token, "DELETE", &format!("/Users/{leaver}"), None)
        .expect(204);
    assert_eq!(
        owed(&app),
        0,
        "a SCIM delete keeps the employee (restorable)"
    );

    // The tenant's deletion purges it within the request, which owes the index a compaction.
    app.admin("DELETE", &format!("/tenants/{}", gone.id), None)
        .expect(204);
    assert_eq!(owed(&app), 1);
    let index_segments = app.store.with_conn(segments);
    assert!(
        index_segments > 1,
        "{index_segments} segments: the purged rows' trigrams are still in older ones"
    );
    let p = block_on(purge::resume(
        &app.store,
        &|| app.now(),
        &mut Budget::new(purge::PER_RUN, app.now()),
    ));
    assert_eq!((p.error, p.pending), (None, false));

    // The erasure job: the leaver is erased, and the index compacted.
    let later = Timestamp(app.now().0 + 400 * 86_400_000);
    let e = block_on(erasure::purge_due(&app.store, later, &mut SeededRandom(9))).unwrap();
    assert_eq!(e.employees, 1);
    assert!(e.compacted);
    assert_eq!(owed(&app), 0);
    app.store.with_conn(|c| {
        assert_eq!(segments(c), 1);
        // Byte for byte what a build from the remaining employees holds: nothing else.
        assert!(pages(c, "user_substrings") == fresh_pages(c));
        // None of the purged: their emails' trigrams are nowhere in the vocabulary.
        c.execute_batch("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, user_substrings, row)")
            .unwrap();
        let left: i64 = c
            .query_row("SELECT count(*) FROM temp.vocab WHERE term IN ('zq1', 'q1@', 'pur', 'urg', 'eav', 'ave')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
        let kept: i64 = c.query_row("SELECT count(*) FROM temp.vocab WHERE term = 'kep'", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, 1, "the vocabulary is read");
    });
    // Nothing owed: the next run compacts nothing.
    let e = block_on(erasure::purge_due(&app.store, later, &mut SeededRandom(10))).unwrap();
    assert!(!e.compacted);
}

/// Migration 0018 on a database with employees: the index holds them all (here the index and
/// the compaction table are dropped and 0018 applied again, as on a database before it).
#[test]
fn migration_0018_indexes_the_employees_already_there() {
    let app = TestApp::new();
    let t = app.new_tenant("Before");
    for (i, family) in ["Berg", "Öberg", "Lind"].iter().enumerate() {
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(person(
                &format!("b{i}@example.com"),
                family,
                &[&format!("b{i}@example.com")],
            )),
        )
        .expect(201);
    }
    let migration = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations/0018_substring_index.sql"),
    )
    .unwrap();
    app.store.with_conn(|c| {
        c.execute_batch(
            "DROP TRIGGER user_substrings_insert; DROP TRIGGER user_substrings_delete; \
             DROP TRIGGER user_substrings_update; DROP TABLE user_substrings; \
             DROP TABLE user_substrings_compaction;",
        )
        .unwrap();
        c.execute_batch(&migration).unwrap();
    });
    assert_index_is_users(&app, "after migration 0018");
    let f = "name.familyName co \"BERG\"";
    assert_eq!(ids(&app, &t, f, true).len(), 2);
    assert_eq!(ids(&app, &t, f, true), ids(&app, &t, f, false));
}
