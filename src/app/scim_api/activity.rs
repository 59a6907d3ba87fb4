//! The activity-log entries of SCIM writes (DESIGN §7), built in one place: one method per
//! outcome a write can have, each a statement for the batch that decides the outcome, under the
//! condition that makes it the outcome (`store::activity::When`). A request writes exactly one
//! entry: the batch's conditions are mutually exclusive, and a refusal decided before any batch
//! is logged in a batch of its own ([`Activity::refusal`]).

use super::call::Call;
use crate::app::plumbing::context::Ctx;
use crate::model::{Operation, TokenHash, UserId, WriteId};
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::limits;
use crate::store::activity::{log_event, Event, When};
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

/// The refusal detail of a create or update whose userName another user holds.
pub fn name_taken_detail(user_name: &str) -> String {
    format!("userName \"{user_name}\" is already taken in this tenant")
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

    /// A write that took effect: logged if the row carries `write_id`.
    pub fn written(&self, w: Written<'_>) -> Stmt {
        let event = Event {
            detail: w.notes,
            changes: Some(w.changes),
            ..self.entry(w.status, Some(w.id), Some(w.user_name))
        };
        self.log(
            &event,
            &When::Written {
                id: w.id,
                write_id: w.write_id,
            },
        )
    }

    /// A write that changes nothing: 200 with no changes, while the user exists.
    pub fn unchanged(&self, id: &UserId, user_name: &str, notes: Option<&str>) -> Stmt {
        let event = Event {
            detail: Some(notes.unwrap_or("no change")),
            changes: Some("[]".into()),
            ..self.entry(200, Some(id), Some(user_name))
        };
        self.log(&event, &When::Exists { id })
    }

    /// A deletion: 204 while the user exists (at `version`, when `If-Match` names one).
    pub fn deleted(&self, id: &UserId, version: Option<i64>) -> Stmt {
        let event = Event {
            changes: Some("[]".into()),
            ..self.entry(204, Some(id), None)
        };
        match version {
            None => self.log(&event, &When::Exists { id }),
            Some(version) => self.log(&event, &When::AtVersion { id, version }),
        }
    }

    /// A conditional deletion whose `If-Match` names another version: 412.
    pub fn delete_precondition_failed(&self, id: &UserId, version: i64, detail: &str) -> Stmt {
        let event = Event {
            detail: Some(detail),
            ..self.entry(412, Some(id), None)
        };
        self.log(&event, &When::NotAtVersion { id, version })
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

    /// A create that did not happen because the userName is taken: 409, while no user has the
    /// new id.
    pub fn create_name_taken(&self, new_id: &UserId, user_name: &str) -> Stmt {
        let detail = name_taken_detail(user_name);
        let event = Event {
            detail: Some(&detail),
            ..self.entry(409, None, Some(user_name))
        };
        self.log(&event, &When::Absent { id: new_id })
    }

    /// An update that did not happen because another user holds the new userName: 409.
    pub fn update_name_taken(&self, t: NameTaken<'_>) -> Stmt {
        let detail = name_taken_detail(t.new_user_name);
        let event = Event {
            detail: Some(&detail),
            ..self.entry(409, Some(t.id), Some(t.user_name))
        };
        self.log(
            &event,
            &When::NameTaken {
                id: t.id,
                write_id: t.write_id,
                user_name_fold: t.new_user_name_fold,
            },
        )
    }

    /// A request refused before or between its batches (a 4xx decided in the worker): logged
    /// whenever the token is valid. Other errors are not refusals and log nothing here (401
    /// and 429 never reach the tenant's log; a 5xx logs its cause in the worker's log).
    pub fn refusal(
        &self,
        err: &ScimError,
        id: Option<&UserId>,
        user_name: Option<&str>,
    ) -> Option<Stmt> {
        let status = err.status();
        if !(400..500).contains(&status) || status == 401 || status == 429 {
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

/// A write that took effect, for [`Activity::written`].
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

/// An update refused for its userName, for [`Activity::update_name_taken`].
pub struct NameTaken<'a> {
    pub id: &'a UserId,
    pub write_id: &'a WriteId,
    /// The userName the user has (logged).
    pub user_name: &'a str,
    /// The userName the update asked for, and its fold.
    pub new_user_name: &'a str,
    pub new_user_name_fold: &'a str,
}
