//! From a client's JSON to a canonical User document: the whole resource of a POST or PUT
//! (RFC 7644 §3.3, §3.5.1), or the attributes of a path-less PATCH operation (RFC 7644
//! §3.5.2).
//!
//! Owns the document's shape: keys read case-insensitively (RFC 7643 §2.1); `schemas` checked
//! against the URNs the service knows (RFC 7643 §3); core attributes at the top level or nested
//! under the core URN; read-only `id` and `meta` and the attributes the service does not keep
//! dropped; the enterprise extension (RFC 7643 §4.3), with the manager in every form IdPs send;
//! the tenant's extension handed to `TenantSchema`; `userName` required (RFC 7643 §4.1.1) and
//! `active` defaulted to true.
//!
//! Leaves out the value of one attribute (`canonical`), PATCH operations (`scim::patch`), and
//! everything done with a finished document (columns, folding, rendering, diffs).

use super::canonical::{canonical, invalid};
use super::{Doc, Parsed};
use crate::scim::error::ScimError;
use crate::scim::limits::{check_resource, check_text};
use crate::scim::schema::{
    core_attr, enterprise_attr, known_schema, Attr, CORE_USER, ENTERPRISE_USER, EXTERNAL_ID,
    IGNORED_CORE, TENANT_USER,
};
use crate::scim::tenant::TenantSchema;
use serde_json::{json, Map, Value};

/// Parses a User body of POST or PUT (RFC 7644 §3.3, §3.5.1): the whole resource, which must
/// name its schemas (RFC 7643 §3) and stay within the limits of a stored resource
/// (`scim::limits`).
pub fn parse_user(input: &Map<String, Value>, schema: &TenantSchema) -> Result<Parsed, ScimError> {
    let parsed = parse_attributes(input, schema)?;
    let parsed = finish(parsed.doc, parsed.notes)?;
    // Last, so that a body with other problems is told about those first (`schemas` alone is
    // the easiest to put right).
    require_schemas(input)?;
    Ok(parsed)
}

/// RFC 7643 §3: `schemas` is REQUIRED in every representation of a resource, "a non-empty
/// array". A body without it (or with an empty one) is refused with 400 `invalidValue`: it is a
/// required attribute of the resource that is missing, which RFC 7644 §3.12 gives
/// `invalidValue` ("A required value was missing, or the value specified was not compatible
/// with the operation or attribute type ..., or resource schema"), as it does for a missing
/// `userName`; `invalidSyntax` is for a body that is not a well-formed message at all. (A
/// PATCH request's own `schemas` belongs to the message, not the resource: `scim::patch`.)
/// Every request Okta and Entra document sending carries `schemas` (`tests/fixtures/`).
fn require_schemas(input: &Map<String, Value>) -> Result<(), ScimError> {
    let schemas = input
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v);
    match schemas {
        None | Some(Value::Null) => Err(invalid(format!(
            "\"schemas\" is required (RFC 7643 §3): send [\"{CORE_USER}\"], with the URN of each extension the body uses"
        ))),
        Some(Value::Array(list)) if list.is_empty() => Err(invalid(format!(
            "\"schemas\" may not be empty (RFC 7643 §3): send [\"{CORE_USER}\"], with the URN of each extension the body uses"
        ))),
        Some(other) => check_schemas(other),
    }
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

/// Checks the required attributes of a whole new resource (POST, PUT), fills defaults
/// (`active` absent means true, DESIGN §4) and checks the result against the limits of a
/// stored resource (`scim::limits::check_resource`).
pub fn finish(mut doc: Doc, notes: Vec<String>) -> Result<Parsed, ScimError> {
    require_user_name(&doc)?;
    doc.entry("active").or_insert(Value::Bool(true));
    check_resource(&doc)?;
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
                check_text(&EXTERNAL_ID, s, "externalId")?;
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
    // The manager's sub-attributes, for their limits (`scim::limits`).
    let sub = |name: &str| attr.sub(name).unwrap_or(attr);
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => {
            check_text(sub("value"), s, "manager.value")?;
            Ok(Some(json!({ "value": s })))
        }
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
                Some(Value::String(s)) => {
                    check_text(sub("value"), s, "manager.value")?;
                    s.clone()
                }
                Some(_) => return Err(invalid("manager.value must be a string".into())),
            };
            let mut m = Map::new();
            m.insert("value".into(), Value::String(id));
            match get("$ref") {
                None | Some(Value::Null) => {}
                Some(Value::String(r)) => {
                    check_text(sub("$ref"), r, "manager.$ref")?;
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

/// A body as a client sends it: `v`'s members, with `"schemas": [core]` when it names none, for
/// tests about something other than `schemas`.
#[cfg(test)]
pub(crate) fn with_schemas(v: Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    if !m.keys().any(|k| k.eq_ignore_ascii_case("schemas")) {
        m.insert("schemas".into(), json!([CORE_USER]));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(&with_schemas(v), &TenantSchema::default()).map(|p| p.doc)
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
    fn bodies_without_schemas_are_refused_with_invalid_value() {
        // RFC 7643 §3: `schemas` is REQUIRED, a non-empty array.
        let missing = format!("\"schemas\" is required (RFC 7643 §3): send [\"{CORE_USER}\"], with the URN of each extension the body uses");
        let empty = format!("\"schemas\" may not be empty (RFC 7643 §3): send [\"{CORE_USER}\"], with the URN of each extension the body uses");
        let table = [
            (json!({"userName": "a"}), missing),
            (
                json!({"userName": "a", "schemas": null}),
                "\"schemas\" must be an array of schema URNs".into(),
            ),
            (json!({"userName": "a", "schemas": []}), empty),
        ];
        for (body, detail) in table {
            assert_eq!(
                parse_user(body.as_object().unwrap(), &TenantSchema::default()),
                Err(ScimError::InvalidValue(detail)),
                "{body}"
            );
        }
        // Any spelling of the member name, and the extension URNs alone, will do.
        for schemas in [
            json!({"Schemas": [CORE_USER]}),
            json!({"schemas": [ENTERPRISE_USER]}),
        ] {
            let mut body = schemas.as_object().unwrap().clone();
            body.insert("userName".into(), json!("a"));
            assert!(
                parse_user(&body, &TenantSchema::default()).is_ok(),
                "{schemas}"
            );
        }
    }

    /// A body that sets `path` (a top-level attribute, `attr.sub` of a complex one, or
    /// `ENTERPRISE_USER` then the rest) to `v`, the way the attribute takes it.
    fn body_setting(path: &[&str], v: Value) -> Value {
        let set = |attrs: &[Attr], path: &[&str], v: Value| -> Value {
            let a = attrs.iter().find(|a| a.name == path[0]).unwrap();
            match path {
                [name] => json!({ *name: v }),
                [name, sub] if a.multi => json!({ *name: [{ *sub: v }] }),
                // A manager is its value; a `$ref` comes with one.
                ["manager", "$ref"] => json!({ "manager": { "value": "m", "$ref": v } }),
                [name, sub] => json!({ *name: { *sub: v } }),
                _ => unreachable!(),
            }
        };
        let mut body = match path {
            ["externalId"] => json!({"externalId": v}),
            [ENTERPRISE_USER, rest @ ..] => {
                json!({ ENTERPRISE_USER: set(crate::scim::schema::ENTERPRISE_ATTRS, rest, v) })
            }
            _ => set(crate::scim::schema::CORE_ATTRS, path, v),
        };
        if path != ["userName"] {
            body["userName"] = json!("a");
        }
        body
    }

    /// Every writable string and reference attribute, with its definition and the path that
    /// errors name.
    fn text_attributes() -> Vec<(Vec<&'static str>, &'static Attr, String)> {
        use crate::scim::schema::{Mutability, CORE_ATTRS, ENTERPRISE_ATTRS};
        let mut out = vec![(vec!["externalId"], &EXTERNAL_ID, "externalId".to_string())];
        for (ext, attrs) in [(false, CORE_ATTRS), (true, ENTERPRISE_ATTRS)] {
            for a in attrs {
                let prefix = |mut p: Vec<&'static str>| {
                    if ext {
                        p.insert(0, ENTERPRISE_USER);
                    }
                    p
                };
                if a.max_chars > 0 {
                    out.push((prefix(vec![a.name]), a, a.name.to_string()));
                }
                for s in a.subs {
                    if s.max_chars > 0 && s.mutability != Mutability::ReadOnly {
                        out.push((
                            prefix(vec![a.name, s.name]),
                            s,
                            format!("{}.{}", a.name, s.name),
                        ));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_string_attribute_takes_its_limit_and_refuses_one_more() {
        let all = text_attributes();
        assert!(all.len() > 30, "{}", all.len());
        for (path, attr, named) in all {
            let at = "é".repeat(attr.max_chars);
            assert!(
                parse(body_setting(&path, json!(at))).is_ok(),
                "{named} at its limit"
            );
            let over = "é".repeat(attr.max_chars + 1);
            assert_eq!(
                parse(body_setting(&path, json!(over))),
                Err(ScimError::InvalidValue(format!(
                    "{named} may hold at most {} characters, not {}",
                    attr.max_chars,
                    attr.max_chars + 1
                ))),
                "{named}"
            );
        }
    }

    #[test]
    fn the_issues_oversized_values_are_refused() {
        let long = |n: usize| "x".repeat(n);
        assert_eq!(
            parse(json!({"userName": "a", "displayName": long(800_000)})),
            Err(ScimError::InvalidValue(
                "displayName may hold at most 1024 characters, not 800000".into()
            ))
        );
        assert_eq!(
            parse(json!({"userName": long(300_000)})),
            Err(ScimError::InvalidValue(
                "userName may hold at most 512 characters, not 300000".into()
            ))
        );
        // A 254-character email (RFC 5321's longest) and a 1,024-character name pass.
        let email = format!("{}@{}.example.com", long(64), long(254 - 64 - 13));
        assert_eq!(email.len(), 254);
        let doc = parse(json!({"userName": email, "emails": [{"value": email}], "name": {"familyName": long(1024)}})).unwrap();
        assert_eq!(doc["emails"][0]["value"], json!(email));
    }

    #[test]
    fn control_characters_are_refused_in_identifiers_only() {
        for path in [
            &["userName"][..],
            &["externalId"],
            &["emails", "value"],
            &[ENTERPRISE_USER, "manager", "value"],
        ] {
            for bad in ["a\u{0}b", "a\u{1b}[31m", "a\nb", "a\u{7f}", "a\u{9b}"] {
                let got = parse(body_setting(path, json!(bad)));
                assert!(
                    matches!(&got, Err(ScimError::InvalidValue(d)) if d.contains("may not contain control characters")),
                    "{path:?} {bad:?}: {got:?}"
                );
            }
        }
        // The bare-id manager form too.
        assert!(parse(json!({"userName": "a", ENTERPRISE_USER: {"manager": "m\u{0}"}})).is_err());
        // Free text and names may hold line breaks and tabs.
        let doc = parse(json!({
            "userName": "a",
            "displayName": "A\tB",
            "addresses": [{"formatted": "100 Universal City Plaza\nHollywood, CA 91608", "type": "work"}]
        }))
        .unwrap();
        assert_eq!(
            doc["addresses"][0]["formatted"],
            json!("100 Universal City Plaza\nHollywood, CA 91608")
        );
    }

    #[test]
    fn script_uris_are_refused_in_every_reference() {
        let references: Vec<_> = text_attributes()
            .into_iter()
            .filter(|(_, a, _)| a.ty == crate::scim::schema::Type::Reference)
            .collect();
        let names: Vec<&str> = references.iter().map(|(_, _, n)| n.as_str()).collect();
        assert_eq!(names, ["profileUrl", "photos.value", "manager.$ref"]);
        for (path, _, named) in &references {
            let body = |r: &str| body_setting(path, json!(r));
            for bad in [
                "javascript:alert(1)",
                " JavaScript:alert(1)",
                "\u{1}java\tscript:x",
                "data:text/html,<b>",
                "VBScript:x",
            ] {
                let got = parse(body(bad));
                assert!(
                    matches!(&got, Err(ScimError::InvalidValue(d)) if d.starts_with(&format!("{named} may not be a "))),
                    "{named} {bad:?}: {got:?}"
                );
            }
            for good in [
                "https://example.com/a.jpg",
                "../Users/m",
                "/scim/v2/Users/m",
                "Users/m",
            ] {
                assert!(parse(body(good)).is_ok(), "{named} {good:?}");
            }
        }
    }

    #[test]
    fn multi_valued_attributes_take_their_limit_and_refuse_one_more() {
        use crate::scim::limits::MAX_VALUES;
        for attr in crate::scim::schema::CORE_ATTRS.iter().filter(|a| a.multi) {
            let values = |n: usize| -> Vec<Value> {
                (0..n).map(|i| json!({"type": format!("t{i}")})).collect()
            };
            let at = parse(json!({"userName": "a", attr.name: values(MAX_VALUES)})).unwrap();
            assert_eq!(at[attr.name].as_array().map(Vec::len), Some(MAX_VALUES));
            assert_eq!(
                parse(json!({"userName": "a", attr.name: values(MAX_VALUES + 1)})),
                Err(ScimError::InvalidValue(format!(
                    "{} may hold at most {MAX_VALUES} values, not {}",
                    attr.name,
                    MAX_VALUES + 1
                )))
            );
        }
        // The issue's 20,000 emails: refused, counted before any is looked at.
        let many: Vec<Value> = (0..20_000)
            .map(|i| json!({"value": format!("u{i}@x.com")}))
            .collect();
        assert_eq!(
            parse(json!({"userName": "a", "emails": many})),
            Err(ScimError::InvalidValue(
                "emails may hold at most 100 values, not 20000".into()
            ))
        );
    }

    #[test]
    fn a_resource_over_its_size_is_refused() {
        use crate::scim::limits::MAX_RESOURCE_BYTES;
        // Every value within its own limit, the whole too large.
        let addresses: Vec<Value> = (0..40)
            .map(|i| json!({"formatted": format!("{i} {}", "x".repeat(2000))}))
            .collect();
        let got = parse(json!({"userName": "a", "addresses": addresses}));
        assert!(
            matches!(&got, Err(ScimError::InvalidValue(d)) if d.ends_with(&format!("at most {MAX_RESOURCE_BYTES} are allowed"))),
            "{got:?}"
        );
    }

    #[test]
    fn nulls_and_empty_values_are_unassigned() {
        let doc = parse(json!({"userName": "a", "displayName": null, "name": {}, "emails": [], "phoneNumbers": [null]})).unwrap();
        assert_eq!(Value::Object(doc), json!({"userName": "a", "active": true}));
    }
}
