//! Survey eligibility in SQL (DESIGN §4): which activation-history row leaves its employee gone
//! or eligible once the eligibility guard's holds are counted (`store::guard` decides the holds),
//! and which deletion is a loss of eligibility. Read by the roster (`reports`), the change feed
//! (`outbox`), the deletions (`deleted`) and the guard itself.

/// The holds under which a row keeps its employee eligible.
pub const KEEPS: &str = "('held', 'dismissed', 'cleared')";

/// Whether the history row `a` (an alias) leaves its employee gone: a deletion not kept by a hold.
pub fn gone(a: &str) -> String {
    format!("({a}.kind = 'delete' AND coalesce({a}.hold, '') NOT IN {KEEPS})")
}

/// Whether the history row `a` leaves its employee eligible: active, or kept by a hold.
pub fn eligible(a: &str) -> String {
    format!("({a}.active = 1 OR coalesce({a}.hold, '') IN {KEEPS})")
}

/// The `loss` of the deletion of the user row `u`: it was eligible (active, or inactive but
/// kept eligible by a hold or a dismissal of its last change).
pub fn deletion_loss(u: &str) -> String {
    format!(
        "(CASE WHEN {u}.active = 1 OR (SELECT p.hold FROM activation p WHERE p.tenant_id = {u}.tenant_id \
         AND p.user_id = {u}.id ORDER BY p.seq DESC LIMIT 1) IN ('held', 'dismissed') THEN 1 ELSE 0 END)"
    )
}
