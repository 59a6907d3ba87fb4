//! The host store: the application's batches on rusqlite (bundled SQLite), for tests and tools.
//! It applies the same `migrations/` that `wrangler d1 migrations apply` applies to D1, and
//! gives a batch the same meaning D1 gives it: one transaction, rolled back on any error. It
//! runs under D1's limits (`D1_LIMITS`) and sorts its failures into the variants D1's messages
//! are sorted into (`classify`), so that a host test meets what production would.

use super::classify::{classify, RETRY_SOON};
use super::{Consistency, Row, Stmt, Store, StoreError, Value};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::cell::{Cell, RefCell};
use std::path::Path;

pub struct SqliteStore {
    conn: RefCell<Connection>,
    /// Batches the primary committed that changed something: what a bookmark counts.
    position: Cell<u64>,
    /// The read replica, when there is one.
    replica: RefCell<Option<Replica>>,
}

/// A copy of the primary as of `position`.
struct Replica {
    conn: Connection,
    position: u64,
}

impl SqliteStore {
    /// A fresh in-memory database with every migration of `migrations_dir` applied in file-name
    /// order (the order wrangler applies them).
    pub fn open_in_memory(migrations_dir: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(map_err)?;
        Self::with_connection(conn, migrations_dir)
    }

    /// The same, on a database file (benchmark seeding, tools).
    pub fn open(path: &Path, migrations_dir: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(map_err)?;
        Self::with_connection(conn, migrations_dir)
    }

    fn with_connection(conn: Connection, migrations_dir: &Path) -> Result<SqliteStore, StoreError> {
        // D1 enforces foreign keys; so does this store, so that both behave alike.
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(map_err)?;
        for (limit, value) in D1_LIMITS {
            conn.set_limit(limit, value).map_err(map_err)?;
        }
        for sql in migration_sources(migrations_dir)? {
            conn.execute_batch(&sql).map_err(map_err)?;
        }
        Ok(SqliteStore {
            conn: RefCell::new(conn),
            position: Cell::new(0),
            replica: RefCell::new(None),
        })
    }

    /// The same store with a read replica, as of now (see the module doc).
    pub fn with_replica(self) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(map_err)?;
        *self.replica.borrow_mut() = Some(Replica { conn, position: 0 });
        self.replicate()?;
        Ok(self)
    }

    /// Brings the replica up to the primary.
    pub fn replicate(&self) -> Result<(), StoreError> {
        let mut replica = self.replica.borrow_mut();
        let Some(replica) = replica.as_mut() else {
            return Ok(());
        };
        let primary = self.conn.borrow();
        rusqlite::backup::Backup::new(&primary, &mut replica.conn)
            .and_then(|b| b.run_to_completion(i32::MAX, std::time::Duration::ZERO, None))
            .map_err(map_err)?;
        replica.position = self.position.get();
        Ok(())
    }

    /// One request's session (see the module doc).
    pub fn session(&self) -> SqliteSession<'_> {
        SqliteSession {
            store: self,
            floor: Cell::new(0),
            session_seen: Cell::new(None),
            primary_seen: Cell::new(None),
        }
    }

    /// Runs a batch where `consistency` sends it, its reads at least as new as `floor`; the
    /// position it saw.
    fn run_at(
        &self,
        consistency: Consistency,
        stmts: &[Stmt],
        floor: u64,
    ) -> Result<(Vec<Vec<Row>>, u64), StoreError> {
        let reads_only = stmts.iter().all(|s| {
            s.sql
                .trim_start()
                .get(..6)
                .is_some_and(|w| w.eq_ignore_ascii_case("select"))
        });
        // D1 serves a session's read from a replica that has its bookmark, or from the primary;
        // this replica lags until `replicate`, so a newer bookmark is the primary's to serve.
        let fresh_replica = self
            .replica
            .borrow()
            .as_ref()
            .is_some_and(|r| r.position >= floor);
        if consistency == Consistency::Primary || !reads_only || !fresh_replica {
            let rows = self.run(stmts)?;
            return Ok((rows, self.position.get()));
        }
        let mut replica = self.replica.borrow_mut();
        let replica = replica.as_mut().expect("checked above");
        let tx = replica.conn.transaction().map_err(map_err)?;
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            out.push(run_one(&tx, stmt)?);
        }
        tx.commit().map_err(map_err)?;
        Ok((out, replica.position))
    }

    /// The migrations directory of this crate.
    pub fn crate_migrations() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
    }

    /// Direct access for tests that inspect the database (e.g. `EXPLAIN QUERY PLAN`).
    pub fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn.borrow())
    }

    fn run(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Row>>, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let before = conn.total_changes();
        let tx = conn.transaction().map_err(map_err)?;
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            out.push(run_one(&tx, stmt)?);
        }
        tx.commit().map_err(map_err)?;
        if conn.total_changes() != before {
            self.position.set(self.position.get() + 1);
        }
        Ok(out)
    }
}

/// D1's limits (developers.cloudflare.com/d1/platform/limits), which D1 enforces as SQLite's
/// own: a statement that breaks one fails here as it would there.
pub const D1_LIMITS: [(Limit, i32); 6] = [
    // Maximum string, BLOB or table row size: 2,000,000 bytes.
    (Limit::SQLITE_LIMIT_LENGTH, 2_000_000),
    // Maximum SQL statement length: 100,000 bytes.
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000),
    // Maximum bound parameters per query.
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
    // Maximum bytes in a LIKE or GLOB pattern.
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
    // Maximum arguments per SQL function.
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 32),
    // Maximum columns per table.
    (Limit::SQLITE_LIMIT_COLUMN, 100),
];

/// The `*.sql` files of a migrations directory, in name order.
pub fn migration_sources(dir: &Path) -> Result<Vec<String>, StoreError> {
    let read =
        |e: std::io::Error| StoreError::Internal(format!("migrations {}: {e}", dir.display()));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).map_err(read))
        .collect()
}

fn run_one(conn: &Connection, stmt: &Stmt) -> Result<Vec<Row>, StoreError> {
    let mut prepared = conn.prepare(&stmt.sql).map_err(map_err)?;
    for (i, value) in stmt.params.iter().enumerate() {
        let index = i + 1;
        match value {
            Value::Null => prepared.raw_bind_parameter(index, rusqlite::types::Null),
            Value::Int(v) => prepared.raw_bind_parameter(index, v),
            Value::Real(v) => prepared.raw_bind_parameter(index, v),
            Value::Text(v) => prepared.raw_bind_parameter(index, v.as_str()),
        }
        .map_err(map_err)?;
    }
    let names: Vec<String> = prepared.column_names().map(|s| s.to_string()).collect();
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(map_err)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(v) => serde_json::Value::from(v),
                ValueRef::Real(v) => serde_json::Value::from(v),
                ValueRef::Text(t) => {
                    serde_json::Value::String(String::from_utf8_lossy(t).into_owned())
                }
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

/// SQLite's failures, sorted as D1's messages for the same failures are (`classify`): by the
/// result code where it says enough, else by SQLite's message. Public for tools that drive
/// SQLite themselves (`examples/seed.rs`).
pub fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    use rusqlite::ErrorCode;
    let cause = e.to_string();
    let failure = match &e {
        rusqlite::Error::SqliteFailure(failure, _)
        | rusqlite::Error::SqlInputError { error: failure, .. } => failure,
        // rusqlite's own refusals (a parameter count, a type): our statements' doing.
        _ => return StoreError::Internal(cause),
    };
    match (failure.code, failure.extended_code) {
        (_, ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
            StoreError::Duplicate(cause)
        }
        (ErrorCode::ConstraintViolation, _) => StoreError::Internal(cause),
        // SQLITE_TOOBIG is both "string or blob too big" and "statement too long".
        (ErrorCode::TooBig, _) if cause.contains("statement too long") => {
            StoreError::TooComplex(cause)
        }
        (ErrorCode::TooBig, _) => StoreError::TooLarge(cause),
        (ErrorCode::DiskFull, _) => StoreError::Full(cause),
        (ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked, _) => StoreError::Unavailable {
            retry_after: RETRY_SOON,
            cause,
        },
        // SQLITE_ERROR carries the limits on parameters and patterns in its message only.
        _ => classify(&cause),
    }
}

/// Each batch its own session, without a bookmark.
impl Store for SqliteStore {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        self.run_at(consistency, &stmts, 0).map(|(rows, _)| rows)
    }
}

/// One request's session of a [`SqliteStore`]: what D1Store's sessions are to D1 (one for its
/// [`Consistency::Primary`] batches, one for its [`Consistency::Session`] batches).
pub struct SqliteSession<'a> {
    store: &'a SqliteStore,
    /// Its session's reads are at least this new: the bookmark it resumed, and what they saw.
    floor: Cell<u64>,
    /// The newest position its `Session` batches saw, and its `Primary` ones.
    session_seen: Cell<Option<u64>>,
    primary_seen: Cell<Option<u64>>,
}

impl Store for SqliteSession<'_> {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        let floor = match consistency {
            Consistency::Primary => 0,
            Consistency::Session => self.floor.get(),
        };
        let (rows, at) = self.store.run_at(consistency, &stmts, floor)?;
        let at = at.max(floor);
        match consistency {
            Consistency::Primary => self.primary_seen.set(Some(at)),
            Consistency::Session => {
                self.floor.set(at);
                self.session_seen.set(Some(at));
            }
        }
        Ok(rows)
    }

    fn resume(&self, bookmark: &str) {
        if let Ok(at) = u64::from_str_radix(bookmark, 16) {
            self.floor.set(self.floor.get().max(at));
        }
    }

    fn bookmark(&self) -> Option<String> {
        self.session_seen
            .get()
            .or(self.primary_seen.get())
            .map(|at| format!("{at:016x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::classify::classify;
    use std::mem::discriminant;

    fn store() -> SqliteStore {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        store.with_conn(|c| {
            c.execute_batch(
                "CREATE TABLE t (id TEXT PRIMARY KEY, u TEXT UNIQUE, v TEXT NOT NULL, \
                 b INTEGER CHECK (b IN (0, 1)), p TEXT REFERENCES t (id))",
            )
            .unwrap()
        });
        store
    }

    fn run(
        store: &SqliteStore,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        store.run(&[Stmt::new(sql.to_string(), params)])
    }

    /// Each failure provoked on the host store is the variant D1's message for the same failure
    /// reads as (the messages as a local D1 reports them).
    #[test]
    fn failures_sort_as_d1_messages_for_them_do() {
        let s = store();
        run(
            &s,
            "INSERT INTO t (id, u, v) VALUES ('a', 'x', 'v')",
            vec![],
        )
        .unwrap();
        let many = |n: usize| (0..n).map(|_| "?").collect::<Vec<_>>().join(", ");
        let cases: Vec<(String, Vec<Value>, &str)> = vec![
            (
                "INSERT INTO t (id, u, v) VALUES ('b', 'x', 'v')".into(),
                vec![],
                "UNIQUE constraint failed: t.u: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)",
            ),
            (
                "INSERT INTO t (id, v) VALUES ('a', 'v')".into(),
                vec![],
                "UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)",
            ),
            (
                "INSERT INTO t (id, v) VALUES ('c', NULL)".into(),
                vec![],
                "NOT NULL constraint failed: t.v: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)",
            ),
            (
                "INSERT INTO t (id, v, b) VALUES ('c', 'v', 5)".into(),
                vec![],
                "CHECK constraint failed: b IN (0, 1): SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)",
            ),
            (
                "INSERT INTO t (id, v, p) VALUES ('c', 'v', 'nobody')".into(),
                vec![],
                "FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)",
            ),
            (
                "INSERT INTO t (id, v) VALUES ('c', ?1)".into(),
                vec![Value::Text("x".repeat(2_000_001))],
                "string or blob too big: SQLITE_TOOBIG",
            ),
            (
                "INSERT INTO t (id, u, v) VALUES ('c', ?1, ?2)".into(),
                vec![Value::Text("x".repeat(1_100_000)), Value::Text("y".repeat(1_100_000))],
                "string or blob too big: SQLITE_TOOBIG",
            ),
            (
                format!("SELECT '{}' AS s", "x".repeat(100_000)),
                vec![],
                "statement too long: SQLITE_TOOBIG",
            ),
            (
                format!("SELECT {}", many(101)),
                vec![Value::Int(1); 101],
                "too many SQL variables at offset 207: SQLITE_ERROR",
            ),
            (
                "SELECT 'a' LIKE ?1 AS m".into(),
                vec![Value::Text("%".repeat(51))],
                "LIKE or GLOB pattern too complex: SQLITE_ERROR",
            ),
            (
                "SELEC 1".into(),
                vec![],
                "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR",
            ),
            (
                "SELECT * FROM nope".into(),
                vec![],
                "no such table: nope: SQLITE_ERROR",
            ),
        ];
        for (sql, params, d1_message) in cases {
            let host = run(&s, &sql, params).expect_err(d1_message);
            let d1 = classify(d1_message);
            assert_eq!(
                discriminant(&host),
                discriminant(&d1),
                "{host} / {d1_message}"
            );
        }
        // Within the limits, the same shapes run.
        run(
            &s,
            &format!("SELECT {}", many(100)),
            vec![Value::Int(1); 100],
        )
        .unwrap();
        run(
            &s,
            "INSERT INTO t (id, v) VALUES ('big', ?1)",
            vec![Value::Text("x".repeat(1_900_000))],
        )
        .unwrap();
    }

    /// A full database (D1: `Exceeded maximum DB size`) is `Full` here too.
    #[test]
    fn a_full_database_is_full() {
        let s = store();
        let pages: i64 =
            s.with_conn(|c| c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap());
        s.with_conn(|c| {
            c.execute_batch(&format!("PRAGMA max_page_count = {pages}"))
                .unwrap()
        });
        let host = run(
            &s,
            "INSERT INTO t (id, v) VALUES ('c', ?1)",
            vec![Value::Text("x".repeat(100_000))],
        )
        .expect_err("full");
        assert!(matches!(host, StoreError::Full(_)), "{host}");
        assert!(matches!(
            classify("D1_ERROR: Exceeded maximum DB size"),
            StoreError::Full(_)
        ));
    }

    /// A failed batch changes nothing.
    #[test]
    fn a_failed_batch_is_rolled_back() {
        let s = store();
        let err = s.run(&[
            Stmt::new("INSERT INTO t (id, v) VALUES ('k', 'v')", vec![]),
            Stmt::new("INSERT INTO t (id, v) VALUES ('k', 'v')", vec![]),
        ]);
        assert!(matches!(err, Err(StoreError::Duplicate(_))));
        let n: i64 = s.with_conn(|c| {
            c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(n, 0);
    }
}

#[cfg(test)]
mod replica_tests {
    use super::*;
    use crate::store::{Consistency, Store};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("pending"),
        }
    }

    fn count(s: &impl Store, c: Consistency) -> i64 {
        let rows = block_on(s.batch(
            c,
            vec![Stmt::new("SELECT count(*) AS n FROM tenants", vec![])],
        ))
        .unwrap();
        rows[0][0]["n"].as_i64().unwrap()
    }

    #[test]
    fn a_session_reads_the_lagging_replica_until_its_bookmark_asks_for_more() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations())
            .unwrap()
            .with_replica()
            .unwrap();
        let writer = store.session();
        block_on(writer.batch(
            Consistency::Session,
            vec![Stmt::new(
                "INSERT INTO tenants (id, name, active, created) VALUES ('t', 'T', 1, 'x')",
                vec![],
            )],
        ))
        .unwrap();
        let bookmark = writer.bookmark().expect("a bookmark after a batch");
        // The writer's own session sees its write; another session, on the replica, does not.
        assert_eq!(count(&writer, Consistency::Session), 1);
        let other = store.session();
        assert_eq!(count(&other, Consistency::Session), 0);
        assert_eq!(count(&other, Consistency::Primary), 1);
        // Once it resumes the writer's bookmark, it does.
        let resumed = store.session();
        resumed.resume(&bookmark);
        assert_eq!(count(&resumed, Consistency::Session), 1);
        assert!(resumed.bookmark().unwrap() >= bookmark);
    }
}
