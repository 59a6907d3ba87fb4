//! The representation of a stored User returned to clients (RFC 7643 §4.1): the document with
//! `schemas`, `id` and `meta` (RFC 7643 §3.1), the enterprise manager's `$ref` and
//! `displayName` filled in (RFC 7643 §4.3), the tenant's attributes under their SCIM names, and
//! `meta.version` as a weak entity tag (RFC 7644 §3.14).
//!
//! Leaves out which attributes an answer carries (`scim::projection`) and the look-ups of the
//! manager and of the tenant's references, which the caller makes.

use super::Doc;
use crate::model::UserId;
use crate::scim::datetime::Timestamp;
use crate::scim::schema::{CORE_USER, ENTERPRISE_USER, TENANT_USER};
use crate::scim::tenant::TenantSchema;
use serde_json::{json, Map, Value};

/// What the service knows about the employee a `manager.value` names, for `$ref` and
/// `displayName` (RFC 7643 §4.3).
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerInfo {
    pub id: UserId,
    pub display_name: String,
}

/// The server-side facts of a stored User.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: UserId,
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
    out.insert("id".into(), json!(meta.id.as_str()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimError;
    use crate::scim::user::{parse_user, with_schemas};

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(&with_schemas(v), &TenantSchema::default()).map(|p| p.doc)
    }

    #[test]
    fn rendering_adds_schemas_id_meta_and_the_manager_reference() {
        let doc = parse(json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m1"}})).unwrap();
        let meta = Meta {
            id: UserId::new("u1"),
            created: Timestamp(0),
            last_modified: Timestamp(1000),
            version: 3,
        };
        let info = ManagerInfo {
            id: UserId::new("m1"),
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
}
