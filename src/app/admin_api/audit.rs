//! The audit log of admin actions (DESIGN §7), as the handlers write it: who (`ctx.caller`:
//! the operator, or a company admin's email and session) did what to which target, one entry in
//! the batch of the action itself, so that an action and its entry commit together. Never a
//! secret: targets are ids, details are field names or emails.

use super::TenantBatch;
use crate::app::plumbing::context::Ctx;
use crate::model::TenantId;
use crate::store::admins::{self as sql, Action, Actor};

/// The audit log's record of `ctx`'s caller.
pub fn actor<'c>(ctx: &'c Ctx<'_>) -> Actor<'c> {
    let caller = ctx.caller.as_ref();
    Actor {
        at: ctx.now,
        request_id: &ctx.request_id,
        name: caller.map_or("operator", |c| c.name.as_str()),
        session_id: caller.and_then(|c| c.session_id.as_deref()),
    }
}

/// An audit-log entry for the batch of the action.
pub fn record(batch: &mut TenantBatch, tenant: &TenantId, ctx: &Ctx<'_>, action: Action<'_>) {
    batch.write(sql::audit(tenant, &actor(ctx), &action));
}

/// The action `action` on `target`, always recorded.
pub fn did<'a>(action: &'a str, target: Option<&'a str>) -> Action<'a> {
    Action {
        action,
        target,
        detail: None,
        if_changed: false,
    }
}
