//! The activity log's changes between two canonical documents (DESIGN §7): one `Change` an
//! attribute, in the attribute notation of RFC 7644 §3.10, by sub-attribute inside singular
//! complex attributes and extensions, in key order.
//!
//! Leaves out writing the log entry (`app`, `store`).

use super::Doc;
use crate::scim::schema::{ENTERPRISE_USER, TENANT_USER};
use crate::scim::sorting;
use crate::scim::tenant::TenantSchema;
use serde_json::{json, Map, Value};

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
    sorting::sort_by(&mut keys, |a, b| a.cmp(b));
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
    use crate::scim::error::ScimError;
    use crate::scim::user::{parse_user, with_schemas};

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(&with_schemas(v), &TenantSchema::default()).map(|p| p.doc)
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
