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
//! A batch's answers cross into wasm as one JSON text per statement (`JSON.stringify` of its
//! rows), not value by value: the cost of reading a page of users is one string copy and one
//! parse.
//!
//! It counts what the request's batches cost ([`Usage`]: round trips, and the rows each
//! statement's result metadata says it read and wrote) for the request's log line.

use super::classify::classify;
use super::{Consistency, Row, Stmt, Store, StoreError, Usage, Value};
use js_sys::{Array, Function, Promise, Reflect, JSON};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
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

/// Sends a batch on a session (the binding's `batch`), its answer as D1 gives it: an array of
/// results, each with `results` (the rows) and `meta`.
async fn send(session: &D1DatabaseSession, statements: &Array) -> Result<Array, StoreError> {
    let batch: Function = property(session.as_ref(), "batch")
        .dyn_into()
        .map_err(|_| StoreError::Internal("the D1 session has no batch method".into()))?;
    let promise: Promise = batch
        .call1(session.as_ref(), statements)
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| StoreError::Internal("D1's batch did not return a promise".into()))?;
    JsFuture::from(promise)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| StoreError::Internal("D1's batch did not answer an array".into()))
}

/// A statement's rows, read as one JSON text (`JSON.stringify` on the JavaScript side, one
/// parse here): D1's values are JSON's (numbers, text, null), and a page of 100 users crosses
/// into wasm as one string instead of value by value.
fn rows(results: &JsValue) -> Result<Vec<Row>, StoreError> {
    if results.is_undefined() || results.is_null() {
        return Ok(Vec::new());
    }
    let text: String = JSON::stringify(results).map_err(js_error)?.into();
    serde_json::from_str(&text).map_err(|e| StoreError::Internal(format!("D1's rows: {e}")))
}

/// `object[name]`, or `undefined`.
fn property(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A failure the D1 binding threw, in its own words: its message (`D1_ERROR: ...`) and its
/// cause's, which `classify` reads.
fn js_error(e: JsValue) -> StoreError {
    let text = match e.dyn_ref::<js_sys::Error>() {
        Some(err) => {
            let mut text = String::from(err.message());
            let cause = err.cause();
            if let Some(cause) = cause.dyn_ref::<js_sys::Error>() {
                text.push_str(": ");
                text.push_str(&String::from(cause.message()));
            } else if let Some(cause) = cause.as_string() {
                text.push_str(": ");
                text.push_str(&cause);
            }
            text
        }
        None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    };
    classify(&text)
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
        let statements = Array::new();
        for stmt in &stmts {
            let params: Vec<JsValue> = stmt.params.iter().map(js).collect();
            let p = session
                .prepare(stmt.sql.as_ref())
                .bind(&params)
                .map_err(|e| classify(&e.to_string()))?;
            statements.push(p.inner().as_ref());
        }
        let sent = send(&session, &statements).await;
        let (mut read, mut written) = (0u64, 0u64);
        if let Ok(results) = &sent {
            for result in results.iter() {
                let meta = property(&result, "meta");
                read += property(&meta, "rows_read").as_f64().unwrap_or(0.0) as u64;
                written += property(&meta, "rows_written").as_f64().unwrap_or(0.0) as u64;
            }
        }
        let mut usage = self.usage.get();
        usage.add_batch(read, written);
        self.usage.set(usage);
        let results = sent?;
        let mut out = Vec::with_capacity(results.length() as usize);
        for result in results.iter() {
            if let Some(error) = property(&result, "error").as_string() {
                return Err(classify(&error));
            }
            out.push(rows(&property(&result, "results"))?);
        }
        Ok(out)
    }
}
