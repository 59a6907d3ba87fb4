//! SQL of a tenant's custom attribute definitions (DESIGN §4, §7), and their decoding into the
//! schema a SCIM request is checked against.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{After, Row, Stmt, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::scim::tenant::{CustomAttr, CustomType, TenantSchema};
use std::sync::Arc;

impl FromRow for CustomAttr {
    fn from_row(row: &Row) -> Result<CustomAttr, StoreError> {
        let c = Columns(row);
        let ty = c.text("type")?;
        Ok(CustomAttr {
            id: c.text("id")?.to_string(),
            name: c.text("name")?.to_string(),
            scim_name: c.text("scim_name")?.to_string(),
            ty: CustomType::parse(ty)
                .ok_or_else(|| StoreError::Internal(format!("attribute type {ty:?}")))?,
            options: c.json("options")?,
            aliases: c.json("aliases")?.unwrap_or_default(),
            active: c.flag("active")?,
        })
    }
}

const DEFINITION_COLUMNS: &str = "id, name, scim_name, type, options, aliases, active";

/// The definitions of a tenant named by id (the operator's jobs).
pub fn definitions_of(tenant: &TenantId) -> Query<TenantSchema> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant).to_string();
    schema_query(q, &tenant)
}

fn schema_query(q: Sql, tenant: &str) -> Query<TenantSchema> {
    Query::new(
        q.stmt(format!(
            "SELECT {DEFINITION_COLUMNS} FROM attributes WHERE tenant_id = {tenant} ORDER BY created, id"
        )),
        |rows| schema_from_rows(&rows),
    )
}

/// The definition columns of `attributes a`, named as a definition is read: for a statement
/// that reads definitions beside something else (`store::tokens::auth_check`).
pub const DEFINITION_COLUMNS_OF_A: &str = "a.id AS id, a.name AS name, a.scim_name AS scim_name, \
     a.type AS type, a.options AS options, a.aliases AS aliases, a.active AS active";

/// The schema of rows holding definition columns, in their order; a row whose `id` is NULL (a
/// LEFT JOIN that found no definition) holds none.
pub fn schema_from_rows(rows: &[Row]) -> Result<TenantSchema, StoreError> {
    let attributes = rows
        .iter()
        .filter(|r| r.get("id").is_some_and(|id| !id.is_null()))
        .map(|r| CustomAttr::from_row(r).map(Arc::new))
        .collect::<Result<_, _>>()?;
    Ok(TenantSchema { attributes })
}

/// A definition as the admin API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeRow {
    pub attr: CustomAttr,
    pub created: Timestamp,
}

impl FromRow for AttributeRow {
    fn from_row(row: &Row) -> Result<AttributeRow, StoreError> {
        Ok(AttributeRow {
            attr: CustomAttr::from_row(row)?,
            created: Columns(row).time("created")?,
        })
    }
}

/// A tenant's attributes in creation order, `limit` after `after`.
pub fn list(tenant: &TenantId, after: Option<&After>, limit: i64) -> Query<Vec<AttributeRow>> {
    let mut q = Sql::new();
    let tenant = q.bind(tenant);
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " AND (created, id) > ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT {DEFINITION_COLUMNS}, created FROM attributes WHERE tenant_id = {tenant}{after} \
         ORDER BY created, id LIMIT {limit}"
    )))
}

pub fn get(tenant: &TenantId, id: &str) -> Query<Option<AttributeRow>> {
    let mut q = Sql::new();
    let (tenant, id) = (q.bind(tenant), q.bind(id));
    Query::first(q.stmt(format!(
        "SELECT {DEFINITION_COLUMNS}, created FROM attributes WHERE tenant_id = {tenant} AND id = {id}"
    )))
}

/// A folded name another attribute already answers to, and that attribute's display name.
#[derive(Debug, Clone, PartialEq)]
pub struct NameTaken {
    pub name_fold: String,
    pub taken_by: String,
}

impl FromRow for NameTaken {
    fn from_row(row: &Row) -> Result<NameTaken, StoreError> {
        let c = Columns(row);
        Ok(NameTaken {
            name_fold: c.text("name_fold")?.to_string(),
            taken_by: c.text("taken_by")?.to_string(),
        })
    }
}

/// Which of the folded `names` (a JSON array) another attribute of the tenant (not `except`)
/// already answers to.
pub fn names_taken(tenant: &TenantId, names: &str, except: Option<&str>) -> Query<Vec<NameTaken>> {
    let mut q = Sql::new();
    let (tenant, names, except) = (q.bind(tenant), q.bind(names), q.bind(except));
    Query::all(q.stmt(format!(
        "SELECT n.name_fold AS name_fold, a.name AS taken_by FROM attribute_names n \
         JOIN attributes a ON a.tenant_id = n.tenant_id AND a.id = n.attribute_id \
         WHERE n.tenant_id = {tenant} AND n.name_fold IN (SELECT value FROM json_each({names})) \
         AND ({except} IS NULL OR n.attribute_id <> {except})"
    )))
}

/// A new attribute definition.
pub struct NewAttribute<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub scim_name: &'a str,
    pub ty: CustomType,
    /// The JSON text of the options list, if any.
    pub options: Option<String>,
    /// The JSON text of the aliases list.
    pub aliases: String,
    pub created: Timestamp,
}

pub fn insert(tenant: &TenantId, a: &NewAttribute<'_>) -> Stmt {
    let mut q = Sql::new();
    let values = [
        q.bind(tenant),
        q.bind(a.id),
        q.bind(a.name),
        q.bind(a.scim_name),
        q.bind(a.ty.as_str()),
        q.bind(a.options.as_deref()),
        q.bind(a.aliases.as_str()),
    ]
    .map(|p| p.to_string())
    .join(", ");
    let created = q.bind(a.created);
    // Only while the tenant exists: a create racing the tenant's deletion leaves nothing
    // behind for its purge to miss.
    let tenant = q.bind(tenant);
    q.stmt(format!(
        "INSERT INTO attributes (tenant_id, id, name, scim_name, type, options, aliases, active, created) \
         SELECT {values}, 1, {created} WHERE EXISTS (SELECT 1 FROM tenants WHERE id = {tenant})"
    ))
}

/// Sets the folded names an attribute answers to (a JSON array); a name another attribute holds
/// makes the batch fail (primary key), so two attributes never share one.
pub fn set_names(tenant: &TenantId, id: &str, names: &str) -> Vec<Stmt> {
    let mut q = Sql::new();
    let (t, i) = (q.bind(tenant), q.bind(id));
    let delete = q.stmt(format!(
        "DELETE FROM attribute_names WHERE tenant_id = {t} AND attribute_id = {i}"
    ));
    let mut q = Sql::new();
    let (t, i, n) = (q.bind(tenant), q.bind(id), q.bind(names));
    let insert = q.stmt(format!(
        "INSERT INTO attribute_names (tenant_id, name_fold, attribute_id) \
         SELECT {t}, value, {i} FROM json_each({n}) \
         WHERE EXISTS (SELECT 1 FROM tenants WHERE id = {t})"
    ));
    vec![delete, insert]
}

/// What a change of a definition sets; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct AttributeChange {
    pub name: Option<String>,
    /// `Some(None)` removes the options list; the text is the JSON of the new list.
    pub options: Option<Option<String>>,
    /// The JSON text of the new aliases list.
    pub aliases: Option<String>,
    pub active: Option<bool>,
}

pub fn update(tenant: &TenantId, id: &str, change: &AttributeChange) -> Stmt {
    let mut q = Sql::new();
    let (tenant, id) = (q.bind(tenant), q.bind(id));
    let name = q.bind(change.name.as_deref());
    let options = match &change.options {
        None => "options".to_string(),
        Some(o) => q.bind(o.as_deref()).to_string(),
    };
    let aliases = q.bind(change.aliases.as_deref());
    let active = q.bind(change.active);
    q.stmt(format!(
        "UPDATE attributes SET name = coalesce({name}, name), options = {options}, \
         aliases = coalesce({aliases}, aliases), active = coalesce({active}, active) \
         WHERE tenant_id = {tenant} AND id = {id}"
    ))
}
