//! PATCH (RFC 7644 §3.5.2) applied to a canonical User document (`scim::user`).
//!
//! - `add`, `replace` and `remove`, with and without `path`; paths to attributes,
//!   sub-attributes (`name.givenName`), values selected by a filter
//!   (`emails[type eq "work"]`, `addresses[type eq "work"].streetAddress`), extension
//!   attributes (`urn:…:enterprise:2.0:User:manager`) and whole extensions (the URN alone).
//! - A request applies atomically: every operation in order on a copy, or none; the first that
//!   fails fails the request, its index in the `detail` ("Operation 2: ..."). The result is
//!   checked against the schema: values are type-checked by the code that reads POST and PUT
//!   (`user::canonical`, `tenant::custom_value`), within the input limits (`scim::limits`),
//!   readOnly attributes refused, the required `userName` kept (the operation that removed it
//!   is named); the database decides `uniqueness` (409) when the result is written.
//! - Multi-valued attributes: `add` appends values (a value with the same `value` and `type` as
//!   one present is merged into it instead: RFC 7644 §3.5.2.1, "If the target location already
//!   contains the value specified, no changes SHOULD be made"); `replace` without a filter
//!   replaces them all; a filter selects the values to replace or remove. Setting `primary` to
//!   true on one value sets it to false on the others (§3.5.2), so at most one is primary.
//!   Values are matched by a hash of what makes them the same (`value_key`), and a filter is
//!   evaluated once per value, so an operation costs O(values present + values sent); at most
//!   `limits::MAX_VALUES` of either.
//! - Complex attributes (`name`, a whole extension): `add` and `replace` set the sub-attributes
//!   given and leave the others (§3.5.2.3: "Sub-attributes that are not specified in the
//!   'value' parameter are left unchanged").
//! - Errors (RFC 7644 §3.12): `invalidSyntax` for a malformed request (the PatchOp schema
//!   missing included), `invalidPath` for a path that is not one or names nothing known,
//!   `noTarget` for a filter that selects nothing and a `remove` without a path, `mutability`
//!   for readOnly attributes and for removing the required `userName` (§3.5.2), `invalidValue`
//!   for an unknown `op` (Table 9) and for values of the wrong type or past a limit.
//!
//! What identity providers send beyond the RFC, each proven by a fixture or a test:
//! - Okta deactivates and reactivates with a path-less `{"op":"replace","value":{"active":false}}`
//!   (fixtures `okta-crud-test`, `okta-scim-20-reference`).
//! - Microsoft Entra capitalises `Add`/`Replace`/`Remove`, sends booleans as the strings
//!   "True"/"False", sends path-less values whose keys are paths (`"name.givenName"`,
//!   `"urn:…:enterprise:2.0:User:employeeNumber"`: the `aadOptscim062020` flag), and the
//!   manager as a bare id, as `{"value": id}`, or as a one-element array (fixtures
//!   `entra-known-issues-scim-compliance`, `entra-tutorial-user-operations`).
//! - DESIGN §6's one deliberate deviation: `add`/`replace` of `<attr>[type eq "<t>"].<sub>` when
//!   no value has that type creates `{"type": "<t>", "<sub>": value}` (Entra sends
//!   `emails[type eq "work"].value` for users without a work email). Any other filter that
//!   selects nothing is a 400 `noTarget`.
//! - Attributes the service does not keep (`password`, `roles`, ...) are ignored, in paths too;
//!   unknown attributes in a path-less value are ignored as in POST and PUT, while an unknown
//!   `path` is a 400 `invalidPath`.

mod eval;
mod target;
#[cfg(test)]
mod tests;

use super::error::ScimError;
use super::fold::fold;
use super::limits;
use super::path::{AttrRef, Container, Def};
use super::schema::{self, Attr, Mutability, Type, ENTERPRISE_USER, PATCH_OP, TENANT_USER};
use super::tenant::{self, CustomAttr, TenantSchema};
use super::user::{self, check_one_primary, Doc, Parsed};
use serde_json::{json, Map, Value};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use target::{Ext, Resolution, Select, Target};

/// Most operations in one PATCH request; more are refused (400 `invalidValue`) before any is
/// applied. Advertised in `/ServiceProviderConfig`'s authentication scheme description.
pub const MAX_OPERATIONS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<String>,
    pub value: Option<Value>,
}

fn syntax(detail: String) -> ScimError {
    ScimError::InvalidSyntax(detail)
}

fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
}

/// The operations of a PatchOp request body (RFC 7644 §3.5.2). Member names are matched
/// case-insensitively (RFC 7643 §2.1), and so are operation names: Entra sends `Replace`.
pub fn parse_request(body: &Map<String, Value>) -> Result<Vec<PatchOp>, ScimError> {
    // RFC 7644 §3.5.2: "The body of each request MUST contain the "schemas" attribute with the
    // URI value of "urn:ietf:params:scim:api:messages:2.0:PatchOp"." A body without it, or with
    // other URNs, does not conform to the request's (message) schema: RFC 7644 §3.12's
    // `invalidSyntax`. Every PATCH Okta and Entra document sending carries it
    // (`tests/fixtures/`).
    let schemas = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v);
    let ok = schemas.and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP)))
    });
    if !ok {
        return Err(syntax(format!(
            "A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]"
        )));
    }
    let ops = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v)
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("A PATCH request needs an \"Operations\" array".into()))?;
    if ops.is_empty() {
        return Err(syntax("\"Operations\" is empty".into()));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(invalid(format!(
            "A PATCH request may carry at most {MAX_OPERATIONS} operations, not {}",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let obj = op
                .as_object()
                .ok_or_else(|| syntax(format!("Operation {i} is not an object")))?;
            let get = |name: &str| {
                obj.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            };
            let kind = match get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => OpKind::Add,
                Some("replace") => OpKind::Replace,
                Some("remove") => OpKind::Remove,
                // RFC 7644 §3.12, Table 9 lists `invalidValue` for PATCH: "A required value was
                // missing, or the value specified was not compatible with the operation".
                _ => {
                    return Err(invalid(format!(
                        "Operation {i}: \"op\" must be add, replace or remove"
                    )))
                }
            };
            let path = match get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(syntax(format!("Operation {i}: \"path\" must be a string"))),
            };
            let value = get("value").cloned();
            if kind != OpKind::Remove && value.is_none() {
                return Err(syntax(format!(
                    "Operation {i}: \"value\" is required for {}",
                    kind.as_str()
                )));
            }
            // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails with HTTP status
            // code 400 and a "scimType" error code of "noTarget"."
            if kind == OpKind::Remove && path.is_none() {
                return Err(ScimError::NoTarget(format!(
                    "Operation {i}: remove needs a \"path\""
                )));
            }
            Ok(PatchOp {
                op: kind,
                path,
                value,
            })
        })
        .collect()
}

/// Applies every operation to a copy of `doc`, in order; the first failing one fails the
/// request, its index in the detail. Returns the new document and notes for the activity log.
/// The result is checked as a stored resource is (`scim::limits::check_resource`: values per
/// multi-valued attribute, bytes).
pub fn apply(doc: &Doc, ops: &[PatchOp], schema: &TenantSchema) -> Result<Parsed, ScimError> {
    let mut out = doc.clone();
    let mut notes = Vec::new();
    // The operation that left userName without a usable value, if one did: named when the
    // request ends without one (a later operation may set it again).
    let mut user_name_lost_by = None;
    for (i, op) in ops.iter().enumerate() {
        let had_user_name = user_name_state(&out) == UserName::Set;
        apply_one(&mut out, op, schema, &mut notes).map_err(|e| at_operation(i, e))?;
        if had_user_name && user_name_state(&out) != UserName::Set {
            user_name_lost_by = Some(i);
        }
    }
    if let Some(i) = user_name_lost_by {
        match user_name_state(&out) {
            UserName::Set => {}
            // RFC 7644 §3.5.2: "If an attribute is removed or becomes unassigned and is defined
            // as a required attribute or a read-only attribute, the server SHALL return ... a
            // "scimType" error code of "mutability"."
            UserName::Unassigned => {
                return Err(at_operation(
                    i,
                    ScimError::Mutability(
                        "userName is required: it cannot be removed or left unassigned".into(),
                    ),
                ))
            }
            // A value, but not one a userName can be: the value is what is wrong.
            UserName::Blank => {
                return Err(at_operation(
                    i,
                    invalid("userName must be a non-empty string".into()),
                ))
            }
        }
    }
    limits::check_resource(&out)?;
    notes.dedup();
    Ok(Parsed { doc: out, notes })
}

/// What a document holds as its userName.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserName {
    Set,
    /// Absent, null or "" (RFC 7643 §2.5: unassigned).
    Unassigned,
    /// Only white space.
    Blank,
}

fn user_name_state(doc: &Doc) -> UserName {
    match doc.get("userName") {
        None | Some(Value::Null) => UserName::Unassigned,
        Some(Value::String(s)) if s.is_empty() => UserName::Unassigned,
        Some(Value::String(s)) if s.trim().is_empty() => UserName::Blank,
        Some(_) => UserName::Set,
    }
}

fn at_operation(i: usize, e: ScimError) -> ScimError {
    let prefix = |d: String| format!("Operation {i}: {d}");
    match e {
        ScimError::InvalidPath(d) => ScimError::InvalidPath(prefix(d)),
        ScimError::InvalidValue(d) => ScimError::InvalidValue(prefix(d)),
        ScimError::NoTarget(d) => ScimError::NoTarget(prefix(d)),
        ScimError::Mutability(d) => ScimError::Mutability(prefix(d)),
        ScimError::InvalidSyntax(d) => ScimError::InvalidSyntax(prefix(d)),
        other => other,
    }
}

fn apply_one(
    doc: &mut Doc,
    op: &PatchOp,
    schema: &TenantSchema,
    notes: &mut Vec<String>,
) -> Result<(), ScimError> {
    match &op.path {
        None => {
            // RFC 7644 §3.5.2.1, §3.5.2.3: without a path, "value" holds the attributes to add
            // or replace, each applied as if it had been given with its own path.
            let value = op
                .value
                .as_ref()
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    invalid(format!(
                        "Without a \"path\", the value of {} must be an object of attributes",
                        op.op.as_str()
                    ))
                })?;
            apply_object(doc, op.op, value, schema, notes)
        }
        Some(path) => match target::resolve(path, schema)? {
            Resolution::Found(t) => {
                apply_target(doc, op.op, path, &t, op.value.as_ref(), schema, notes)
            }
            Resolution::Unknown(detail) => Err(ScimError::InvalidPath(detail)),
        },
    }
}

/// A path-less value: each key is a path (Entra's `name.givenName`, full URN paths) or an
/// extension URN holding an object.
fn apply_object(
    doc: &mut Doc,
    kind: OpKind,
    value: &Map<String, Value>,
    schema: &TenantSchema,
    notes: &mut Vec<String>,
) -> Result<(), ScimError> {
    for (key, v) in value {
        // Clients echo what they read: `schemas`, and the readOnly `id` and `meta` (ignored, as
        // in PUT, RFC 7644 §3.5.1).
        if ["schemas", "id", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            continue;
        }
        match target::resolve(key, schema)? {
            Resolution::Found(Target::Resource) => {
                let inner = v.as_object().ok_or_else(|| {
                    invalid(format!("\"{key}\" must be an object of User attributes"))
                })?;
                apply_object(doc, kind, inner, schema, notes)?;
            }
            // readOnly attributes in a value are ignored, as in PUT.
            Resolution::Found(Target::ReadOnly(_)) => {}
            Resolution::Found(t) => apply_target(doc, kind, key, &t, Some(v), schema, notes)?,
            Resolution::Unknown(_) => {}
        }
    }
    Ok(())
}

fn apply_target(
    doc: &mut Doc,
    kind: OpKind,
    path: &str,
    target: &Target,
    value: Option<&Value>,
    schema: &TenantSchema,
    notes: &mut Vec<String>,
) -> Result<(), ScimError> {
    let value = value.unwrap_or(&Value::Null);
    match target {
        Target::Resource => match kind {
            OpKind::Remove => Err(ScimError::InvalidPath(format!(
                "\"{path}\" is the resource itself; remove its attributes"
            ))),
            _ => {
                let obj = value.as_object().ok_or_else(|| {
                    invalid(format!(
                        "The value for \"{path}\" must be an object of User attributes"
                    ))
                })?;
                apply_object(doc, kind, obj, schema, notes)
            }
        },
        Target::Extension(ext) => extension(doc, kind, *ext, value, schema, notes),
        Target::Ignored => Ok(()),
        Target::ReadOnly(name) => Err(ScimError::Mutability(format!("\"{name}\" is read-only"))),
        Target::Inactive(name) => {
            notes.push(format!("ignored the deactivated attribute \"{name}\""));
            Ok(())
        }
        Target::Attr { at, select } => attribute(doc, kind, path, at, select.as_ref(), value),
    }
}

/// An extension as a whole: `remove` drops it; `add`/`replace` set the attributes given.
fn extension(
    doc: &mut Doc,
    kind: OpKind,
    ext: Ext,
    value: &Value,
    schema: &TenantSchema,
    notes: &mut Vec<String>,
) -> Result<(), ScimError> {
    let urn = match ext {
        Ext::Enterprise => ENTERPRISE_USER,
        Ext::Tenant => TENANT_USER,
    };
    let before_removal = doc.get(urn).cloned();
    let obj = match (kind, value) {
        (OpKind::Remove, _) | (_, Value::Null) => {
            doc.remove(urn);
            if let (Ext::Tenant, Some(Value::Object(stored))) = (ext, before_removal) {
                // Deactivated attributes' values are kept, untouched (DESIGN §4).
                // `extend`, not `collect`: each `collect` into a map instantiates a sort.
                let mut kept = Map::new();
                kept.extend(
                    stored
                        .into_iter()
                        .filter(|(id, _)| schema.by_id(id).is_some_and(|a| !a.active)),
                );
                if !kept.is_empty() {
                    doc.insert(urn.into(), Value::Object(kept));
                }
            }
            return Ok(());
        }
        (_, Value::Object(o)) => o,
        _ => {
            return Err(invalid(format!(
                "The value for \"{urn}\" must be an object of its attributes"
            )))
        }
    };
    for (key, v) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let at = match ext {
            Ext::Enterprise => match schema::enterprise_attr(key) {
                Some(a) => AttrRef {
                    container: Container::Enterprise,
                    top: Def::Static(a),
                    sub: None,
                },
                None => continue, // unknown enterprise attributes are ignored (DESIGN §4)
            },
            Ext::Tenant => match schema.find(key) {
                Some(c) if c.active => AttrRef {
                    container: Container::Tenant,
                    top: Def::Custom(c.clone()),
                    sub: None,
                },
                Some(c) => {
                    notes.push(format!(
                        "ignored the deactivated attribute \"{}\"",
                        c.scim_name
                    ));
                    continue;
                }
                None => {
                    return Err(invalid(format!(
                        "Unknown attribute \"{key}\" in {TENANT_USER}; {}",
                        schema.known_names()
                    )));
                }
            },
        };
        attribute(doc, kind, &at.display(), &at, None, v)?;
    }
    Ok(())
}

/// One attribute of the core schema, the enterprise extension or the tenant's extension.
fn attribute(
    doc: &mut Doc,
    kind: OpKind,
    path: &str,
    at: &AttrRef,
    select: Option<&Select>,
    value: &Value,
) -> Result<(), ScimError> {
    let extension = match at.container {
        Container::Enterprise => Some(ENTERPRISE_USER),
        Container::Tenant => Some(TENANT_USER),
        Container::Core | Container::Common => None,
    };
    let holder: &mut Map<String, Value> = match extension {
        None => doc,
        Some(urn) => {
            let slot = doc.entry(urn).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot.as_object_mut() {
                Some(m) => m,
                None => return Err(ScimError::Internal("extension is not an object".into())),
            }
        }
    };
    let result = match &at.top {
        Def::Custom(custom) => custom_attribute(holder, kind, custom, value),
        Def::Static(attr) => {
            let sub = at.sub.as_ref().and_then(Def::static_attr);
            let name = at.display();
            match (attr.multi, select, sub) {
                (false, _, None) => singular(holder, kind, attr, value, &name),
                (false, _, Some(sub)) => singular_sub(holder, kind, attr, sub, value, &name),
                (true, None, None) => multi(holder, kind, attr, value, &name),
                (true, None, Some(sub)) => multi_sub(holder, kind, attr, sub, value, &name),
                (true, Some(select), sub) => selected(holder, kind, attr, select, sub, value, path),
            }
        }
    };
    if let Some(urn) = extension {
        if doc
            .get(urn)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            doc.remove(urn);
        }
    }
    result
}

/// The canonical form of a value for `attr`, `None` when unassigned (null, empty). The manager
/// has its own forms (`user::enterprise_value`).
fn canonical(attr: &'static Attr, value: &Value, name: &str) -> Result<Option<Value>, ScimError> {
    if is_manager(attr) {
        user::enterprise_value(attr, value)
    } else {
        user::canonical(attr, value, name)
    }
}

/// The enterprise `manager` (the core schema has no attribute of that name).
fn is_manager(attr: &Attr) -> bool {
    attr.name == "manager" && attr.ty == Type::Complex
}

fn put(holder: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            holder.insert(key.to_string(), v);
        }
        None => {
            holder.remove(key);
        }
    }
}

/// A singular attribute as a whole (`active`, `name`, `urn:…:enterprise:2.0:User:manager`).
fn singular(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static Attr,
    value: &Value,
    name: &str,
) -> Result<(), ScimError> {
    if kind == OpKind::Remove {
        holder.remove(attr.name);
        return Ok(());
    }
    if is_manager(attr) {
        // Every form Entra and Okta send, Example 5's one-element array included
        // (`user::enterprise_value`). A value without `value` (only the read-only
        // `displayName`, say) sets nothing rather than removing the manager.
        if let Value::Object(o) = value {
            if !o.keys().any(|k| k.eq_ignore_ascii_case("value")) {
                return Ok(());
            }
        }
        put(holder, attr.name, canonical(attr, value, name)?);
        return Ok(());
    }
    if attr.ty == Type::Complex {
        let obj = match value {
            Value::Null => {
                holder.remove(attr.name);
                return Ok(());
            }
            Value::Object(o) => o,
            _ => return Err(invalid(format!("{name} must be an object"))),
        };
        // RFC 7644 §3.5.2.3: the sub-attributes given replace theirs; the others stay.
        let mut merged = holder
            .get(attr.name)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        merge_subs(&mut merged, attr, obj, name)?;
        put(
            holder,
            attr.name,
            (!merged.is_empty()).then_some(Value::Object(merged)),
        );
        return Ok(());
    }
    put(holder, attr.name, canonical(attr, value, name)?);
    Ok(())
}

/// Sets in `into` the sub-attributes of `attr` that `from` gives (null unassigns); readOnly and
/// unknown ones are ignored, as in POST and PUT.
fn merge_subs(
    into: &mut Map<String, Value>,
    attr: &'static Attr,
    from: &Map<String, Value>,
    name: &str,
) -> Result<(), ScimError> {
    for (k, v) in from {
        let Some(sub) = attr.sub(k) else { continue };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        put(
            into,
            sub.name,
            user::canonical(sub, v, &format!("{name}.{}", sub.name))?,
        );
    }
    Ok(())
}

/// One sub-attribute of a singular complex attribute (`name.givenName`, `manager.value`).
fn singular_sub(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static Attr,
    sub: &'static Attr,
    value: &Value,
    name: &str,
) -> Result<(), ScimError> {
    if is_manager(attr) {
        // The manager is its `value` (the id), perhaps with the client's `$ref`.
        if sub.name == "value" {
            let id = if kind == OpKind::Remove {
                None
            } else {
                canonical(attr, value, name)?
            };
            let kept_ref = holder.get(attr.name).and_then(|m| m.get("$ref")).cloned();
            let manager = id.map(|mut m| {
                if let (Some(o), Some(r)) = (m.as_object_mut(), kept_ref) {
                    o.entry("$ref").or_insert(r);
                }
                m
            });
            put(holder, attr.name, manager);
            return Ok(());
        }
        let Some(manager) = holder.get_mut(attr.name).and_then(Value::as_object_mut) else {
            return match kind {
                OpKind::Remove => Ok(()),
                _ => Err(invalid(format!(
                    "{name} belongs to a manager: set the manager's value first"
                ))),
            };
        };
        let v = if kind == OpKind::Remove {
            None
        } else {
            user::canonical(sub, value, name)?
        };
        put(manager, sub.name, v);
        return Ok(());
    }
    let mut obj = holder
        .get(attr.name)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let v = if kind == OpKind::Remove {
        None
    } else {
        user::canonical(sub, value, name)?
    };
    put(&mut obj, sub.name, v);
    put(
        holder,
        attr.name,
        (!obj.is_empty()).then_some(Value::Object(obj)),
    );
    Ok(())
}

/// The values of a multi-valued attribute in the document (empty when unassigned).
fn values_of(holder: &Map<String, Value>, attr: &Attr) -> Vec<Value> {
    holder
        .get(attr.name)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Stores the values back: empty values dropped, an empty list unassigns the attribute
/// (RFC 7643 §2.5), at most one primary (RFC 7643 §2.4), at most `MAX_VALUES` values
/// (`scim::limits`: checked here so that the error names the operation).
fn store_values(
    holder: &mut Map<String, Value>,
    attr: &Attr,
    mut items: Vec<Value>,
    name: &str,
) -> Result<(), ScimError> {
    items.retain(|v| v.as_object().is_none_or(|o| !o.is_empty()) && !v.is_null());
    limits::check_values(items.len(), name)?;
    check_one_primary(&items, name)?;
    put(
        holder,
        attr.name,
        (!items.is_empty()).then_some(Value::Array(items)),
    );
    Ok(())
}

/// RFC 7644 §3.5.2: "a PATCH operation that sets a value's "primary" sub-attribute to "true"
/// SHALL cause the server to automatically set "primary" to "false" for any other values in the
/// array." `written` are the values this operation wrote; two of them primary is an error.
fn settle_primary(items: &mut [Value], written: &[usize], name: &str) -> Result<(), ScimError> {
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    let primaries: Vec<usize> = written
        .iter()
        .copied()
        .filter(|i| items.get(*i).is_some_and(is_primary))
        .collect();
    match primaries.as_slice() {
        [] => Ok(()),
        [keep] => {
            for (i, item) in items.iter_mut().enumerate() {
                if i != *keep && is_primary(item) {
                    if let Some(o) = item.as_object_mut() {
                        o.insert("primary".into(), Value::Bool(false));
                    }
                }
            }
            Ok(())
        }
        _ => Err(invalid(format!(
            "At most one of {name} may have \"primary\": true"
        ))),
    }
}

/// What makes two values of `attr` the same value, as a hash key: their `value` and `type`
/// compared as filters compare them (folded, `scim::fold`, unless `caseExact`) when the
/// attribute has a `value`, else the whole value. Matching by this key makes `add` and
/// `remove` by value cost one key per value, not a comparison per pair.
#[derive(Debug, PartialEq, Eq, Hash)]
enum ValueKey {
    /// `value` and `type`: a string (folded or not), or any other JSON as its text (marked
    /// apart, so that `true` and `"true"` stay different values).
    Pair(Option<Part>, Option<Part>),
    /// The whole value as JSON text (maps print their keys in order: equal values alike).
    Whole(String),
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum Part {
    Text(String),
    Json(String),
}

fn value_key(attr: &Attr, v: &Value) -> ValueKey {
    if attr.sub("value").is_none() {
        return ValueKey::Whole(v.to_string());
    }
    let part = |name: &str| match v.get(name)? {
        Value::String(s) if attr.sub(name).is_some_and(eval::is_folded) => {
            Some(Part::Text(fold(s)))
        }
        Value::String(s) => Some(Part::Text(s.clone())),
        Value::Null => None,
        other => Some(Part::Json(other.to_string())),
    };
    ValueKey::Pair(part("value"), part("type"))
}

/// A multi-valued attribute as a whole (`emails`).
fn multi(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static Attr,
    value: &Value,
    name: &str,
) -> Result<(), ScimError> {
    match kind {
        OpKind::Remove if value.is_null() => {
            holder.remove(attr.name);
            Ok(())
        }
        OpKind::Remove => {
            // A `remove` that lists values (as Entra removes group members) removes those; the
            // RFC defines no value for `remove`, and ignoring it would remove them all.
            let listed = match canonical(attr, value, name)? {
                Some(Value::Array(l)) => l,
                _ => Vec::new(),
            };
            let listed: HashSet<ValueKey> = listed.iter().map(|l| value_key(attr, l)).collect();
            let mut items = values_of(holder, attr);
            items.retain(|v| !listed.contains(&value_key(attr, v)));
            store_values(holder, attr, items, name)
        }
        OpKind::Replace => {
            // RFC 7644 §3.5.2.3: no filter, so "the attribute and all values are replaced".
            put(holder, attr.name, canonical(attr, value, name)?);
            Ok(())
        }
        OpKind::Add => {
            let Some(Value::Array(new)) = canonical(attr, value, name)? else {
                return Ok(());
            };
            let mut items = values_of(holder, attr);
            // Each value's key, to its first position (the one a merge goes into).
            let mut at: HashMap<ValueKey, usize> = HashMap::with_capacity(items.len() + new.len());
            for (i, e) in items.iter().enumerate() {
                at.entry(value_key(attr, e)).or_insert(i);
            }
            let mut written = Vec::with_capacity(new.len());
            for v in new {
                match at.entry(value_key(attr, &v)) {
                    Entry::Occupied(e) => {
                        let i = *e.get();
                        // The same `value` and `type`: merged in place (its key stays the same).
                        if let (Some(e), Value::Object(o)) = (items[i].as_object_mut(), v) {
                            e.extend(o);
                        }
                        written.push(i);
                    }
                    Entry::Vacant(e) => {
                        e.insert(items.len());
                        written.push(items.len());
                        items.push(v);
                    }
                }
            }
            settle_primary(&mut items, &written, name)?;
            store_values(holder, attr, items, name)
        }
    }
}

/// One sub-attribute of every value of a multi-valued attribute (`emails.display`); `add` or
/// `replace` with no values yet creates one.
fn multi_sub(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static Attr,
    sub: &'static Attr,
    value: &Value,
    name: &str,
) -> Result<(), ScimError> {
    let mut items = values_of(holder, attr);
    let v = if kind == OpKind::Remove {
        None
    } else {
        user::canonical(sub, value, name)?
    };
    if items.is_empty() {
        if let Some(v) = v {
            items.push(json!({ sub.name: v }));
        }
    } else {
        for item in items.iter_mut() {
            if let Some(o) = item.as_object_mut() {
                put(o, sub.name, v.clone());
            }
        }
    }
    let all: Vec<usize> = (0..items.len()).collect();
    settle_primary(&mut items, &all, name)?;
    store_values(holder, attr, items, name)
}

/// The values a filter selects (`emails[type eq "work"]`), or one sub-attribute of each
/// (`emails[type eq "work"].value`).
fn selected(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static Attr,
    select: &Select,
    sub: Option<&'static Attr>,
    value: &Value,
    path: &str,
) -> Result<(), ScimError> {
    let mut items = values_of(holder, attr);
    let matched: Vec<usize> = (0..items.len())
        .filter(|i| eval::matches(&select.filter, &eval::folded(attr, &items[*i])))
        .collect();
    let name = attr.name;
    // RFC 7644 §3.5.2.3: "If the target location is a multi-valued attribute for which a value
    // selection filter ("valuePath") has been supplied and no record match was made, the
    // service provider SHALL indicate failure by returning HTTP status code 400 and a
    // "scimType" error code of "noTarget"." (and §3.12 for remove).
    let no_target = || ScimError::NoTarget(format!("No value of {name} matches \"{path}\""));
    match (kind, sub) {
        (OpKind::Remove, None) => {
            if matched.is_empty() {
                return Err(no_target());
            }
            let mut remove = vec![false; items.len()];
            for i in &matched {
                remove[*i] = true;
            }
            let mut flags = remove.into_iter();
            items.retain(|_| !flags.next().unwrap_or(false));
        }
        (OpKind::Remove, Some(sub)) => {
            if matched.is_empty() {
                return Err(no_target());
            }
            for i in &matched {
                if let Some(o) = items[*i].as_object_mut() {
                    o.remove(sub.name);
                }
            }
        }
        (_, None) => {
            if matched.is_empty() {
                return Err(no_target());
            }
            // "all matching record values SHALL be replaced" (§3.5.2.3), by one value.
            let replacement = match canonical(attr, value, name)? {
                None => None,
                Some(Value::Array(mut one)) if one.len() == 1 => one.pop(),
                Some(_) => {
                    return Err(invalid(format!(
                        "\"{path}\" selects values to replace with one value, not a list"
                    )))
                }
            };
            for i in &matched {
                items[*i] = replacement.clone().unwrap_or(Value::Null);
            }
            settle_primary(&mut items, &matched, name)?;
        }
        (_, Some(sub)) => {
            let v = user::canonical(sub, value, &format!("{name}.{}", sub.name))?;
            if matched.is_empty() {
                match (&select.type_eq, v) {
                    // DESIGN §6's deviation: Entra's emails[type eq "work"].value on a user
                    // without a work email creates it (fixture entra-tutorial-user-operations).
                    (Some(t), Some(v)) => {
                        let mut created = Map::new();
                        created.insert("type".into(), Value::String(t.clone()));
                        created.insert(sub.name.into(), v);
                        items.push(Value::Object(created));
                        let last = items.len() - 1;
                        settle_primary(&mut items, &[last], name)?;
                    }
                    (_, None) => return Ok(()),
                    (None, Some(_)) => return Err(no_target()),
                }
            } else {
                for i in &matched {
                    if let Some(o) = items[*i].as_object_mut() {
                        put(o, sub.name, v.clone());
                    }
                }
                settle_primary(&mut items, &matched, name)?;
            }
        }
    }
    store_values(holder, attr, items, name)
}

/// A custom attribute of the tenant's extension, stored by its id.
fn custom_attribute(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    custom: &CustomAttr,
    value: &Value,
) -> Result<(), ScimError> {
    let v = if kind == OpKind::Remove {
        None
    } else {
        custom_value(custom, value)?
    };
    put(holder, &custom.id, v);
    Ok(())
}

/// The one place the PATCH engine meets the tenant's attribute types: the canonical stored value
/// of `custom` for `value` (`None`: unassigned), exactly as POST and PUT store it.
fn custom_value(custom: &CustomAttr, value: &Value) -> Result<Option<Value>, ScimError> {
    tenant::custom_value(custom, value)
}
