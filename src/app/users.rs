//! `/Users` (RFC 7644 §3.3–§3.6): create, read, list, replace, patch and delete employees.
//!
//! D1 round trips (DESIGN §9): GET, list and DELETE are one batch each, and so is a create
//! (the token check, the insert, its emails, references, history and activity-log entry, and
//! the read-back). A create whose body uses the tenant's own attributes, and a list whose filter
//! or `sortBy` names one, first read the tenant's attribute definitions (one more). PUT and PATCH
//! read, apply in Rust, then send a conditional write batch; when another write got there first
//! they read and apply again, until a deadline, then answer 503 with Retry-After.
//! Every write request leaves one activity-log entry (DESIGN §7): in the batch of the write when
//! it succeeds, in the batch that discovered the refusal, or in a batch of its own.

use super::auth::TokenHash;
use super::conditional::{self, Condition};
use super::ids::{hex, uuid_v4};
use super::media::Answer;
use super::query;
use super::respond::{empty, scim_json};
use super::scim_api::{body_object, credential, header};
use super::tenancy::scim_batch;
use super::{Ctx, Request, Response};
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::filter::Limits;
use crate::scim::list::{self, ListParams};
use crate::scim::patch;
use crate::scim::projection::Projection;
use crate::scim::schema::TENANT_USER;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::{self, etag, Doc, ManagerInfo, Meta, Parsed};
use crate::store::users::{self as sql, Event, UserWrite, When};
use crate::store::{Row, Store};
use serde_json::Value;

/// Largest page of a list (`filter.maxResults` in /ServiceProviderConfig); larger `count`s are
/// clamped to it.
pub const MAX_COUNT: i64 = list::MAX_COUNT;
/// Page size when `count` is not given.
pub const DEFAULT_COUNT: i64 = list::DEFAULT_COUNT;
/// The limits on one filter (advertised in /ServiceProviderConfig's documentation).
pub const FILTER_LIMITS: Limits = Limits::DEFAULT;
/// How long PUT and PATCH keep retrying after losing a race with another write.
pub const WRITE_DEADLINE_MS: i64 = 2_000;
/// A bound on retries even if the clock does not move.
const MAX_ATTEMPTS: usize = 64;
/// Longest User-Agent kept in the activity log.
const MAX_CLIENT_CHARS: usize = 256;

/// What every /Users handler needs from the request.
pub struct Call {
    pub hash: TokenHash,
    pub base: String,
    pub client: Option<String>,
    pub answer: Answer,
    /// `attributes`/`excludedAttributes` of the request URL (RFC 7644 §3.9), for the user an
    /// answer returns.
    pub projection: Projection,
    /// `If-Match` (PUT, PATCH, DELETE) and `If-None-Match` (GET), RFC 7644 §3.14; a malformed
    /// header is an error the handler answers (and, for a write, logs).
    pub if_match: Result<Option<Condition>, ScimError>,
    pub if_none_match: Result<Option<Condition>, ScimError>,
}

impl Call {
    pub fn new(req: &Request, answer: Answer) -> Result<Call, ScimError> {
        let hash = credential(req)?;
        let params = query::pairs(req.uri().query());
        let projection = match Projection::from_query(
            query::get(&params, "attributes"),
            query::get(&params, "excludedAttributes"),
        ) {
            Ok(p) => p,
            // A write is never refused for how its answer should look (it could not be logged
            // as refused, and after the write it is too late): it answers the default attributes.
            Err(_) if req.method() != http::Method::GET => Projection::Default,
            Err(e) => return Err(e),
        };
        Ok(Call {
            hash,
            base: scim_base(req),
            client: header(req, http::header::USER_AGENT)
                .map(|ua| ua.chars().take(MAX_CLIENT_CHARS).collect()),
            answer,
            projection,
            if_match: conditional::if_match(req.headers()),
            if_none_match: conditional::if_none_match(req.headers()),
        })
    }
}

/// The SCIM base URL of this request (for `meta.location`, `Location`, `$ref`).
pub fn scim_base(req: &Request) -> String {
    let uri = req.uri();
    let origin = match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => format!(
            "https://{}",
            header(req, http::header::HOST).unwrap_or("localhost")
        ),
    };
    format!("{origin}{}", super::routes::SCIM_PREFIX)
}

fn text<'r>(row: &'r Row, key: &str) -> Option<&'r str> {
    row.get(key).and_then(Value::as_str)
}

/// A stored user, as read back.
pub(super) struct Stored {
    doc: Doc,
    meta: Meta,
    manager: Option<ManagerInfo>,
    /// What the user's employee references show: attribute id → email (or the value as sent,
    /// while pending).
    refs: serde_json::Map<String, Value>,
    write_id: String,
}

pub(super) fn stored(row: &Row) -> Result<Stored, ScimError> {
    let broken = |what: &str| ScimError::Internal(format!("stored user: bad {what}"));
    let doc: Doc = serde_json::from_str(text(row, "resource").ok_or_else(|| broken("resource"))?)
        .map_err(|_| broken("resource JSON"))?;
    let ts = |key: &str| {
        text(row, key)
            .and_then(Timestamp::parse_rfc3339)
            .ok_or_else(|| broken(key))
    };
    let meta = Meta {
        id: text(row, "id").ok_or_else(|| broken("id"))?.to_string(),
        created: ts("created")?,
        last_modified: ts("last_modified")?,
        version: row
            .get("version")
            .and_then(Value::as_i64)
            .ok_or_else(|| broken("version"))?,
    };
    let manager = text(row, "manager_id").map(|id| ManagerInfo {
        id: id.to_string(),
        display_name: text(row, "manager_name").unwrap_or(id).to_string(),
    });
    let write_id = text(row, "write_id").unwrap_or_default().to_string();
    let refs = text(row, "refs")
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    Ok(Stored {
        doc,
        meta,
        manager,
        refs,
        write_id,
    })
}

impl Stored {
    pub(super) fn render(&self, schema: &TenantSchema, base: &str) -> Value {
        user::render(
            &self.doc,
            &self.meta,
            self.manager.as_ref(),
            &self.refs,
            schema,
            base,
        )
    }
}

/// A single-resource answer with its `ETag` (RFC 7644 §3.14).
fn resource_answer(
    status: u16,
    s: &Stored,
    schema: &TenantSchema,
    call: &Call,
    location: bool,
) -> Response {
    let body = call.projection.apply(s.render(schema, &call.base), schema);
    let mut r = scim_json(status, &body, call.answer);
    if let Ok(v) = http::HeaderValue::from_str(&etag(s.meta.version)) {
        r.headers_mut().insert(http::header::ETAG, v);
    }
    if location {
        if let Ok(v) = http::HeaderValue::from_str(&format!("{}/Users/{}", call.base, s.meta.id)) {
            r.headers_mut().insert(http::header::LOCATION, v);
        }
    }
    r
}

fn event<'a>(
    ctx: &'a Ctx<'_>,
    call: &'a Call,
    operation: &'a str,
    status: u16,
    at: &'a str,
    user_id: Option<&'a str>,
) -> Event<'a> {
    Event {
        at,
        request_id: &ctx.request_id,
        operation,
        user_id,
        user_name: None,
        status,
        detail: None,
        changes: None,
        client: call.client.as_deref(),
    }
}

/// Logs a refused write (4xx) in a batch of its own and returns the error to answer with
/// (the 401 instead, when the token turns out not to be valid).
async fn refuse<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
    operation: &str,
    user_id: Option<&str>,
    user_name: Option<&str>,
    err: ScimError,
) -> ScimError {
    if !(400..500).contains(&err.status()) || err.status() == 401 || err.status() == 429 {
        return err;
    }
    let now = ctx.now.to_rfc3339();
    let detail = err.detail();
    let mut e = event(ctx, call, operation, err.status(), &now, user_id);
    e.user_name = user_name;
    e.detail = Some(&detail);
    let stmt = sql::log_event(call.hash.as_str(), &e, &When::Always);
    match scim_batch(store, ctx, &call.hash, vec![stmt]).await {
        Ok(_) => err,
        Err(other) => other,
    }
}

/// Whether a body uses the tenant extension (then its definitions are read before it is).
fn mentions_tenant_extension(body: &serde_json::Map<String, Value>) -> bool {
    body.keys()
        .any(|k| k.eq_ignore_ascii_case(crate::scim::schema::TENANT_USER))
}

/// The tenant's schema, read on its own (one round trip), for requests that need it before
/// their main batch.
async fn tenant_schema<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<TenantSchema, ScimError> {
    Ok(scim_batch(store, ctx, &call.hash, Vec::new())
        .await?
        .0
        .schema)
}

fn random_hex(ctx: &mut Ctx<'_>, bytes: usize) -> Result<String, ScimError> {
    let mut b = vec![0u8; bytes];
    ctx.random.fill(&mut b).map_err(ScimError::Internal)?;
    Ok(hex(&b))
}

/// The employee references a write changes: the attribute ids whose value changed or went
/// away, and `[id, value, folded value]` of those set anew (for `store::users::set_refs`).
fn ref_changes(old: &Doc, new: &Doc, schema: &TenantSchema) -> (String, String) {
    let old_refs = schema.employee_values(old.get(TENANT_USER));
    let new_refs = schema.employee_values(new.get(TENANT_USER));
    let removed: Vec<&str> = old_refs
        .iter()
        .filter(|(id, v)| !new_refs.contains(&(*id, *v)))
        .map(|(id, _)| *id)
        .collect();
    let added: Vec<Value> = new_refs
        .iter()
        .filter(|r| !old_refs.contains(r))
        .map(|(id, v)| serde_json::json!([id, v, crate::scim::fold::fold(v)]))
        .collect();
    (
        Value::from(removed).to_string(),
        Value::Array(added).to_string(),
    )
}

/// The statements that keep employee references right after a user is written: its own
/// references, and the pending ones that name it.
fn ref_statements(
    hash: &str,
    id: &str,
    write_id: &str,
    old: &Doc,
    new: &Doc,
    schema: &TenantSchema,
) -> Vec<crate::store::Stmt> {
    let (removed, added) = ref_changes(old, new, schema);
    let mut stmts = Vec::new();
    if removed != "[]" || added != "[]" {
        stmts.extend(sql::set_refs(hash, id, write_id, &removed, &added));
    }
    stmts.push(sql::resolve_pending(hash, id, write_id));
    stmts
}

/// PUT replaces what the client may write; the values of deactivated custom attributes are
/// kept as they are (DESIGN §4).
fn keep_inactive(old: &Doc, mut new: Parsed, schema: &TenantSchema) -> Parsed {
    let Some(old_ext) = old.get(TENANT_USER).and_then(Value::as_object) else {
        return new;
    };
    let kept: serde_json::Map<String, Value> = old_ext
        .iter()
        .filter(|(id, _)| schema.by_id(id).is_some_and(|a| !a.active))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !kept.is_empty() {
        let ext = new
            .doc
            .entry(TENANT_USER)
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(e) = ext.as_object_mut() {
            e.extend(kept);
        }
    }
    new
}

fn to_json(doc: &Doc) -> String {
    Value::Object(doc.clone()).to_string()
}

fn changes_json(old: &Doc, new: &Doc, schema: &TenantSchema) -> String {
    Value::Array(
        user::changes(old, new, schema)
            .iter()
            .map(user::Change::to_json)
            .collect(),
    )
    .to_string()
}

fn notes(parsed: &Parsed) -> Option<String> {
    (!parsed.notes.is_empty()).then(|| parsed.notes.join("; "))
}

/// `POST /Users` (RFC 7644 §3.3).
pub async fn create<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => return Err(refuse(store, ctx, call, "create", None, None, e).await),
    };
    // The company's attributes are needed to read the body only when it uses them; then they
    // cost a round trip of their own (DESIGN §9).
    let schema = if mentions_tenant_extension(&body) {
        tenant_schema(store, ctx, call).await?
    } else {
        TenantSchema::default()
    };
    let sent_name = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
        .and_then(|(_, v)| v.as_str());
    let parsed = match user::parse_user(&body, &schema) {
        Ok(p) => p,
        Err(e) => return Err(refuse(store, ctx, call, "create", None, sent_name, e).await),
    };
    let id = uuid_v4(ctx.random).map_err(ScimError::Internal)?;
    let write_id = random_hex(ctx, 8)?;
    let columns = user::columns(&parsed.doc);
    let now = ctx.now.to_rfc3339();
    let write = UserWrite {
        id: &id,
        write_id: &write_id,
        columns: &columns,
        resource: to_json(&parsed.doc),
        folded: to_json(&user::folded(&parsed.doc, &schema)),
        now: &now,
    };
    let hash = call.hash.as_str();
    let detail = notes(&parsed);
    let mut created = event(ctx, call, "create", 201, &now, Some(&id));
    created.user_name = Some(&columns.user_name);
    created.detail = detail.as_deref();
    created.changes = Some(changes_json(&Doc::new(), &parsed.doc, &schema));
    let conflict = format!(
        "userName \"{}\" is already taken in this tenant",
        columns.user_name
    );
    let mut refused = event(ctx, call, "create", 409, &now, None);
    refused.user_name = Some(&columns.user_name);
    refused.detail = Some(&conflict);

    let mut stmts = vec![sql::insert_user(hash, &write)];
    stmts.extend(sql::replace_emails(hash, &write));
    stmts.extend(ref_statements(
        hash,
        &id,
        &write_id,
        &Doc::new(),
        &parsed.doc,
        &schema,
    ));
    stmts.push(sql::record_activation(hash, &id, &write_id, "create", &now));
    stmts.push(sql::log_event(
        hash,
        &created,
        &When::Written {
            id: &id,
            write_id: &write_id,
        },
    ));
    stmts.push(sql::log_event(hash, &refused, &When::Absent { id: &id }));
    stmts.push(sql::get_user(hash, &id));
    let (tenant, results) = scim_batch(store, ctx, &call.hash, stmts).await?;
    match results.last().and_then(|rows| rows.first()) {
        Some(row) => {
            let s = stored(row)?;
            if s.write_id != write_id {
                return Err(ScimError::Internal("a new user id collided".into()));
            }
            Ok(resource_answer(201, &s, &tenant.schema, call, true))
        }
        None => Err(ScimError::Uniqueness(conflict)),
    }
}

/// `GET /Users/{id}` (RFC 7644 §3.4.1); with `If-None-Match` naming the current version, 304
/// without a body (RFC 7644 §3.14, RFC 9110 §13.1.2).
pub async fn get<S: Store>(
    id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let none_match = call.if_none_match.clone()?;
    let (tenant, results) = scim_batch(
        store,
        ctx,
        &call.hash,
        vec![sql::get_user(call.hash.as_str(), id)],
    )
    .await?;
    let row = results[0].first().ok_or_else(|| not_found(id))?;
    let s = stored(row)?;
    if none_match.is_some_and(|c| c.matches(s.meta.version)) {
        let mut r = empty(304);
        if let Ok(v) = http::HeaderValue::from_str(&etag(s.meta.version)) {
            r.headers_mut().insert(http::header::ETAG, v);
        }
        return Ok(r);
    }
    Ok(resource_answer(200, &s, &tenant.schema, call, false))
}

/// 412 (RFC 7644 §3.14): the user is no longer at a version `If-Match` names.
fn precondition_failed(version: i64) -> ScimError {
    ScimError::PreconditionFailed(format!(
        "The user is at version {}, which If-Match does not name; read it again and retry",
        etag(version)
    ))
}

fn not_found(id: &str) -> ScimError {
    ScimError::NotFound(format!("No user with id \"{id}\""))
}

/// `GET /Users` (RFC 7644 §3.4.2): filter, sort, page (by index or cursor) and project.
pub async fn list<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let params = ListParams::from_query(&query::pairs(req.uri().query()))?;
    super::list::run(params, store, ctx, call).await
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the same query, its parameters in a SearchRequest.
/// A read: nothing is logged.
pub async fn search<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let params = ListParams::from_search_request(&body_object(req)?)?;
    super::list::run(params, store, ctx, call).await
}

/// `PUT /Users/{id}` (RFC 7644 §3.5.1): the body replaces every attribute the client may write.
pub async fn replace<S: Store>(
    id: &str,
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => return Err(refuse(store, ctx, call, "replace", Some(id), None, e).await),
    };
    update_existing(
        id,
        store,
        ctx,
        call,
        "replace",
        &|old: &Doc, schema: &TenantSchema| {
            Ok(keep_inactive(old, user::parse_user(&body, schema)?, schema))
        },
    )
    .await
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2).
pub async fn patch<S: Store>(
    id: &str,
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let ops = match body_object(req).and_then(|b| patch::parse_request(&b)) {
        Ok(ops) => ops,
        Err(e) => return Err(refuse(store, ctx, call, "update", Some(id), None, e).await),
    };
    update_existing(
        id,
        store,
        ctx,
        call,
        "update",
        &|old: &Doc, schema: &TenantSchema| {
            // No defaults here: a PATCH that removes `active` leaves it unassigned (read as active).
            let patched = patch::apply(old, &ops, schema)?;
            user::require_user_name(&patched.doc)?;
            Ok(patched)
        },
    )
    .await
}

/// Reads the user, computes its new document, and writes it if nobody else wrote meanwhile;
/// otherwise starts over, until the deadline. With `If-Match`, the version read must be one it
/// names, else 412 and nothing changes (RFC 7644 §3.14); a conflict then ends in 412 too, as the
/// version read again is newer than the client's.
async fn update_existing<S: Store>(
    id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
    operation: &str,
    compute: &dyn Fn(&Doc, &TenantSchema) -> Result<Parsed, ScimError>,
) -> Result<Response, ScimError> {
    let hash = call.hash.as_str();
    let expected = match call.if_match.clone() {
        Ok(c) => c,
        Err(e) => return Err(refuse(store, ctx, call, operation, Some(id), None, e).await),
    };
    let deadline = (ctx.clock)().add_millis(WRITE_DEADLINE_MS);
    for _ in 0..MAX_ATTEMPTS {
        let now = ctx.now.to_rfc3339();
        let missing = not_found(id);
        let missing_detail = missing.detail();
        let mut absent = event(ctx, call, operation, 404, &now, Some(id));
        absent.detail = Some(&missing_detail);
        let read = vec![
            sql::get_user(hash, id),
            sql::log_event(hash, &absent, &When::Absent { id }),
        ];
        let (tenant, results) = scim_batch(store, ctx, &call.hash, read).await?;
        let schema = &tenant.schema;
        let old = stored(results[0].first().ok_or(missing)?)?;
        let user_name = old
            .doc
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if expected
            .as_ref()
            .is_some_and(|c| !c.matches(old.meta.version))
        {
            let e = precondition_failed(old.meta.version);
            return Err(refuse(store, ctx, call, operation, Some(id), Some(&user_name), e).await);
        }
        let parsed = match compute(&old.doc, schema) {
            Ok(p) => p,
            Err(e) => {
                return Err(
                    refuse(store, ctx, call, operation, Some(id), Some(&user_name), e).await,
                )
            }
        };
        let changes = changes_json(&old.doc, &parsed.doc, schema);
        let detail = notes(&parsed);

        if parsed.doc == old.doc {
            // Nothing changes: the version stays, and the log says so (DESIGN §7).
            let mut noop = event(ctx, call, operation, 200, &now, Some(id));
            noop.user_name = Some(&user_name);
            let note = detail.clone().unwrap_or_else(|| "no change".into());
            noop.detail = Some(&note);
            noop.changes = Some("[]".into());
            scim_batch(
                store,
                ctx,
                &call.hash,
                vec![sql::log_event(hash, &noop, &When::Exists { id })],
            )
            .await?;
            return Ok(resource_answer(200, &old, schema, call, false));
        }

        let was_active = old.doc.get("active") != Some(&Value::Bool(false));
        let is_active = parsed.doc.get("active") != Some(&Value::Bool(false));
        let (op_name, activation) = match (was_active, is_active) {
            (true, false) => ("deactivate", Some("deactivate")),
            (false, true) => ("reactivate", Some("reactivate")),
            _ => (operation, None),
        };
        let write_id = random_hex(ctx, 8)?;
        let columns = user::columns(&parsed.doc);
        let write = UserWrite {
            id,
            write_id: &write_id,
            columns: &columns,
            resource: to_json(&parsed.doc),
            folded: to_json(&user::folded(&parsed.doc, schema)),
            now: &now,
        };
        let mut done = event(ctx, call, op_name, 200, &now, Some(id));
        done.user_name = Some(&columns.user_name);
        done.detail = detail.as_deref();
        done.changes = Some(changes);
        let conflict = format!(
            "userName \"{}\" is already taken in this tenant",
            columns.user_name
        );
        let mut taken = event(ctx, call, op_name, 409, &now, Some(id));
        taken.user_name = Some(&user_name);
        taken.detail = Some(&conflict);

        let mut stmts = vec![sql::update_user(hash, &write, old.meta.version)];
        stmts.extend(sql::replace_emails(hash, &write));
        stmts.extend(ref_statements(
            hash,
            id,
            &write_id,
            &old.doc,
            &parsed.doc,
            schema,
        ));
        if let Some(kind) = activation {
            stmts.push(sql::record_activation(hash, id, &write_id, kind, &now));
        }
        stmts.push(sql::log_event(
            hash,
            &done,
            &When::Written {
                id,
                write_id: &write_id,
            },
        ));
        stmts.push(sql::log_event(
            hash,
            &taken,
            &When::NameTaken {
                id,
                write_id: &write_id,
                user_name_fold: &columns.user_name_fold,
            },
        ));
        stmts.push(sql::write_outcome(hash, id, &columns.user_name_fold));
        stmts.push(sql::get_user(hash, id));
        let (_, results) = scim_batch(store, ctx, &call.hash, stmts).await?;
        let n = results.len();
        if let Some(row) = results[n - 1].first() {
            let s = stored(row)?;
            if s.write_id == write_id {
                return Ok(resource_answer(200, &s, schema, call, false));
            }
        } else {
            // Deleted between the read and the write.
            return Err(refuse(
                store,
                ctx,
                call,
                operation,
                Some(id),
                Some(&user_name),
                not_found(id),
            )
            .await);
        }
        let outcome = results[n - 2].first();
        if outcome
            .and_then(|r| r.get("name_taken"))
            .and_then(Value::as_i64)
            == Some(1)
        {
            return Err(ScimError::Uniqueness(conflict));
        }
        // Another write won the race: read again and re-apply, while time allows.
        if (ctx.clock)() > deadline {
            break;
        }
    }
    ctx.log.push(format!(
        "{operation} {id}: gave up after repeated version conflicts"
    ));
    Err(ScimError::Unavailable { retry_after: 1 })
}

/// Versions start at 1: a conditional delete "at" this one removes nothing.
const NO_VERSION: i64 = -1;

const DELETE_PRECONDITION_FAILED: &str =
    "If-Match does not name the user's current version; nothing was deleted (read the user for its ETag)";

/// The version a conditional DELETE may remove: `None` without `If-Match` or with `*`; else
/// the one version the tags name, found without a read when they name a single one.
async fn delete_version<S: Store>(
    id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
    expected: Option<&Condition>,
) -> Result<Option<i64>, ScimError> {
    let Some(versions) = expected.and_then(Condition::versions) else {
        return Ok(None);
    };
    match versions.as_slice() {
        [] => Ok(Some(NO_VERSION)),
        [one] => Ok(Some(*one)),
        // Several tags: which one is current takes a read (rare; clients send one).
        _ => {
            let (_, results) = scim_batch(
                store,
                ctx,
                &call.hash,
                vec![sql::get_user(call.hash.as_str(), id)],
            )
            .await?;
            match results[0].first() {
                Some(row) => {
                    let v = stored(row)?.meta.version;
                    Ok(Some(if versions.contains(&v) { v } else { NO_VERSION }))
                }
                None => Ok(Some(NO_VERSION)),
            }
        }
    }
}

/// `DELETE /Users/{id}` (RFC 7644 §3.6): 204, then the user is gone; its history and log stay.
/// With `If-Match`, only the version it names is deleted (else 412), in the same one batch.
pub async fn delete<S: Store>(
    id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let hash = call.hash.as_str();
    let expected = match call.if_match.clone() {
        Ok(c) => c,
        Err(e) => return Err(refuse(store, ctx, call, "delete", Some(id), None, e).await),
    };
    let version = delete_version(id, store, ctx, call, expected.as_ref()).await?;
    let now = ctx.now.to_rfc3339();
    let missing = not_found(id);
    let missing_detail = missing.detail();
    let mut deleted = event(ctx, call, "delete", 204, &now, Some(id));
    deleted.changes = Some("[]".into());
    let mut absent = event(ctx, call, "delete", 404, &now, Some(id));
    absent.detail = Some(&missing_detail);
    let mut stmts = vec![sql::get_user(hash, id)];
    match version {
        None => stmts.push(sql::log_event(hash, &deleted, &When::Exists { id })),
        Some(v) => {
            stmts.push(sql::log_event(
                hash,
                &deleted,
                &When::AtVersion { id, version: v },
            ));
            let mut refused = event(ctx, call, "delete", 412, &now, Some(id));
            refused.detail = Some(DELETE_PRECONDITION_FAILED);
            stmts.push(sql::log_event(
                hash,
                &refused,
                &When::NotAtVersion { id, version: v },
            ));
        }
    }
    stmts.push(sql::log_event(hash, &absent, &When::Absent { id }));
    stmts.extend(sql::delete_user(hash, id, &now, version));
    let (_, results) = scim_batch(store, ctx, &call.hash, stmts).await?;
    let Some(row) = results[0].first() else {
        return Err(missing);
    };
    if let Some(v) = version {
        if stored(row)?.meta.version != v {
            // The detail the batch logged (it could not know the version it would find).
            return Err(ScimError::PreconditionFailed(
                DELETE_PRECONDITION_FAILED.into(),
            ));
        }
    }
    Ok(empty(204))
}
