//! The guard's kept count (migration 0020, `store::guard` `count`): the tenant's employees
//! eligible at a window's start, carried from one trip check to the next by the history written
//! between them. Every test compares it with [`recount`], written here in Rust from the rows of
//! the activation history rather than by the SQL under test: through a burst and a request
//! stamped earlier, through the guard's holds and every decision on them, when history rows
//! are added, changed or deleted at or before the kept time (migration 0020's triggers), and
//! over random sequences of all of these (a property test). And the count, with a count kept,
//! reads the rows between two counts, not the tenant's history: its query plan, and SQLite's
//! own count of the steps it runs, the same at 100 and 1,000 employees.

use crate::common::{Client, Tenant};
use crate::guard::{
    at, create, deactivate, delete, guard, reactivate, settings, staff, totals, tripped, ts, DAY,
    MINUTE, T0,
};
use crate::helpers::{block_on, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scim_edge::app::auto_apply;
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::scim::datetime::Timestamp;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The count kept on the tenant's row: (window start, eligible then), or None.
fn kept(app: &TestApp, t: &Tenant) -> Option<(String, i64)> {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT guard_counted_at, guard_counted FROM tenants WHERE id = ?1",
            [&t.id],
            |r| {
                let at: Option<String> = r.get(0)?;
                let n: Option<i64> = r.get(1)?;
                Ok(at.zip(n))
            },
        )
        .unwrap()
    })
}

/// The holds under which a history row keeps its employee eligible (DESIGN §4).
const KEEPS: [&str; 3] = ["held", "dismissed", "cleared"];

/// The tenant's employees eligible at `when` (the canonical text of a time), recounted from
/// every history row of the tenant: for each employee, its row of the highest seq at or before
/// then; eligible unless that row is a deletion no hold keeps, and only if it is active or kept
/// by a hold.
fn recount(app: &TestApp, t: &Tenant, when: &str) -> i64 {
    type HistoryRow = (i64, String, String, String, i64, Option<String>);
    let rows: Vec<HistoryRow> = app.store.with_conn(|c| {
        let mut st = c
            .prepare(
                "SELECT seq, user_id, at, kind, active, hold FROM activation WHERE tenant_id = ?1",
            )
            .unwrap();
        st.query_map([&t.id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    });
    let mut latest: HashMap<String, &HistoryRow> = HashMap::new();
    for row in rows.iter().filter(|r| r.2.as_str() <= when) {
        let newer = latest.get(&row.1).is_none_or(|l| l.0 < row.0);
        if newer {
            latest.insert(row.1.clone(), row);
        }
    }
    latest
        .values()
        .filter(|(_, _, _, kind, active, hold)| {
            let keeps = hold.as_deref().is_some_and(|h| KEEPS.contains(&h));
            (kind != "delete" || keeps) && (*active == 1 || keeps)
        })
        .count() as i64
}

/// Asserts that the kept count, if any, is the recount at its time; returns it.
fn exact(app: &TestApp, t: &Tenant, what: &str) -> Option<(String, i64)> {
    let k = kept(app, t);
    if let Some((when, n)) = &k {
        assert_eq!(
            *n,
            recount(app, t, when),
            "{what}: the count kept at {when}"
        );
    }
    k
}

/// The window start of a check at `ms` with the default window.
fn window_of(ms: i64) -> String {
    crate::guard::iso(ms - 60 * MINUTE)
}

fn sql(app: &TestApp, statement: &str, params: &[&str]) {
    app.store.with_conn(|c| {
        c.execute(statement, rusqlite::params_from_iter(params.iter()))
            .unwrap()
    });
}

/// A trip at the threshold with the count carried: 29 of 297 at one check, 30 of 297 a
/// millisecond later trips (`guard::the_guard_trips_past_both_thresholds_within_the_window`
/// walks the window; here the count each check keeps).
#[test]
fn the_count_is_carried_from_check_to_check_and_trips_at_the_threshold() {
    let app = TestApp::new();
    let t = app.new_tenant("Carried");
    let start = ts(T0);
    let ids = staff(&app, &t, 300, "c", start);
    let burst = start + DAY;
    for (i, id) in ids[..25].iter().enumerate() {
        let when = burst + i as i64 * MINUTE;
        at(&app, when);
        deactivate(&app, &t, id);
        // From the 20th loss on, each check keeps the count at its window's start: all 300.
        match i {
            0..=18 => assert_eq!(kept(&app, &t), None, "loss {i}: under the minimum"),
            _ => assert_eq!(kept(&app, &t), Some((window_of(when), 300)), "loss {i}"),
        }
    }
    // 6 more an hour later: the window passes over the first deactivations, which the carried
    // count subtracts one by one (the window starts after the i-th of them for i = 1..=6).
    for (i, id) in ids[25..31].iter().enumerate() {
        let when = burst + 61 * MINUTE + i as i64;
        at(&app, when);
        deactivate(&app, &t, id);
        assert_eq!(kept(&app, &t), Some((window_of(when), 298)), "{i}");
    }
    let t1 = burst + 62 * MINUTE;
    at(&app, t1);
    deactivate(&app, &t, &ids[31]);
    assert_eq!(kept(&app, &t), Some((window_of(t1), 297)));
    assert!(!tripped(&app, &t), "29 of 297: {}", guard(&app, &t));
    at(&app, t1 + 1);
    deactivate(&app, &t, &ids[32]);
    let trip = guard(&app, &t)["trip"].clone();
    assert_eq!(
        (&trip["losses"], &trip["eligible_before"]),
        (&json!(30), &json!(297)),
        "{trip}"
    );
    assert_eq!(
        exact(&app, &t, "at the trip"),
        Some((window_of(t1 + 1), 297))
    );
    assert_eq!(
        totals(&app, &t, ts(&window_of(t1 + 1))).1,
        297,
        "the roster agrees"
    );
}

/// A request stamped before the kept time that commits after it (a slow request, a clock behind)
/// adds history the count did not see: the insert drops the count, and the next check counts
/// the whole history. One stamped earlier but after the kept time runs the carried count
/// backwards.
#[test]
fn a_request_stamped_earlier_is_counted() {
    let app = TestApp::new();
    let t = app.new_tenant("Earlier");
    settings(&app, &t, json!({ "minimum": 3, "percent": 100 }));
    let start = ts(T0);
    let ids = staff(&app, &t, 80, "e", start);
    let burst = start + DAY;
    // A loss every five minutes for two hours, a reactivation and a create among them.
    for (i, id) in ids[..24].iter().enumerate() {
        let when = burst + i as i64 * 5 * MINUTE;
        at(&app, when);
        deactivate(&app, &t, id);
        if i % 4 == 1 {
            reactivate(&app, &t, &ids[i - 1]);
            create(&app, &t, &format!("new{i}@example.com"), i % 8 == 1);
        }
        exact(&app, &t, &format!("loss {i}"));
    }
    let last = burst + 23 * 5 * MINUTE;
    let (w0, _) = kept(&app, &t).expect("a count kept");
    assert_eq!(w0, window_of(last), "the last check's window");
    // Stamped 30 minutes before the last check: its row is after the kept time, its window
    // start 30 minutes before it, and the deactivations between them come back.
    at(&app, last - 30 * MINUTE);
    deactivate(&app, &t, &ids[40]);
    let (w, n) = exact(&app, &t, "backwards").expect("a count kept");
    assert_eq!(w, window_of(last - 30 * MINUTE));
    assert!(w < w0);
    assert_eq!(n, recount(&app, &t, &w));
    // A create stamped before the kept time: the count is dropped (no check runs for it) ...
    at(&app, ts(&w) - MINUTE);
    create(&app, &t, "late@example.com", true);
    assert_eq!(kept(&app, &t), None);
    // ... and the next check counts the whole history, the late employee with it.
    at(&app, last + MINUTE);
    deactivate(&app, &t, &ids[41]);
    let (w, n) = exact(&app, &t, "after the late create").expect("counted again");
    assert_eq!(n, totals(&app, &t, ts(&w)).1, "the roster agrees");
    // A deactivation stamped 70 minutes earlier: its own row is before the kept time.
    at(&app, last - 70 * MINUTE);
    deactivate(&app, &t, &ids[42]);
    let (w, n) = exact(&app, &t, "a loss stamped 70 minutes earlier").expect("counted again");
    assert_eq!(w, window_of(last - 70 * MINUTE));
    assert_eq!(n, totals(&app, &t, ts(&w)).1, "the roster agrees");
}

/// The guard's holds, an admin's decisions, a reactivation and a restore change rows after the
/// trip's window start only: the count kept at the trip stays, exact, and the checks after the
/// trip carry it on.
#[test]
fn holds_and_decisions_keep_the_count_exact() {
    let app = TestApp::new();
    let t = app.new_tenant("Decisions");
    settings(&app, &t, json!({ "minimum": 5 }));
    let start = ts(T0);
    let ids = staff(&app, &t, 60, "d", start);
    let burst = start + DAY;
    for (i, id) in ids[..8].iter().enumerate() {
        at(&app, burst + i as i64 * 1_000);
        if i % 2 == 0 {
            deactivate(&app, &t, id);
        } else {
            delete(&app, &t, id);
        }
    }
    assert!(tripped(&app, &t));
    let trip = guard(&app, &t)["trip"].clone();
    let kept_at_trip = exact(&app, &t, "at the trip").unwrap();
    assert_eq!(kept_at_trip.0, trip["window_start"].as_str().unwrap());
    assert_eq!(kept_at_trip.1, trip["eligible_before"].as_i64().unwrap());
    // Held losses continue while the trip is open; the count is not taken again.
    at(&app, burst + 20_000);
    deactivate(&app, &t, &ids[10]);
    reactivate(&app, &t, &ids[0]);
    let tid = &t.id;
    let decisions = [
        (
            format!("/tenants/{tid}/guard/dismiss"),
            json!({ "users": [ids[2]] }),
        ),
        (
            format!("/tenants/{tid}/guard/dismiss"),
            json!({ "users": [ids[1]] }),
        ),
        (
            format!("/tenants/{tid}/guard/apply"),
            json!({ "users": [ids[3], ids[4]] }),
        ),
        (format!("/tenants/{tid}/guard/apply"), json!({})),
    ];
    for (path, body) in decisions {
        app.admin("POST", &path, Some(body.clone())).expect(200);
        assert_eq!(
            exact(&app, &t, &format!("{path} {body}")),
            Some(kept_at_trip.clone())
        );
    }
    assert!(!tripped(&app, &t));
    // Later losses carry the count over the applied, dismissed and cleared rows (from the
    // fifth, the minimum: decided losses no longer count).
    let later = burst + 30 * MINUTE;
    for (i, id) in ids[20..26].iter().enumerate() {
        at(&app, later + i as i64 * MINUTE);
        deactivate(&app, &t, id);
        let (w, _) = exact(&app, &t, &format!("after the trip, loss {i}")).unwrap();
        if i >= 4 {
            assert_eq!(w, window_of(later + i as i64 * MINUTE));
        }
    }
    assert!(!tripped(&app, &t), "6 of 60");
    // A second trip, applied by the automatic application.
    for (i, id) in ids[30..40].iter().enumerate() {
        at(&app, later + 10 * MINUTE + i as i64);
        deactivate(&app, &t, id);
    }
    assert!(tripped(&app, &t));
    let second = guard(&app, &t)["trip"].clone();
    let w = second["window_start"].as_str().unwrap().to_string();
    assert_eq!(
        second["eligible_before"].as_i64().unwrap(),
        recount(&app, &t, &w)
    );
    let due = ts(second["auto_apply_at"].as_str().unwrap());
    block_on(auto_apply::apply_due(
        &app.store,
        Timestamp(due),
        &mut SeededRandom(2),
    ))
    .unwrap();
    assert!(!tripped(&app, &t));
    assert_eq!(exact(&app, &t, "auto-applied").map(|k| k.0), Some(w));
    at(&app, due + MINUTE);
    for id in &ids[45..50] {
        deactivate(&app, &t, id);
    }
    exact(&app, &t, "after the automatic application").expect("a count kept");
}

/// Migration 0020's triggers: history added, changed in a column the count reads, or deleted
/// at or before the kept time drops the count; after it, or in another column, leaves it. (No
/// write of the application changes or deletes history rows at or before a kept count; a
/// tenant's purge deletes them, a hand-made fix could change them.)
#[test]
fn history_changed_at_or_before_the_kept_time_drops_the_count() {
    let app = TestApp::new();
    let t = app.new_tenant("Triggers");
    settings(&app, &t, json!({ "minimum": 2, "percent": 100 }));
    let start = ts(T0);
    let ids = staff(&app, &t, 10, "t", start);
    let burst = start + DAY;
    let keep = |i: usize| {
        at(&app, burst + i as i64 * MINUTE);
        deactivate(&app, &t, &ids[i]);
        exact(&app, &t, "counted").expect("a count kept")
    };
    at(&app, burst - MINUTE);
    deactivate(&app, &t, &ids[9]);
    let (w, _) = keep(0);
    let before = "SELECT max(seq) FROM activation WHERE tenant_id = ?1 AND at <= ?2";
    let first: String = app.store.with_conn(|c| {
        c.query_row(
            &format!("SELECT CAST(({before}) AS TEXT)"),
            [&t.id, &w],
            |r| r.get(0),
        )
        .unwrap()
    });
    // Another column, or a row after the kept time: kept.
    sql(
        &app,
        "UPDATE activation SET user_name = 'x' WHERE seq = ?1",
        &[&first],
    );
    let after = crate::guard::iso(burst + DAY);
    sql(
        &app,
        "INSERT INTO activation (tenant_id, user_id, at, kind, active) VALUES (?1, 'after', ?2, 'create', 1)",
        &[&t.id, &after],
    );
    sql(
        &app,
        "UPDATE activation SET hold = 'dismissed', active = 0 WHERE user_id = 'after'",
        &[],
    );
    sql(&app, "DELETE FROM activation WHERE user_id = 'after'", &[]);
    assert_eq!(kept(&app, &t).map(|k| k.0), Some(w.clone()));
    for (i, (what, change)) in [
        (
            "hold",
            "UPDATE activation SET hold = 'dismissed' WHERE seq = ?1",
        ),
        (
            "active",
            "UPDATE activation SET active = 1 - active WHERE seq = ?1",
        ),
        (
            "kind",
            "UPDATE activation SET kind = 'delete' WHERE seq = ?1",
        ),
        ("deleted", "DELETE FROM activation WHERE seq = ?1"),
    ]
    .into_iter()
    .enumerate()
    {
        let (w, _) = keep(1 + i);
        let seq: String = app.store.with_conn(|c| {
            c.query_row(
                &format!("SELECT CAST(({before}) AS TEXT)"),
                [&t.id, &w],
                |r| r.get(0),
            )
            .unwrap()
        });
        sql(&app, change, &[&seq]);
        assert_eq!(kept(&app, &t), None, "{what}");
    }
    let (w, _) = keep(5);
    sql(
        &app,
        "INSERT INTO activation (tenant_id, user_id, at, kind, active) VALUES (?1, 'late', ?2, 'create', 1)",
        &[&t.id, &w],
    );
    assert_eq!(kept(&app, &t), None, "a row added at the kept time");
    keep(6);
}

#[derive(Debug, Clone)]
enum Step {
    Create(bool),
    Deactivate(usize),
    Reactivate(usize),
    Delete(usize),
    Restore(usize),
    Apply(Option<usize>),
    Dismiss(Option<usize>),
    AutoApply,
    Later(i64),
    Earlier(i64),
    Window(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let i = any::<usize>();
    prop_oneof![
        2 => any::<bool>().prop_map(Step::Create),
        6 => i.prop_map(Step::Deactivate),
        2 => i.prop_map(Step::Reactivate),
        3 => i.prop_map(Step::Delete),
        2 => i.prop_map(Step::Restore),
        1 => prop::option::of(i).prop_map(Step::Apply),
        1 => prop::option::of(i).prop_map(Step::Dismiss),
        1 => Just(Step::AutoApply),
        4 => prop::sample::select(vec![1, 1_000, MINUTE, 20 * MINUTE, 61 * MINUTE, DAY]).prop_map(Step::Later),
        1 => prop::sample::select(vec![30_000, 20 * MINUTE, 120 * MINUTE]).prop_map(Step::Earlier),
        1 => prop::sample::select(vec![1, 30, 60]).prop_map(Step::Window),
    ]
}

/// Random sequences of creates (active and inactive), deactivations, reactivations, deletions,
/// restores, decisions (all or one employee), automatic applications, changes of the window,
/// with the clock moving on and back: after every step the kept count is the recount at its
/// time, and a new trip's `eligible_before` the recount at its window's start.
#[test]
fn the_kept_count_is_the_recount_over_random_histories() {
    let carried = AtomicUsize::new(0);
    let trips = AtomicUsize::new(0);
    let cases = 48;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(vec![10_i64, 34, 100]),
        prop::collection::vec(step(), 20..60),
    );
    runner
        .run(&strategy, |(percent, steps)| {
            let app = TestApp::new();
            let t = app.new_tenant("Random");
            settings(&app, &t, json!({ "minimum": 3, "percent": percent }));
            let start = ts(T0);
            let mut ids = staff(&app, &t, 16, "r", start);
            app.now.set(start + DAY);
            let mut seen = BTreeSet::new();
            let mut before = kept(&app, &t);
            for (n, s) in steps.iter().enumerate() {
                let current = ids.clone();
                let pick = |i: &usize| current[i % current.len()].clone();
                let users = |i: &Option<usize>| match i {
                    Some(i) => json!({ "users": [pick(i)] }),
                    None => json!({}),
                };
                let status = match s {
                    Step::Create(active) => {
                        let id = create(&app, &t, &format!("n{n}@example.com"), *active);
                        ids.push(id);
                        201
                    }
                    Step::Deactivate(i) | Step::Reactivate(i) => {
                        let value = if matches!(s, Step::Deactivate(_)) { "False" } else { "True" };
                        let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{ "op": "Replace", "path": "active", "value": value }] });
                        app.scim(&t.token, "PATCH", &format!("/Users/{}", pick(i)), Some(body)).status
                    }
                    Step::Delete(i) => {
                        app.scim(&t.token, "DELETE", &format!("/Users/{}", pick(i)), None).status
                    }
                    Step::Restore(i) => {
                        let path = format!("/tenants/{}/deleted-employees/{}/restore", t.id, pick(i));
                        app.admin("POST", &path, None).status
                    }
                    Step::Apply(i) => {
                        let path = format!("/tenants/{}/guard/apply", t.id);
                        app.admin("POST", &path, Some(users(i))).status
                    }
                    Step::Dismiss(i) => {
                        let path = format!("/tenants/{}/guard/dismiss", t.id);
                        app.admin("POST", &path, Some(users(i))).status
                    }
                    Step::AutoApply => {
                        let now = app.now().0;
                        block_on(auto_apply::apply_due(&app.store, Timestamp(now + 8 * DAY), &mut SeededRandom(9)))
                            .unwrap();
                        200
                    }
                    Step::Later(ms) => {
                        app.advance(*ms);
                        200
                    }
                    Step::Earlier(ms) => {
                        app.now.set(app.now().0 - ms);
                        200
                    }
                    Step::Window(minutes) => {
                        let path = format!("/tenants/{}", t.id);
                        app.admin("PATCH", &path, Some(json!({ "guard": { "window_minutes": minutes } })))
                            .status
                    }
                };
                prop_assert!(status < 500, "step {} {:?}: {}", n, s, status);
                let now = kept(&app, &t);
                if let Some((when, count)) = &now {
                    prop_assert_eq!(*count, recount(&app, &t, when), "step {} {:?}, kept at {}", n, s, when);
                }
                if let (Some((w0, _)), Some((w1, _))) = (&before, &now) {
                    if w0 != w1 {
                        carried.fetch_add(1, Ordering::Relaxed);
                    }
                }
                before = now;
                let new_trips: Vec<(i64, String, i64)> = app.store.with_conn(|c| {
                    let mut st = c
                        .prepare("SELECT id, window_start, eligible_before FROM guard_trips WHERE tenant_id = ?1")
                        .unwrap();
                    st.query_map([&t.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect()
                });
                for (id, window_start, eligible) in new_trips {
                    if seen.insert(id) {
                        trips.fetch_add(1, Ordering::Relaxed);
                        prop_assert_eq!(eligible, recount(&app, &t, &window_start), "trip {} at step {} {:?}", id, n, s);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    // The sequences did go through the carried count (a check that kept a count after another
    // one), and through trips.
    let (carried, trips) = (carried.into_inner(), trips.into_inner());
    assert!(
        carried > cases as usize,
        "{carried} carried counts in {cases} sequences"
    );
    assert!(
        trips > cases as usize / 4,
        "{trips} trips in {cases} sequences"
    );
}

/// SQLite's steps to run the count of a check (`guard::check`'s first statement) on a tenant
/// after a burst of 25 deactivations, with the count the burst kept and without it: (kept,
/// whole history). In a transaction rolled back.
fn count_steps(app: &TestApp, t: &Tenant, when: i64) -> (i32, i32) {
    use scim_edge::model::TokenHash;
    use scim_edge::store::guard::{self, Actor};
    use scim_edge::store::Value as StoreValue;
    let hash = TokenHash::of(&t.token);
    let by = Actor {
        at: Timestamp(when),
        request_id: "steps",
        client: None,
    };
    let stmt = guard::check(&hash, &by).remove(0);
    app.store.with_conn(|c| {
        let run = || {
            let params = stmt.params.iter().map(|v| match v {
                StoreValue::Null => rusqlite::types::Value::Null,
                StoreValue::Int(i) => rusqlite::types::Value::Integer(*i),
                StoreValue::Real(f) => rusqlite::types::Value::Real(*f),
                StoreValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
            });
            let mut st = c.prepare(&stmt.sql).unwrap();
            assert_eq!(st.execute(rusqlite::params_from_iter(params)).unwrap(), 1);
            st.get_status(rusqlite::StatementStatus::VmStep)
        };
        c.execute_batch("BEGIN").unwrap();
        let with = run();
        c.execute(
            "UPDATE tenants SET guard_counted_at = NULL, guard_counted = NULL WHERE id = ?1",
            [&t.id],
        )
        .unwrap();
        let without = run();
        c.execute_batch("ROLLBACK").unwrap();
        (with, without)
    })
}

/// The count with a count kept reads the history between two window starts by time
/// (`activation_by_time`), then each of those employees' rows (`activation_state`), never the
/// tenant's whole history, which only the count without one reads; and so it runs as many
/// steps at 1,000 employees as at 100, where the whole count runs ten times as many.
#[test]
fn the_carried_count_reads_the_rows_between_two_counts_not_the_tenant() {
    use scim_edge::model::TokenHash;
    use scim_edge::store::guard::{self, Actor};
    let app = TestApp::new();
    let start = ts(T0);
    let burst = start + DAY;
    let mut steps = Vec::new();
    for (name, size) in [("Small", 100), ("Large", 1_000)] {
        let t = app.new_tenant(name);
        // At 100 % the guard counts and never trips.
        settings(&app, &t, json!({ "percent": 100 }));
        let ids = staff(&app, &t, size, name, start);
        for (i, id) in ids[..25].iter().enumerate() {
            at(&app, burst + i as i64 * 1_000);
            deactivate(&app, &t, id);
        }
        assert!(kept(&app, &t).is_some());
        steps.push(count_steps(&app, &t, burst + 30_000));
    }
    let [(small_kept, small_whole), (large_kept, large_whole)] = steps[..] else {
        unreachable!()
    };
    assert_eq!(small_kept, large_kept, "{steps:?}");
    assert!(large_whole > 5 * small_whole, "{steps:?}");
    assert!(large_whole > 20 * large_kept, "{steps:?}");

    let by = Actor {
        at: Timestamp(burst),
        request_id: "r",
        client: None,
    };
    let stmt = guard::check(&TokenHash::of("scim_x"), &by).remove(0);
    let plan = app.plan(&stmt);
    let has = |s: &str| plan.iter().filter(|p| p.contains(s)).count();
    assert_eq!(
        has("SEARCH s USING INDEX activation_by_time (tenant_id=? AND at>? AND at<?)"),
        1,
        "{plan:#?}"
    );
    assert_eq!(
        has("SEARCH x USING COVERING INDEX activation_state (tenant_id=? AND user_id=? AND at<?)"),
        2,
        "then and before, for each employee: {plan:#?}"
    );
    assert_eq!(
        has("activation_state (tenant_id=?)"),
        1,
        "the whole count, without a count kept: {plan:#?}"
    );
}

/// Migration 0020 on a database with tenants and history (here its columns and triggers are
/// dropped and it is applied again, as on a database before it): no count kept, and the first
/// check past the minimum counts the whole history and keeps it.
#[test]
fn migration_0020_applies_to_a_database_with_history() {
    let app = TestApp::new();
    let t = app.new_tenant("Before");
    settings(&app, &t, json!({ "minimum": 2, "percent": 100 }));
    let start = ts(T0);
    let ids = staff(&app, &t, 12, "m", start);
    at(&app, start + DAY);
    for id in &ids[..3] {
        deactivate(&app, &t, id);
    }
    assert!(kept(&app, &t).is_some());
    let migration = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/0020_guard_count.sql"),
    )
    .unwrap();
    app.store.with_conn(|c| {
        c.execute_batch(
            "DROP TRIGGER guard_count_on_insert; DROP TRIGGER guard_count_on_update; \
             DROP TRIGGER guard_count_on_delete; ALTER TABLE tenants DROP COLUMN guard_counted_at; \
             ALTER TABLE tenants DROP COLUMN guard_counted;",
        )
        .unwrap();
        c.execute_batch(&migration).unwrap();
    });
    assert_eq!(kept(&app, &t), None);
    deactivate(&app, &t, &ids[3]);
    let (w, n) = exact(&app, &t, "the first check after the migration").expect("a count kept");
    assert_eq!((w, n), (window_of(start + DAY + 3), 12));
}
