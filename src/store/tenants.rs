//! SQL of tenants (DESIGN §3, §7): create, read, list, change, delete, and the purge of a deleted
//! tenant's data in bounded steps (`app::purge` runs them). Lists are newest first, keyset-paged
//! on `(created, id)`, so a page costs the same at any depth.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::deletion_clock::DEFAULT_RETENTION_DAYS;
use super::guard::Settings;
use super::substrings;
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
    /// Days a deleted employee stays restorable (`store::deleted`), the tenant's or the default.
    pub deleted_retention_days: i64,
    /// Its mass-deactivation guard (`store::guard`).
    pub guard: Settings,
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
            deleted_retention_days: c
                .opt_int("deleted_retention_days")?
                .unwrap_or(DEFAULT_RETENTION_DAYS),
            guard: Settings::from_columns(&c)?,
        })
    }
}

const TENANT_COLUMNS: &str = "id, name, active, created, max_employees, max_bytes, employees, \
     stored_bytes, deleted_retention_days, guard_enabled, guard_percent, guard_minimum, \
     guard_window_minutes, guard_auto_apply_days";

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
    pub deleted_retention_days: Option<Option<i64>>,
}

/// Renames, enables or disables a tenant, or sets its quota or its retention of deleted
/// employees (then `store::deleted::reschedule` follows in the batch).
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
    let retention = set("deleted_retention_days", change.deleted_retention_days);
    q.stmt(format!(
        "UPDATE tenants SET name = COALESCE({name}, name), active = COALESCE({active}, active), \
         max_employees = {max_employees}, max_bytes = {max_bytes}, \
         deleted_retention_days = {retention} WHERE id = {tenant}"
    ))
}

/// A table that holds tenants' rows (a `tenant_id` column, first in one of its indexes), and
/// how many of a tenant's rows one purge step deletes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantTable {
    pub name: &'static str,
    /// Rows per step: small enough that a step (one D1 batch) takes well under a second, far
    /// from D1's 30 s per batch.
    pub chunk: i64,
    /// Its rows are in the substring index (`store::substrings`): deleting them owes the index
    /// a compaction.
    pub substrings: bool,
}

const fn table(name: &'static str, chunk: i64) -> TenantTable {
    TenantTable {
        name,
        chunk,
        substrings: false,
    }
}

/// Every table that holds a tenant's data: what a purge deletes, in this order (credentials
/// first; no foreign keys bind the others). A table added by a later migration must be added
/// here (a host test compares this list with the schema). Rows are small (an entry, an email,
/// a history row: 5,000 per step) except users, which hold two JSON documents (500 per step:
/// a few MB at the sizes IdPs send).
pub const TENANT_TABLES: &[TenantTable] = &[
    table("tokens", 5_000),
    table("activity", 5_000),
    table("activation", 5_000),
    table("employee_refs", 5_000),
    table("user_emails", 5_000),
    TenantTable {
        substrings: true,
        ..table("users", 500)
    },
    table("deleted_users", 500),
    table("guard_trips", 5_000),
    table("sign_in_links", 5_000),
    table("admin_sessions", 5_000),
    table("admin_audit", 5_000),
    table("employee_events", 5_000),
    table("webhook_deliveries", 5_000),
    table("webhook_attempts", 5_000),
    table("webhook_endpoints", 5_000),
    table("attribute_names", 5_000),
    table("attributes", 5_000),
    table("attribute_misses", 5_000),
];

/// Deletes a tenant for everyone at once: its row goes (so no token of it passes the token
/// check, and the admin API answers 404), and it is recorded as being purged. Its data goes in
/// steps after ([`purge_count`], [`purge_step`], [`finish_purge`]).
pub fn delete_tenant(tenant: &TenantId, now: Timestamp) -> Vec<Stmt> {
    let mut q = Sql::new();
    let (t, now) = (q.bind(tenant), q.bind(now));
    let record = q.stmt(format!(
        "INSERT OR IGNORE INTO tenant_purges (id, requested) \
         SELECT {t}, {now} WHERE EXISTS (SELECT 1 FROM tenants WHERE id = {t})"
    ));
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let delete = q.stmt(format!("DELETE FROM tenants WHERE id = {t}"));
    vec![record, delete]
}

/// How many of the tenant's rows the next step deletes from `table` (at most `chunk`): fewer
/// than `chunk` means the step empties the table of them.
pub fn purge_count(table: &TenantTable, tenant: &TenantId, chunk: i64) -> Query<i64> {
    let mut q = Sql::new();
    let (t, chunk) = (q.bind(tenant), q.bind(chunk));
    let name = table.name;
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM {name} WHERE tenant_id = {t} LIMIT {chunk})"
    )))
}

/// The statements of one purge step of `table`: [`purge_count`], [`purge_step`] and, for the
/// table in the substring index, [`purge_owes_compaction`] before it.
pub fn purge_step_statements(table: &TenantTable) -> usize {
    2 + usize::from(table.substrings)
}

/// For a table in the substring index, before a [`purge_step`] of it in the same batch:
/// records that the index owes a compaction if the tenant has rows there (`None` for the
/// other tables).
pub fn purge_owes_compaction(
    table: &TenantTable,
    tenant: &TenantId,
    now: Timestamp,
) -> Option<Stmt> {
    if !table.substrings {
        return None;
    }
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let name = table.name;
    Some(substrings::owe_compaction_if(
        q,
        &format!("EXISTS (SELECT 1 FROM {name} WHERE tenant_id = {t})"),
        now,
    ))
}

/// Deletes up to `chunk` of the tenant's rows from `table`, found through the index that starts
/// with `tenant_id` (two parameters, a statement of a few hundred bytes).
pub fn purge_step(table: &TenantTable, tenant: &TenantId, chunk: i64) -> Stmt {
    let mut q = Sql::new();
    let (t, chunk) = (q.bind(tenant), q.bind(chunk));
    let name = table.name;
    q.stmt(format!(
        "DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM {name} WHERE tenant_id = {t} LIMIT {chunk})"
    ))
}

/// Ends a purge: its entry goes, if and only if no table holds a row of the tenant any more (a
/// write that slipped in before the tenant's deletion is purged by the next run).
pub fn finish_purge(tenant: &TenantId) -> Stmt {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let none_left: Vec<String> = TENANT_TABLES
        .iter()
        .map(|table| {
            format!(
                "NOT EXISTS (SELECT 1 FROM {} WHERE tenant_id = {t})",
                table.name
            )
        })
        .collect();
    q.stmt(format!(
        "DELETE FROM tenant_purges WHERE id = {t} AND {}",
        none_left.join(" AND ")
    ))
}

/// Whether the tenant is still being purged.
pub fn purging(tenant: &TenantId) -> Query<bool> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    Query::new(
        q.stmt(format!(
            "SELECT EXISTS (SELECT 1 FROM tenant_purges WHERE id = {t}) AS n"
        )),
        |rows| match rows.first() {
            Some(row) => Ok(Columns(row).int("n")? != 0),
            None => Err(StoreError::Internal("EXISTS answered no row".into())),
        },
    )
}

/// A tenant being purged.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPurge {
    pub tenant: TenantId,
    pub requested: Timestamp,
}

impl FromRow for PendingPurge {
    fn from_row(row: &Row) -> Result<PendingPurge, StoreError> {
        let c = Columns(row);
        Ok(PendingPurge {
            tenant: TenantId::new(c.text("id")?),
            requested: c.time("requested")?,
        })
    }
}

/// `limit` tenants being purged after `after`, newest request first (the admin API's list).
pub fn list_purges(after: Option<&After>, limit: i64) -> Query<Vec<PendingPurge>> {
    let mut q = Sql::new();
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " WHERE (requested, id) < ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT id, requested FROM tenant_purges{after} ORDER BY requested DESC, id DESC LIMIT {limit}"
    )))
}

/// Up to `limit` tenants being purged, oldest request first (the purge job's queue).
pub fn pending_purges(limit: i64) -> Query<Vec<PendingPurge>> {
    let mut q = Sql::new();
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT id, requested FROM tenant_purges ORDER BY requested, id LIMIT {limit}"
    )))
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
        let mut purged: Vec<&str> = TENANT_TABLES.iter().map(|t| t.name).collect();
        purged.sort();
        assert_eq!(tables, purged);
    }
}
