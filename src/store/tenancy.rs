//! Tenant scoping in SQL (DESIGN §9): every statement of a SCIM batch carries the request's
//! token hash as `?1` and names its tenant through [`tenant_of_token!`], so a revoked token, a
//! disabled tenant or another tenant's id can never reach a row, and the token check needs no
//! round trip of its own.

use super::{Stmt, Value};

/// The tenant of the live token whose hash is `?1`, or NULL. A SQL fragment for `concat!`.
#[macro_export]
macro_rules! tenant_of_token {
    () => {
        "(SELECT tk.tenant_id FROM tokens tk JOIN tenants tn ON tn.id = tk.tenant_id \
         WHERE tk.hash = ?1 AND tk.revoked_at IS NULL AND tn.active = 1)"
    };
}

/// The first statement of every SCIM batch: the token's row, if it is not revoked.
pub fn auth_check(hash: &str) -> Stmt {
    Stmt::new(
        "SELECT tk.id AS token_id, tk.tenant_id AS tenant_id, tn.active AS tenant_active, \
         tk.last_used AS last_used \
         FROM tokens tk JOIN tenants tn ON tn.id = tk.tenant_id \
         WHERE tk.hash = ?1 AND tk.revoked_at IS NULL",
        vec![Value::from(hash)],
    )
}

/// Records a token's use unless it was recorded after `stale_before` (so that at most one write
/// per token per interval happens, and reads do not become writes).
pub fn touch_token(token_id: &str, now: &str, stale_before: &str) -> Stmt {
    Stmt::new(
        "UPDATE tokens SET last_used = ?2 WHERE id = ?1 AND (last_used IS NULL OR last_used < ?3)",
        vec![token_id.into(), now.into(), stale_before.into()],
    )
}
