//! What a query of Users costs on the host, by tenant size: the page statements' own work in
//! SQLite and the worker's Rust, without D1's round trips. Prints figures; asserts no speed
//! (tests never time).
//!
//! ```text
//! cargo build --release --locked --example seed
//! cargo run --release --locked --example query_cost [EMPLOYEES] [RUNS] [--save FILE]
//! ```
//!
//! One in-memory database with the crate's migrations and one tenant created through the admin
//! API, filled with EMPLOYEES employees (default 100,000) by the benchmarks' seed
//! (`examples/seed.rs`, query mode, the binary built beside this one): the rows `bench/query.sh`
//! loads into wrangler dev's D1. Then, RUNS times (default 7), each query below through
//! `app::handle`, one after the other; each figure is the median of its runs, in milliseconds.
//! The substring filters' worst case (README, "Substring filters and their index"): a value that
//! every employee matches (`emails co "example"`), for offset pages, cursor pages and both sort
//! directions; the cheaper cases beside it for scale.

// The app and its requests only; the write examples' users and patches go unused here.
#[allow(dead_code)]
#[path = "harness/mod.rs"]
mod harness;

use harness::App;
use rusqlite::limits::Limit;
use scim_edge::store::sqlite::SqliteStore;
use serde_json::json;
use std::time::{Duration, Instant};

/// The seed binary, built beside this example.
fn seed_binary() -> std::path::PathBuf {
    let me = std::env::current_exe().expect("this program's path");
    let seed = me.with_file_name(format!("seed{}", std::env::consts::EXE_SUFFIX));
    assert!(
        seed.exists(),
        "{} is missing: cargo build --release --locked --example seed",
        seed.display()
    );
    seed
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let employees: u64 = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .map_or(100_000, |a| a.parse().expect("EMPLOYEES"));
    let runs: usize = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .map_or(7, |a| a.parse().expect("RUNS"))
        .max(1);
    let store =
        SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).expect("migrations apply");
    let mut app = App::new(store);
    let token = app.token.clone();

    // The seed writes the employees through its own copy of the application and prints them as
    // SQL, for this tenant and token (bench/query.sh's tenants JSON).
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("query_cost.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let tenants = dir.join("tenants.json");
    std::fs::write(
        &tenants,
        json!([{ "size": employees, "tenant_id": app.tenant, "token_id": app.token_id }])
            .to_string(),
    )
    .expect("the tenants file");
    let seeded = std::process::Command::new(seed_binary())
        .arg("query")
        .arg(&tenants)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("the seed runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(seeded.status.success(), "the seed failed");
    let sql = String::from_utf8(seeded.stdout).expect("SQL text");
    // One input of many statements, each under D1's 100 KB (which the store enforces on an
    // input as a whole): the limit lifted for the load only.
    app.store
        .with_conn(|c| {
            c.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 1 << 30)?;
            c.execute_batch(&sql)?;
            c.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000)
        })
        .expect("the seed's SQL loads");
    // `--save FILE`: the loaded database, for looking at its statements with other tools.
    if let Some(i) = args.iter().position(|a| a == "--save") {
        let path = args.get(i + 1).expect("--save FILE");
        app.store
            .with_conn(|c| {
                c.backup(
                    rusqlite::MAIN_DB,
                    path,
                    None::<fn(rusqlite::backup::Progress)>,
                )
            })
            .expect("the database saved");
    }
    eprintln!(
        "query_cost: {employees} employees loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let one = format!("user{}@example.com", employees / 2);
    let queries: Vec<(String, String)> = vec![
        (
            "emails co \"example\" (every employee), index page".into(),
            "filter=emails co \"example\"&count=100".into(),
        ),
        (
            "  ... startIndex=50001".into(),
            "filter=emails co \"example\"&count=100&startIndex=50001".into(),
        ),
        (
            "  ... sortBy=userName descending".into(),
            "filter=emails co \"example\"&count=100&sortBy=userName&sortOrder=descending".into(),
        ),
        (
            "  ... cursor, first page".into(),
            "filter=emails co \"example\"&count=100&cursor=".into(),
        ),
        ("  ... cursor, a later page".into(), "NEXT".into()),
        (
            "userName co \"r1234\" (~0.01 %)".into(),
            "filter=userName co \"r1234\"&count=100".into(),
        ),
        (
            "name.familyName co \"family99\" (~1 %)".into(),
            "filter=name.familyName co \"family99\"&count=100".into(),
        ),
        (
            "userName eq (one)".into(),
            format!("filter=userName eq \"{one}\""),
        ),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    let mut next_cursor = String::new();
    for _ in 0..runs {
        for (i, (_, query)) in queries.iter().enumerate() {
            let query = match query.as_str() {
                "NEXT" => format!("filter=emails co \"example\"&count=100&cursor={next_cursor}"),
                q => q.to_string(),
            };
            let path = format!(
                "/scim/v2/Users?{}",
                query.replace(' ', "%20").replace('"', "%22")
            );
            let t = Instant::now();
            let (status, body) = app.send("GET", &path, &token, None);
            times[i].push(t.elapsed());
            assert_eq!(status, 200, "{path}: {body}");
            if let Some(c) = body["nextCursor"].as_str() {
                next_cursor = c.to_string();
            }
        }
    }
    println!("{employees} employees, median of {runs} runs, ms (host, in memory, app::handle)");
    for ((label, _), t) in queries.iter().zip(times) {
        println!("{label:<55} {:>8.1}", median_ms(t));
    }
}
