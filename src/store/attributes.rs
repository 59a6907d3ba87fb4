//! SQL of a tenant's custom attribute definitions (DESIGN §4, §7).

use super::{Stmt, Value};
use crate::tenant_of_token;

/// The definitions of the token's tenant, in creation order: part of every SCIM batch, so that
/// a change applies to the very next request.
pub fn definitions(hash: &str) -> Stmt {
    Stmt::new(
        concat!(
            "SELECT id, name, scim_name, type, options, aliases, active FROM attributes WHERE tenant_id = ",
            tenant_of_token!(),
            " ORDER BY created, id"
        ),
        vec![hash.into()],
    )
}

/// The columns the admin API shows.
const ADMIN_COLUMNS: &str = "id, name, scim_name, type, options, aliases, active, created";

/// A tenant's attributes in creation order, `limit` after the cursor `(created, id)`.
pub fn list(tenant_id: &str, after: Option<(&str, &str)>, limit: i64) -> Stmt {
    match after {
        None => Stmt::new(
            format!("SELECT {ADMIN_COLUMNS} FROM attributes WHERE tenant_id = ?1 ORDER BY created, id LIMIT ?2"),
            vec![tenant_id.into(), limit.into()],
        ),
        Some((created, id)) => Stmt::new(
            format!(
                "SELECT {ADMIN_COLUMNS} FROM attributes WHERE tenant_id = ?1 AND (created, id) > (?2, ?3) \
                 ORDER BY created, id LIMIT ?4"
            ),
            vec![tenant_id.into(), created.into(), id.into(), limit.into()],
        ),
    }
}

pub fn get(tenant_id: &str, id: &str) -> Stmt {
    Stmt::new(
        format!("SELECT {ADMIN_COLUMNS} FROM attributes WHERE tenant_id = ?1 AND id = ?2"),
        vec![tenant_id.into(), id.into()],
    )
}

/// Which of the folded `names` (a JSON array) another attribute of the tenant already answers
/// to, with that attribute's display name.
pub fn names_taken(tenant_id: &str, names: &str, except: Option<&str>) -> Stmt {
    Stmt::new(
        "SELECT n.name_fold AS name_fold, a.name AS taken_by FROM attribute_names n \
         JOIN attributes a ON a.tenant_id = n.tenant_id AND a.id = n.attribute_id \
         WHERE n.tenant_id = ?1 AND n.name_fold IN (SELECT value FROM json_each(?2)) \
         AND (?3 IS NULL OR n.attribute_id <> ?3)",
        vec![tenant_id.into(), names.into(), except.into()],
    )
}

/// A new attribute definition.
pub struct NewAttribute<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub scim_name: &'a str,
    pub ty: &'a str,
    pub options: Option<String>,
    pub aliases: String,
    pub created: &'a str,
}

pub fn insert(tenant_id: &str, a: &NewAttribute<'_>) -> Stmt {
    Stmt::new(
        "INSERT INTO attributes (tenant_id, id, name, scim_name, type, options, aliases, active, created) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)",
        vec![
            tenant_id.into(),
            a.id.into(),
            a.name.into(),
            a.scim_name.into(),
            a.ty.into(),
            a.options.clone().into(),
            a.aliases.clone().into(),
            a.created.into(),
        ],
    )
}

/// Sets the folded names an attribute answers to (a JSON array); a name another attribute holds
/// makes the batch fail (primary key), so two attributes never share one.
pub fn set_names(tenant_id: &str, id: &str, names: &str) -> Vec<Stmt> {
    vec![
        Stmt::new(
            "DELETE FROM attribute_names WHERE tenant_id = ?1 AND attribute_id = ?2",
            vec![tenant_id.into(), id.into()],
        ),
        Stmt::new(
            "INSERT INTO attribute_names (tenant_id, name_fold, attribute_id) \
             SELECT ?1, value, ?2 FROM json_each(?3) WHERE true",
            vec![tenant_id.into(), id.into(), names.into()],
        ),
    ]
}

/// Changes a definition; `None` keeps a field. `options` is the JSON text of the new list.
pub fn update(
    tenant_id: &str,
    id: &str,
    name: Option<&str>,
    options: Option<Option<String>>,
    aliases: Option<String>,
    active: Option<bool>,
) -> Stmt {
    let (set_options, options) = match options {
        None => (0, None),
        Some(o) => (1, o),
    };
    Stmt::new(
        "UPDATE attributes SET name = coalesce(?3, name), \
         options = CASE WHEN ?4 = 1 THEN ?5 ELSE options END, \
         aliases = coalesce(?6, aliases), active = coalesce(?7, active) \
         WHERE tenant_id = ?1 AND id = ?2",
        vec![
            tenant_id.into(),
            id.into(),
            name.into(),
            Value::Int(set_options),
            options.into(),
            aliases.into(),
            active.into(),
        ],
    )
}
