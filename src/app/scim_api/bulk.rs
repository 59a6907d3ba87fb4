//! `POST /Bulk` (RFC 7644 §3.7): many writes of users in one request. The envelope, the
//! limits, `bulkId` references and the order of the steps are the protocol's (`scim::bulk`);
//! here each operation becomes the single request it stands for (method, `/scim/v2` + path,
//! `If-Match` from its `version`, its `data` as the body, the Bulk request's credentials and
//! client) and runs through [`super::write_user`], the very code of `POST /Users` and
//! `PUT`/`PATCH`/`DELETE /Users/{id}`: the same checks, PATCH forms, custom attributes,
//! activation history and activity-log entry, in batches of its own. Each operation is
//! therefore atomic on its own, and nothing makes two of them atomic together.
//!
//! - A malformed envelope (400) or one over a limit (413) performs nothing. An operation with
//!   a problem of its own (no or an unknown method, no path: 400; a path outside `/Users`: 404;
//!   a `bulkId` that cannot be resolved: 409) fails alone and the others go on; the refusal of
//!   a write is logged as its single request's would be.
//! - A circular reference is broken by creating first and setting the reference after: the
//!   set is a PATCH of the new user, run and logged (an `update`) like any other.
//! - `failOnErrors`: once that many operations failed, the rest are not performed and not in
//!   the answer (RFC 7644 §3.7.3).
//! - The answer lists the operations performed in request order, whatever order they ran in.
//!
//! The per-token rate limit counts every operation ([`units`], asked at the edge before the
//! application runs); a Bulk request refused by it is refused whole, and [`throttled`] logs it.

use super::activity::Activity;
use super::call::Call;
use super::respond::{scim_error, scim_json};
use super::tenancy::{media_error, tenant_of};
use super::write::refuse;
use super::write_user;
use crate::app::plumbing::auth::{AuthFailure, ScimToken};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::media::{self, Answer, MediaError, MAX_BODY_BYTES};
use crate::app::plumbing::routes::{self, Route, ScimEndpoint};
use crate::app::plumbing::{header, Body, Request, Response};
use crate::model::{Operation, UserId};
use crate::scim::bulk::{
    self, BulkOperation, Deferred, Method, Plan, Step, BULK_RESPONSE, MAX_PAYLOAD_BYTES,
};
use crate::scim::error::ScimError;
use crate::scim::schema::PATCH_OP;
use crate::store::Store;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Read-compute-write attempts of one replace or patch within a Bulk request: one. A race lost
/// to another request's write of the same user answers 503 with `Retry-After` for that
/// operation (the single request retries for up to two seconds), so that the statements of a
/// whole request have a bound ([`STATEMENTS_PER_OPERATION`]).
pub const ATTEMPTS_PER_OPERATION: usize = 1;

/// D1 statements a Bulk request costs besides its operations: the token check (the token and
/// the tenant's attributes) and the deferred `last_used` of the token.
pub const STATEMENTS_PER_REQUEST: usize = 3;

/// The most D1 statements one operation costs, the costliest being a create that refers to
/// itself: the tenant's attributes (2) and the create's batch (10), then the PATCH that sets
/// the reference: its read (4), its write (11, references included), and the log entry of a
/// refusal in a batch of its own should that write fail at the database (3). Every other
/// operation costs less: in the host test `bulk::a_worst_case_request_of_max_operations_...`,
/// which counts them, a PUT about 15, a PATCH with `If-Match` that deactivates and sets a
/// manager about 21, a DELETE about 20 (the guard's statements included).
pub const STATEMENTS_PER_OPERATION: usize = 30;

/// D1's queries per Worker invocation (Workers Paid): each statement of a batch counts as one
/// (as `app::purge` counts them).
pub const D1_QUERIES_PER_INVOCATION: usize = 1_000;

// maxOperations (RFC 7644 §3.7.4): its operations' statements, at their worst, stay below D1's
// queries per invocation (3 + 30 × 30 = 903). The limit was derived when the costliest
// operation took 33 statements ((1,000 - 3) / 33 = 30); a write's log entry and an update's
// last read have been one statement each since. The limit stays 30 rather than following
// every change of a batch: a published maxOperations that shrank again later would break the
// clients that learned it.
const _: () = assert!(
    STATEMENTS_PER_REQUEST + bulk::MAX_OPERATIONS * STATEMENTS_PER_OPERATION
        <= D1_QUERIES_PER_INVOCATION
);

// maxPayloadSize is the body limit of every request: the edge reads no more.
const _: () = assert!(MAX_PAYLOAD_BYTES == MAX_BODY_BYTES);

/// The rate-limit units of a request (RFC 7644 §3.7 operations each count once against the
/// per-token limit): a Bulk request's operations, read from its body; 1 for anything else,
/// and for a Bulk request that will be refused before running anything (malformed, too large).
pub fn units(req: &Request) -> u32 {
    let is_bulk = req.method() == http::Method::POST
        && matches!(
            routes::route(req.uri().path()),
            Route::Scim(ScimEndpoint::Bulk)
        );
    match (is_bulk, req.body()) {
        (true, Body::Complete(bytes)) => match bulk::operation_count(bytes) {
            Some(n) if (1..=bulk::MAX_OPERATIONS).contains(&n) => n as u32,
            _ => 1,
        },
        _ => 1,
    }
}

/// The answer to a Bulk request whose rate-limit units were refused (429, nothing performed),
/// after its one activity-log entry (`bulk`, 429). The entry is best-effort: a request that
/// the limiter refused must not cost more than that one batch, whatever it finds.
pub async fn throttled<S: Store>(
    req: &Request,
    token: &Result<Option<ScimToken>, AuthFailure>,
    retry_after: u32,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Response {
    let answer = media::negotiate(header(req, http::header::ACCEPT)).unwrap_or(Answer::Scim);
    let err = ScimError::TooManyRequests { retry_after };
    if let Ok(call) = Call::new(req, token, answer) {
        let activity = Activity::new(ctx, &call, Operation::Bulk);
        let detail = format!(
            "Bulk request of {} operations refused by the per-token rate limit: none was \
             performed; retry after {retry_after} seconds",
            units(req)
        );
        let mut batch = super::tenancy::ScimBatch::new(&call.hash, ctx);
        batch.write(activity.throttled(&detail));
        match batch.run(store, ctx).await {
            Ok(_) => {}
            // A token that is not live (revoked, or its tenant disabled) has no tenant's log to
            // write to: nothing to record, as for any other refused credential.
            Err(e) if e.status() == 401 => {}
            Err(e) => ctx.log.push(format!(
                "bulk: the 429's activity-log entry was not written: {e}"
            )),
        }
    }
    scim_error(&err, answer)
}

/// What one operation came to, for the BulkResponse (RFC 7644 §3.7.3).
#[derive(Debug, Clone)]
struct Outcome {
    location: Option<String>,
    version: Option<String>,
    status: u16,
    /// The error body of a failed operation.
    response: Option<Value>,
    /// The id of the user a successful create made.
    created: Option<String>,
}

impl Outcome {
    fn failed(&self) -> bool {
        self.status >= 400
    }
}

/// `POST /Bulk`.
pub async fn bulk<S: Store>(
    req: &Request,
    call: &Call,
    token: &Result<Option<ScimToken>, AuthFailure>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    // The token first (a 401 is a 401 whatever the body): one batch.
    tenant_of(store, ctx, &call.hash).await?;
    let body = match media::body_object(header(req, http::header::CONTENT_TYPE), req.body(), None) {
        Ok(b) => b,
        Err(MediaError::TooLarge { .. }) => return Err(bulk::payload_too_large()),
        Err(e) => return Err(media_error(e)),
    };
    let request = bulk::parse(&body)?;
    let plan = bulk::plan(&request.operations);
    let mut run = Run {
        req,
        token,
        call,
        ops: &request.operations,
        plan: &plan,
        outcomes: vec![None; request.operations.len()],
        created: HashMap::new(),
        failed_ids: HashSet::new(),
        deferred: HashMap::new(),
    };
    let mut errors = 0;
    for step in &plan.steps {
        let (op, outcome) = match step {
            Step::Run { op, defer } => (*op, run.operation(*op, defer, store, ctx).await),
            Step::Set { op } => match run.set(*op, store, ctx).await {
                Some(outcome) => (*op, outcome),
                None => continue,
            },
        };
        let failed = outcome.failed();
        run.record(op, outcome);
        if failed {
            errors += 1;
            if request.fail_on_errors.is_some_and(|n| errors >= n) {
                break;
            }
        }
    }
    let results: Vec<Value> = run
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.as_ref().map(|o| result_json(&request.operations[i], o)))
        .collect();
    Ok(scim_json(
        200,
        &json!({"schemas": [BULK_RESPONSE], "Operations": results}),
        call.answer,
    ))
}

/// One operation's entry of the BulkResponse.
fn result_json(op: &BulkOperation, o: &Outcome) -> Value {
    let mut r = Map::new();
    let method = op.method.map(Method::as_str).map(str::to_string);
    r.insert("method".into(), json!(method.or(op.method_text.clone())));
    if let Some(b) = &op.bulk_id {
        r.insert("bulkId".into(), json!(b));
    }
    if let Some(v) = &o.version {
        r.insert("version".into(), json!(v));
    }
    if let Some(l) = &o.location {
        r.insert("location".into(), json!(l));
    }
    if let Some(body) = &o.response {
        r.insert("response".into(), body.clone());
    }
    r.insert("status".into(), json!(o.status.to_string()));
    Value::Object(r)
}

/// The state of a Bulk request's run.
struct Run<'a> {
    req: &'a Request,
    token: &'a Result<Option<ScimToken>, AuthFailure>,
    call: &'a Call,
    ops: &'a [BulkOperation],
    plan: &'a Plan,
    outcomes: Vec<Option<Outcome>>,
    /// bulkId → the id of the user its POST created.
    created: HashMap<String, String>,
    /// bulkIds whose POST failed (or was not performed).
    failed_ids: HashSet<String>,
    /// The attributes each create of a cycle left out, to set afterwards.
    deferred: HashMap<usize, Vec<Deferred>>,
}

impl Run<'_> {
    fn record(&mut self, op: usize, outcome: Outcome) {
        let o = &self.ops[op];
        if let (Some(Method::Post), Some(b)) = (o.method, &o.bulk_id) {
            match &outcome.created {
                Some(id) if !outcome.failed() => {
                    self.created.insert(b.clone(), id.clone());
                }
                _ => {
                    self.failed_ids.insert(b.clone());
                }
            }
        }
        self.outcomes[op] = Some(outcome);
    }

    /// 409 for a reference to `bulk_id` that does not resolve.
    fn unresolved(&self, bulk_id: &str) -> ScimError {
        ScimError::Conflict(if self.failed_ids.contains(bulk_id) {
            format!(
                "bulkId \"{bulk_id}\" does not resolve: the operation that creates it failed; \
                 nothing was done for this operation"
            )
        } else {
            format!(
                "bulkId \"{bulk_id}\" does not resolve: no POST operation of this request \
                 declares it; nothing was done for this operation"
            )
        })
    }

    /// Performs operation `op`, leaving out of a create what refers to the bulkIds in `defer`.
    async fn operation<S: Store>(
        &mut self,
        op: usize,
        defer: &[String],
        store: &S,
        ctx: &mut Ctx<'_>,
    ) -> Outcome {
        let o = &self.ops[op];
        let problem = o.problem.clone().or(self.plan.problems.get(&op).cloned());
        let (Some(method), Some(path)) = (o.method, o.path.as_deref()) else {
            // No method or no path: not a write of anyone, and not logged as one.
            return error_outcome(
                &problem.unwrap_or(ScimError::Internal("no method".into())),
                None,
            );
        };
        let created = &self.created;
        let resolve = |b: &str| created.get(b).cloned();
        let path = bulk::substitute_text(path, &resolve);
        let mut data = o.data.clone();
        if let (Some(d), false) = (&data, defer.is_empty()) {
            if let Ok((kept, later)) = bulk::split_deferred(d, defer) {
                data = Some(kept);
                self.deferred.insert(op, later);
            }
        }
        let data = data.map(|d| bulk::substitute(&d, &resolve)).transpose();
        let request = self.request(
            method,
            path.as_deref().unwrap_or(""),
            data.as_ref().ok().and_then(Option::as_ref),
            o.version.as_deref(),
        );
        let target = request
            .as_ref()
            .ok()
            .and_then(|(_, endpoint)| match endpoint {
                ScimEndpoint::User(id) => Some(UserId::new(id.clone())),
                _ => None,
            });
        let location = target
            .as_ref()
            .map(|id| format!("{}/Users/{id}", self.call.base));
        // Refusals decided here, before the single request runs (the operation's own problem,
        // a reference that does not resolve): logged as its single request's refusal would be.
        let decided = match (problem, path, data) {
            (Some(p), ..) => Some(p),
            (None, Err(b), _) | (None, Ok(_), Err(b)) => Some(self.unresolved(&b)),
            (None, Ok(_), Ok(_)) => None,
        };
        if let Some(e) = decided {
            let activity = Activity::new(ctx, self.call, operation_of(method));
            let user_name = o
                .data
                .as_ref()
                .and_then(Value::as_object)
                .and_then(|d| d.iter().find(|(k, _)| k.eq_ignore_ascii_case("userName")))
                .and_then(|(_, v)| v.as_str());
            let e = refuse(store, ctx, &activity, (target.as_ref(), user_name), e).await;
            return error_outcome(&e, location);
        }
        // A path outside /Users: the single request's 404, which no log records either.
        let (req, endpoint) = match request {
            Ok(r) => r,
            Err(e) => return error_outcome(&e, None),
        };
        let mut call = match Call::new(&req, self.token, self.call.answer) {
            Ok(c) => c,
            Err(e) => return error_outcome(&e, location),
        };
        call.max_attempts = ATTEMPTS_PER_OPERATION;
        let answer = write_user(&req, &endpoint, &call, store, ctx).await;
        outcome_of(answer, location)
    }

    /// Sets what the create of operation `op` left out (a circular reference), now that it
    /// resolves: a PATCH of the new user. `None` when there is nothing to set.
    async fn set<S: Store>(&mut self, op: usize, store: &S, ctx: &mut Ctx<'_>) -> Option<Outcome> {
        let later = self.deferred.remove(&op)?;
        let created = self.outcomes[op].as_ref().filter(|o| !o.failed())?.clone();
        let id = created.created.clone()?;
        let resolve = |b: &str| self.created.get(b).cloned();
        let mut operations = Vec::new();
        for d in &later {
            match bulk::substitute(&d.value, &resolve) {
                Ok(value) => {
                    operations.push(json!({"op": "replace", "path": d.path, "value": value}))
                }
                Err(b) => {
                    let e = self.unresolved(&b);
                    return Some(Outcome {
                        created: Some(id),
                        ..error_outcome(&e, created.location)
                    });
                }
            }
        }
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        let path = format!("/Users/{id}");
        let (req, endpoint) = match self.request(Method::Patch, &path, Some(&body), None) {
            Ok(r) => r,
            Err(e) => return Some(error_outcome(&e, created.location)),
        };
        let mut call = match Call::new(&req, self.token, self.call.answer) {
            Ok(c) => c,
            Err(e) => return Some(error_outcome(&e, created.location)),
        };
        call.max_attempts = ATTEMPTS_PER_OPERATION;
        let answer = write_user(&req, &endpoint, &call, store, ctx).await;
        let set = outcome_of(answer, created.location.clone());
        Some(match set.failed() {
            // The user exists; what failed is the set, and the entry says so.
            true => Outcome {
                created: Some(id),
                ..set
            },
            false => Outcome {
                version: set.version,
                ..created
            },
        })
    }

    /// The single request an operation stands for, and its endpoint: 404 for a path outside
    /// `/Users`, 400 for one that is no relative URL.
    fn request(
        &self,
        method: Method,
        path: &str,
        data: Option<&Value>,
        version: Option<&str>,
    ) -> Result<(Request, ScimEndpoint), ScimError> {
        let outside = || {
            ScimError::NotFound(format!(
                "Bulk operations apply to \"/Users\" and \"/Users/{{id}}\" only, not \"{path}\""
            ))
        };
        if !path.starts_with('/') {
            return Err(outside());
        }
        let uri = format!("{}{path}", self.call.base);
        let mut b = http::Request::builder()
            .method(method.as_str())
            .uri(uri.as_str());
        for name in [
            http::header::AUTHORIZATION,
            http::header::USER_AGENT,
            http::header::ACCEPT,
        ] {
            if let Some(v) = self.req.headers().get(&name) {
                b = b.header(name, v.clone());
            }
        }
        if data.is_some() {
            b = b.header(http::header::CONTENT_TYPE, "application/scim+json");
        }
        if let Some(v) = version {
            b = b.header(http::header::IF_MATCH, v);
        }
        let body = data.map(|d| d.to_string().into_bytes()).unwrap_or_default();
        let req = b.body(Body::Complete(body)).map_err(|_| {
            ScimError::BadRequest(format!(
                "The Bulk operation's path \"{path}\" is not a relative URL"
            ))
        })?;
        match routes::route(req.uri().path()) {
            Route::Scim(endpoint @ (ScimEndpoint::Users | ScimEndpoint::User(_))) => {
                Ok((req, endpoint))
            }
            _ => Err(outside()),
        }
    }
}

/// What the activity log calls a refused operation of this method.
fn operation_of(method: Method) -> Operation {
    match method {
        Method::Post => Operation::Create,
        Method::Put => Operation::Replace,
        Method::Patch => Operation::Update,
        Method::Delete => Operation::Delete,
    }
}

fn error_outcome(e: &ScimError, location: Option<String>) -> Outcome {
    Outcome {
        location,
        version: None,
        status: e.status(),
        response: Some(e.to_json()),
        created: None,
    }
}

/// An operation's outcome from its single request's answer.
fn outcome_of(answer: Result<Response, ScimError>, location: Option<String>) -> Outcome {
    let r = match answer {
        Ok(r) => r,
        Err(e) => return error_outcome(&e, location),
    };
    let head = |name: http::header::HeaderName| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let created = match r.status().as_u16() {
        201 => serde_json::from_str::<Value>(r.body())
            .ok()
            .and_then(|b| b.get("id").and_then(Value::as_str).map(str::to_string)),
        _ => None,
    };
    let status = r.status().as_u16();
    Outcome {
        location: head(http::header::LOCATION).or(location),
        version: head(http::header::ETAG),
        status,
        response: (status >= 400).then(|| serde_json::from_str(r.body()).unwrap_or(Value::Null)),
        created,
    }
}
