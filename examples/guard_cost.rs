//! What one loss costs while the mass-deactivation guard counts (issue 22; `store::guard`
//! `count`, migration 0020), by tenant size, run on the host. Prints figures; asserts no speed
//! (tests never time).
//!
//! ```text
//! cargo run --release --example guard_cost [SIZES] [RUNS]
//! ```
//!
//! For each size of SIZES (default 1000,10000,100000), a database in memory with the crate's
//! migrations and a tenant of that many employees created through the application, its guard
//! at 100 % (it counts on every loss and never trips, as `make bench-scale` sets it); a day
//! later, 25 deactivations bring the window's losses past the minimum (20). Then, RUNS times
//! (default 200; fewer if the tenant runs out of employees: each run uses three), a deactivation (`PATCH active`
//! false, Entra's shape) through `app::handle`, alternately:
//!
//! - carried: with the count the previous check kept (the ordinary case);
//! - whole history: with the kept count dropped before it (outside the timing), so that the
//!   check counts every employee's history, as every check past the minimum did before
//!   migration 0020;
//! - guard off: with the tenant's guard turned off before it (and on again after it, both
//!   outside the timing): the deactivation without the guard's count, for comparison.
//!
//! Each figure is the median (and the 90th percentile) of a request to its answer, in
//! microseconds. Without D1's round trip (milliseconds of network), this is the database's own
//! work and the worker's Rust; in memory, not durable storage.

#[path = "harness/mod.rs"]
mod harness;

use harness::{patch, percentiles, user, App, ADMIN_TOKEN};
use scim_edge::store::sqlite::SqliteStore;
use serde_json::json;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// A tenant of `size` employees, its guard counting: the ids of the employees still active.
fn tenant(size: usize) -> (App, Vec<String>) {
    let store =
        SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).expect("migrations apply");
    let mut app = App::new(store);
    guard(&mut app, json!({ "percent": 100 }));
    let mut ids: Vec<String> = (0..size)
        .map(|n| {
            let (_, created) = app.timed("POST", "/Users", Some(user(n)), 201);
            created["id"].as_str().expect("an id").to_string()
        })
        .collect();
    app.now += DAY_MS;
    for id in ids.drain(..25) {
        deactivate(&mut app, &id);
    }
    (app, ids)
}

fn guard(app: &mut App, settings: serde_json::Value) {
    let path = format!("/admin/v1/tenants/{}", app.tenant);
    let (status, answer) = app.send(
        "PATCH",
        &path,
        ADMIN_TOKEN,
        Some(json!({ "guard": settings })),
    );
    assert_eq!(status, 200, "{answer}");
}

fn deactivate(app: &mut App, id: &str) -> Duration {
    let body = patch("active", "replace", json!("False"));
    app.timed("PATCH", &format!("/Users/{id}"), Some(body), 200)
        .0
}

/// The count kept on the tenant's row, if any.
fn kept(app: &App) -> Option<i64> {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT guard_counted FROM tenants WHERE id = ?1",
            [&app.tenant],
            |r| r.get(0),
        )
        .expect("the tenant")
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args
        .first()
        .map_or("1000,10000,100000", String::as_str)
        .split(',')
        .map(|s| s.parse().expect("SIZES: comma-separated numbers"))
        .collect();
    let runs: usize = args.get(1).map_or(200, |a| a.parse().expect("RUNS")).max(2);
    println!(
        "a deactivation while the guard counts (host, release build, databases in memory); \
         request to answer through app::handle, in µs, median / 90th percentile:"
    );
    println!();
    println!(
        "| employees | runs | carried count | whole history | guard off | whole ÷ carried | carried ÷ off |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for size in sizes {
        let (mut app, mut ids) = tenant(size.max(30));
        let runs = runs.min(ids.len() / 3);
        let (mut carried, mut whole, mut off) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            assert!(kept(&app).is_some(), "the checks keep a count");
            carried.push(deactivate(&mut app, &ids.pop().expect("an employee")));
            app.store.with_conn(|c| {
                c.execute(
                    "UPDATE tenants SET guard_counted_at = NULL, guard_counted = NULL WHERE id = ?1",
                    [&app.tenant],
                )
                .expect("the kept count dropped")
            });
            whole.push(deactivate(&mut app, &ids.pop().expect("an employee")));
            guard(&mut app, json!({ "enabled": false }));
            off.push(deactivate(&mut app, &ids.pop().expect("an employee")));
            guard(&mut app, json!({ "enabled": true }));
        }
        let (a, a90) = percentiles(carried);
        let (b, b90) = percentiles(whole);
        let (c, c90) = percentiles(off);
        println!(
            "| {size} | {runs} | {a:.0} / {a90:.0} | {b:.0} / {b90:.0} | {c:.0} / {c90:.0} | {:.1} | {:.2} |",
            b / a,
            a / c
        );
    }
}
