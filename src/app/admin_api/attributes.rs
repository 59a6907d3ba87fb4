//! The admin API for a tenant's own employee attributes (DESIGN §4, §7): create, list, read and
//! change definitions. A definition's SCIM name is given at creation (`scim_name`) or derived
//! once from its first display name (`scim::naming`), and never changes; renaming, changing aliases or options, and deactivating
//! keep the stored values (they are keyed by attribute id). Display names, SCIM names and
//! aliases share one namespace per tenant, compared with case folding: a clash is a 409.

use super::audit::{did, record};
use super::error::AdminError;
use super::request::{bool_field, display_string, page, paging, refuse_unknown_fields};
use super::tenants::MAX_NAME_CHARS;
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::prefixed_id;
use crate::app::plumbing::Response;
use crate::model::TenantId;
use crate::scim::fold::fold;
use crate::scim::naming::{is_attr_name, scim_name_for, MAX_ATTR_NAME_LEN};
use crate::scim::tenant::CustomType;
use crate::store::admins::Action;
use crate::store::attributes::{
    self as sql, AttributeChange, AttributeRow, NameTaken, NewAttribute,
};
use crate::store::{After, Store};
use serde_json::{json, Map, Value};

/// Longest option value, in characters (DESIGN §4).
pub const MAX_OPTION_CHARS: usize = 256;
/// Most options of one `option` attribute, and most aliases of one attribute.
pub const MAX_OPTIONS: usize = 1000;
pub const MAX_ALIASES: usize = 50;

fn bad(detail: String) -> AdminError {
    AdminError::BadRequest(detail)
}

/// An attribute as the admin API shows it.
fn attribute_json(row: &AttributeRow) -> Value {
    let a = &row.attr;
    json!({
        "id": a.id,
        "name": a.name,
        "scim_name": a.scim_name,
        "type": a.ty.as_str(),
        "aliases": a.aliases,
        "options": a.options,
        "active": a.active,
        "created": row.created.to_rfc3339(),
    })
}

/// Aliases: a list of RFC 7643 ATTRNAMEs, duplicates (case-insensitive) collapsed.
fn aliases(value: &Value) -> Result<Vec<String>, AdminError> {
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

/// The SCIM name of a new attribute: the one given (`scim_name`, a valid ATTRNAME, checked like
/// an alias), else the one derived from the display name. A display name in a script without
/// Latin letters or digits ("部署", "Отдел") derives none: then `scim_name` is required, and the
/// error says so.
fn scim_name(display: &str, given: Option<&Value>) -> Result<String, AdminError> {
    match given {
        None | Some(Value::Null) => scim_name_for(display).ok_or_else(|| {
            bad(format!(
                "No SCIM name can be derived from \"{display}\" (it has no Latin letters or digits): \
                 give one in \"scim_name\", e.g. \"Department\": a letter, then letters, digits, '_' or '-', \
                 at most {MAX_ATTR_NAME_LEN} characters (RFC 7643 §2.1)"
            ))
        }),
        Some(Value::String(n)) if is_attr_name(n) => Ok(n.clone()),
        Some(Value::String(n)) => Err(bad(format!(
            "\"scim_name\" \"{n}\" is not a valid SCIM attribute name: a letter, then letters, digits, '_' or '-', \
             at most {MAX_ATTR_NAME_LEN} characters (RFC 7643 §2.1)"
        ))),
        Some(_) => Err(bad("\"scim_name\" must be a string".into())),
    }
}

/// The options of an `option` attribute: non-empty strings, distinct case-insensitively.
fn options(value: &Value) -> Result<Option<Vec<String>>, AdminError> {
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

fn conflict(taken: &[NameTaken]) -> Option<AdminError> {
    let t = taken.first()?;
    Some(AdminError::Conflict(format!(
        "The name \"{}\" is already used by the attribute \"{}\"",
        t.name_fold, t.taken_by
    )))
}

/// A clash found only by the database (a concurrent change won): still a 409.
fn race(e: AdminError) -> AdminError {
    match e {
        AdminError::Conflict(_) => {
            AdminError::Conflict("A name of this attribute was taken meanwhile".into())
        }
        other => other,
    }
}

/// `POST /admin/v1/tenants/{tenant}/attributes`.
pub async fn create<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name", "type", "aliases", "options", "scim_name"])?;
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
    let scim_name = scim_name(&name, body.get("scim_name"))?;
    let names = Value::from(names(&name, &scim_name, &aliases)).to_string();
    let mut check = TenantBatch::new(tenant);
    let taken = check.read(sql::names_taken(tenant, &names, None));
    let (_, mut results) = check.run(store).await?;
    if let Some(e) = conflict(&results.take(taken)?) {
        return Err(e);
    }
    let id = prefixed_id("att", ctx.random).map_err(AdminError::Internal)?;
    let new = NewAttribute {
        id: &id,
        name: &name,
        scim_name: &scim_name,
        ty,
        options: options.as_ref().map(|o| Value::from(o.clone()).to_string()),
        aliases: Value::from(aliases.clone()).to_string(),
        created: ctx.now,
    };
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::insert(tenant, &new));
    batch.write_all(sql::set_names(tenant, &id, &names));
    record(&mut batch, tenant, ctx, did("attribute.created", Some(&id)));
    let created = batch.read(sql::get(tenant, &id));
    let (_, mut results) = batch.run(store).await.map_err(race)?;
    let row = results
        .take(created)?
        .ok_or_else(|| AdminError::Internal("attribute not stored".into()))?;
    Ok(json(201, &attribute_json(&row)))
}

/// `GET /admin/v1/tenants/{tenant}/attributes`: in creation order.
pub async fn list<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut batch = TenantBatch::new(tenant);
    let rows = batch.read(sql::list(tenant, after.as_ref(), limit + 1));
    let (_, mut results) = batch.run(store).await?;
    let (rows, next) = page(results.take(rows)?, limit, |a| After {
        created: a.created,
        id: a.attr.id.clone(),
    });
    let attributes: Vec<Value> = rows.iter().map(attribute_json).collect();
    Ok(json(
        200,
        &json!({ "attributes": attributes, "next_cursor": next }),
    ))
}

fn no_such_attribute() -> AdminError {
    AdminError::NotFound("No such attribute".into())
}

pub(super) async fn fetch<S: Store>(
    tenant: &TenantId,
    id: &str,
    store: &S,
) -> Result<AttributeRow, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let row = batch.read(sql::get(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    results.take(row)?.ok_or_else(no_such_attribute)
}

/// `GET /admin/v1/tenants/{tenant}/attributes/{id}`.
pub async fn get<S: Store>(tenant: &TenantId, id: &str, store: &S) -> Result<Response, AdminError> {
    Ok(json(200, &attribute_json(&fetch(tenant, id, store).await?)))
}

/// `PATCH /admin/v1/tenants/{tenant}/attributes/{id}`: any of `name`, `aliases` (the whole new
/// list), `options`, `active`; the SCIM name never changes.
pub async fn update<S: Store>(
    tenant: &TenantId,
    id: &str,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    update_with(tenant, id, body, store, ctx, Vec::new()).await
}

/// [`update`], with further statements in the batch of the change (attribute health forgets
/// the name that has just become an alias, `super::attribute_health`).
pub(super) async fn update_with<S: Store>(
    tenant: &TenantId,
    id: &str,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
    also: Vec<crate::store::Stmt>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name", "aliases", "options", "active"])?;
    let current = fetch(tenant, id, store).await?.attr;
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
    if new_options.as_ref().is_some_and(Option::is_some) && current.ty != CustomType::Option {
        return Err(bad(
            "\"options\" apply only to attributes of type option".into()
        ));
    }
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::update(
        tenant,
        id,
        &AttributeChange {
            name: name.clone(),
            options: new_options
                .as_ref()
                .map(|o| o.as_ref().map(|list| Value::from(list.clone()).to_string())),
            aliases: new_aliases
                .as_ref()
                .map(|a| Value::from(a.clone()).to_string()),
            active,
        },
    ));
    if name.is_some() || new_aliases.is_some() {
        let display = name.as_deref().unwrap_or(&current.name);
        let alias_list = new_aliases.as_ref().unwrap_or(&current.aliases);
        let names = Value::from(names(display, &current.scim_name, alias_list)).to_string();
        let mut check = TenantBatch::new(tenant);
        let taken = check.read(sql::names_taken(tenant, &names, Some(id)));
        let (_, mut results) = check.run(store).await?;
        if let Some(e) = conflict(&results.take(taken)?) {
            return Err(e);
        }
        batch.write_all(sql::set_names(tenant, id, &names));
    }
    batch.write_all(also);
    let fields: Vec<&str> = body.keys().map(String::as_str).collect();
    let changed = fields.join(", ");
    record(
        &mut batch,
        tenant,
        ctx,
        Action {
            detail: Some(&changed),
            ..did("attribute.updated", Some(id))
        },
    );
    let updated = batch.read(sql::get(tenant, id));
    let (_, mut results) = batch.run(store).await.map_err(race)?;
    let row = results.take(updated)?.ok_or_else(no_such_attribute)?;
    Ok(json(200, &attribute_json(&row)))
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
    fn a_scim_name_is_given_or_derived_and_required_only_when_none_derives() {
        assert_eq!(scim_name("Employed Since", None).unwrap(), "Employed_Since");
        assert_eq!(
            scim_name("部署", Some(&json!("Department"))).unwrap(),
            "Department"
        );
        assert_eq!(scim_name("Team", Some(&json!("Squad"))).unwrap(), "Squad");
        let AdminError::BadRequest(detail) = scim_name("Отдел", None).unwrap_err() else {
            panic!("a 400");
        };
        assert!(detail.contains("give one in \"scim_name\""), "{detail}");
        for bad_name in [
            json!("Отдел"),
            json!("2nd"),
            json!("a b"),
            json!(5),
            json!(""),
        ] {
            assert!(scim_name("部署", Some(&bad_name)).is_err(), "{bad_name}");
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
