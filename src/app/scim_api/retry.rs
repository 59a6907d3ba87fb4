//! The optimistic write of an existing user, shared by PUT and PATCH (RFC 7644 §3.5): read the
//! user, compute its new document in the worker, and write it only if nobody else wrote
//! meanwhile (`WHERE version = <the version read>`). When another write got there first, read
//! and compute again, until a deadline; then answer 503 with Retry-After.
//!
//! With `If-Match`, the version read must be one it names, else 412 and nothing changes (RFC
//! 7644 §3.14); a conflict then ends in 412 too, as the version read again is newer than the
//! client's. The first attempt is one round trip when the isolate remembers the user and the
//! tenant's definitions (`app::recent`: an IdP reads a user just before it writes it), else two:
//! the read, and the conditional write batch that also reads the outcome back. A retry starts
//! from that read-back, so it is one. What is remembered is never trusted: the write is
//! conditional on the user's version and the definitions' version, and a refusal (412, 400) is
//! decided only on what the database holds (a remembered user that would be refused is read
//! again first).

use super::activity::{refusal_error, Activity, RefusedWrite, Unchanged, Written};
use super::attribute_health;
use super::call::Call;
use super::conditional::precondition_failed;
use super::respond::{resource_answer, user_not_found};
use super::tenancy::{forget_user, recalled_definitions, recalled_user, remember_user, ScimBatch};
use super::write::{changes_json, follow_up, new_write_id, notes, refuse, refuse_noting};
use crate::app::employee_write::eligibility;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::Response;
use crate::app::recent::Definitions;
use crate::model::{Operation, TokenHash, UserId};
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

/// What an attempt starts from: the user and the attribute definitions, either as this
/// request's batch read them or as the isolate remembered them (`app::recent`).
struct Known {
    user: StoredUser,
    definitions: Definitions,
    /// Remembered, not read by this request: a refusal it would cause is checked against the
    /// database before it is answered.
    recalled: bool,
}

/// How one attempt ended.
enum Attempt {
    /// Answered (the write took effect, or changed nothing).
    Done(Response),
    /// Another write won the race, or the definitions changed: the user and definitions as the
    /// write batch read them back, to compute again from without a read of its own.
    Lost(Known),
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
    // What the first attempt starts from: what the isolate remembers of the user (an IdP reads
    // a user just before it writes it), so that its write is the request's only round trip;
    // else it reads. A retry starts from what the write batch that lost read back.
    // An attempt from remembered state that finds it outdated is not a lost race: it does not
    // count against `max_attempts` (a Bulk operation has one).
    let mut known = recall(ctx, &call.hash, id);
    let mut attempts = 0;
    while attempts < call.max_attempts.max(1) {
        let recalled = known.as_ref().is_some_and(|k| k.recalled);
        match attempt.run(store, ctx, known.take()).await? {
            Attempt::Done(response) => return Ok(response),
            Attempt::Lost(now) => known = Some(now),
        }
        if !recalled {
            attempts += 1;
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

/// What the isolate remembers of the user and the definitions, when it has both.
fn recall(ctx: &Ctx<'_>, hash: &TokenHash, id: &UserId) -> Option<Known> {
    let definitions = recalled_definitions(ctx, hash)?;
    let user = recalled_user(ctx, hash, id)?;
    Some(Known {
        user,
        definitions,
        recalled: true,
    })
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
    /// The user and definitions as the database has them now (one round trip); a user that
    /// does not exist is a 404, logged in the same batch.
    async fn read<S: Store>(&self, store: &S, ctx: &mut Ctx<'_>) -> Result<Known, ScimError> {
        let (id, hash) = (self.id, &self.call.hash);
        let missing = user_not_found(id);
        let mut read = ScimBatch::new(hash, ctx);
        let user = read.read(sql::get_user(hash, id));
        read.write(self.activity.absent(id, &missing));
        let (tenant, mut results) = read.run(store, ctx).await?;
        let Some(user) = results.take(user)? else {
            forget_user(ctx, hash, id);
            return Err(missing);
        };
        remember_user(ctx, hash, &user);
        Ok(Known {
            user,
            definitions: Definitions {
                version: tenant.schema_version,
                schema: tenant.schema,
            },
            recalled: false,
        })
    }

    async fn run<S: Store>(
        &self,
        store: &S,
        ctx: &mut Ctx<'_>,
        known: Option<Known>,
    ) -> Result<Attempt, ScimError> {
        let (id, call, activity) = (self.id, self.call, self.activity);
        let hash = &call.hash;
        let mut known = match known {
            Some(known) => known,
            None => self.read(store, ctx).await?,
        };
        // What was remembered may be older than the version If-Match names, or than what makes
        // the request valid: a refusal is only ever decided on what the database holds now.
        if known.recalled
            && self
                .expected
                .is_some_and(|c| !c.matches(known.user.meta.version))
        {
            known = self.read(store, ctx).await?;
        }
        let mut parsed = (self.compute)(&known.user.doc, &known.definitions.schema);
        if known.recalled && parsed.is_err() {
            known = self.read(store, ctx).await?;
            parsed = (self.compute)(&known.user.doc, &known.definitions.schema);
        }
        let Known {
            user: old,
            definitions,
            ..
        } = known;
        let schema = &definitions.schema;
        let user_name = columns::text_at(&old.doc, &["userName"])
            .unwrap_or_default()
            .to_string();
        let known = (Some(id), Some(user_name.as_str()));
        if self.expected.is_some_and(|c| !c.matches(old.meta.version)) {
            let e = precondition_failed(old.meta.version);
            return Err(refuse(store, ctx, activity, known, e).await);
        }
        let parsed = match parsed {
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
            // Nothing changes: the version stays, and the log says so (DESIGN §7), while the
            // user and the definitions are still what this was computed from.
            let mut batch = ScimBatch::new(hash, ctx);
            batch.write(activity.unchanged(Unchanged {
                id,
                user_name: &user_name,
                notes: notes.as_deref(),
                version: old.meta.version,
                definitions: definitions.version,
            }));
            let now = batch.read(sql::get_user(hash, id));
            let (tenant, mut results) = batch.run(store, ctx).await?;
            return match results.take(now)? {
                Some(now)
                    if now.meta.version == old.meta.version
                        && tenant.schema_version == definitions.version =>
                {
                    remember_user(ctx, hash, &now);
                    Ok(Attempt::Done(resource_answer(
                        200, &now, schema, call, false,
                    )))
                }
                Some(now) => Ok(Attempt::Lost(Known {
                    user: now,
                    definitions: Definitions {
                        version: tenant.schema_version,
                        schema: tenant.schema,
                    },
                    recalled: false,
                })),
                None => {
                    forget_user(ctx, hash, id);
                    Err(refuse(store, ctx, activity, known, user_not_found(id)).await)
                }
            };
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
        let write = UserWrite::new(id, &write_id, &parsed.doc, &folded_doc, ctx.now)
            .under_definitions(definitions.version);
        let new_name = columns::text_at(&parsed.doc, &["userName"]).unwrap_or_default();
        let new_name_fold = fold(new_name);
        let claim = Claim {
            id,
            user_name_fold: &new_name_fold,
            external_id: columns::text_at(&parsed.doc, &["externalId"]),
            employees: 0,
            bytes: write.size() - old.size,
        };

        let mut batch = ScimBatch::new(hash, ctx);
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
        batch.write(logged.written_or_refused(
            Written {
                status: 200,
                id,
                write_id: &write_id,
                user_name: new_name,
                notes: notes.as_deref(),
                changes,
            },
            RefusedWrite {
                claim: &claim,
                write_id: Some(&write_id),
                logged_id: Some(id),
                logged_name: &user_name,
                new_user_name: new_name,
                definitions: Some(definitions.version),
            },
        ));
        batch.write_all(attribute_health::on_write(hash, self.sent, schema, ctx.now));
        // Whether a refusal explains a write that did not take effect: read in the same batch,
        // so that a lost race (under contention, the common failure) costs no extra round trip.
        let after = batch.read(sql::user_and_refusal(hash, id, &claim));
        let (tenant, mut results) = batch.run(store, ctx).await?;
        let (now, why) = results.take(after)?;
        let Some(now) = now else {
            // Deleted between the read and the write.
            forget_user(ctx, hash, id);
            return Err(refuse(store, ctx, activity, known, user_not_found(id)).await);
        };
        remember_user(ctx, hash, &now);
        if now.write_id == write_id {
            return Ok(Attempt::Done(resource_answer(
                200, &now, schema, call, false,
            )));
        }
        let lost = Known {
            user: now,
            definitions: Definitions {
                version: tenant.schema_version,
                schema: tenant.schema,
            },
            recalled: false,
        };
        if lost.definitions.version != definitions.version {
            // Computed with definitions that changed meanwhile: nothing was written (nor
            // refused); compute again with the ones the batch read.
            return Ok(Attempt::Lost(lost));
        }
        // Refused (and logged so by the batch), or another write won the race.
        match why {
            Some(reason) => Err(refusal_error(reason, new_name, claim.external_id)),
            None => Ok(Attempt::Lost(lost)),
        }
    }
}
