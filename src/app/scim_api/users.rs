//! `/Users/{id}` and `POST /Users` (RFC 7644 §3.3–§3.6): create, read, replace, patch and
//! delete employees. Lists and searches are `list`; the optimistic write loop of replace and
//! patch is `retry`; the activity-log entries each outcome writes are `activity`.
//!
//! D1 round trips (DESIGN §9): GET and DELETE are one batch each, and so is a create (the token
//! check, the insert, its emails, references, history and activity-log entry, and the
//! read-back). A create whose body uses the tenant's own attributes reads it with the
//! definitions the isolate remembers (`app::recent`), its insert conditional on their version;
//! an isolate that has none reads them first (one more). PUT and PATCH are `retry`'s: one round
//! trip when the isolate remembers the user (read or written just before), else two. What GET,
//! create, PUT and PATCH read back is remembered; DELETE forgets. Every write
//! request leaves one activity-log entry (DESIGN §7): in the batch of the write when it
//! succeeds, in the batch that discovered the refusal, or in a batch of its own.

use super::activity::{self, refusal_error, Activity, RefusedWrite};
use super::attribute_health;
use super::body_object;
use super::call::Call;
use super::conditional::Condition;
use super::respond::{resource_answer, user_not_found};
use super::retry::update_existing;
use super::tenancy::{self, forget_user, remember_user, ScimBatch};
use super::write::{changes_json, follow_up, new_write_id, notes, refuse, refuse_noting};
use crate::app::employee_write::after_deletion;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::uuid_v4;
use crate::app::plumbing::respond::{empty, set};
use crate::app::plumbing::{Request, Response};
use crate::app::recent::Definitions;
use crate::model::{Operation, UserId};
use crate::scim::columns;
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::patch;
use crate::scim::schema::TENANT_USER;
use crate::scim::sent;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::{self, etag, folded, Doc, Parsed};
use crate::store::deleted::{self, Deletion};
use crate::store::guard::Actor;
use crate::store::outbox::If;
use crate::store::users::{self as sql, Activation, Claim, UserWrite};
use crate::store::Store;
use serde_json::Value;

/// Whether a body uses the tenant extension (then its definitions are read before it is).
fn mentions_tenant_extension(body: &serde_json::Map<String, Value>) -> bool {
    body.keys().any(|k| k.eq_ignore_ascii_case(TENANT_USER))
}

/// `POST /Users` (RFC 7644 §3.3).
pub async fn create<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let activity = Activity::new(ctx, call, Operation::Create);
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => return Err(refuse(store, ctx, &activity, (None, None), e).await),
    };
    // The company's attributes are needed to read the body only when it uses them: then the
    // isolate's (`app::recent`), else read first (one more round trip), and the insert happens
    // only while they are still at that version.
    // `recalled`: the definitions are the isolate's, not read by this request.
    let (mut definitions, mut recalled) = match mentions_tenant_extension(&body) {
        false => (None, false),
        true => match tenancy::recalled_definitions(ctx, &call.hash) {
            Some(known) => (Some(known), true),
            None => (
                Some(tenancy::definitions_read(store, ctx, &call.hash).await?),
                false,
            ),
        },
    };
    let id = UserId::new(uuid_v4(ctx.random).map_err(ScimError::Internal)?);
    let sent = sent::in_resource(&body);
    loop {
        let (schema, version) = match &definitions {
            Some(d) => (d.schema.clone(), Some(d.version)),
            None => (TenantSchema::default(), None),
        };
        let parsed = match user::parse_user(&body, &schema) {
            Ok(p) => p,
            // Remembered definitions may miss an attribute added since: a refusal is decided
            // on the database's.
            Err(_) if recalled => {
                definitions = Some(tenancy::definitions_read(store, ctx, &call.hash).await?);
                recalled = false;
                continue;
            }
            Err(e) => {
                let sent_name = body
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
                    .and_then(|(_, v)| v.as_str());
                let client = call.client.as_deref();
                let noted =
                    attribute_health::on_refusal(&call.hash, &sent, &schema, &e, ctx.now, client);
                return Err(
                    refuse_noting(store, ctx, &activity, (None, sent_name), e, noted).await,
                );
            }
        };
        let written = Written {
            id: &id,
            parsed: &parsed,
            sent: &sent,
            schema: &schema,
            version,
        };
        match insert(written, store, ctx, call, &activity).await {
            // The definitions changed since they were read: the insert's batch did nothing, and
            // read the current ones; once more with those.
            Err(Inserted::DefinitionsChanged(now)) if recalled => {
                definitions = Some(now);
                recalled = false;
            }
            Err(Inserted::DefinitionsChanged(_)) => {
                ctx.log.push(format!(
                    "create {id}: the attribute definitions changed twice while it was written"
                ));
                return Err(ScimError::Unavailable { retry_after: 1 });
            }
            Err(Inserted::Refused(e)) => return Err(e),
            Ok(response) => return Ok(response),
        }
    }
}

/// A create to insert: the user's new id, its parsed body and what it sends under the tenant
/// extension, read with `schema` (at `version`, when the body uses the tenant's attributes).
struct Written<'a> {
    id: &'a UserId,
    parsed: &'a Parsed,
    sent: &'a sent::Sent,
    schema: &'a TenantSchema,
    version: Option<i64>,
}

/// Why an insert did not answer.
enum Inserted {
    Refused(ScimError),
    /// Nothing happened: the definitions the body was read with are no longer current; these
    /// are.
    DefinitionsChanged(Definitions),
}

impl From<ScimError> for Inserted {
    fn from(e: ScimError) -> Inserted {
        Inserted::Refused(e)
    }
}

/// One attempt at a create: one round trip.
async fn insert<S: Store>(
    new: Written<'_>,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
    activity: &Activity<'_>,
) -> Result<Response, Inserted> {
    let Written {
        id,
        parsed,
        sent,
        schema,
        version,
    } = new;
    let write_id = new_write_id(ctx)?;
    let folded_doc = folded(&parsed.doc, schema);
    let mut write = UserWrite::new(id, &write_id, &parsed.doc, &folded_doc, ctx.now);
    if let Some(version) = version {
        write = write.under_definitions(version);
    }
    let user_name = columns::text_at(&parsed.doc, &["userName"]).unwrap_or_default();
    let user_name_fold = fold(user_name);
    let claim = Claim {
        id,
        user_name_fold: &user_name_fold,
        external_id: columns::text_at(&parsed.doc, &["externalId"]),
        employees: 1,
        bytes: write.size(),
    };
    let hash = &call.hash;

    let mut batch = ScimBatch::new(hash, ctx);
    batch.write(sql::insert_user(hash, &write, &claim));
    batch.write(sql::count_usage(hash, &write, &claim));
    batch.write_all(follow_up(hash, &write, &Doc::new(), schema));
    batch.write(sql::record_activation(
        hash,
        id,
        &write_id,
        Activation::Create,
        ctx.now,
    ));
    let changes = changes_json(&Doc::new(), &parsed.doc, schema);
    batch.write_all(activity.event(id, Some(&changes), If::Written(&write_id)));
    batch.write(activity.written_or_refused(
        activity::Written {
            status: 201,
            id,
            write_id: &write_id,
            user_name,
            notes: notes(parsed).as_deref(),
            changes,
        },
        RefusedWrite {
            claim: &claim,
            write_id: None,
            logged_id: None,
            logged_name: user_name,
            new_user_name: user_name,
            definitions: version,
        },
    ));
    batch.write_all(attribute_health::on_write(hash, sent, schema, ctx.now));
    let created = batch.read(sql::get_user(hash, id));
    let (tenant, mut results) = batch.run(store, ctx).await?;
    match results.take(created)? {
        Some(user) if user.write_id == write_id => {
            remember_user(ctx, hash, &user);
            Ok(resource_answer(201, &user, &tenant.schema, call, true))
        }
        Some(_) => Err(ScimError::Internal("a new user id collided".into()).into()),
        None if version.is_some_and(|v| v != tenant.schema_version) => {
            Err(Inserted::DefinitionsChanged(Definitions {
                version: tenant.schema_version,
                schema: tenant.schema,
            }))
        }
        // Refused (and logged so in the batch): which refusal, read only now, off the common
        // path.
        None => Err(why_refused(store, ctx, hash, &claim, user_name)
            .await
            .into()),
    }
}

/// The answer to a write that did not take effect, from the refusal the store finds now.
pub async fn why_refused<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    hash: &crate::model::TokenHash,
    claim: &Claim<'_>,
    user_name: &str,
) -> ScimError {
    let mut batch = ScimBatch::new(hash, ctx);
    let why = batch.read(sql::refusal(hash, claim));
    let reason = match batch.run(store, ctx).await {
        Ok((_, mut results)) => match results.take(why) {
            Ok(reason) => reason,
            Err(e) => return e,
        },
        Err(e) => return e,
    };
    match reason {
        Some(r) => refusal_error(r, user_name, claim.external_id),
        // What refused it is gone already (the other user renamed or deleted).
        None => ScimError::Uniqueness(
            "A value that must be unique in this tenant was taken when the user was written; retry"
                .into(),
        ),
    }
}

/// `GET /Users/{id}` (RFC 7644 §3.4.1); with `If-None-Match` naming the current version, 304
/// without a body (RFC 7644 §3.14, RFC 9110 §13.1.2).
pub async fn get<S: Store>(
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let none_match = call.if_none_match.clone()?;
    let mut batch = ScimBatch::new(&call.hash, ctx);
    let user = batch.read(sql::get_user(&call.hash, id));
    let (tenant, mut results) = batch.run(store, ctx).await?;
    let Some(user) = results.take(user)? else {
        forget_user(ctx, &call.hash, id);
        return Err(user_not_found(id));
    };
    remember_user(ctx, &call.hash, &user);
    if none_match.is_some_and(|c| c.matches(user.meta.version)) {
        let mut r = empty(304);
        set(&mut r, http::header::ETAG, &etag(user.meta.version));
        return Ok(r);
    }
    Ok(resource_answer(200, &user, &tenant.schema, call, false))
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

/// `PUT /Users/{id}` (RFC 7644 §3.5.1): the body replaces every attribute the client may write.
pub async fn replace<S: Store>(
    id: &UserId,
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => {
            let activity = Activity::new(ctx, call, Operation::Replace);
            return Err(refuse(store, ctx, &activity, (Some(id), None), e).await);
        }
    };
    let sent = sent::in_resource(&body);
    update_existing(
        id,
        store,
        ctx,
        call,
        Operation::Replace,
        &sent,
        &|old: &Doc, schema: &TenantSchema| {
            Ok(keep_inactive(old, user::parse_user(&body, schema)?, schema))
        },
    )
    .await
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2).
pub async fn patch<S: Store>(
    id: &UserId,
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let body = body_object(req);
    let sent = body.as_ref().map(sent::in_patch).unwrap_or_default();
    let ops = match body.and_then(|b| patch::parse_request(&b)) {
        Ok(ops) => ops,
        Err(e) => {
            let activity = Activity::new(ctx, call, Operation::Update);
            return Err(refuse(store, ctx, &activity, (Some(id), None), e).await);
        }
    };
    update_existing(
        id,
        store,
        ctx,
        call,
        Operation::Update,
        &sent,
        &|old: &Doc, schema: &TenantSchema| {
            // No defaults here: a PATCH that removes `active` leaves it unassigned (read as active).
            let patched = patch::apply(old, &ops, schema)?;
            user::require_user_name(&patched.doc)?;
            Ok(patched)
        },
    )
    .await
}

/// Versions start at 1: a conditional delete "at" this one removes nothing.
const NO_VERSION: i64 = -1;

const DELETE_PRECONDITION_FAILED: &str =
    "If-Match does not name the user's current version; nothing was deleted (read the user for its ETag)";

/// The version a conditional DELETE may remove: `None` without `If-Match` or with `*`; else
/// the one version the tags name, found without a read when they name a single one.
async fn delete_version<S: Store>(
    id: &UserId,
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
            let mut batch = ScimBatch::new(&call.hash, ctx);
            let user = batch.read(sql::get_user(&call.hash, id));
            let (_, mut results) = batch.run(store, ctx).await?;
            Ok(Some(match results.take(user)? {
                Some(u) if versions.contains(&u.meta.version) => u.meta.version,
                _ => NO_VERSION,
            }))
        }
    }
}

/// `DELETE /Users/{id}` (RFC 7644 §3.6): 204, then the user is gone for SCIM; the product keeps
/// it restorable for the tenant's retention (`store::deleted`), with its history and log.
/// With `If-Match`, only the version it names is deleted (else 412), in the same one batch.
pub async fn delete<S: Store>(
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let hash = &call.hash;
    let activity = Activity::new(ctx, call, Operation::Delete);
    let expected = match call.if_match.clone() {
        Ok(c) => c,
        Err(e) => return Err(refuse(store, ctx, &activity, (Some(id), None), e).await),
    };
    let version = delete_version(id, store, ctx, call, expected.as_ref()).await?;
    let missing = user_not_found(id);
    let mut batch = ScimBatch::new(hash, ctx);
    let user = batch.read(sql::get_user(hash, id));
    batch.write(activity.deletion(id, version, DELETE_PRECONDITION_FAILED, &missing));
    batch.write_all(deleted::delete_user(
        hash,
        id,
        &Deletion {
            at: ctx.now,
            request_id: &ctx.request_id,
            client: call.client.as_deref(),
            version,
        },
    ));
    batch.write_all(activity.event(id, None, If::DeletedBy(&ctx.request_id)));
    batch.write_all(after_deletion(
        hash,
        &Actor {
            at: ctx.now,
            request_id: &ctx.request_id,
            client: call.client.as_deref(),
        },
    ));
    let (_, mut results) = batch.run(store, ctx).await?;
    let user = results.take(user)?;
    forget_user(ctx, hash, id);
    let user = user.ok_or(missing)?;
    if version.is_some_and(|v| user.meta.version != v) {
        // The detail the batch logged (it could not know the version it would find).
        return Err(ScimError::PreconditionFailed(
            DELETE_PRECONDITION_FAILED.into(),
        ));
    }
    Ok(empty(204))
}
