//! The admin API for a tenant's own employee attributes (DESIGN §4, §7): create, list, read and
//! change definitions. A definition's SCIM name is derived once from its first display name
//! (`scim::naming`) and never changes; renaming, changing aliases or options, and deactivating
//! keep the stored values (they are keyed by attribute id). Display names, SCIM names and
//! aliases share one namespace per tenant, compared with case folding: a clash is a 409.

use super::admin::{
    batch, bool_field, display_string, paging, refuse_unknown_fields, tenant_not_found,
    tenant_page, MAX_NAME_CHARS,
};
use super::ids::prefixed_id;
use super::respond::admin_json;
use super::{Ctx, Response};
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::naming::{is_attr_name, scim_name_for, MAX_ATTR_NAME_LEN};
use crate::scim::tenant::CustomType;
use crate::store::attributes::{self as sql, NewAttribute};
use crate::store::{Row, Store};
use serde_json::{json, Map, Value};

/// Longest option value, in characters (DESIGN §4).
pub const MAX_OPTION_CHARS: usize = 256;
/// Most options of one `option` attribute, and most aliases of one attribute.
pub const MAX_OPTIONS: usize = 1000;
pub const MAX_ALIASES: usize = 50;

fn bad(detail: String) -> ScimError {
    ScimError::BadRequest(detail)
}

/// An attribute row as the admin API shows it.
fn attribute_json(row: &Row) -> Value {
    let list = |k: &str| -> Value {
        row.get(k)
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .unwrap_or(Value::Null)
    };
    json!({
        "id": row.get("id"),
        "name": row.get("name"),
        "scim_name": row.get("scim_name"),
        "type": row.get("type"),
        "aliases": match list("aliases") { Value::Null => json!([]), v => v },
        "options": list("options"),
        "active": row.get("active").and_then(Value::as_i64) == Some(1),
        "created": row.get("created"),
    })
}

/// Aliases: a list of RFC 7643 ATTRNAMEs, duplicates (case-insensitive) collapsed.
fn aliases(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = value
        .as_array()
        .ok_or_else(|| bad("\"aliases\" must be an array of names".into()))?;
    if items.len() > MAX_ALIASES {
        return Err(bad(format!("At most {MAX_ALIASES} aliases")));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let a = item
            .as_str()
            .ok_or_else(|| bad("\"aliases\" must hold strings".into()))?;
        if !is_attr_name(a) {
            return Err(bad(format!(
                "Alias \"{a}\" is not a valid SCIM attribute name: a letter, then letters, digits, '_' or '-', \
                 at most {MAX_ATTR_NAME_LEN} characters (RFC 7643 §2.1)"
            )));
        }
        if !out.iter().any(|o| fold(o) == fold(a)) {
            out.push(a.to_string());
        }
    }
    Ok(out)
}

/// The options of an `option` attribute: non-empty strings, distinct case-insensitively.
fn options(value: &Value) -> Result<Option<Vec<String>>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    let items = value
        .as_array()
        .ok_or_else(|| bad("\"options\" must be an array of strings or null".into()))?;
    if items.len() > MAX_OPTIONS {
        return Err(bad(format!("At most {MAX_OPTIONS} options")));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let o = item
            .as_str()
            .ok_or_else(|| bad("\"options\" must hold strings".into()))?;
        if o.trim().is_empty() || o.chars().count() > MAX_OPTION_CHARS {
            return Err(bad(format!(
                "Each option must be 1 to {MAX_OPTION_CHARS} characters"
            )));
        }
        if out.iter().any(|x| fold(x) == fold(o)) {
            return Err(bad(format!("Option \"{o}\" is listed twice")));
        }
        out.push(o.to_string());
    }
    Ok(Some(out))
}

/// Every folded name an attribute answers to.
fn names(display: &str, scim_name: &str, aliases: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in std::iter::once(display)
        .chain(std::iter::once(scim_name))
        .chain(aliases.iter().map(String::as_str))
    {
        let f = fold(n);
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

fn conflict(taken: &[Row]) -> Option<ScimError> {
    let row = taken.first()?;
    let name = row
        .get("name_fold")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let by = row
        .get("taken_by")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(ScimError::Uniqueness(format!(
        "The name \"{name}\" is already used by the attribute \"{by}\""
    )))
}

/// A clash found only by the database (a concurrent change won): still a 409.
fn race(e: ScimError) -> ScimError {
    match e {
        ScimError::Uniqueness(_) => {
            ScimError::Uniqueness("A name of this attribute was taken meanwhile".into())
        }
        other => other,
    }
}

pub async fn create<S: Store>(
    tenant_id: &str,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    refuse_unknown_fields(&body, &["name", "type", "aliases", "options"])?;
    let name = display_string(
        body.get("name").unwrap_or(&Value::Null),
        "name",
        MAX_NAME_CHARS,
    )?;
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .and_then(CustomType::parse)
        .ok_or_else(|| {
            bad("\"type\" must be one of text, option, date, number, employee".into())
        })?;
    let aliases = aliases(body.get("aliases").unwrap_or(&json!([])))?;
    let options = options(body.get("options").unwrap_or(&Value::Null))?;
    if options.is_some() && ty != CustomType::Option {
        return Err(bad(
            "\"options\" apply only to attributes of type option".into()
        ));
    }
    let scim_name = scim_name_for(&name).ok_or_else(|| {
        bad(format!(
            "No SCIM name can be derived from \"{name}\": use letters or digits in the name"
        ))
    })?;
    let names = Value::from(names(&name, &scim_name, &aliases)).to_string();
    let mut first = batch(
        store,
        vec![
            crate::store::admin::get_tenant(tenant_id),
            sql::names_taken(tenant_id, &names, None),
        ],
    )
    .await?;
    if first[0].is_empty() {
        return Err(tenant_not_found());
    }
    if let Some(e) = conflict(&first.remove(1)) {
        return Err(e);
    }
    let id = prefixed_id("att", ctx.random).map_err(ScimError::Internal)?;
    let created = ctx.now.to_rfc3339();
    let new = NewAttribute {
        id: &id,
        name: &name,
        scim_name: &scim_name,
        ty: ty.as_str(),
        options: options.as_ref().map(|o| Value::from(o.clone()).to_string()),
        aliases: Value::from(aliases.clone()).to_string(),
        created: &created,
    };
    let mut stmts = vec![sql::insert(tenant_id, &new)];
    stmts.extend(sql::set_names(tenant_id, &id, &names));
    stmts.push(sql::get(tenant_id, &id));
    let results = batch(store, stmts).await.map_err(race)?;
    let row = results
        .last()
        .and_then(|r| r.first())
        .ok_or_else(|| ScimError::Internal("attribute not stored".into()))?;
    Ok(admin_json(201, &attribute_json(row)))
}

pub async fn list<S: Store>(
    tenant_id: &str,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, ScimError> {
    let (limit, cursor) = paging(params)?;
    let after = cursor.as_ref().map(|(c, i)| (c.as_str(), i.as_str()));
    let (rows, next) = tenant_page(
        store,
        tenant_id,
        sql::list(tenant_id, after, limit + 1),
        limit,
    )
    .await?;
    let attributes: Vec<Value> = rows.iter().map(attribute_json).collect();
    Ok(admin_json(
        200,
        &json!({ "attributes": attributes, "next_cursor": next }),
    ))
}

async fn fetch<S: Store>(tenant_id: &str, id: &str, store: &S) -> Result<Row, ScimError> {
    let mut results = batch(
        store,
        vec![
            crate::store::admin::get_tenant(tenant_id),
            sql::get(tenant_id, id),
        ],
    )
    .await?;
    if results[0].is_empty() {
        return Err(tenant_not_found());
    }
    results
        .remove(1)
        .into_iter()
        .next()
        .ok_or_else(|| ScimError::NotFound("No such attribute".into()))
}

pub async fn get<S: Store>(tenant_id: &str, id: &str, store: &S) -> Result<Response, ScimError> {
    Ok(admin_json(
        200,
        &attribute_json(&fetch(tenant_id, id, store).await?),
    ))
}

pub async fn update<S: Store>(
    tenant_id: &str,
    id: &str,
    body: Map<String, Value>,
    store: &S,
) -> Result<Response, ScimError> {
    refuse_unknown_fields(&body, &["name", "aliases", "options", "active"])?;
    let current = fetch(tenant_id, id, store).await?;
    let current_json = attribute_json(&current);
    let name = body
        .get("name")
        .map(|v| display_string(v, "name", MAX_NAME_CHARS))
        .transpose()?;
    let new_aliases = body.get("aliases").map(aliases).transpose()?;
    let new_options = body.get("options").map(options).transpose()?;
    let active = body
        .get("active")
        .map(|v| bool_field(v, "active"))
        .transpose()?;
    if new_options.as_ref().is_some_and(Option::is_some) && current_json["type"] != json!("option")
    {
        return Err(bad(
            "\"options\" apply only to attributes of type option".into()
        ));
    }
    let text = |k: &str| current_json[k].as_str().unwrap_or_default().to_string();
    let display = name.clone().unwrap_or_else(|| text("name"));
    let alias_list: Vec<String> = match &new_aliases {
        Some(a) => a.clone(),
        None => serde_json::from_value(current_json["aliases"].clone()).unwrap_or_default(),
    };
    let mut stmts = Vec::new();
    if name.is_some() || new_aliases.is_some() {
        let names = Value::from(names(&display, &text("scim_name"), &alias_list)).to_string();
        let taken = batch(store, vec![sql::names_taken(tenant_id, &names, Some(id))]).await?;
        if let Some(e) = conflict(&taken[0]) {
            return Err(e);
        }
        stmts.extend(sql::set_names(tenant_id, id, &names));
    }
    stmts.insert(
        0,
        sql::update(
            tenant_id,
            id,
            name.as_deref(),
            new_options.map(|o| o.map(|list| Value::from(list).to_string())),
            new_aliases.map(|a| Value::from(a).to_string()),
            active,
        ),
    );
    stmts.push(sql::get(tenant_id, id));
    let results = batch(store, stmts).await.map_err(race)?;
    let row = results
        .last()
        .and_then(|r| r.first())
        .ok_or_else(|| ScimError::NotFound("No such attribute".into()))?;
    Ok(admin_json(200, &attribute_json(row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_must_be_attribute_names_and_collapse_case_duplicates() {
        assert_eq!(
            aliases(&json!(["EmployedSince", "employedsince", "Start_Date"])).unwrap(),
            vec!["EmployedSince", "Start_Date"]
        );
        for bad_alias in [
            json!(["Employed Since"]),
            json!(["1st"]),
            json!(["_x"]),
            json!([5]),
            json!("x"),
        ] {
            assert!(aliases(&bad_alias).is_err(), "{bad_alias}");
        }
    }

    #[test]
    fn options_are_distinct_non_empty_strings() {
        assert_eq!(
            options(&json!(["Sales", "R&D"])).unwrap(),
            Some(vec!["Sales".to_string(), "R&D".to_string()])
        );
        assert_eq!(options(&Value::Null).unwrap(), None);
        for bad_options in [
            json!(["a", "A"]),
            json!([""]),
            json!([1]),
            json!("a"),
            json!(["x".repeat(257)]),
        ] {
            assert!(options(&bad_options).is_err(), "{bad_options}");
        }
    }

    #[test]
    fn an_attribute_answers_to_its_display_name_scim_name_and_aliases() {
        assert_eq!(
            names(
                "Employed Since",
                "Employed_Since",
                &["EmployedSince".to_string(), "employed_since".to_string()]
            ),
            vec!["employed since", "employed_since", "employedsince"]
        );
        assert_eq!(names("Department", "Department", &[]), vec!["department"]);
    }
}
