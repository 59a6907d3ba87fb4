//! The optimistic write of an existing user, shared by PUT and PATCH (RFC 7644 §3.5): read the
//! user, compute its new document in the worker, and write it only if nobody else wrote
//! meanwhile (`WHERE version = <the version read>`). When another write got there first, read
//! and compute again, until a deadline; then answer 503 with Retry-After.
//!
//! With `If-Match`, the version read must be one it names, else 412 and nothing changes (RFC
//! 7644 §3.14); a conflict then ends in 412 too, as the version read again is newer than the
//! client's. The first attempt is two round trips: the read, and the conditional write batch
//! that also reads the outcome back; a retry starts from that read-back, so it is one.

use super::activity::{refusal_error, Activity, RefusedWrite, Written};
use super::attribute_health;
use super::call::Call;
use super::conditional::precondition_failed;
use super::respond::{resource_answer, user_not_found};
use super::tenancy::ScimBatch;
use super::write::{changes_json, follow_up, new_write_id, notes, refuse, refuse_noting};
use crate::app::employee_write::eligibility;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::Response;
use crate::model::{Operation, UserId};
use crate::scim::columns;
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::sent::Sent;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::{folded, Doc, Parsed};
use crate::store::guard::Actor;
use crate::store::outbox::If;
use crate::store::users::{self as sql, Activation, Claim, StoredUser, UserWrite};
use crate::store::Store;

/// How long PUT and PATCH keep retrying after losing a race with another write.
pub const WRITE_DEADLINE_MS: i64 = 2_000;
pub use super::call::MAX_ATTEMPTS;

/// The new document of a user, computed from the stored one.
pub type Compute<'c> = &'c dyn Fn(&Doc, &TenantSchema) -> Result<Parsed, ScimError>;

/// How one attempt ended.
enum Attempt {
    /// Answered (the write took effect, or changed nothing).
    Done(Response),
    /// Another write won the race; the user as the write batch read it back, to compute
    /// again from without a read of its own.
    Lost(StoredUser, TenantSchema),
}

/// Writes the user `id` as `compute` says, retrying lost races until the deadline.
pub async fn update_existing<S: Store>(
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
    operation: Operation,
    sent: &Sent,
    compute: Compute<'_>,
) -> Result<Response, ScimError> {
    let activity = Activity::new(ctx, call, operation);
    let expected = match call.if_match.clone() {
        Ok(c) => c,
        Err(e) => return Err(refuse(store, ctx, &activity, (Some(id), None), e).await),
    };
    let deadline = (ctx.clock)().add_millis(WRITE_DEADLINE_MS);
    let attempt = Try {
        id,
        call,
        activity: &activity,
        expected: expected.as_ref(),
        sent,
        compute,
    };
    // The user and schema the next attempt starts from: read by the first attempt, then taken
    // from the write batch that lost the race (it reads the user back), so that a retry under
    // contention is one round trip, not two.
    let mut known: Option<(StoredUser, TenantSchema)> = None;
    for _ in 0..call.max_attempts.max(1) {
        match attempt.run(store, ctx, known.take()).await? {
            Attempt::Done(response) => return Ok(response),
            Attempt::Lost(user, schema) => known = Some((user, schema)),
        }
        if (ctx.clock)() > deadline {
            break;
        }
    }
    ctx.log.push(format!(
        "{operation} {id}: gave up after repeated version conflicts"
    ));
    Err(ScimError::Unavailable { retry_after: 1 })
}

/// One read-compute-write attempt.
struct Try<'a> {
    id: &'a UserId,
    call: &'a Call,
    activity: &'a Activity<'a>,
    expected: Option<&'a super::conditional::Condition>,
    /// What the request sends under the tenant extension (attribute health).
    sent: &'a Sent,
    compute: Compute<'a>,
}

impl Try<'_> {
    async fn run<S: Store>(
        &self,
        store: &S,
        ctx: &mut Ctx<'_>,
        known: Option<(StoredUser, TenantSchema)>,
    ) -> Result<Attempt, ScimError> {
        let (id, call, activity) = (self.id, self.call, self.activity);
        let hash = &call.hash;
        let (old, schema) = match known {
            Some(known) => known,
            None => {
                let missing = user_not_found(id);
                let mut read = ScimBatch::new(hash);
                let user = read.read(sql::get_user(hash, id));
                read.write(activity.absent(id, &missing));
                let (tenant, mut results) = read.run(store, ctx).await?;
                (results.take(user)?.ok_or(missing)?, tenant.schema)
            }
        };
        let schema = &schema;
        let user_name = columns::text_at(&old.doc, &["userName"])
            .unwrap_or_default()
            .to_string();
        let known = (Some(id), Some(user_name.as_str()));
        if self.expected.is_some_and(|c| !c.matches(old.meta.version)) {
            let e = precondition_failed(old.meta.version);
            return Err(refuse(store, ctx, activity, known, e).await);
        }
        let parsed = match (self.compute)(&old.doc, schema) {
            Ok(p) => p,
            Err(e) => {
                let client = call.client.as_deref();
                let noted =
                    attribute_health::on_refusal(hash, self.sent, schema, &e, ctx.now, client);
                return Err(refuse_noting(store, ctx, activity, known, e, noted).await);
            }
        };
        let notes = notes(&parsed);

        if parsed.doc == old.doc {
            // Nothing changes: the version stays, and the log says so (DESIGN §7).
            let mut batch = ScimBatch::new(hash);
            batch.write(activity.unchanged(id, &user_name, notes.as_deref()));
            batch.run(store, ctx).await?;
            return Ok(Attempt::Done(resource_answer(
                200, &old, schema, call, false,
            )));
        }

        let (logged, activation) = match (
            columns::is_active(&old.doc),
            columns::is_active(&parsed.doc),
        ) {
            (true, false) => (
                activity.as_operation(Operation::Deactivate),
                Some(Activation::Deactivate),
            ),
            (false, true) => (
                activity.as_operation(Operation::Reactivate),
                Some(Activation::Reactivate),
            ),
            _ => (activity.clone(), None),
        };
        let write_id = new_write_id(ctx)?;
        let folded_doc = folded(&parsed.doc, schema);
        let write = UserWrite::new(id, &write_id, &parsed.doc, &folded_doc, ctx.now);
        let new_name = columns::text_at(&parsed.doc, &["userName"]).unwrap_or_default();
        let new_name_fold = fold(new_name);
        let claim = Claim {
            id,
            user_name_fold: &new_name_fold,
            external_id: columns::text_at(&parsed.doc, &["externalId"]),
            employees: 0,
            bytes: write.size() - old.size,
        };

        let mut batch = ScimBatch::new(hash);
        batch.write(sql::update_user(hash, &write, old.meta.version, &claim));
        batch.write(sql::count_usage(hash, &write, &claim));
        batch.write_all(follow_up(hash, &write, &old.doc, schema));
        if let Some(change) = activation {
            batch.write(sql::record_activation(hash, id, &write_id, change, ctx.now));
        }
        let changes = changes_json(&old.doc, &parsed.doc, schema);
        batch.write_all(logged.event(id, Some(&changes), If::Written(&write_id)));
        if let Some(change) = activation {
            batch.write_all(eligibility(
                hash,
                change,
                id,
                &write_id,
                &Actor {
                    at: ctx.now,
                    request_id: &ctx.request_id,
                    client: call.client.as_deref(),
                },
            ));
        }
        batch.write(logged.written(Written {
            status: 200,
            id,
            write_id: &write_id,
            user_name: new_name,
            notes: notes.as_deref(),
            changes,
        }));
        batch.write(logged.refused(RefusedWrite {
            claim: &claim,
            write_id: Some(&write_id),
            logged_id: Some(id),
            logged_name: &user_name,
            new_user_name: new_name,
        }));
        batch.write_all(attribute_health::on_write(hash, self.sent, schema, ctx.now));
        // Whether a refusal explains a write that did not take effect: read in the same batch,
        // so that a lost race (under contention, the common failure) costs no extra round trip.
        let why = batch.read(sql::refusal(hash, &claim));
        let now = batch.read(sql::get_user(hash, id));
        let (_, mut results) = batch.run(store, ctx).await?;
        let Some(now) = results.take(now)? else {
            // Deleted between the read and the write.
            return Err(refuse(store, ctx, activity, known, user_not_found(id)).await);
        };
        if now.write_id == write_id {
            return Ok(Attempt::Done(resource_answer(
                200, &now, schema, call, false,
            )));
        }
        // Refused (and logged so by the batch), or another write won the race.
        match results.take(why)? {
            Some(reason) => Err(refusal_error(reason, new_name, claim.external_id)),
            None => Ok(Attempt::Lost(now, schema.clone())),
        }
    }
}
