//! SQL of tenants (DESIGN §3, §7): create, read, list, change and purge. Lists are newest
//! first, keyset-paged on `(created, id)`, so a page costs the same at any depth.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{After, Row, Stmt, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;

/// A tenant as the admin API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRow {
    pub id: TenantId,
    pub name: String,
    pub active: bool,
    pub created: Timestamp,
}

impl FromRow for TenantRow {
    fn from_row(row: &Row) -> Result<TenantRow, StoreError> {
        let c = Columns(row);
        Ok(TenantRow {
            id: TenantId::new(c.text("id")?),
            name: c.text("name")?.to_string(),
            active: c.flag("active")?,
            created: c.time("created")?,
        })
    }
}

const TENANT_COLUMNS: &str = "id, name, active, created";

pub fn insert_tenant(tenant: &TenantId, name: &str, created: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (tenant, name, created) = (q.bind(tenant), q.bind(name), q.bind(created));
    q.stmt(format!(
        "INSERT INTO tenants (id, name, active, created) VALUES ({tenant}, {name}, 1, {created})"
    ))
}

pub fn get_tenant(tenant: &TenantId) -> Query<Option<TenantRow>> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    Query::first(q.stmt(format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = {tenant}"
    )))
}

/// `limit` tenants after `after`, newest first.
pub fn list_tenants(after: Option<&After>, limit: i64) -> Query<Vec<TenantRow>> {
    let mut q = Sql::new();
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " WHERE (created, id) < ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT {TENANT_COLUMNS} FROM tenants{after} ORDER BY created DESC, id DESC LIMIT {limit}"
    )))
}

/// Renames and/or enables/disables a tenant; `None` keeps the current value.
pub fn update_tenant(tenant: &TenantId, name: Option<&str>, active: Option<bool>) -> Stmt {
    let mut q = Sql::new();
    let (tenant, name, active) = (q.bind(tenant), q.bind(name), q.bind(active));
    q.stmt(format!(
        "UPDATE tenants SET name = COALESCE({name}, name), active = COALESCE({active}, active) \
         WHERE id = {tenant}"
    ))
}

/// Every table that holds a tenant's data, child tables first. Purging a tenant deletes from
/// each; a table added by a later migration must be added here (a host test compares this
/// list with the schema).
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
pub fn purge_tenant(tenant: &TenantId) -> Vec<Stmt> {
    let delete = |sql: &dyn Fn(&mut Sql) -> String| {
        let mut q = Sql::new();
        let text = sql(&mut q);
        q.stmt(text)
    };
    let mut stmts: Vec<Stmt> = TENANT_TABLES
        .iter()
        .map(|t| delete(&|q| format!("DELETE FROM {t} WHERE tenant_id = {}", q.bind(tenant))))
        .collect();
    stmts.push(delete(&|q| {
        format!("DELETE FROM tenants WHERE id = {}", q.bind(tenant))
    }));
    stmts
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    /// A purge reaches every table that holds a tenant's rows: those with a `tenant_id`.
    #[test]
    fn every_table_with_a_tenant_id_is_purged() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let mut tables: Vec<String> = store.with_conn(|c| {
            let mut st = c
                .prepare(
                    "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND p.name = 'tenant_id'",
                )
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        });
        tables.sort();
        let mut purged: Vec<&str> = TENANT_TABLES.to_vec();
        purged.sort();
        assert_eq!(tables, purged);
    }
}
