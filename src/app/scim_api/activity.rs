//! The activity-log entries of SCIM writes (DESIGN §7), built in one place: one method per
//! outcome a write can have, each a statement for the batch that decides the outcome, under the
//! condition that makes it the outcome (`store::activity::When`). A request writes exactly one
//! entry: the batch's conditions are mutually exclusive, and a refusal decided outside such a
//! batch (before any, or by a failure that rolled one back) is logged in a batch of its own
//! ([`Activity::refusal`], `write::refuse`). A write that took effect also writes its event of
//! the change feed ([`Activity::event`]), under the same condition.

use super::call::Call;
use crate::app::plumbing::context::Ctx;
use crate::model::{EventType, Operation, TokenHash, UserId, WriteId};
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::limits;
use crate::store::activity::{log_event, log_one_of, Event, Outcome, When};
use crate::store::outbox::{self, Emitter, If};
use crate::store::users::{Claim, Refusal};
use crate::store::Stmt;

/// Who wrote, when, and how: what every entry of one request shares.
#[derive(Clone)]
pub struct Activity<'a> {
    hash: &'a TokenHash,
    at: Timestamp,
    request_id: String,
    client: Option<&'a str>,
    operation: Operation,
}

/// The answer to a write refused for `reason`: 409 `uniqueness` for a value another user holds
/// (RFC 7644 §3.3, §3.12), 403 for the tenant's quota (the operator can raise it; an IdP must
/// not retry it as it would a 5xx).
pub fn refusal_error(reason: Refusal, user_name: &str, external_id: Option<&str>) -> ScimError {
    match reason {
        Refusal::UserNameTaken => ScimError::Uniqueness(format!(
            "userName \"{user_name}\" is already taken in this tenant"
        )),
        Refusal::ExternalIdTaken => ScimError::Uniqueness(format!(
            "externalId \"{}\" is already used by another user in this tenant",
            external_id.unwrap_or_default()
        )),
        Refusal::EmployeeQuota => ScimError::Forbidden(
            "This tenant has reached its quota of employees; the operator can raise it".into(),
        ),
        Refusal::ByteQuota => ScimError::Forbidden(
            "This write would take the tenant past its quota of stored data; the operator can raise it"
                .into(),
        ),
    }
}

impl<'a> Activity<'a> {
    pub fn new(ctx: &Ctx<'_>, call: &'a Call, operation: Operation) -> Activity<'a> {
        Activity {
            hash: &call.hash,
            at: ctx.now,
            request_id: ctx.request_id.clone(),
            client: call.client.as_deref(),
            operation,
        }
    }

    /// The token the request came with (every entry is written in its tenant).
    pub fn hash(&self) -> &'a TokenHash {
        self.hash
    }

    /// The same request, logged as another operation (a replace or update whose effect is to
    /// deactivate or reactivate).
    pub fn as_operation(&self, operation: Operation) -> Activity<'a> {
        Activity {
            operation,
            ..self.clone()
        }
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }

    fn entry<'e>(
        &'e self,
        status: u16,
        user: Option<&'e UserId>,
        user_name: Option<&'e str>,
    ) -> Event<'e> {
        Event {
            at: self.at,
            request_id: &self.request_id,
            operation: self.operation,
            user_id: user,
            user_name,
            status,
            detail: None,
            changes: None,
            client: self.client,
        }
    }

    fn log(&self, event: &Event<'_>, when: &When<'_>) -> Stmt {
        log_event(self.hash, event, when)
    }

    /// The one entry of a write that either took effect (logged as `w` if the row carries its
    /// `write_id`) or was refused (logged as `r` says, see [`RefusedWrite`]): both outcomes in
    /// one statement, since their conditions exclude one another.
    pub fn written_or_refused(&self, w: Written<'_>, r: RefusedWrite<'_>) -> Stmt {
        let written = Event {
            detail: w.notes,
            changes: Some(w.changes),
            ..self.entry(w.status, Some(w.id), Some(w.user_name))
        };
        let took_effect = When::Written {
            id: w.id,
            write_id: w.write_id,
        };
        let outcomes: Vec<Outcome> = Refusal::ALL
            .into_iter()
            .map(|reason| {
                let e = refusal_error(reason, r.new_user_name, r.claim.external_id);
                Outcome {
                    reason,
                    status: e.status(),
                    detail: e.detail(),
                }
            })
            .collect();
        // Status and detail come from the outcome the batch finds.
        let refused = self.entry(409, r.logged_id, Some(r.logged_name));
        let was_refused = When::Refused {
            write_id: r.write_id,
            claim: r.claim,
            outcomes: &outcomes,
            definitions: r.definitions,
        };
        log_one_of(
            self.hash,
            &[(&written, &took_effect), (&refused, &was_refused)],
        )
    }

    /// The change feed's event of a write that took effect (`store::outbox`), of the type the
    /// logged operation makes (a replace that deactivates is `employee.deactivated`): written
    /// `when` the write took effect, at the point of the batch where the caller puts it (after
    /// the change, before the guard's statements, so that its state is the change's own).
    pub fn event(&self, id: &UserId, changes: Option<&str>, when: If<'_>) -> Option<Stmt> {
        let kind = EventType::of_write(self.operation)?;
        let by = Emitter {
            at: self.at,
            request_id: &self.request_id,
        };
        Some(outbox::emit(self.hash, &by, kind, id, changes, when))
    }

    /// A write that changes nothing: 200 with no changes, while the user and the definitions
    /// are as the write read them.
    pub fn unchanged(&self, same: Unchanged<'_>) -> Stmt {
        let event = Event {
            detail: Some(same.notes.unwrap_or("no change")),
            changes: Some("[]".into()),
            ..self.entry(200, Some(same.id), Some(same.user_name))
        };
        self.log(
            &event,
            &When::Unchanged {
                id: same.id,
                version: same.version,
                definitions: same.definitions,
            },
        )
    }

    /// The one entry of a DELETE, whichever outcome the batch finds, in one statement: 204 while
    /// the user exists (at `version`, when `If-Match` names one); 412 with `precondition_failed`
    /// when it exists at another version; `missing` (404) when there is none.
    pub fn deletion(
        &self,
        id: &UserId,
        version: Option<i64>,
        precondition_failed: &str,
        missing: &ScimError,
    ) -> Stmt {
        let deleted = Event {
            changes: Some("[]".into()),
            ..self.entry(204, Some(id), None)
        };
        let exists = match version {
            None => When::Exists { id },
            Some(version) => When::AtVersion { id, version },
        };
        let refused = Event {
            detail: Some(precondition_failed),
            ..self.entry(412, Some(id), None)
        };
        let detail = missing.detail();
        let absent = Event {
            detail: Some(&detail),
            ..self.entry(missing.status(), Some(id), None)
        };
        let mut entries = vec![(&deleted, &exists)];
        let other_version = version.map(|version| When::NotAtVersion { id, version });
        if let Some(other) = &other_version {
            entries.push((&refused, other));
        }
        let gone = When::Absent { id };
        entries.push((&absent, &gone));
        log_one_of(self.hash, &entries)
    }

    /// No user with this id: 404.
    pub fn absent(&self, id: &UserId, err: &ScimError) -> Stmt {
        let detail = err.detail();
        let event = Event {
            detail: Some(&detail),
            ..self.entry(err.status(), Some(id), None)
        };
        self.log(&event, &When::Absent { id })
    }

    /// A Bulk request refused whole by the per-token rate limit (429, nothing performed): the
    /// one entry it leaves, whenever the token is valid. (A single request refused by the
    /// limit never reaches the application, nor the log.)
    pub fn throttled(&self, detail: &str) -> Stmt {
        let event = Event {
            detail: Some(detail),
            ..self.entry(429, None, None)
        };
        self.log(&event, &When::Always)
    }

    /// A request refused outside the batch that would have logged it: a 4xx decided in the
    /// worker before or between its batches, or a failure (a batch that failed at the
    /// database, a write that kept losing races, a 5xx): logged whenever the token is valid,
    /// with the detail the client reads (generic for a 5xx: never the database's words). 401 and
    /// 429 never reach the tenant's log, and an answer that is not an error is not a refusal.
    pub fn refusal(
        &self,
        err: &ScimError,
        id: Option<&UserId>,
        user_name: Option<&str>,
    ) -> Option<Stmt> {
        let status = err.status();
        if status < 400 || status == 401 || status == 429 {
            return None;
        }
        let detail = err.detail();
        // A refused body's userName is whatever the client sent (300,000 characters, say): the
        // log keeps no more of it than a userName may hold (`scim::limits`).
        let user_name = user_name.map(|n| limits::prefix_chars(n, limits::IDENTIFIER_CHARS));
        let event = Event {
            detail: Some(&detail),
            ..self.entry(status, id, user_name)
        };
        Some(self.log(&event, &When::Always))
    }
}

/// A write that took effect, for [`Activity::written_or_refused`].
pub struct Written<'a> {
    pub status: u16,
    pub id: &'a UserId,
    pub write_id: &'a WriteId,
    pub user_name: &'a str,
    /// Remarks for the log (e.g. an ignored deactivated attribute).
    pub notes: Option<&'a str>,
    /// The JSON list of changes.
    pub changes: String,
}

/// A write found to change nothing, for [`Activity::unchanged`]: logged while the user is still
/// at the version it was computed from, and the definitions too (else it is computed again).
pub struct Unchanged<'a> {
    pub id: &'a UserId,
    pub user_name: &'a str,
    pub notes: Option<&'a str>,
    pub version: i64,
    pub definitions: i64,
}

/// A write that may be refused, for [`Activity::written_or_refused`].
pub struct RefusedWrite<'a> {
    pub claim: &'a Claim<'a>,
    /// The write's id, for an update (a create is refused when its new id is absent).
    pub write_id: Option<&'a WriteId>,
    /// Who the entry names: the user's id (`None` for a create) and the userName it has (or
    /// was sent with).
    pub logged_id: Option<&'a UserId>,
    pub logged_name: &'a str,
    /// The userName the write asked for.
    pub new_user_name: &'a str,
    /// The version of the attribute definitions the write was computed with, when it is
    /// conditional on them (`UserWrite::under_definitions`).
    pub definitions: Option<i64>,
}
