//! SQL of tenants (DESIGN §3, §7): create, read, list, change and purge. Lists are newest
//! first, keyset-paged on `(created, id)`, so a page costs the same at any depth.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{After, Row, Stmt, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;

/// The quota of a tenant without one of its own: far more employees than a company has, and
/// a tenth of a D1 database, so that no tenant can fill the database all tenants share.
pub const DEFAULT_MAX_EMPLOYEES: i64 = 500_000;
pub const DEFAULT_MAX_BYTES: i64 = 1 << 30;

/// A tenant as the admin API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRow {
    pub id: TenantId,
    pub name: String,
    pub active: bool,
    pub created: Timestamp,
    pub quota: Quota,
    /// Its employees now, and the bytes their rows store.
    pub employees: i64,
    pub stored_bytes: i64,
}

/// A tenant's limits: its own, or the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub employees: i64,
    pub bytes: i64,
}

impl FromRow for TenantRow {
    fn from_row(row: &Row) -> Result<TenantRow, StoreError> {
        let c = Columns(row);
        Ok(TenantRow {
            id: TenantId::new(c.text("id")?),
            name: c.text("name")?.to_string(),
            active: c.flag("active")?,
            created: c.time("created")?,
            quota: Quota {
                employees: c.opt_int("max_employees")?.unwrap_or(DEFAULT_MAX_EMPLOYEES),
                bytes: c.opt_int("max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES),
            },
            employees: c.int("employees")?,
            stored_bytes: c.int("stored_bytes")?,
        })
    }
}

const TENANT_COLUMNS: &str =
    "id, name, active, created, max_employees, max_bytes, employees, stored_bytes";

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

/// What a change of a tenant sets; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantChange {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `Some(None)`: back to the default.
    pub max_employees: Option<Option<i64>>,
    pub max_bytes: Option<Option<i64>>,
}

/// Renames, enables or disables a tenant, or sets its quota.
pub fn update_tenant(tenant: &TenantId, change: &TenantChange) -> Stmt {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    let name = q.bind(change.name.as_deref());
    let active = q.bind(change.active);
    let mut set = |column: &str, value: Option<Option<i64>>| match value {
        None => column.to_string(),
        Some(v) => q.bind(v).to_string(),
    };
    let max_employees = set("max_employees", change.max_employees);
    let max_bytes = set("max_bytes", change.max_bytes);
    q.stmt(format!(
        "UPDATE tenants SET name = COALESCE({name}, name), active = COALESCE({active}, active), \
         max_employees = {max_employees}, max_bytes = {max_bytes} WHERE id = {tenant}"
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
