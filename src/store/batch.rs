//! Batches read by handle, never by position: adding a [`Query`] to a [`Batch`] returns a
//! [`Handle`], and the batch's [`Results`] give that query's answer, already decoded, for that
//! handle. Statements whose rows nobody reads are added with [`Batch::write`].
//!
//! Row decoding lives here and next to the SQL that names the columns ([`FromRow`] in each
//! `store` module), so `app` receives typed values and never a column name. A row that does not
//! decode (it cannot, short of a bug or a hand-edited database) is a [`StoreError::Internal`].

use super::{Consistency, Row, Stmt, Store, StoreError};
use crate::scim::datetime::Timestamp;
use serde_json::Value;
use std::marker::PhantomData;

/// A statement and how to decode its rows into a `T`.
pub struct Query<T> {
    stmt: Stmt,
    decode: fn(Vec<Row>) -> Result<T, StoreError>,
}

impl<T> Query<T> {
    pub fn new(stmt: Stmt, decode: fn(Vec<Row>) -> Result<T, StoreError>) -> Query<T> {
        Query { stmt, decode }
    }

    /// The statement (for tests that inspect SQL).
    pub fn stmt(&self) -> &Stmt {
        &self.stmt
    }
}

impl<T: FromRow> Query<Option<T>> {
    /// The first row, if any.
    pub fn first(stmt: Stmt) -> Query<Option<T>> {
        Query::new(stmt, |rows| rows.first().map(T::from_row).transpose())
    }
}

impl<T: FromRow> Query<Vec<T>> {
    /// Every row, in order.
    pub fn all(stmt: Stmt) -> Query<Vec<T>> {
        Query::new(stmt, decode_all::<T>)
    }
}

/// Every row decoded, in order. A plain loop rather than an iterator chain collected into a
/// `Result`: instantiated for each of the 30-odd row types, the chain cost the worker 13 KB
/// (2 KB gzipped).
fn decode_all<T: FromRow>(rows: Vec<Row>) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(T::from_row(row)?);
    }
    Ok(out)
}

/// Where a query's answer is in a batch's results.
#[must_use = "a handle is how the query's answer is read"]
pub struct Handle<T> {
    index: usize,
    decode: fn(Vec<Row>) -> Result<T, StoreError>,
    _answer: PhantomData<T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            index: self.index,
            decode: self.decode,
            _answer: PhantomData,
        }
    }
}

/// Statements that run together, in order, in one transaction (one D1 round trip).
#[derive(Default, Clone)]
pub struct Batch {
    stmts: Vec<Stmt>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds a query; its answer is read with the returned handle.
    pub fn read<T>(&mut self, query: Query<T>) -> Handle<T> {
        self.stmts.push(query.stmt);
        Handle {
            index: self.stmts.len() - 1,
            decode: query.decode,
            _answer: PhantomData,
        }
    }

    /// Adds a statement whose rows nobody reads (a write).
    pub fn write(&mut self, stmt: Stmt) {
        self.stmts.push(stmt);
    }

    pub fn write_all(&mut self, stmts: impl IntoIterator<Item = Stmt>) {
        self.stmts.extend(stmts);
    }

    pub fn len(&self) -> usize {
        self.stmts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stmts.is_empty()
    }

    /// The statements, for a caller that runs them later (after the answer is sent).
    pub fn into_stmts(self) -> Vec<Stmt> {
        self.stmts
    }

    /// Runs the batch: every statement takes effect, or none does.
    pub async fn run<S: Store>(
        self,
        store: &S,
        consistency: Consistency,
    ) -> Result<Results, StoreError> {
        let expected = self.stmts.len();
        let rows = store.batch(consistency, self.stmts).await?;
        if rows.len() != expected {
            return Err(StoreError::Internal(format!(
                "a batch of {expected} statements answered {} results",
                rows.len()
            )));
        }
        Ok(Results {
            rows: rows.into_iter().map(Some).collect(),
        })
    }
}

/// The answers of a batch that ran.
pub struct Results {
    rows: Vec<Option<Vec<Row>>>,
}

impl Results {
    /// The decoded answer of the query `handle` stands for.
    pub fn take<T>(&mut self, handle: Handle<T>) -> Result<T, StoreError> {
        let rows = self
            .rows
            .get_mut(handle.index)
            .and_then(Option::take)
            .ok_or_else(|| StoreError::Internal("a batch result was read twice".into()))?;
        (handle.decode)(rows)
    }
}

/// A value decoded from one row.
pub trait FromRow: Sized {
    fn from_row(row: &Row) -> Result<Self, StoreError>;
}

/// Typed access to a row's columns; a missing or mistyped column is an internal error that
/// names it (never its value).
pub struct Columns<'r>(pub &'r Row);

impl<'r> Columns<'r> {
    fn broken(name: &str) -> StoreError {
        StoreError::Internal(format!("column {name}: missing or of the wrong type"))
    }

    pub fn text(&self, name: &str) -> Result<&'r str, StoreError> {
        self.opt_text(name)?.ok_or_else(|| Self::broken(name))
    }

    /// A TEXT column that may be NULL.
    pub fn opt_text(&self, name: &str) -> Result<Option<&'r str>, StoreError> {
        match self.0.get(name) {
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Null) => Ok(None),
            _ => Err(Self::broken(name)),
        }
    }

    pub fn int(&self, name: &str) -> Result<i64, StoreError> {
        self.0
            .get(name)
            .and_then(Value::as_i64)
            .ok_or_else(|| Self::broken(name))
    }

    /// An INTEGER column that may be NULL.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        match self.0.get(name) {
            Some(serde_json::Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| Self::broken(name)),
            None => Err(Self::broken(name)),
        }
    }

    /// An INTEGER column holding 0 or 1.
    pub fn flag(&self, name: &str) -> Result<bool, StoreError> {
        match self.int(name)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Self::broken(name)),
        }
    }

    /// A time stored as canonical RFC 3339 text.
    pub fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        Timestamp::parse_rfc3339(self.text(name)?).ok_or_else(|| Self::broken(name))
    }

    pub fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        self.opt_text(name)?
            .map(|t| Timestamp::parse_rfc3339(t).ok_or_else(|| Self::broken(name)))
            .transpose()
    }

    /// A TEXT column holding JSON (NULL reads as `None`).
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        self.opt_text(name)?
            .map(|t| serde_json::from_str(t).map_err(|_| Self::broken(name)))
            .transpose()
    }

    /// A column as it came, whatever its type.
    pub fn raw(&self, name: &str) -> Value {
        self.0.get(name).cloned().unwrap_or(Value::Null)
    }
}

/// One `count(*)`-like integer column named `n`.
pub struct Count(pub i64);

impl FromRow for Count {
    fn from_row(row: &Row) -> Result<Count, StoreError> {
        Columns(row).int("n").map(Count)
    }
}

impl Query<i64> {
    /// A statement answering one row with an integer column `n`.
    pub fn count(stmt: Stmt) -> Query<i64> {
        Query::new(stmt, |rows| match rows.first() {
            Some(row) => Count::from_row(row).map(|c| c.0),
            None => Err(StoreError::Internal("a count answered no row".into())),
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::Value as P;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the host store never waits"),
        }
    }

    #[test]
    fn answers_are_read_by_handle_in_any_order_and_once() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let mut batch = Batch::new();
        let two = batch.read(Query::count(Stmt::new("SELECT 2 AS n", vec![])));
        batch.write(Stmt::new("SELECT 'ignored' AS x", vec![]));
        let three = batch.read(Query::count(Stmt::new(
            "SELECT 1 + ?1 AS n",
            vec![P::Int(2)],
        )));
        let mut results = block_on(batch.run(&store, Consistency::Primary)).unwrap();
        assert_eq!(results.take(three), Ok(3));
        assert_eq!(results.take(two), Ok(2));
    }

    #[test]
    fn a_missing_or_mistyped_column_is_an_internal_error_naming_it() {
        let row: Row = serde_json::from_value(serde_json::json!({"a": "x", "b": 2})).unwrap();
        let c = Columns(&row);
        assert_eq!(c.text("a"), Ok("x"));
        assert!(matches!(c.text("b"), Err(StoreError::Internal(m)) if m.contains("column b")));
        assert!(matches!(c.int("zz"), Err(StoreError::Internal(m)) if m.contains("column zz")));
        assert!(c.flag("b").is_err());
    }
}
