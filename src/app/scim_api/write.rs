//! What a write of a user sends besides its row: the user's email rows, the employee
//! references the write changes (DESIGN §4), the activation history, and the activity-log entry
//! of a refusal decided in the worker. Shared by create (`users`) and by replace and patch
//! (`retry`).

use super::activity::Activity;
use super::tenancy::ScimBatch;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::hex;
use crate::model::{TokenHash, UserId, WriteId};
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::schema::TENANT_USER;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::{self, Doc, Parsed};
use crate::store::users::{self as sql, UserWrite};
use crate::store::{Stmt, Store};
use serde_json::Value;

/// A fresh write id (random, per write of a user row).
pub fn new_write_id(ctx: &mut Ctx<'_>) -> Result<WriteId, ScimError> {
    let mut b = [0u8; 8];
    ctx.random.fill(&mut b).map_err(ScimError::Internal)?;
    Ok(WriteId::new(hex(&b)))
}

/// The statements that follow a user's row in a write batch, each applying only if the row
/// carries this write's id: the email rows, then the employee references (its own, and the
/// pending ones that name it).
pub fn follow_up(
    hash: &TokenHash,
    w: &UserWrite<'_>,
    old: &Doc,
    schema: &TenantSchema,
) -> Vec<Stmt> {
    let mut stmts = sql::replace_emails(hash, w);
    stmts.extend(reference_statements(
        hash, w.id, w.write_id, old, w.doc, schema,
    ));
    stmts
}

/// The employee references a write changes: the attribute ids whose value changed or went
/// away, and `[id, value, folded value]` of those set anew (for `store::users::set_refs`).
fn reference_changes(old: &Doc, new: &Doc, schema: &TenantSchema) -> (Vec<Value>, Vec<Value>) {
    let old_refs = schema.employee_values(old.get(TENANT_USER));
    let new_refs = schema.employee_values(new.get(TENANT_USER));
    let removed = old_refs
        .iter()
        .filter(|r| !new_refs.contains(r))
        .map(|(id, _)| Value::from(*id))
        .collect();
    let added = new_refs
        .iter()
        .filter(|r| !old_refs.contains(r))
        .map(|(id, v)| serde_json::json!([id, v, fold(v)]))
        .collect();
    (removed, added)
}

fn reference_statements(
    hash: &TokenHash,
    id: &UserId,
    write_id: &WriteId,
    old: &Doc,
    new: &Doc,
    schema: &TenantSchema,
) -> Vec<Stmt> {
    let (removed, added) = reference_changes(old, new, schema);
    let mut stmts = Vec::new();
    if !removed.is_empty() || !added.is_empty() {
        stmts.extend(sql::set_refs(
            hash,
            id,
            write_id,
            &Value::Array(removed).to_string(),
            &Value::Array(added).to_string(),
        ));
    }
    stmts.push(sql::resolve_pending(hash, id, write_id));
    stmts
}

/// The activity log's changes between two documents, as JSON text.
pub fn changes_json(old: &Doc, new: &Doc, schema: &TenantSchema) -> String {
    Value::Array(
        user::changes(old, new, schema)
            .iter()
            .map(user::Change::to_json)
            .collect(),
    )
    .to_string()
}

/// The remarks of a parsed body for the activity log, if any.
pub fn notes(parsed: &Parsed) -> Option<String> {
    (!parsed.notes.is_empty()).then(|| parsed.notes.join("; "))
}

/// Logs a refused write (4xx) in a batch of its own and returns the error to answer with (the
/// 401 instead, when the token turns out not to be valid).
pub async fn refuse<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    activity: &Activity<'_>,
    user: (Option<&UserId>, Option<&str>),
    err: ScimError,
) -> ScimError {
    let Some(entry) = activity.refusal(&err, user.0, user.1) else {
        return err;
    };
    let mut batch = ScimBatch::new(activity.hash());
    batch.write(entry);
    match batch.run(store, ctx).await {
        Ok(_) => err,
        Err(other) => other,
    }
}
