//! The host store: the application's batches on rusqlite (bundled SQLite), for tests and tools.
//! It applies the same `migrations/` that `wrangler d1 migrations apply` applies to D1, and
//! gives a batch the same meaning D1 gives it: one transaction, rolled back on any error.

use super::{Consistency, Row, Stmt, Store, StoreError, Value};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::cell::RefCell;
use std::path::Path;

pub struct SqliteStore {
    conn: RefCell<Connection>,
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
        for sql in migration_sources(migrations_dir)? {
            conn.execute_batch(&sql).map_err(map_err)?;
        }
        Ok(SqliteStore {
            conn: RefCell::new(conn),
        })
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
        let tx = conn.transaction().map_err(map_err)?;
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            out.push(run_one(&tx, stmt)?);
        }
        tx.commit().map_err(map_err)?;
        Ok(out)
    }
}

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

fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Constraint(e.to_string()),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

impl Store for SqliteStore {
    async fn batch(
        &self,
        _consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        self.run(&stmts)
    }
}
