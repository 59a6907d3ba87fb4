//! The benchmarks' seed: writes their employees through the application itself, then prints
//! the rows as SQL that `wrangler d1 execute --local --file` loads.
//!
//!   cargo run --release --example seed -- query TENANTS_JSON >seed.sql
//!   cargo run --release --example seed -- roster TENANT EMPLOYEES DELETED [--now T] >seed.sql
//!
//! An in-memory SQLite database gets the crate's migrations (`SqliteStore`), the tenants the
//! benchmark names (with its tenant ids) and a SCIM token each; then every employee is written
//! by `app::handle` — `POST /Users`, and `PATCH`/`DELETE` for the roster's lifecycle — with the
//! request's time set to the time the scenario gives it. So the stored rows, their folded
//! copies, the emails, the activation history and the activity log are what production writes.
//! Then every table is printed as multi-row INSERTs, with the column names read from the
//! database (`PRAGMA table_xinfo`; generated columns, which SQLite computes, and the rowid
//! alias, which the loading database numbers again in the same order, are left out; so is the
//! substring index, a virtual table the loading database's triggers fill). Nothing here names a
//! column.
//!
//! - `query` (bench/query.sh): TENANTS_JSON is what `bench/query.py tenants` printed, the
//!   tenants the admin API created on the worker: `[{"size", "tenant_id", "token_id", ...}]`.
//!   Each gets `size` users `user<i>@example.com` (i = 1..size), one created per second from
//!   2025-01-01, one in ten inactive, family names `Family<i mod 1000>`. The tenants and their
//!   tokens exist in the worker's database already, so only the rows the requests wrote are
//!   printed (the activity log names the worker's token id).
//! - `roster` (bench/roster.sh): one tenant, TENANT, with EMPLOYEES employees plus DELETED
//!   employees deleted since, created over two years ending 240 days before now (or `--now`);
//!   about 20 % deactivated once, half of those reactivated, each step within 90 days of the
//!   last and the deletions within 60 days, so nothing is in the future and some of it is in the
//!   last 90 days (which retention keeps); 2 % of the creates are sent again with the userName
//!   in capitals a second later and refused (409), as an IdP's retry is. The tenant and its
//!   token are printed too.
//!
//! Speed: the requests run on the crate's host store (`SqliteStore`: its migrations, its
//! connection), each batch a savepoint of one transaction that spans the whole run, with
//! prepared statements cached and the planner told not to look at bound values (SQLite's
//! `QPSG`: otherwise every statement the application runs is compiled again whenever its
//! parameters change). A batch still takes effect whole or not at all, and the rows are the
//! same as `SqliteStore::batch` writes (the tests below compare the two), three to four times
//! faster.
//!
//! Progress and timings go to stderr.

use http::Method;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use scim_edge::app::plumbing::auth::generate_token;
use scim_edge::app::plumbing::ids::{prefixed_id, Random, SeededRandom};
use scim_edge::app::{self, Body, Config, Ctx};
use scim_edge::model::{TenantId, TokenId};
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::Shards;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::tenants::insert_tenant;
use scim_edge::store::tokens::{insert_token, NewToken};
use scim_edge::store::{Consistency, Row, Stmt, Store, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::io::{BufWriter, Write};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

const USAGE: &str = "usage:
  seed query TENANTS_JSON
  seed roster TENANT EMPLOYEES DELETED [--now RFC3339]";

/// D1 refuses statements over 100 KB; each INSERT stays under this many bytes.
const MAX_STATEMENT_BYTES: usize = 90_000;
/// The client the activity log names.
const CLIENT: &str = "Okta SCIM Client 1.0.0";
/// The credential secret of the seed's own deployment: its tokens only ever reach its own app
/// (the worker's tokens, issued under the worker's secret, are never printed).
const SEED_CREDENTIAL_SECRET: &str = "bench-seed-credential-secret-0123456789abcdef";
/// The shard of every tenant the seed writes.
const SHARD: u16 = 0;

fn seed_config() -> Config {
    Config::new(None, Some(SEED_CREDENTIAL_SECRET))
}

/// A token of the seed's own deployment.
fn seed_token(random: &mut dyn Random) -> Result<scim_edge::app::plumbing::auth::NewToken> {
    let config = seed_config();
    let key = config
        .credential_key()
        .map_err(|e| format!("the seed's credential secret: {e:?}"))?;
    generate_token(key, SHARD, random)
}
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SECOND: i64 = 1_000;
const DAY: i64 = 86_400_000;

type Result<T> = std::result::Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let out = std::io::stdout().lock();
    let outcome = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["query", tenants] => std::fs::read_to_string(tenants)
            .map_err(|e| format!("{tenants}: {e}"))
            .and_then(|text| query(&text, Mode::Fast, out)),
        ["roster", tenant, employees, deleted, rest @ ..] => roster_args(employees, deleted, rest)
            .and_then(|(n, d, now)| {
                let now = now.unwrap_or_else(now_from_clock);
                roster(tenant, n, d, now, Mode::Fast, out)
            }),
        _ => Err(USAGE.to_string()),
    };
    match outcome {
        Ok(stats) => eprintln!(
            "seed: {} requests in {:.1} s ({:.0} a second); printed {} rows ({}) in {} statements, \
             {:.1} MB, in {:.1} s; {:.1} s in all",
            stats.requests,
            stats.requests_s,
            stats.requests as f64 / stats.requests_s.max(1e-9),
            stats.tables.iter().map(|t| t.rows).sum::<usize>(),
            stats
                .tables
                .iter()
                .map(|t| format!("{} {}", t.name, t.rows))
                .collect::<Vec<_>>()
                .join(", "),
            stats.tables.iter().map(|t| t.statements).sum::<usize>(),
            stats.tables.iter().map(|t| t.bytes).sum::<usize>() as f64 / 1e6,
            stats.print_s,
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("seed: {e}");
            std::process::exit(1);
        }
    }
}

fn roster_args(
    employees: &str,
    deleted: &str,
    rest: &[&str],
) -> Result<(usize, usize, Option<Timestamp>)> {
    let count = |s: &str| s.parse::<usize>().map_err(|_| format!("not a count: {s}"));
    let now = match rest {
        [] => None,
        ["--now", t] => Some(Timestamp::parse_rfc3339(t).ok_or(format!("not a time: {t}"))?),
        _ => return Err(USAGE.to_string()),
    };
    Ok((count(employees)?, count(deleted)?, now))
}

fn now_from_clock() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// What a run did, for the summary line.
struct Stats {
    requests: u64,
    requests_s: f64,
    print_s: f64,
    tables: Vec<Printed>,
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

/// bench/query.sh: `size` users in each of the worker's tenants.
fn query(tenants_json: &str, mode: Mode, out: impl Write) -> Result<Stats> {
    let tenants: Value =
        serde_json::from_str(tenants_json).map_err(|e| format!("tenants JSON: {e}"))?;
    let tenants = tenants
        .as_array()
        .ok_or("tenants JSON: not an array of tenants")?;
    let mut app = Seeder::new(mode)?;
    let mut tokens = Vec::new();
    for t in tenants {
        let field = |name: &str| {
            t.get(name)
                .ok_or_else(|| format!("tenants JSON: a tenant without {name:?}: {t}"))
        };
        let size = field("size")?
            .as_u64()
            .ok_or_else(|| format!("tenants JSON: size is not a count: {t}"))?;
        let text = |name: &str| -> Result<String> {
            field(name)?
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("tenants JSON: {name} is not text: {t}"))
        };
        let (tenant, token_id) = (text("tenant_id")?, text("token_id")?);
        let token = app.tenant(
            &tenant,
            &format!("Bench {size}"),
            Timestamp::parse_rfc3339("2024-12-31T00:00:00Z").expect("a time"),
            Some(&token_id),
        )?;
        tokens.push((size, token));
    }
    // The tenants and tokens are on the worker already: what the requests write is printed.
    let since = app.with_conn(marks)?;

    let started = Instant::now();
    let epoch = Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").expect("a time");
    for (size, token) in &tokens {
        for i in 1..=*size {
            let family = format!("Family{}", i % 1000);
            let user_name = format!("user{i}@example.com");
            let body = json!({
                "schemas": [CORE_USER],
                "userName": user_name,
                "externalId": format!("ext-{i}"),
                "active": i % 10 != 0,
                "name": {"givenName": format!("Given{i}"), "familyName": family},
                "displayName": format!("Given{i} {family}"),
                "emails": [{"value": user_name, "type": "work", "primary": true}],
            });
            let at = epoch.add_millis(i64::try_from(i).expect("a size") * SECOND);
            app.expect(at, Method::POST, "/Users", token, Some(&body), 201)?;
        }
        eprintln!("seed: {size} users written");
    }
    app.finish(started, &since, out)
}

/// One step of an employee's life in the roster scenario.
#[derive(Debug, Clone, Copy)]
enum Step {
    Create,
    /// The same create again, the userName in capitals: refused, the name is taken.
    Duplicate,
    Deactivate,
    Reactivate,
    Delete,
}

/// bench/roster.sh: one tenant, two years of history.
fn roster(
    tenant: &str,
    employees: usize,
    deleted: usize,
    now: Timestamp,
    mode: Mode,
    out: impl Write,
) -> Result<Stats> {
    const FIRST_NAMES: [&str; 16] = [
        "Ada", "Bo", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu", "Max",
        "Ned", "Oli", "Pia",
    ];
    let mut dice = Dice(SeededRandom(42));
    // Creations over two years ending 240 days ago; the steps after a creation take at most
    // 90 + 90 + 60 days, so none is in the future.
    let start = now.add_millis(-970 * DAY);
    let mut names = Vec::with_capacity(employees + deleted);
    let mut steps: Vec<(Timestamp, usize, Step)> = Vec::new();
    for i in 0..employees + deleted {
        let first = FIRST_NAMES[dice.below(FIRST_NAMES.len() as u64) as usize];
        let first = if dice.chance(0.8) {
            first.to_string()
        } else {
            first.to_uppercase()
        };
        names.push(format!("{first}.{i}@example.com"));
        // Later steps come at least two seconds after the one before, so that a refused
        // duplicate (one second after its create) comes before them.
        let mut t = start.add_millis(dice.range(0, 2 * 365 * DAY));
        steps.push((t, i, Step::Create));
        if dice.chance(0.02) {
            steps.push((t.add_millis(SECOND), i, Step::Duplicate));
        }
        if dice.chance(0.2) {
            t = t.add_millis(dice.range(2 * SECOND, 90 * DAY));
            steps.push((t, i, Step::Deactivate));
            if dice.chance(0.5) {
                t = t.add_millis(dice.range(2 * SECOND, 90 * DAY));
                steps.push((t, i, Step::Reactivate));
            }
        }
        if i >= employees {
            t = t.add_millis(dice.range(2 * SECOND, 60 * DAY));
            steps.push((t, i, Step::Delete));
        }
    }
    // In time order (the sort is stable: one employee's steps keep theirs).
    steps.sort_by_key(|(at, _, _)| *at);

    let mut app = Seeder::new(mode)?;
    let created = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").expect("a time");
    let since = app.with_conn(marks)?;
    let token = app.tenant(tenant, "Bench", created, None)?;

    let started = Instant::now();
    let mut ids: Vec<Option<String>> = vec![None; names.len()];
    let patch = |active: bool| {
        let op = json!({"op": "replace", "path": "active", "value": active});
        json!({"schemas": [PATCH_OP], "Operations": [op]})
    };
    for (n, (at, i, step)) in steps.iter().enumerate() {
        let (at, name) = (*at, &names[*i]);
        let user = |ids: &[Option<String>]| {
            ids[*i]
                .as_ref()
                .map(|id| format!("/Users/{id}"))
                .ok_or_else(|| format!("{step:?} of {name} before its create"))
        };
        match step {
            Step::Create | Step::Duplicate => {
                let sent = match step {
                    Step::Create => name.clone(),
                    _ => name.to_uppercase(),
                };
                let body = json!({
                    "schemas": [CORE_USER],
                    "userName": sent,
                    "name": {"givenName": "Given", "familyName": "Family"},
                    "emails": [{"value": name, "type": "work", "primary": true}],
                    "displayName": "Given Family",
                    "locale": "en-US",
                    "active": true,
                });
                if let Step::Create = step {
                    let answer =
                        app.expect(at, Method::POST, "/Users", &token, Some(&body), 201)?;
                    ids[*i] = Some(id_of(&answer)?);
                } else {
                    app.expect(at, Method::POST, "/Users", &token, Some(&body), 409)?;
                }
            }
            Step::Deactivate | Step::Reactivate => {
                let body = patch(matches!(step, Step::Reactivate));
                app.expect(at, Method::PATCH, &user(&ids)?, &token, Some(&body), 200)?;
            }
            Step::Delete => {
                app.expect(at, Method::DELETE, &user(&ids)?, &token, None, 204)?;
            }
        }
        if (n + 1) % 50_000 == 0 {
            eprintln!("seed: {} of {} requests", n + 1, steps.len());
        }
    }
    app.finish(started, &since, out)
}

fn id_of(answer: &str) -> Result<String> {
    serde_json::from_str::<Value>(answer)
        .ok()
        .and_then(|v| v.get("id")?.as_str().map(str::to_string))
        .ok_or_else(|| format!("a created user without an id: {answer}"))
}

/// The scenario's randomness (SplitMix64, seeded: the same run every time).
struct Dice(SeededRandom);

impl Dice {
    fn next(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b).expect("seeded randomness");
        u64::from_le_bytes(b)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// `lo..hi`, in milliseconds.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

// ---------------------------------------------------------------------------------------------
// The application, driven.

/// The whole application over an in-memory database, one request at a time.
struct Seeder {
    store: Db,
    config: Config,
    random: SeededRandom,
    requests: u64,
}

impl Seeder {
    fn new(mode: Mode) -> Result<Seeder> {
        Ok(Seeder {
            store: Db::open(mode)?,
            config: seed_config(),
            random: SeededRandom(1),
            requests: 0,
        })
    }

    fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.store.sqlite.with_conn(f)
    }

    /// The tenant `id` and a SCIM token of its (with the id `token_id`, else a new one), written
    /// with the store's own statements; returns the token's secret.
    fn tenant(
        &mut self,
        id: &str,
        name: &str,
        created: Timestamp,
        token_id: Option<&str>,
    ) -> Result<String> {
        let tenant = TenantId::new(id);
        let token_id = match token_id {
            Some(t) => TokenId::new(t),
            None => TokenId::new(prefixed_id("tok", &mut self.random)?),
        };
        let token = seed_token(&mut self.random)?;
        let stmts = vec![
            insert_tenant(&tenant, name, created),
            insert_token(
                &tenant,
                &NewToken {
                    id: &token_id,
                    hash: &token.hash,
                    prefix: &token.prefix,
                    label: Some("bench seed"),
                    created,
                    format: i64::from(scim_edge::app::plumbing::credential::VERSION),
                },
            ),
        ];
        block_on(self.store.batch(Consistency::Primary, stmts))
            .map_err(|e| format!("tenant {id}: {e}"))?;
        Ok(token.secret)
    }

    /// Sends one SCIM request at time `at`; returns the answer's status and body. Statements
    /// the application defers until after its answer run at once, as the tests run them.
    fn send(
        &mut self,
        at: Timestamp,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String)> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://seed.localhost/scim/v2{path}"))
            .header("authorization", format!("Bearer {token}"))
            .header("accept", "application/scim+json")
            .header("user-agent", CLIENT);
        let bytes = match body {
            Some(b) => {
                builder = builder.header("content-type", "application/scim+json");
                serde_json::to_vec(b).map_err(|e| e.to_string())?
            }
            None => Vec::new(),
        };
        let req = builder.body(Body::from(bytes)).map_err(|e| e.to_string())?;
        let request_id = app::request_id(&mut self.random);
        let clock = move || at;
        let mut ctx = Ctx::new(at, &clock, request_id, &mut self.random, &self.config);
        let response = block_on(app::handle(req, &Shards::all(vec![&self.store]), &mut ctx));
        let deferred = std::mem::take(&mut ctx.deferred);
        if !deferred.is_empty() {
            block_on(self.store.batch(Consistency::Primary, deferred))
                .map_err(|e| format!("deferred statements: {e}"))?;
        }
        self.requests += 1;
        Ok((response.status().as_u16(), response.into_body()))
    }

    /// [`Seeder::send`], which must answer `status`; returns the answer's body.
    fn expect(
        &mut self,
        at: Timestamp,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        status: u16,
    ) -> Result<String> {
        let what = format!("{method} {path} at {}", at.to_rfc3339());
        let (got, answer) = self.send(at, method, path, token, body)?;
        if got != status {
            return Err(format!("{what}: {got}, not {status}: {answer}"));
        }
        Ok(answer)
    }

    /// Prints what was written after `since`, and the run's figures.
    fn finish(self, started: Instant, since: &Marks, out: impl Write) -> Result<Stats> {
        self.store.commit()?;
        let requests_s = started.elapsed().as_secs_f64();
        let printing = Instant::now();
        let mut out = BufWriter::with_capacity(1 << 20, out);
        let tables = self.with_conn(|conn| print_sql(conn, since, &mut out))?;
        out.flush().map_err(|e| format!("writing the SQL: {e}"))?;
        Ok(Stats {
            requests: self.requests,
            requests_s,
            print_s: printing.elapsed().as_secs_f64(),
            tables,
        })
    }
}

/// How [`Db`] runs the application's batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Each a savepoint of one transaction, statements cached (the tool).
    Fast,
    /// `SqliteStore::batch`, as the host tests run them (to compare with).
    #[cfg_attr(not(test), allow(dead_code))]
    Plain,
}

/// The crate's `SqliteStore` (in memory, migrated), its batches run as [`Mode`] says.
struct Db {
    sqlite: SqliteStore,
    mode: Mode,
}

impl Db {
    fn open(mode: Mode) -> Result<Db> {
        let sqlite = SqliteStore::open_in_memory(&SqliteStore::crate_migrations())
            .map_err(|e| format!("migrations: {e}"))?;
        if mode == Mode::Fast {
            sqlite
                .with_conn(|c| {
                    c.set_prepared_statement_cache_capacity(256);
                    c.set_db_config(
                        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                        true,
                    )?;
                    c.execute_batch("BEGIN")
                })
                .map_err(sql_err)?;
        }
        Ok(Db { sqlite, mode })
    }

    fn commit(&self) -> Result<()> {
        match self.mode {
            Mode::Fast => self
                .sqlite
                .with_conn(|c| c.execute_batch("COMMIT"))
                .map_err(sql_err),
            Mode::Plain => Ok(()),
        }
    }

    /// A batch as a savepoint: every statement takes effect, or none does.
    fn savepoint(&self, stmts: &[Stmt]) -> std::result::Result<Vec<Vec<Row>>, StoreError> {
        self.sqlite.with_conn(|c| {
            c.execute_batch("SAVEPOINT batch").map_err(store_err)?;
            let answers = stmts.iter().map(|s| run_cached(c, s)).collect();
            let end = match answers {
                Ok(_) => "RELEASE batch",
                Err(_) => "ROLLBACK TO batch; RELEASE batch",
            };
            c.execute_batch(end).map_err(store_err)?;
            answers
        })
    }
}

impl Store for Db {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> std::result::Result<Vec<Vec<Row>>, StoreError> {
        match self.mode {
            Mode::Fast => self.savepoint(&stmts),
            Mode::Plain => self.sqlite.batch(consistency, stmts).await,
        }
    }
}

/// One statement, as `SqliteStore` runs it (the same binding, the same rows), prepared once.
fn run_cached(conn: &Connection, stmt: &Stmt) -> std::result::Result<Vec<Row>, StoreError> {
    use scim_edge::store::Value as Param;
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(store_err)?;
    for (i, value) in stmt.params.iter().enumerate() {
        match value {
            Param::Null => prepared.raw_bind_parameter(i + 1, rusqlite::types::Null),
            Param::Int(v) => prepared.raw_bind_parameter(i + 1, v),
            Param::Real(v) => prepared.raw_bind_parameter(i + 1, v),
            Param::Text(v) => prepared.raw_bind_parameter(i + 1, v.as_str()),
        }
        .map_err(store_err)?;
    }
    let names: Vec<String> = prepared.column_names().map(String::from).collect();
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(store_err)? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(store_err)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::from(v),
                ValueRef::Real(v) => Value::from(v),
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => {
                    return Err(StoreError::Internal(format!("column {name} is a BLOB")))
                }
            };
            map.insert(name.clone(), value);
        }
        out.push(map);
    }
    Ok(out)
}

/// A failure as the application sees it from `SqliteStore`.
fn store_err(e: rusqlite::Error) -> StoreError {
    scim_edge::store::sqlite::map_err(e)
}

/// Runs a future that never waits (the rusqlite store answers at once).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The database, printed as SQL.

/// The highest rowid of each table at some moment: rows above it were written since.
type Marks = HashMap<String, i64>;

fn sql_err(e: rusqlite::Error) -> String {
    e.to_string()
}

/// The tables of the database, in the order they were created (so a table comes after those
/// it was made for), without SQLite's own, and without virtual tables and their shadow tables
/// (the substring index, migration 0018): the loading database's triggers fill those from the
/// rows of `users`.
fn tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(
            "SELECT m.name FROM sqlite_schema m JOIN pragma_table_list l ON l.schema = 'main' \
             AND l.name = m.name WHERE m.type = 'table' AND l.type = 'table' \
             AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.rowid",
        )
        .map_err(sql_err)?;
    let names = stmt
        .query_map([], |r| r.get(0))
        .map_err(sql_err)?
        .collect::<std::result::Result<Vec<String>, _>>()
        .map_err(sql_err)?;
    Ok(names)
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn marks(conn: &Connection) -> Result<Marks> {
    tables(conn)?
        .into_iter()
        .map(|t| {
            let max: i64 = conn
                .query_row(
                    &format!("SELECT coalesce(max(rowid), 0) FROM {}", ident(&t)),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| format!("{t}: {e}"))?;
            Ok((t, max))
        })
        .collect()
}

/// The columns an INSERT of `table` gives values to: every stored column (`hidden` 0 in
/// `table_xinfo`; 2 and 3 are generated columns), except an INTEGER PRIMARY KEY, which is the
/// rowid: rows are inserted in rowid order and the loading database numbers them the same way
/// after the rows it has.
fn insert_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT name, upper(type), pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")
        .map_err(sql_err)?;
    let columns = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(sql_err)?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(sql_err)?;
    let keys: Vec<_> = columns.iter().filter(|c| c.2 > 0).collect();
    let rowid = match keys.as_slice() {
        [(name, ty, _, _)] if ty == "INTEGER" => Some(name.clone()),
        _ => None,
    };
    Ok(columns
        .into_iter()
        .filter(|(name, _, _, hidden)| *hidden == 0 && Some(name) != rowid.as_ref())
        .map(|c| c.0)
        .collect())
}

/// A value as an SQL literal.
fn literal(out: &mut String, value: ValueRef<'_>) {
    use std::fmt::Write as _;
    let hex = |out: &mut String, bytes: &[u8]| {
        for b in bytes {
            let _ = write!(out, "{b:02x}");
        }
    };
    match value {
        ValueRef::Null => out.push_str("NULL"),
        ValueRef::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Real(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        ValueRef::Real(f) => out.push_str(if f > 0.0 { "9e999" } else { "-9e999" }),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) if !s.contains('\0') => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            // Text a literal cannot carry, byte for byte.
            _ => {
                out.push_str("CAST(X'");
                hex(out, t);
                out.push_str("' AS TEXT)");
            }
        },
        ValueRef::Blob(b) => {
            out.push_str("X'");
            hex(out, b);
            out.push('\'');
        }
    }
}

/// What was printed of one table.
struct Printed {
    name: String,
    rows: usize,
    statements: usize,
    bytes: usize,
}

/// Prints every row written after `since` as INSERTs of at most [`MAX_STATEMENT_BYTES`].
fn print_sql(conn: &Connection, since: &Marks, out: &mut impl Write) -> Result<Vec<Printed>> {
    let mut printed = Vec::new();
    for table in tables(conn)? {
        let columns = insert_columns(conn, &table)?;
        let list = columns
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let head = format!("INSERT INTO {} ({list}) VALUES\n", ident(&table));
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {list} FROM {} WHERE rowid > ?1 ORDER BY rowid",
                ident(&table)
            ))
            .map_err(|e| format!("{table}: {e}"))?;
        let mut rows = stmt
            .query([since.get(&table).copied().unwrap_or(0)])
            .map_err(sql_err)?;
        let mut p = Printed {
            name: table.clone(),
            rows: 0,
            statements: 0,
            bytes: 0,
        };
        let (mut sql, mut tuple) = (String::new(), String::new());
        let mut flush = |sql: &mut String, p: &mut Printed| -> Result<()> {
            if sql.is_empty() {
                return Ok(());
            }
            sql.push_str(";\n");
            out.write_all(sql.as_bytes())
                .map_err(|e| format!("writing the SQL: {e}"))?;
            p.statements += 1;
            p.bytes += sql.len();
            sql.clear();
            Ok(())
        };
        while let Some(row) = rows.next().map_err(sql_err)? {
            tuple.clear();
            tuple.push('(');
            for i in 0..columns.len() {
                if i > 0 {
                    tuple.push(',');
                }
                literal(&mut tuple, row.get_ref(i).map_err(sql_err)?);
            }
            tuple.push(')');
            if head.len() + tuple.len() + 2 > MAX_STATEMENT_BYTES {
                return Err(format!(
                    "a row of {table} takes {} bytes, more than a D1 statement may",
                    tuple.len()
                ));
            }
            if !sql.is_empty() && sql.len() + 2 + tuple.len() + 2 > MAX_STATEMENT_BYTES {
                flush(&mut sql, &mut p)?;
            }
            if sql.is_empty() {
                sql.push_str(&head);
            } else {
                sql.push_str(",\n");
            }
            sql.push_str(&tuple);
            p.rows += 1;
        }
        flush(&mut sql, &mut p)?;
        if p.rows > 0 {
            printed.push(p);
        }
    }
    Ok(printed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "tnt_bench0000000000000000";

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-06-01T12:00:00Z").unwrap()
    }

    fn roster_sql(mode: Mode) -> String {
        let mut out = Vec::new();
        let stats = roster(TENANT, 150, 30, now(), mode, &mut out).unwrap();
        assert!(stats.requests >= 180, "{}", stats.requests);
        String::from_utf8(out).unwrap()
    }

    const TENANTS: &str = r#"[
        {"size": 20, "tenant_id": "tnt_aaaaaaaaaaaaaaaaaaaa",
         "token_id": "tok_aaaaaaaaaaaaaaaaaaaa", "token": "x"},
        {"size": 100, "tenant_id": "tnt_bbbbbbbbbbbbbbbbbbbb",
         "token_id": "tok_bbbbbbbbbbbbbbbbbbbb"}
    ]"#;

    fn query_sql(mode: Mode) -> String {
        let mut out = Vec::new();
        query(TENANTS, mode, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A fresh migrated database with `sql` loaded (after `before`, the rows it already has).
    fn load(before: &[Stmt], sql: &str) -> SqliteStore {
        let db = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        block_on(db.batch(Consistency::Primary, before.to_vec())).unwrap();
        // The file is one input of many statements (each under D1's 100 KB, which the store
        // enforces on an input as a whole).
        db.with_conn(|c| {
            c.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_SQL_LENGTH, 1 << 30)?;
            c.execute_batch(sql)
        })
        .unwrap();
        db
    }

    fn count(db: &SqliteStore, sql: &str) -> i64 {
        db.with_conn(|c| c.query_row(sql, [], |r| r.get(0)))
            .unwrap()
    }

    fn statements(sql: &str) -> Vec<&str> {
        sql.split_inclusive(";\n").collect()
    }

    #[test]
    fn the_fast_store_writes_what_the_sqlite_store_writes() {
        assert_eq!(roster_sql(Mode::Fast), roster_sql(Mode::Plain));
        assert_eq!(query_sql(Mode::Fast), query_sql(Mode::Plain));
    }

    #[test]
    fn the_roster_loads_into_a_fresh_database_as_it_was_written() {
        let sql = roster_sql(Mode::Fast);
        for s in statements(&sql) {
            assert!(s.starts_with("INSERT INTO \""), "{}", &s[..80.min(s.len())]);
            assert!(s.len() <= MAX_STATEMENT_BYTES, "{}", s.len());
        }
        let db = load(&[], &sql);
        // Printed again, the loaded database gives the same SQL: every value, in rowid order.
        let mut again = Vec::new();
        db.with_conn(|c| print_sql(c, &Marks::new(), &mut again))
            .unwrap();
        assert_eq!(String::from_utf8(again).unwrap(), sql);
        // The generated columns are SQLite's own again, and so is the substring index, which
        // the triggers filled from the loaded rows (the SQL names none of its tables).
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM users WHERE family_name_fold = 'family'"
            ),
            150
        );
        assert!(!sql.contains("user_substrings"));
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM user_substrings WHERE user_substrings MATCH 'family_name : \"fam\" AND family_name : \"ily\"'"
            ),
            150
        );
        // The scenario's shape.
        assert_eq!(count(&db, "SELECT count(*) FROM tenants"), 1);
        assert_eq!(
            count(&db, "SELECT count(*) FROM activation WHERE kind = 'delete'"),
            30
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM activation WHERE kind = 'create'"),
            180
        );
        let deactivated = count(
            &db,
            "SELECT count(*) FROM activation WHERE kind = 'deactivate'",
        );
        assert!((15..=60).contains(&deactivated), "{deactivated}");
        let refused = count(
            &db,
            "SELECT count(*) FROM activity WHERE status = 409 AND user_name = upper(user_name)",
        );
        assert!((1..=15).contains(&refused), "{refused}");
        assert_eq!(
            count(&db, "SELECT count(*) FROM activity WHERE status = 409"),
            refused
        );
        // One entry per request; nothing in the future.
        assert_eq!(
            count(&db, "SELECT count(*) FROM activity"),
            count(&db, "SELECT count(*) FROM activation") + refused
        );
        let latest: String = db
            .with_conn(|c| c.query_row("SELECT max(at) FROM activity", [], |r| r.get(0)))
            .unwrap();
        assert!(latest < now().to_rfc3339(), "{latest}");
    }

    #[test]
    fn the_query_seed_leaves_the_tenants_to_the_worker() {
        let sql = query_sql(Mode::Fast);
        assert!(!sql.contains("INSERT INTO \"tenants\""));
        assert!(!sql.contains("INSERT INTO \"tokens\""));
        // The worker's database: its tenants and tokens (other hashes than the seed's).
        let mut random = SeededRandom(99);
        let mut before = Vec::new();
        for t in serde_json::from_str::<Value>(TENANTS)
            .unwrap()
            .as_array()
            .unwrap()
        {
            let tenant = TenantId::new(t["tenant_id"].as_str().unwrap());
            let token = seed_token(&mut random).unwrap();
            before.push(insert_tenant(&tenant, "Bench", now()));
            before.push(insert_token(
                &tenant,
                &NewToken {
                    id: &TokenId::new(t["token_id"].as_str().unwrap()),
                    hash: &token.hash,
                    prefix: &token.prefix,
                    label: None,
                    created: now(),
                    format: i64::from(scim_edge::app::plumbing::credential::VERSION),
                },
            ));
        }
        let db = load(&before, &sql);
        assert_eq!(count(&db, "SELECT count(*) FROM users"), 120);
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM users WHERE tenant_id = 'tnt_bbbbbbbbbbbbbbbbbbbb' \
                 AND active = 0"
            ),
            10
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM users WHERE family_name_fold = 'family99'"
            ),
            1
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM user_emails WHERE value_fold = 'user7@example.com'"
            ),
            2
        );
        // The log names the worker's token.
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM activity e \
                 JOIN tokens t ON t.id = e.token_id AND t.tenant_id = e.tenant_id"
            ),
            120
        );
    }

    #[test]
    fn literals_give_back_their_values() {
        let db = Connection::open_in_memory().unwrap();
        let texts = ["", "it's", "a\0b", "ÅSA; DROP", "\n'\n"];
        for text in texts {
            let mut lit = String::new();
            literal(&mut lit, ValueRef::Text(text.as_bytes()));
            let back: String = db
                .query_row(&format!("SELECT {lit}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(back, text, "{lit}");
        }
        for (value, expected) in [
            (ValueRef::Integer(i64::MIN), "-9223372036854775808"),
            (ValueRef::Real(0.1), "0.1"),
            (ValueRef::Null, "NULL"),
            (ValueRef::Blob(&[0, 255]), "X'00ff'"),
        ] {
            let mut lit = String::new();
            literal(&mut lit, value);
            assert_eq!(lit, expected);
        }
    }
}
