//! SQL of the operator's admin API: tenants and tokens (DESIGN §3, §7). Lists are newest first,
//! keyset-paged on `(created, id)`, so a page costs the same at any depth.

use super::{Stmt, Value};

pub fn insert_tenant(id: &str, name: &str, created: &str) -> Stmt {
    Stmt::new(
        "INSERT INTO tenants (id, name, active, created) VALUES (?1, ?2, 1, ?3)",
        vec![id.into(), name.into(), created.into()],
    )
}

pub fn get_tenant(id: &str) -> Stmt {
    Stmt::new(
        "SELECT id, name, active, created FROM tenants WHERE id = ?1",
        vec![id.into()],
    )
}

/// `limit` rows after the cursor `(created, id)`, newest first.
pub fn list_tenants(after: Option<(&str, &str)>, limit: i64) -> Stmt {
    match after {
        None => Stmt::new(
            "SELECT id, name, active, created FROM tenants \
             ORDER BY created DESC, id DESC LIMIT ?1",
            vec![limit.into()],
        ),
        Some((created, id)) => Stmt::new(
            "SELECT id, name, active, created FROM tenants WHERE (created, id) < (?1, ?2) \
             ORDER BY created DESC, id DESC LIMIT ?3",
            vec![created.into(), id.into(), limit.into()],
        ),
    }
}

/// Renames and/or enables/disables a tenant; `None` keeps the current value.
pub fn update_tenant(id: &str, name: Option<&str>, active: Option<bool>) -> Stmt {
    Stmt::new(
        "UPDATE tenants SET name = COALESCE(?2, name), active = COALESCE(?3, active) WHERE id = ?1",
        vec![id.into(), name.into(), active.into()],
    )
}

/// Every table that holds a tenant's data, child tables first. Purging a tenant deletes from
/// each; a table added by a later migration must be added here.
pub const TENANT_TABLES: &[&str] = &[
    "events",
    "activation",
    "employee_refs",
    "user_emails",
    "users",
    "attribute_names",
    "attributes",
    "tokens",
];

/// Deletes everything of a tenant (irreversible). The tenant row goes last.
pub fn purge_tenant(id: &str) -> Vec<Stmt> {
    let mut stmts: Vec<Stmt> = TENANT_TABLES
        .iter()
        .map(|t| {
            Stmt::new(
                format!("DELETE FROM {t} WHERE tenant_id = ?1"),
                vec![id.into()],
            )
        })
        .collect();
    stmts.push(Stmt::new(
        "DELETE FROM tenants WHERE id = ?1",
        vec![id.into()],
    ));
    stmts
}

/// Issues a token to a tenant, if the tenant exists.
pub fn insert_token(
    id: &str,
    tenant_id: &str,
    hash: &str,
    prefix: &str,
    label: Option<&str>,
    created: &str,
) -> Stmt {
    Stmt::new(
        "INSERT INTO tokens (id, tenant_id, hash, prefix, label, created) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?2)",
        vec![
            id.into(),
            tenant_id.into(),
            hash.into(),
            prefix.into(),
            label.into(),
            created.into(),
        ],
    )
}

pub fn list_tokens(tenant_id: &str, after: Option<(&str, &str)>, limit: i64) -> Stmt {
    match after {
        None => Stmt::new(
            "SELECT id, label, prefix, created, last_used, revoked_at FROM tokens \
             WHERE tenant_id = ?1 ORDER BY created DESC, id DESC LIMIT ?2",
            vec![tenant_id.into(), limit.into()],
        ),
        Some((created, id)) => Stmt::new(
            "SELECT id, label, prefix, created, last_used, revoked_at FROM tokens \
             WHERE tenant_id = ?1 AND (created, id) < (?2, ?3) \
             ORDER BY created DESC, id DESC LIMIT ?4",
            vec![tenant_id.into(), created.into(), id.into(), limit.into()],
        ),
    }
}

pub fn get_token(tenant_id: &str, token_id: &str) -> Stmt {
    Stmt::new(
        "SELECT id, label, prefix, created, last_used, revoked_at FROM tokens \
         WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant_id.into(), token_id.into()],
    )
}

/// Revokes a token; revoking it again keeps the first revocation time.
pub fn revoke_token(tenant_id: &str, token_id: &str, now: &str) -> Stmt {
    Stmt::new(
        "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant_id.into(), token_id.into(), Value::from(now)],
    )
}
