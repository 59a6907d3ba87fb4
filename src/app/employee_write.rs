//! What every write of an employee's row sends besides the row, for both APIs (the SCIM
//! writes, and the admin API's restore of a deleted employee): a fresh write id, the email
//! rows, the employee references the write changes (DESIGN §4), each statement applying only if
//! the row carries the write's id; and what an activation change means to the eligibility guard
//! (`store::guard`).

use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::hex;
use crate::model::{UserId, WriteId};
use crate::scim::columns;
use crate::scim::fold::fold;
use crate::scim::schema::TENANT_USER;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::Doc;
use crate::store::guard::{self, Actor, Settled};
use crate::store::users::{self as sql, Activation, UserWrite};
use crate::store::{Scope, Stmt};
use serde_json::Value;

/// A fresh write id (random, per write of a user row).
pub fn new_write_id(ctx: &mut Ctx<'_>) -> Result<WriteId, String> {
    let mut b = [0u8; 8];
    ctx.random.fill(&mut b)?;
    Ok(WriteId::new(hex(&b)))
}

/// What the eligibility guard makes of an activation change, after its history row in the
/// batch: a deactivation (or a deletion, [`after_deletion`]) may trip the guard or be held; a
/// reactivation or a restore ends the employee's holds (the IdP undid the change).
pub fn eligibility<'s>(
    scope: impl Into<Scope<'s>>,
    change: Activation,
    id: &UserId,
    write_id: &WriteId,
    by: &Actor<'_>,
) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    match change {
        Activation::Deactivate => guard::check(scope, by),
        Activation::Reactivate | Activation::Restore => vec![
            guard::settle(scope, id, write_id, Settled::Cleared),
            guard::end_trips(scope, by.at),
        ],
        Activation::Create => Vec::new(),
    }
}

/// What the eligibility guard makes of a deletion, after the deletion's statements.
pub fn after_deletion<'s>(scope: impl Into<Scope<'s>>, by: &Actor<'_>) -> Vec<Stmt> {
    guard::check(scope, by)
}

/// The statements that follow a user's row in a write batch, each applying only if the row
/// carries this write's id: the email rows, then the employee references (its own, and the
/// pending ones that name it). Only what the write changes from `old` (the document it
/// replaces, as of the version it is conditional on; empty for a create or a restore): a
/// deactivation rewrites no email and resolves no pending reference.
pub fn follow_up<'s>(
    scope: impl Into<Scope<'s>>,
    w: &UserWrite<'_>,
    old: &Doc,
    schema: &TenantSchema,
) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let mut stmts = sql::replace_emails(scope, w, old);
    // Pending references name a user by userName or email: only a user that is new, or whose
    // userName or emails change, can be the one they wait for.
    let named_anew = old.is_empty()
        || !stmts.is_empty()
        || columns::text_at(old, &["userName"]).map(fold)
            != columns::text_at(w.doc, &["userName"]).map(fold);
    stmts.extend(reference_statements(
        scope, w.id, w.write_id, old, w.doc, schema,
    ));
    if named_anew {
        stmts.push(sql::resolve_pending(scope, w.id, w.write_id));
    }
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
    scope: Scope<'_>,
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
            scope,
            id,
            write_id,
            &Value::Array(removed).to_string(),
            &Value::Array(added).to_string(),
        ));
    }
    stmts
}
