//! PATCH (RFC 7644 §3.5.2) applied to a canonical User document.
//!
//! This first version covers what identity providers send to deactivate and reactivate an
//! employee and to set or clear whole top-level attributes: `add`/`replace` without a path
//! (Okta's `{"op":"replace","value":{"active":false}}`), `add`/`replace`/`remove` with the path
//! of a top-level attribute (`active`, `displayName`, `urn:…:enterprise:2.0:User:department`),
//! operation names in any letter case and booleans as the strings "True"/"False" (Microsoft
//! Entra). Paths with sub-attributes or value filters are refused with `invalidPath` for now.
//! A request applies atomically: all operations or none.

use super::error::ScimError;
use super::filter::{parse_patch_path, Limits};
use super::path::{resolve, Container};
use super::schema::{ENTERPRISE_USER, PATCH_OP};
use super::tenant::TenantSchema;
use super::user::{self, Doc};
use serde_json::{Map, Value};

/// Most operations in one PATCH request (refused beyond, 400).
pub const MAX_OPERATIONS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
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

/// The operations of a PatchOp request body.
pub fn parse_request(body: &Map<String, Value>) -> Result<Vec<PatchOp>, ScimError> {
    if let Some(schemas) = body.iter().find(|(k, _)| k.eq_ignore_ascii_case("schemas")).map(|(_, v)| v) {
        let ok = schemas.as_array().is_some_and(|a| a.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP))));
        if !ok {
            return Err(syntax(format!("A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]")));
        }
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
        return Err(ScimError::InvalidValue(format!(
            "A PATCH request may carry at most {MAX_OPERATIONS} operations, not {}",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let obj = op.as_object().ok_or_else(|| syntax(format!("Operation {i} is not an object")))?;
            let get = |name: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
            let kind = match get("op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => OpKind::Add,
                Some("replace") => OpKind::Replace,
                Some("remove") => OpKind::Remove,
                _ => return Err(syntax(format!("Operation {i}: \"op\" must be add, replace or remove"))),
            };
            let path = match get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(syntax(format!("Operation {i}: \"path\" must be a string"))),
            };
            let value = get("value").cloned();
            if kind != OpKind::Remove && value.is_none() {
                return Err(syntax(format!("Operation {i}: \"value\" is required for {}", if kind == OpKind::Add { "add" } else { "replace" })));
            }
            if kind == OpKind::Remove && path.is_none() {
                return Err(ScimError::NoTarget(format!("Operation {i}: remove needs a \"path\"")));
            }
            Ok(PatchOp { op: kind, path, value })
        })
        .collect()
}

/// Applies every operation to a copy of `doc`; the first failing one fails the request, its
/// index in the detail.
pub fn apply(doc: &Doc, ops: &[PatchOp], schema: &TenantSchema) -> Result<Doc, ScimError> {
    let mut out = doc.clone();
    for (i, op) in ops.iter().enumerate() {
        apply_one(&mut out, op, schema).map_err(|e| at_operation(i, e))?;
    }
    Ok(out)
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

fn apply_one(doc: &mut Doc, op: &PatchOp, schema: &TenantSchema) -> Result<(), ScimError> {
    let Some(path) = &op.path else {
        // Path-less add/replace: the value is a partial resource, merged attribute by attribute.
        let value = op.value.as_ref().and_then(Value::as_object).ok_or_else(|| {
            ScimError::InvalidValue("without a \"path\", \"value\" must be an object of attributes".into())
        })?;
        let parsed = user::parse_attributes(value, schema)?;
        // Attributes sent as null are unassigned: removed (RFC 7643 §2.5).
        for (k, v) in value {
            if v.is_null() {
                if let Some(a) = crate::scim::schema::core_attr(k) {
                    doc.remove(a.name);
                }
            }
        }
        for (k, v) in parsed.doc {
            if k == ENTERPRISE_USER {
                let target = doc.entry(k).or_insert_with(|| Value::Object(Map::new()));
                if let (Some(t), Value::Object(src)) = (target.as_object_mut(), v) {
                    t.extend(src);
                }
            } else {
                doc.insert(k, v);
            }
        }
        return Ok(());
    };
    let parsed = parse_patch_path(path, &Limits::DEFAULT)
        .map_err(|e| ScimError::InvalidPath(format!("\"{path}\" is not a valid path ({e})")))?;
    if parsed.filter.is_some() || parsed.sub.is_some() || parsed.attr.sub.is_some() {
        return Err(ScimError::InvalidPath(format!("\"{path}\": paths into sub-attributes are not supported yet")));
    }
    let r = resolve(&parsed.attr, schema).map_err(|e| ScimError::InvalidPath(e.detail()))?;
    let (container_key, name) = match r.container {
        Container::Core => (None, r.top.name().to_string()),
        Container::Enterprise => (Some(ENTERPRISE_USER), r.top.name().to_string()),
        Container::Common if r.top.name() == "externalId" => (None, "externalId".to_string()),
        _ => return Err(ScimError::Mutability(format!("\"{}\" is read-only", r.display()))),
    };
    let value = match op.op {
        OpKind::Remove => None,
        _ => {
            let v = op.value.as_ref().unwrap_or(&Value::Null);
            match (r.container, r.top.static_attr()) {
                (Container::Enterprise, Some(a)) => user::enterprise_value(a, v)?,
                (Container::Core, Some(a)) => user::canonical(a, v, a.name)?,
                (_, _) => match v {
                    Value::String(_) | Value::Null => (!v.is_null()).then(|| v.clone()),
                    _ => return Err(ScimError::InvalidValue("externalId must be a string".into())),
                },
            }
        }
    };
    let target: &mut Map<String, Value> = match container_key {
        None => doc,
        Some(key) => doc
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| ScimError::Internal("extension is not an object".into()))?,
    };
    match value {
        Some(v) => {
            target.insert(name, v);
        }
        None => {
            target.remove(&name);
        }
    }
    if let Some(key) = container_key {
        if doc.get(key).and_then(Value::as_object).is_some_and(Map::is_empty) {
            doc.remove(key);
        }
    }
    if r.top.name() == "userName" && !doc.contains_key("userName") {
        return Err(ScimError::Mutability("userName is required and cannot be removed".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().unwrap().clone()
    }
    fn run(start: Value, body: Value) -> Result<Value, ScimError> {
        let ops = parse_request(body.as_object().unwrap())?;
        apply(&doc(start), &ops, &TenantSchema::default()).map(Value::Object)
    }

    #[test]
    fn okta_deactivates_and_reactivates_without_a_path() {
        let start = json!({"userName": "a", "active": true});
        let off = run(start.clone(), json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})).unwrap();
        assert_eq!(off, json!({"userName": "a", "active": false}));
        let on = run(off, json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true}}]})).unwrap();
        assert_eq!(on, start);
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let start = json!({"userName": "a", "active": true});
        let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
        assert_eq!(run(start, body).unwrap(), json!({"userName": "a", "active": false}));
    }

    #[test]
    fn top_level_and_extension_paths() {
        let start = json!({"userName": "a", "active": true, "displayName": "A"});
        let body = json!({"Operations": [
            {"op": "remove", "path": "displayName"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Eng"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m1"}
        ]});
        assert_eq!(
            run(start, body).unwrap(),
            json!({"userName": "a", "active": true, ENTERPRISE_USER: {"department": "Eng", "manager": {"value": "m1"}}})
        );
    }

    #[test]
    fn a_failing_operation_leaves_the_document_unchanged_and_is_named() {
        let start = json!({"userName": "a", "active": true});
        let body = json!({"Operations": [{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "nope", "value": 1}]});
        let err = run(start, body).unwrap_err();
        assert_eq!(err, ScimError::InvalidPath("Operation 1: Unknown attribute \"nope\"".into()));
    }

    #[test]
    fn malformed_requests() {
        let start = json!({"userName": "a"});
        let table = [
            (json!({}), ScimError::InvalidSyntax("A PATCH request needs an \"Operations\" array".into())),
            (json!({"Operations": []}), ScimError::InvalidSyntax("\"Operations\" is empty".into())),
            (json!({"Operations": [{"op": "move", "path": "x"}]}), ScimError::InvalidSyntax("Operation 0: \"op\" must be add, replace or remove".into())),
            (json!({"Operations": [{"op": "replace", "path": "active"}]}), ScimError::InvalidSyntax("Operation 0: \"value\" is required for replace".into())),
            (json!({"Operations": [{"op": "remove"}]}), ScimError::NoTarget("Operation 0: remove needs a \"path\"".into())),
            (json!({"schemas": ["urn:x"], "Operations": [{"op": "remove", "path": "x"}]}), ScimError::InvalidSyntax(format!("A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]"))),
            (json!({"Operations": [{"op": "remove", "path": "userName"}]}), ScimError::Mutability("Operation 0: userName is required and cannot be removed".into())),
            (json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}), ScimError::Mutability("Operation 0: \"id\" is read-only".into())),
        ];
        for (body, err) in table {
            assert_eq!(run(start.clone(), body.clone()), Err(err), "{body}");
        }
        let many: Vec<Value> = (0..=MAX_OPERATIONS).map(|_| json!({"op": "remove", "path": "title"})).collect();
        assert!(matches!(run(start, json!({"Operations": many})), Err(ScimError::InvalidValue(_))));
    }
}
