//! The production store: the application's batches on Cloudflare D1 (wasm32 only).
//!
//! A request gets up to two D1 sessions (Sessions API), each opened on its first batch:
//! `first-primary` for [`Consistency::Primary`] batches, and for [`Consistency::Session`]
//! batches one that starts at the bookmark the request resumed ([`Store::resume`]), or
//! `first-unconstrained` (any replica) without one. Later batches of either kind reuse their
//! session, so they are sequentially consistent with the earlier ones; [`Store::bookmark`] is
//! the replica session's latest (else the primary session's).
//!
//! A bookmark comes from a client: should D1 refuse it, the session is opened again on the
//! primary (which is at least as new as any bookmark) and the batch sent once more.
//!
//! It counts what the request's batches cost ([`Usage`]: round trips, and the rows each
//! statement's result metadata says it read and wrote) for the request's log line.

use super::classify::classify;
use super::{Consistency, Row, Stmt, Store, StoreError, Usage, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1SessionConstraint};

pub struct D1Store {
    db: D1Database,
    /// The request's id, on the log line of a failed batch: every failure is logged here, once,
    /// whoever called (the client only ever sees a 503 or a 500 without the cause).
    request_id: String,
    primary: RefCell<Option<Rc<D1DatabaseSession>>>,
    replica: RefCell<Option<Rc<D1DatabaseSession>>>,
    /// The bookmark the replica session starts at, from the client.
    resume: RefCell<Option<String>>,
    usage: Cell<Usage>,
}

impl D1Store {
    pub fn new(db: D1Database, request_id: String) -> D1Store {
        D1Store {
            db,
            request_id,
            primary: RefCell::new(None),
            replica: RefCell::new(None),
            resume: RefCell::new(None),
            usage: Cell::new(Usage::default()),
        }
    }

    /// What this store's batches have cost so far.
    pub fn usage(&self) -> Usage {
        self.usage.get()
    }

    fn session(&self, consistency: Consistency) -> Result<Rc<D1DatabaseSession>, StoreError> {
        let slot = match consistency {
            Consistency::Primary => &self.primary,
            Consistency::Session => &self.replica,
        };
        if let Some(s) = slot.borrow().as_ref() {
            return Ok(s.clone());
        }
        let opened = match (consistency, self.resume.borrow().as_deref()) {
            (Consistency::Session, Some(bookmark)) => self.db.with_session(Some(bookmark)),
            (Consistency::Session, None) => self
                .db
                .with_session_constraint(D1SessionConstraint::FirstUnconstrained),
            (Consistency::Primary, _) => self
                .db
                .with_session_constraint(D1SessionConstraint::FirstPrimary),
        };
        let session = Rc::new(opened.map_err(|e| classify(&e.to_string()))?);
        *slot.borrow_mut() = Some(session.clone());
        Ok(session)
    }
}

fn js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        // Integers stay within ±2^53 (ids and counters), exact as JavaScript numbers.
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Real(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
    }
}

impl Store for D1Store {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        let resumed = consistency == Consistency::Session
            && self.replica.borrow().is_none()
            && self.resume.borrow().is_some();
        let again = resumed.then(|| stmts.clone());
        let mut result = self.run(consistency, stmts).await;
        if let Some(stmts) = again {
            if result
                .as_ref()
                .is_err_and(|e| e.cause().contains("ookmark"))
            {
                // D1 refused the client's bookmark: the primary instead, once.
                self.resume.borrow_mut().take();
                *self.replica.borrow_mut() = self.session(Consistency::Primary).ok();
                result = self.run(consistency, stmts).await;
            }
        }
        if let Err(e) = &result {
            // The message may hold SQL text, never bound values (tokens are bound values).
            let line =
                serde_json::json!({ "request_id": self.request_id, "store_error": e.to_string() });
            worker::console_error!("{line}");
        }
        result
    }

    fn resume(&self, bookmark: &str) {
        if self.replica.borrow().is_none() {
            *self.resume.borrow_mut() = Some(bookmark.to_string());
        }
    }

    fn bookmark(&self) -> Option<String> {
        let latest = |slot: &RefCell<Option<Rc<D1DatabaseSession>>>| {
            slot.borrow()
                .as_ref()
                .and_then(|s| s.get_bookmark().ok().flatten())
        };
        latest(&self.replica).or_else(|| latest(&self.primary))
    }
}

impl D1Store {
    async fn run(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        let session = self.session(consistency)?;
        let mut prepared = Vec::with_capacity(stmts.len());
        for stmt in &stmts {
            let params: Vec<JsValue> = stmt.params.iter().map(js).collect();
            let p = session
                .prepare(stmt.sql.as_ref())
                .bind(&params)
                .map_err(|e| classify(&e.to_string()))?;
            prepared.push(p);
        }
        let sent = session.batch(prepared).await;
        let (mut read, mut written) = (0u64, 0u64);
        if let Ok(results) = &sent {
            for meta in results.iter().filter_map(|r| r.meta().ok().flatten()) {
                read += meta.rows_read.unwrap_or(0) as u64;
                written += meta.rows_written.unwrap_or(0) as u64;
            }
        }
        let mut usage = self.usage.get();
        usage.add_batch(read, written);
        self.usage.set(usage);
        let results = sent.map_err(|e| classify(&e.to_string()))?;
        let mut out = Vec::with_capacity(results.len());
        for result in results {
            if let Some(error) = result.error() {
                return Err(classify(&error));
            }
            let rows: Vec<Row> = result.results().map_err(|e| classify(&e.to_string()))?;
            out.push(rows);
        }
        Ok(out)
    }
}
