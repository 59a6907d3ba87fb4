//! What the substring index (migration 0018, `store::substrings`) costs the writes, run on the
//! host. Prints figures; asserts no speed (tests never time).
//!
//! ```text
//! cargo run --release --example write_cost [EMPLOYEES] [RUNS] [--file DIR]
//! ```
//!
//! Two databases with the crate's migrations, one of them without the index (its triggers and
//! table dropped: the schema before 0018), each with a tenant of EMPLOYEES employees (default
//! 10,000) created through the application. Then, RUNS times (default 300), each of these
//! requests through `app::handle`, on one database and then the other, alternately, so that the
//! machine's load falls on both alike:
//!
//! - `create`: `POST /Users` (Okta's shape: names, one email);
//! - `PATCH title`: a value the index does not hold (its trigger's condition skips it);
//! - `PATCH familyName`: a value it holds (the index deletes the row's entries and adds them);
//! - `PATCH emails`: an email added;
//! - `DELETE`: the user deleted (kept for the retention; the index's entries go).
//!
//! Each figure is the median (and the 90th percentile) of a request to its answer, in
//! microseconds, without the index, with it, and their ratio. In memory unless `--file DIR`
//! puts the two databases in DIR (rollback journal, SQLite's defaults): D1 writes pages to
//! durable storage, which a file shows better. Without D1's round trips (a request to D1 costs
//! milliseconds of network), this is the database's own work and the worker's Rust.

#[path = "harness/mod.rs"]
mod harness;

use harness::{patch, percentiles, user, App};
use scim_edge::store::sqlite::SqliteStore;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// The schema before migration 0018: the index's triggers and table dropped.
fn without_index(store: SqliteStore) -> SqliteStore {
    store.with_conn(|c| {
        c.execute_batch(
            "DROP TRIGGER user_substrings_insert; DROP TRIGGER user_substrings_delete; \
             DROP TRIGGER user_substrings_update; DROP TABLE user_substrings;",
        )
        .expect("the index's objects")
    });
    store
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dir: Option<PathBuf> = args.iter().position(|a| a == "--file").map(|i| {
        let d = PathBuf::from(args.get(i + 1).expect("--file DIR"));
        args.drain(i..=i + 1);
        d
    });
    let employees: usize = args
        .first()
        .map_or(10_000, |a| a.parse().expect("EMPLOYEES"));
    let runs: usize = args.get(1).map_or(300, |a| a.parse().expect("RUNS")).max(2);
    let open = |name: &str| {
        match &dir {
            None => SqliteStore::open_in_memory(&SqliteStore::crate_migrations()),
            Some(d) => {
                let path = d.join(format!("{name}.sqlite"));
                let _ = std::fs::remove_file(&path);
                SqliteStore::open(&path, &SqliteStore::crate_migrations())
            }
        }
        .expect("migrations apply")
    };
    // [without the index, with it]
    let mut apps = [
        App::new(without_index(open("without"))),
        App::new(open("with")),
    ];
    for app in apps.iter_mut() {
        for n in 0..employees {
            app.timed("POST", "/Users", Some(user(n)), 201);
        }
    }
    let ops = [
        "create",
        "PATCH title",
        "PATCH familyName",
        "PATCH emails",
        "DELETE",
    ];
    let mut times: Vec<[Vec<Duration>; 2]> = ops.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for r in 0..runs {
        for (i, app) in apps.iter_mut().enumerate() {
            let n = employees + r;
            let (t, created) = app.timed("POST", "/Users", Some(user(n)), 201);
            times[0][i].push(t);
            let path = format!("/Users/{}", created["id"].as_str().expect("an id"));
            let requests = [
                patch("title", "replace", json!(format!("Title {r}"))),
                patch("name.familyName", "replace", json!(format!("Renamed{r}"))),
                patch(
                    "emails",
                    "add",
                    json!([{ "value": format!("second{n}@example.org"), "type": "home" }]),
                ),
            ];
            for (k, body) in requests.into_iter().enumerate() {
                let (t, _) = app.timed("PATCH", &path, Some(body), 200);
                times[1 + k][i].push(t);
            }
            let (t, _) = app.timed("DELETE", &path, None, 204);
            times[4][i].push(t);
        }
    }
    println!(
        "{employees} employees, {runs} runs, {} (host, release build); request to answer through app::handle, in µs, median / 90th percentile:",
        if dir.is_some() { "databases in files" } else { "databases in memory" }
    );
    println!();
    println!("| request | without the index | with it | ratio of medians |");
    println!("| --- | ---: | ---: | ---: |");
    for (op, [without, with]) in ops.iter().zip(times) {
        let (a, a90) = percentiles(without);
        let (b, b90) = percentiles(with);
        println!(
            "| {op} | {a:.0} / {a90:.0} | {b:.0} / {b90:.0} | {:.2} |",
            b / a
        );
    }
}
