//! The canonical value of one attribute, checked against its definition (`scim::schema`):
//! sub-attribute names in their schema spelling, read-only sub-attributes dropped, simple values
//! of their declared type (RFC 7643 §2.3), with booleans also taken from the strings Entra sends
//! and date-times normalised; a single value where an array belongs taken as a one-element
//! array, with at most one `primary` (RFC 7643 §2.4); nulls and empty values unassigned
//! (RFC 7643 §2.5); strings within the attribute's limits (`scim::limits`: length, no control
//! characters in identifiers, no script URIs in references) and at most `MAX_VALUES` values
//! sent for a multi-valued attribute, counted before any value is looked at.
//!
//! Used by `parse` and by PATCH (`scim::patch`). Leaves out which attributes a document holds
//! (`parse`), the enterprise manager's forms (`parse::enterprise_value`) and the tenant's own
//! attributes (`scim::tenant`). Its rules are tested through whole bodies in `parse`.

use crate::scim::datetime::normalize_datetime;
use crate::scim::error::ScimError;
use crate::scim::limits::{check_text, check_values};
use crate::scim::schema::{Attr, Mutability, Type};
use serde_json::{Map, Value};

/// A 400 `invalidValue` with `detail`, for a value the client sent.
pub(super) fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
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
        check_values(items.len(), path)?;
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
    let v = simple(attr.ty, value, path)?;
    if let Value::String(s) = &v {
        check_text(attr, s, path)?;
    }
    Ok(Some(v))
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
