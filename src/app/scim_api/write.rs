//! What the SCIM writes of a user share: a write id, the statements besides its row
//! (`app::employee_write`), the activity log's bounded list of changes, and the activity-log
//! entry of a refusal that no write batch logged (decided in the worker, or a failure). Shared
//! by create (`users`), by replace and patch (`retry`), and by the dispatch of every write
//! (`mod`).

use super::activity::Activity;
use super::tenancy::ScimBatch;
use crate::app::employee_write;
pub use crate::app::employee_write::follow_up;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::{Request, Response};
use crate::model::{UserId, WriteId};
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::{self, Doc, Parsed};
use crate::store::{Consistency, Row, Stmt, Store, StoreError};
use serde_json::Value;
use std::cell::Cell;

/// A fresh write id (random, per write of a user row).
pub fn new_write_id(ctx: &mut Ctx<'_>) -> Result<WriteId, ScimError> {
    employee_write::new_write_id(ctx).map_err(ScimError::Internal)
}

/// Most changes one activity-log entry lists; the rest are counted in a last entry.
pub const MAX_LOGGED_CHANGES: usize = 50;
/// Longest value (old or new) an entry keeps whole, in characters of its JSON text; a longer
/// one is cut to its beginning and marked.
pub const MAX_LOGGED_VALUE_CHARS: usize = 256;

/// The activity log's changes between two documents, as JSON text, bounded: at most
/// [`MAX_LOGGED_CHANGES`] changes of at most [`MAX_LOGGED_VALUE_CHARS`] each, so that one write
/// never stores more in the log than a few kilobytes.
pub fn changes_json(old: &Doc, new: &Doc, schema: &TenantSchema) -> String {
    let changes = user::changes(old, new, schema);
    let mut out: Vec<Value> = changes
        .iter()
        .take(MAX_LOGGED_CHANGES)
        .map(|c| {
            serde_json::json!({
                "path": c.path,
                "old": bounded(&c.old),
                "new": bounded(&c.new),
            })
        })
        .collect();
    if changes.len() > MAX_LOGGED_CHANGES {
        out.push(serde_json::json!({
            "path": "…",
            "old": null,
            "new": null,
            "omitted": changes.len() - MAX_LOGGED_CHANGES,
        }));
    }
    Value::Array(out).to_string()
}

/// A value as the log keeps it: whole, or, past [`MAX_LOGGED_VALUE_CHARS`], a string of its
/// beginning marked with its full length.
fn bounded(value: &Value) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let length = text.chars().count();
    if length <= MAX_LOGGED_VALUE_CHARS {
        return value.clone();
    }
    let head: String = text.chars().take(MAX_LOGGED_VALUE_CHARS - 56).collect();
    Value::String(format!("{head}… [truncated: {length} characters]"))
}

/// The remarks of a parsed body for the activity log, if any.
pub fn notes(parsed: &Parsed) -> Option<String> {
    (!parsed.notes.is_empty()).then(|| parsed.notes.join("; "))
}

/// Logs a refused write in a batch of its own and returns the error to answer with: the 401
/// instead when the token turns out not to be valid. A 4xx is answered only once logged (the
/// log's own failure is the answer otherwise). A 5xx is logged best-effort: the database may be
/// what failed, so the log's own failure goes to the worker's log only, and the answer stays.
pub async fn refuse<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    activity: &Activity<'_>,
    user: (Option<&UserId>, Option<&str>),
    err: ScimError,
) -> ScimError {
    refuse_noting(store, ctx, activity, user, err, Vec::new()).await
}

/// [`refuse`], with further statements in the batch that logs the refusal (what attribute
/// health notes of it, `super::health`): they commit with the log entry, at no extra round trip.
pub async fn refuse_noting<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    activity: &Activity<'_>,
    user: (Option<&UserId>, Option<&str>),
    err: ScimError,
    noted: Vec<Stmt>,
) -> ScimError {
    let Some(entry) = activity.refusal(&err, user.0, user.1) else {
        return err;
    };
    let mut batch = ScimBatch::new(activity.hash(), ctx);
    batch.write(entry);
    batch.write_all(noted);
    match batch.run(store, ctx).await {
        Ok(_) => err,
        // The token is not valid after all: that is the answer, whatever else failed.
        Err(unauthorized) if unauthorized.status() == 401 => unauthorized,
        Err(other) if err.status() >= 500 => {
            ctx.log.push(format!(
                "the activity-log entry of a {} {} was not written: {other}",
                err.status(),
                activity.operation()
            ));
            err
        }
        Err(other) => other,
    }
}

/// The store as a write request sees it: it remembers whether the request's last batch failed
/// at the database. Such a batch was rolled back with the activity-log entry it carried, so the
/// request has none yet (see [`log_unlogged`]).
pub struct Watched<'s, S> {
    store: &'s S,
    last_failed: Cell<bool>,
}

impl<'s, S: Store> Watched<'s, S> {
    pub fn new(store: &'s S) -> Watched<'s, S> {
        Watched {
            store,
            last_failed: Cell::new(false),
        }
    }

    /// Whether the last batch run through this store failed.
    pub fn last_failed(&self) -> bool {
        self.last_failed.get()
    }
}

impl<S: Store> Store for Watched<'_, S> {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        let result = self.store.batch(consistency, stmts).await;
        self.last_failed.set(result.is_err());
        result
    }
}

/// The answer of a write request (`POST`, `PUT`, `PATCH`, `DELETE` on `/Users`), with the
/// activity-log entry no batch of it wrote: when its last batch failed at the database (rolled
/// back, entry and all, whatever the status: a 503, a 413 for a row too large, a 409 from a
/// unique index), or when it answers a 5xx (a write that kept losing races, a bug), its refusal
/// is logged now, by [`refuse`], best-effort for a 5xx. A write's entry is otherwise always
/// committed by the batch whose outcome it records, and a request stops at its first
/// committed entry, so this never logs a request twice (short of a row that does not decode
/// after its batch committed: a bug, logged as the 500 it answers).
pub async fn log_unlogged<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    activity: &Activity<'_>,
    target: Target<'_>,
    last_failed: bool,
    answer: Result<Response, ScimError>,
) -> Result<Response, ScimError> {
    match answer {
        Err(err) if last_failed || err.status() >= 500 => {
            let user = match target {
                // A refused create is logged with the userName it sent, when it can be read.
                Target::New(req) => (None, super::body_object(req).ok().and_then(sent_user_name)),
                Target::Existing(id) => (Some(id), None),
            };
            Err(refuse(store, ctx, activity, (user.0, user.1.as_deref()), err).await)
        }
        other => other,
    }
}

/// The user a write request is about, for the log of its refusal.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// A create: the user does not exist yet; its body names it.
    New(&'a Request),
    /// A replace, update or delete of the user with this id.
    Existing(&'a UserId),
}

/// The userName a create's body sends, if it sends one.
fn sent_user_name(body: serde_json::Map<String, Value>) -> Option<String> {
    body.into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn logged_values_are_cut_at_their_limit_and_marked() {
        let at_limit = "x".repeat(MAX_LOGGED_VALUE_CHARS);
        let over = "y".repeat(MAX_LOGGED_VALUE_CHARS + 1);
        let old = doc(json!({"displayName": at_limit, "title": "a"}));
        let new = doc(json!({"displayName": "b", "title": over}));
        let changes: Value =
            serde_json::from_str(&changes_json(&old, &new, &TenantSchema::default())).unwrap();
        assert_eq!(changes[0]["old"], json!(at_limit), "the limit passes whole");
        let cut = changes[1]["new"].as_str().unwrap();
        assert!(cut.starts_with("yyy"), "{cut}");
        assert!(cut.ends_with(&format!(
            "[truncated: {} characters]",
            MAX_LOGGED_VALUE_CHARS + 1
        )));
        assert!(cut.chars().count() <= MAX_LOGGED_VALUE_CHARS, "{cut}");
    }

    #[test]
    fn changes_past_the_limit_are_counted_not_listed() {
        let new = doc(Value::Object(
            (0..MAX_LOGGED_CHANGES + 7)
                .map(|i| (format!("k{i:03}"), json!(i)))
                .collect(),
        ));
        let changes: Value =
            serde_json::from_str(&changes_json(&Doc::new(), &new, &TenantSchema::default()))
                .unwrap();
        let list = changes.as_array().unwrap();
        assert_eq!(list.len(), MAX_LOGGED_CHANGES + 1);
        assert_eq!(list[MAX_LOGGED_CHANGES]["omitted"], json!(7));
    }
}
