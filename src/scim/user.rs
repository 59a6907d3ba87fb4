//! The User resource (RFC 7643 §4.1, §4.3): from a client's JSON to the canonical document the
//! service stores, and back to the representation it returns.
//!
//! The canonical document holds what the client wrote, with attribute names in their schema
//! spelling, values type-checked, nulls and empty values dropped (RFC 7643 §2.5: unassigned),
//! read-only attributes (`id`, `meta`, `manager.displayName`) and the attributes the service does
//! not keep (`password`, `groups`, ...) left out, and the enterprise extension under its URN.
//! `id` and `meta` live in columns. Unknown attributes of the core and enterprise schemas are
//! ignored; an unknown schema URN is a 400 `invalidValue`.

use super::datetime::{normalize_datetime, Timestamp};
use super::error::ScimError;
use super::fold::fold;
use super::schema::{
    core_attr, enterprise_attr, known_schema, Attr, Mutability, Type, CORE_USER, ENTERPRISE_USER,
    IGNORED_CORE, TENANT_USER,
};
use super::tenant::TenantSchema;
use serde_json::{json, Map, Value};

/// A canonical User document (without `id`, `meta` and `schemas`).
pub type Doc = Map<String, Value>;

/// A User parsed from a client's JSON, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub doc: Doc,
    /// Remarks for the activity log (e.g. an ignored deactivated custom attribute).
    pub notes: Vec<String>,
}

fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
}

/// Parses a User body of POST or PUT (RFC 7644 §3.3, §3.5.1): the whole resource.
pub fn parse_user(input: &Map<String, Value>, schema: &TenantSchema) -> Result<Parsed, ScimError> {
    let parsed = parse_attributes(input, schema)?;
    finish(parsed.doc, parsed.notes)
}

/// Parses the attributes present in `input` (a whole resource, or the value of a path-less
/// PATCH operation), without requiring or defaulting any.
pub fn parse_attributes(
    input: &Map<String, Value>,
    schema: &TenantSchema,
) -> Result<Parsed, ScimError> {
    let mut doc = Doc::new();
    let mut notes = Vec::new();
    if let Some(schemas) = input
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v)
    {
        check_schemas(schemas)?;
    }
    for (key, value) in input {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(urn) = known_schema(key) {
            match urn {
                ENTERPRISE_USER => {
                    let ext = parse_enterprise(value)?;
                    if !ext.is_empty() {
                        doc.insert(ENTERPRISE_USER.into(), Value::Object(ext));
                    }
                }
                TENANT_USER => {
                    let ext = schema.parse_extension(value, &mut notes)?;
                    if !ext.is_empty() {
                        doc.insert(TENANT_USER.into(), Value::Object(ext));
                    }
                }
                // The core schema URN as a key holds core attributes (some clients nest them).
                _ => {
                    let obj = value.as_object().ok_or_else(|| {
                        invalid(format!(
                            "\"{CORE_USER}\" must be an object of User attributes"
                        ))
                    })?;
                    for (k, v) in obj {
                        put_core(&mut doc, k, v)?;
                    }
                }
            }
            continue;
        }
        put_core(&mut doc, key, value)?;
    }
    Ok(Parsed { doc, notes })
}

/// Checks the required attributes of a whole new resource (POST, PUT) and fills defaults:
/// `active` absent means true (DESIGN §4).
pub fn finish(mut doc: Doc, notes: Vec<String>) -> Result<Parsed, ScimError> {
    require_user_name(&doc)?;
    doc.entry("active").or_insert(Value::Bool(true));
    Ok(Parsed { doc, notes })
}

/// `userName` is required (RFC 7643 §4.1.1): a PATCH may not remove it. (A PATCH that removes
/// `active` leaves it unassigned, which the product reads as active.)
pub fn require_user_name(doc: &Doc) -> Result<(), ScimError> {
    match doc.get("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        _ => Err(invalid(
            "userName is required and must be a non-empty string".into(),
        )),
    }
}

/// `schemas` must be an array of URNs the service knows.
pub fn check_schemas(schemas: &Value) -> Result<(), ScimError> {
    let list = schemas
        .as_array()
        .ok_or_else(|| invalid("\"schemas\" must be an array of schema URNs".into()))?;
    for s in list {
        let urn = s
            .as_str()
            .ok_or_else(|| invalid("\"schemas\" must hold strings".into()))?;
        if known_schema(urn).is_none() {
            return Err(invalid(format!(
                "Unknown schema \"{urn}\"; this service supports {CORE_USER}, {ENTERPRISE_USER} and {TENANT_USER}"
            )));
        }
    }
    Ok(())
}

/// A top-level core attribute (or `externalId`) into the document.
fn put_core(doc: &mut Doc, key: &str, value: &Value) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("externalId") {
        match value {
            Value::Null => {}
            Value::String(s) => {
                doc.insert("externalId".into(), Value::String(s.clone()));
            }
            _ => return Err(invalid("externalId must be a string".into())),
        }
        return Ok(());
    }
    if key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("meta") {
        return Ok(()); // readOnly: assigned by the service (RFC 7644 §3.3)
    }
    if IGNORED_CORE.iter().any(|n| n.eq_ignore_ascii_case(key)) {
        return Ok(());
    }
    let Some(attr) = core_attr(key) else {
        return Ok(()); // unknown core attribute: ignored (DESIGN §4)
    };
    if let Some(v) = canonical(attr, value, attr.name)? {
        doc.insert(attr.name.into(), v);
    }
    Ok(())
}

/// The enterprise extension object, canonicalised.
fn parse_enterprise(value: &Value) -> Result<Map<String, Value>, ScimError> {
    let obj = match value {
        Value::Null => return Ok(Map::new()),
        Value::Object(o) => o,
        _ => return Err(invalid(format!("\"{ENTERPRISE_USER}\" must be an object"))),
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if let Some(attr) = enterprise_attr(k) {
            if let Some(v) = enterprise_value(attr, v)? {
                out.insert(attr.name.into(), v);
            }
        }
    }
    Ok(out)
}

/// One enterprise attribute's canonical value. The manager (RFC 7643 §4.3) is kept as
/// `{"value": id}`, plus the `$ref` when the client sent one, whatever form it came in: Entra
/// sends a bare string id, and its tutorial's Example 5 a one-element array (fixture
/// `entra-tutorial-user-operations`). `displayName` is read-only: the service fills it in.
pub fn enterprise_value(attr: &'static Attr, value: &Value) -> Result<Option<Value>, ScimError> {
    if attr.name != "manager" {
        return canonical(attr, value, attr.name);
    }
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(json!({ "value": s }))),
        Value::Array(items) => match items.as_slice() {
            [] => Ok(None),
            [one] => enterprise_value(attr, one),
            _ => Err(invalid("manager is single-valued: send one manager".into())),
        },
        Value::Object(o) => {
            let get = |name: &str| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            };
            let id = match get("value") {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::String(s)) if s.is_empty() => return Ok(None),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(invalid("manager.value must be a string".into())),
            };
            let mut m = Map::new();
            m.insert("value".into(), Value::String(id));
            match get("$ref") {
                None | Some(Value::Null) => {}
                Some(Value::String(r)) => {
                    m.insert("$ref".into(), Value::String(r.clone()));
                }
                Some(_) => return Err(invalid("manager.$ref must be a string".into())),
            }
            Ok(Some(Value::Object(m)))
        }
        _ => Err(invalid(
            "manager must be an object with a \"value\", or a string id".into(),
        )),
    }
}

/// The canonical form of `value` for `attr` (`path` names it in errors); `None` when the value is
/// unassigned (null, or an empty object/array).
pub fn canonical(
    attr: &'static Attr,
    value: &Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if attr.multi {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            // A single value where an array belongs: taken as a one-element array.
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = singular(attr, item, path)? {
                out.push(v);
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        check_one_primary(&out, path)?;
        return Ok(Some(Value::Array(out)));
    }
    singular(attr, value, path)
}

/// RFC 7643 §2.4: "The primary attribute value 'true' MUST appear no more than once."
pub fn check_one_primary(items: &[Value], path: &str) -> Result<(), ScimError> {
    let primaries = items
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(invalid(format!(
            "At most one of {path} may have \"primary\": true"
        )));
    }
    Ok(())
}

fn singular(attr: &'static Attr, value: &Value, path: &str) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if attr.ty == Type::Complex {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(format!("{path} must be an object")))?;
        let mut out = Map::new();
        for (k, v) in obj {
            let Some(sub) = attr.sub(k) else { continue };
            if sub.mutability == Mutability::ReadOnly {
                continue;
            }
            if let Some(v) = canonical(sub, v, &format!("{path}.{}", sub.name))? {
                out.insert(sub.name.into(), v);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Object(out)));
    }
    simple(attr.ty, value, path).map(Some)
}

/// A simple value of type `ty`, canonical. Booleans also come as the strings "True"/"False"
/// (Microsoft Entra, fixture `entra-known-issues`).
pub fn simple(ty: Type, value: &Value, path: &str) -> Result<Value, ScimError> {
    match (ty, value) {
        (Type::String | Type::Reference | Type::Binary, Value::String(_)) => Ok(value.clone()),
        (Type::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(Value::Bool(true))
        }
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(Value::Bool(false))
        }
        (Type::Integer, Value::Number(n)) if n.is_i64() => Ok(value.clone()),
        (Type::Decimal, Value::Number(_)) => Ok(value.clone()),
        (Type::DateTime, Value::String(s)) => normalize_datetime(s)
            .map(Value::String)
            .ok_or_else(|| invalid(format!("{path} must be an RFC 3339 date-time"))),
        (ty, _) => Err(invalid(format!("{path} must be of type {}", ty.as_str()))),
    }
}

/// Where the product keeps a user's fields in columns of their own (DESIGN §5): looked up by
/// IdPs, shown in the roster, used for sorting and employee references.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    pub user_name: String,
    pub user_name_fold: String,
    pub external_id: Option<String>,
    pub active: bool,
    /// The employee's email: primary, else work, else the first.
    pub email: Option<String>,
    pub email_fold: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub employee_number: Option<String>,
    pub locale: Option<String>,
    pub preferred_language: Option<String>,
    pub timezone: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    /// One row per email, for index-backed lookups (`user_emails`).
    pub emails: Vec<EmailRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailRow {
    pub value: String,
    pub value_fold: String,
    pub type_fold: Option<String>,
    pub primary: bool,
}

fn str_at(doc: &Doc, path: &[&str]) -> Option<String> {
    let mut v = doc.get(path[0])?;
    for p in &path[1..] {
        v = v.get(p)?;
    }
    v.as_str().map(str::to_string)
}

/// The product columns of a canonical document.
pub fn columns(doc: &Doc) -> Columns {
    let user_name = str_at(doc, &["userName"]).unwrap_or_default();
    let emails: Vec<EmailRow> = doc
        .get("emails")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| {
                    let value = e.get("value")?.as_str()?.to_string();
                    Some(EmailRow {
                        value_fold: fold(&value),
                        value,
                        type_fold: e.get("type").and_then(Value::as_str).map(fold),
                        primary: e.get("primary") == Some(&Value::Bool(true)),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| {
            emails
                .iter()
                .find(|e| e.type_fold.as_deref() == Some("work"))
        })
        .or_else(|| emails.first())
        .map(|e| e.value.clone());
    Columns {
        user_name_fold: fold(&user_name),
        user_name,
        external_id: str_at(doc, &["externalId"]),
        active: doc.get("active") != Some(&Value::Bool(false)),
        email_fold: email.as_deref().map(fold),
        email,
        given_name: str_at(doc, &["name", "givenName"]),
        family_name: str_at(doc, &["name", "familyName"]),
        display_name: str_at(doc, &["displayName"]),
        employee_number: str_at(doc, &[ENTERPRISE_USER, "employeeNumber"]),
        locale: str_at(doc, &["locale"]),
        preferred_language: str_at(doc, &["preferredLanguage"]),
        timezone: str_at(doc, &["timezone"]),
        department: str_at(doc, &[ENTERPRISE_USER, "department"]),
        manager_id: str_at(doc, &[ENTERPRISE_USER, "manager", "value"]),
        emails,
    }
}

/// The document with every `caseExact: false` string folded (`fold`), which filters and
/// sorting read, so that SQL compares with full Unicode case folding (DESIGN §5).
pub fn folded(doc: &Doc, schema: &TenantSchema) -> Doc {
    let mut out = Doc::new();
    for (k, v) in doc {
        let folded = if k == ENTERPRISE_USER {
            fold_object(v, &|name| enterprise_attr(name))
        } else if k == TENANT_USER {
            schema.fold_extension(v)
        } else {
            match core_attr(k) {
                Some(attr) => fold_value(attr, v),
                None => v.clone(), // externalId: caseExact
            }
        };
        out.insert(k.clone(), folded);
    }
    out
}

fn fold_object(v: &Value, lookup: &dyn Fn(&str) -> Option<&'static Attr>) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        lookup(k).map_or_else(|| v.clone(), |a| fold_value(a, v)),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn fold_value(attr: &'static Attr, v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| fold_value(attr, i)).collect()),
        Value::Object(_) => fold_object(v, &|name| attr.sub(name)),
        Value::String(s) if !attr.case_exact && matches!(attr.ty, Type::String) => {
            Value::String(fold(s))
        }
        other => other.clone(),
    }
}

/// What the service knows about the employee a `manager.value` names, for `$ref` and
/// `displayName` (RFC 7643 §4.3).
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerInfo {
    pub id: String,
    pub display_name: String,
}

/// The server-side facts of a stored User.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: String,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    pub version: i64,
}

/// `meta.version` as a weak entity tag (RFC 7644 §3.14), also sent as `ETag`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The representation of a stored User (RFC 7643 §4.1): the document, `schemas`, `id`, `meta`,
/// the enterprise manager in its RFC form, and the tenant's attributes under their SCIM names
/// (`refs`: what its employee references show). `base_url` is the SCIM base URL.
pub fn render(
    doc: &Doc,
    meta: &Meta,
    manager: Option<&ManagerInfo>,
    refs: &Map<String, Value>,
    schema: &TenantSchema,
    base_url: &str,
) -> Value {
    let mut out = Map::new();
    let mut schemas = vec![json!(CORE_USER)];
    for (k, v) in doc {
        if k == ENTERPRISE_USER {
            schemas.push(json!(ENTERPRISE_USER));
            let mut ext = v.as_object().cloned().unwrap_or_default();
            // The manager in its RFC form when it names an employee of the tenant. A client that
            // wrote the whole reference (`value` and `$ref`) reads back exactly what it wrote;
            // one that wrote only the id (Entra, Okta) gets `$ref` and `displayName` filled in.
            if let (Some(Value::Object(m)), Some(info)) = (ext.get_mut("manager"), manager) {
                if !m.contains_key("$ref") {
                    m.insert(
                        "$ref".into(),
                        json!(format!("{base_url}/Users/{}", info.id)),
                    );
                    m.insert("displayName".into(), json!(info.display_name));
                }
            }
            out.insert(k.clone(), Value::Object(ext));
        } else if k == TENANT_USER {
            let ext = schema.render_extension(v, refs);
            if ext.as_object().is_some_and(|o| !o.is_empty()) {
                schemas.push(json!(TENANT_USER));
                out.insert(k.clone(), ext);
            }
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), json!(meta.id));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": meta.created.to_rfc3339(),
            "lastModified": meta.last_modified.to_rfc3339(),
            "location": format!("{base_url}/Users/{}", meta.id),
            "version": etag(meta.version),
        }),
    );
    Value::Object(out)
}

/// One attribute's change, for the activity log: `{"path", "old", "new"}` (DESIGN §7).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: String,
    pub old: Value,
    pub new: Value,
}

impl Change {
    pub fn to_json(&self) -> Value {
        json!({ "path": self.path, "old": self.old, "new": self.new })
    }
}

/// The attribute-level differences between two documents: singular complex attributes and
/// extensions by sub-attribute (`name.givenName`, `urn:…:enterprise:2.0:User:department`),
/// everything else whole; the tenant's attributes by SCIM name. In key order, so the list is
/// deterministic.
pub fn changes(old: &Doc, new: &Doc, schema: &TenantSchema) -> Vec<Change> {
    let mut out = Vec::new();
    diff_level(old, new, "", &mut out);
    let prefix = format!("{TENANT_USER}:");
    for c in &mut out {
        if let Some(attr) = c.path.strip_prefix(&prefix).and_then(|id| schema.by_id(id)) {
            c.path = format!("{prefix}{}", attr.scim_name);
        }
    }
    out
}

fn diff_level(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<Change>,
) {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (o, n) = (old.get(k), new.get(k));
        if o == n {
            continue;
        }
        let is_extension = k == ENTERPRISE_USER || k == TENANT_USER;
        let path = if prefix.is_empty() {
            k.clone()
        } else if prefix.starts_with("urn:") {
            format!("{prefix}:{k}")
        } else {
            format!("{prefix}.{k}")
        };
        let empty = Map::new();
        match (o, n) {
            (Some(Value::Object(a)), Some(Value::Object(b)))
                if is_extension || (prefix.is_empty() && k == "name") || k == "manager" =>
            {
                diff_level(a, b, &path, out);
            }
            (None, Some(Value::Object(b))) if is_extension => diff_level(&empty, b, &path, out),
            (Some(Value::Object(a)), None) if is_extension => diff_level(a, &empty, &path, out),
            _ => out.push(Change {
                path,
                old: o.cloned().unwrap_or(Value::Null),
                new: n.cloned().unwrap_or(Value::Null),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(v.as_object().unwrap(), &TenantSchema::default()).map(|p| p.doc)
    }

    #[test]
    fn okta_create_body_is_kept_as_written_without_password_and_groups() {
        let doc = parse(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "isaac.brock@example.com",
            "name": {"givenName": "Isaac", "familyName": "Brock"},
            "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
            "displayName": "Isaac Brock",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        }))
        .unwrap();
        assert_eq!(
            Value::Object(doc),
            json!({
                "userName": "isaac.brock@example.com",
                "name": {"givenName": "Isaac", "familyName": "Brock"},
                "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
                "displayName": "Isaac Brock",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "active": true
            })
        );
    }

    #[test]
    fn attribute_names_are_case_insensitive_on_input_and_canonical_on_output() {
        let doc = parse(json!({"USERNAME": "a", "Name": {"GIVENNAME": "A"}, "Emails": [{"Value": "a@x", "TYPE": "work"}]})).unwrap();
        assert_eq!(
            Value::Object(doc),
            json!({"userName": "a", "name": {"givenName": "A"}, "emails": [{"value": "a@x", "type": "work"}], "active": true})
        );
    }

    #[test]
    fn entra_strings_for_booleans_and_bare_manager_ids() {
        let doc = parse(json!({
            "userName": "a", "active": "False",
            "emails": [{"value": "a@x", "primary": "True"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m-1", "department": "Eng"},
            "roles": []
        }))
        .unwrap();
        assert_eq!(doc["active"], json!(false));
        assert_eq!(doc["emails"][0]["primary"], json!(true));
        assert_eq!(
            doc[ENTERPRISE_USER],
            json!({"manager": {"value": "m-1"}, "department": "Eng"})
        );
    }

    #[test]
    fn read_only_and_unknown_attributes_are_ignored() {
        let doc = parse(json!({
            "id": "client-id", "meta": {"created": "x"}, "userName": "a", "favouriteColour": "red",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m", "displayName": "M", "$ref": "x"}, "shoeSize": 9}
        }))
        .unwrap();
        assert_eq!(
            Value::Object(doc),
            json!({"userName": "a", "active": true, ENTERPRISE_USER: {"manager": {"value": "m", "$ref": "x"}}})
        );
    }

    #[test]
    fn manager_forms_all_become_the_rfc_form() {
        let table = [
            (json!("m1"), Some(json!({"value": "m1"}))),
            (json!({"value": "m1"}), Some(json!({"value": "m1"}))),
            (
                json!({"Value": "m1", "displayName": "ignored"}),
                Some(json!({"value": "m1"})),
            ),
            (
                json!([{"$ref": "../Users/m1", "value": "m1"}]),
                Some(json!({"value": "m1", "$ref": "../Users/m1"})),
            ),
            (json!(""), None),
            (json!({"value": ""}), None),
            (json!([]), None),
            (Value::Null, None),
        ];
        let manager = crate::scim::schema::enterprise_attr("manager").unwrap();
        for (input, expected) in table {
            assert_eq!(
                enterprise_value(manager, &input).unwrap(),
                expected,
                "{input}"
            );
        }
        assert!(enterprise_value(manager, &json!(5)).is_err());
        assert!(enterprise_value(manager, &json!([{"value": "a"}, {"value": "b"}])).is_err());
    }

    #[test]
    fn invalid_bodies_are_refused_with_invalid_value() {
        let table = [
            (json!({}), "userName is required and must be a non-empty string"),
            (json!({"userName": "  "}), "userName is required and must be a non-empty string"),
            (json!({"userName": 7}), "userName must be of type string"),
            (json!({"userName": "a", "active": "yes"}), "active must be of type boolean"),
            (json!({"userName": "a", "name": "x"}), "name must be an object"),
            (json!({"userName": "a", "emails": [{"value": 1}]}), "emails.value must be of type string"),
            (json!({"userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}), "At most one of emails may have \"primary\": true"),
            (json!({"userName": "a", "schemas": ["urn:nope"]}), "Unknown schema \"urn:nope\"; this service supports urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User and urn:ietf:params:scim:schemas:extension:peakon:2.0:User"),
            (json!({"userName": "a", "schemas": "x"}), "\"schemas\" must be an array of schema URNs"),
            (json!({"userName": "a", "externalId": 5}), "externalId must be a string"),
        ];
        for (body, detail) in table {
            assert_eq!(
                parse(body.clone()),
                Err(ScimError::InvalidValue(detail.into())),
                "{body}"
            );
        }
    }

    #[test]
    fn nulls_and_empty_values_are_unassigned() {
        let doc = parse(json!({"userName": "a", "displayName": null, "name": {}, "emails": [], "phoneNumbers": [null]})).unwrap();
        assert_eq!(Value::Object(doc), json!({"userName": "a", "active": true}));
    }

    #[test]
    fn columns_pick_the_employee_email_and_fold_names() {
        let doc = parse(json!({
            "userName": "ÅSA@Example.com",
            "emails": [{"value": "home@x", "type": "home"}, {"value": "Work@X", "type": "Work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42", "manager": {"value": "m1"}}
        }))
        .unwrap();
        let c = columns(&doc);
        assert_eq!(c.user_name_fold, "åsa@example.com");
        assert_eq!(c.email.as_deref(), Some("Work@X"));
        assert_eq!(c.email_fold.as_deref(), Some("work@x"));
        assert_eq!(c.employee_number.as_deref(), Some("42"));
        assert_eq!(c.manager_id.as_deref(), Some("m1"));
        assert!(c.active);
        assert_eq!(c.emails.len(), 2);
        assert_eq!(c.emails[1].type_fold.as_deref(), Some("work"));
    }

    #[test]
    fn folded_document_folds_case_insensitive_strings_only() {
        let doc = parse(json!({"userName": "ÅSA", "externalId": "AbC", "emails": [{"value": "X@Y", "type": "WORK"}], "name": {"familyName": "STRAßE"}})).unwrap();
        let f = folded(&doc, &TenantSchema::default());
        assert_eq!(f["userName"], json!("åsa"));
        assert_eq!(f["externalId"], json!("AbC"));
        assert_eq!(f["emails"][0], json!({"value": "x@y", "type": "work"}));
        assert_eq!(f["name"]["familyName"], json!("strasse"));
    }

    #[test]
    fn rendering_adds_schemas_id_meta_and_the_manager_reference() {
        let doc = parse(json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m1"}})).unwrap();
        let meta = Meta {
            id: "u1".into(),
            created: Timestamp(0),
            last_modified: Timestamp(1000),
            version: 3,
        };
        let info = ManagerInfo {
            id: "m1".into(),
            display_name: "Boss".into(),
        };
        let r = render(
            &doc,
            &meta,
            Some(&info),
            &Map::new(),
            &TenantSchema::default(),
            "https://h/scim/v2",
        );
        assert_eq!(r["schemas"], json!([CORE_USER, ENTERPRISE_USER]));
        assert_eq!(r["id"], json!("u1"));
        assert_eq!(
            r["meta"],
            json!({"resourceType": "User", "created": "1970-01-01T00:00:00.000Z", "lastModified": "1970-01-01T00:00:01.000Z", "location": "https://h/scim/v2/Users/u1", "version": "W/\"3\""})
        );
        assert_eq!(
            r[ENTERPRISE_USER]["manager"],
            json!({"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"})
        );
    }

    #[test]
    fn changes_are_listed_by_attribute_path() {
        let old =
            parse(json!({"userName": "a", "name": {"givenName": "A"}, "active": true})).unwrap();
        let new = parse(
            json!({"userName": "a", "name": {"givenName": "B", "familyName": "C"}, "active": false,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Eng"}}),
        )
        .unwrap();
        let c: Vec<Value> = changes(&old, &new, &TenantSchema::default())
            .iter()
            .map(Change::to_json)
            .collect();
        assert_eq!(
            c,
            vec![
                json!({"path": "active", "old": true, "new": false}),
                json!({"path": "name.familyName", "old": null, "new": "C"}),
                json!({"path": "name.givenName", "old": "A", "new": "B"}),
                json!({"path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "old": null, "new": "Eng"}),
            ]
        );
        assert!(changes(&old, &old, &TenantSchema::default()).is_empty());
    }
}
