//! What a write request sends under the tenant extension
//! (`urn:ietf:params:scim:schemas:extension:peakon:2.0:User`), read from its raw body, and what
//! the tenant's schema makes of each name: the raw material of **attribute health** (DESIGN §7:
//! names the IdPs sent that matched nothing, attributes received, values refused).
//!
//! Read from the body as sent, not from the parsed document: a refused request has no document,
//! and the point is to say why it was refused. A POST or PUT sends the extension object; a PATCH
//! sends it in the value of a path-less operation, as the value of the path
//! `urn:...:peakon:2.0:User`, or one attribute at a time as `urn:...:peakon:2.0:User:<name>`
//! (Okta and Entra both send the last form; `tests/fixtures/`).
//!
//! Leaves out: deciding anything about the request (`TenantSchema::parse_extension` and
//! `scim::patch` do); at most [`MAX_SENT`] names of one request are examined.

use super::schema::TENANT_USER;
use super::tenant::{custom_value, TenantSchema};
use serde_json::{Map, Value};

/// Most names of one request examined.
pub const MAX_SENT: usize = 50;

/// A name sent under the tenant extension, and its value.
pub type Sent = Vec<(String, Value)>;

fn key<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn push_object(out: &mut Sent, value: &Value) {
    if let Some(ext) = value.as_object() {
        for (name, v) in ext {
            if out.len() < MAX_SENT && !name.eq_ignore_ascii_case("schemas") {
                out.push((name.clone(), v.clone()));
            }
        }
    }
}

/// The attribute name of a path (or a path-less operation's key) inside the tenant extension:
/// `urn:...:peakon:2.0:User:Name` (or `...:Name.sub`, `...:Name[...]`) → `Name`.
fn name_in_extension(path: &str) -> Option<&str> {
    let head = path.get(..TENANT_USER.len())?;
    if !head.eq_ignore_ascii_case(TENANT_USER) {
        return None;
    }
    let rest = path[TENANT_USER.len()..].strip_prefix(':')?;
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

/// The names and values a POST or PUT body sends under the tenant extension.
pub fn in_resource(body: &Map<String, Value>) -> Sent {
    let mut out = Sent::new();
    if let Some(ext) = key(body, TENANT_USER) {
        push_object(&mut out, ext);
    }
    out
}

/// The names and values a PATCH body (RFC 7644 §3.5.2) sends under the tenant extension.
pub fn in_patch(body: &Map<String, Value>) -> Sent {
    let mut out = Sent::new();
    let Some(ops) = key(body, "Operations").and_then(Value::as_array) else {
        return out;
    };
    for op in ops.iter().filter_map(Value::as_object) {
        let value = key(op, "value").cloned().unwrap_or(Value::Null);
        match key(op, "path").and_then(Value::as_str) {
            Some(path) if path.eq_ignore_ascii_case(TENANT_USER) => push_object(&mut out, &value),
            Some(path) => {
                if let Some(name) = name_in_extension(path) {
                    if out.len() < MAX_SENT {
                        out.push((name.to_string(), value));
                    }
                }
            }
            None => {
                if let Some(obj) = value.as_object() {
                    for (k, v) in obj {
                        if k.eq_ignore_ascii_case(TENANT_USER) {
                            push_object(&mut out, v);
                        } else if let Some(name) = name_in_extension(k) {
                            if out.len() < MAX_SENT {
                                out.push((name.to_string(), v.clone()));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// What the tenant's schema makes of what a request sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Examined {
    /// Names that match no attribute (its SCIM name, an alias or its display name), as sent,
    /// without repeats (compared ignoring case).
    pub unmatched: Vec<String>,
    /// Active attributes given a value they accept (ids).
    pub received: Vec<String>,
    /// Active attributes given a value they refuse: id, and the reason the client is told.
    pub refused: Vec<(String, String)>,
}

/// Sorts what was sent by what the schema makes of it. A deactivated attribute is none of
/// these (it is ignored, DESIGN §4); a null value is neither received nor refused.
pub fn examine(sent: &Sent, schema: &TenantSchema) -> Examined {
    let mut out = Examined::default();
    for (name, value) in sent {
        match schema.find(name) {
            None => {
                if !out.unmatched.iter().any(|u| u.eq_ignore_ascii_case(name)) {
                    out.unmatched.push(name.clone());
                }
            }
            Some(attr) if !attr.active => {}
            Some(attr) => match custom_value(attr, value) {
                Ok(None) => {}
                Ok(Some(_)) => {
                    if !out.received.contains(&attr.id) {
                        out.received.push(attr.id.clone());
                    }
                }
                Err(e) => {
                    if !out.refused.iter().any(|(id, _)| *id == attr.id) {
                        out.refused.push((attr.id.clone(), e.detail()));
                    }
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::tenant::{CustomAttr, CustomType};
    use serde_json::json;
    use std::sync::Arc;

    fn schema() -> TenantSchema {
        let attr = |id: &str, name: &str, ty, active| {
            Arc::new(CustomAttr {
                id: id.into(),
                name: name.into(),
                scim_name: name.replace(' ', "_"),
                ty,
                options: None,
                aliases: vec!["Start".into()],
                active,
            })
        };
        TenantSchema {
            attributes: vec![
                attr("att_1", "Employed Since", CustomType::Date, true),
                attr("att_2", "Old", CustomType::Text, false),
            ],
        }
    }

    #[test]
    fn every_form_of_patch_names_its_attributes() {
        let body = json!({"Operations": [
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Cost_Center", "value": "x"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:peakon:2.0:user", "value": {"Team": "a"}},
            {"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:peakon:2.0:User": {"Level": 3},
                                        "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Site": "b",
                                        "displayName": "ignored"}},
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Gone[value eq \"x\"]"},
            {"op": "replace", "path": "name.givenName", "value": "ignored"}
        ]});
        let names: Vec<String> = in_patch(body.as_object().unwrap())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["Cost_Center", "Team", "Level", "Site", "Gone"]);
    }

    #[test]
    fn names_sort_into_unmatched_received_and_refused() {
        let body = json!({"urn:ietf:params:scim:schemas:extension:peakon:2.0:User": {
            "employed since": "2020-01-01", "Nope": 1, "NOPE": 2, "Old": "kept", "Start": "soon"}});
        let sent = in_resource(body.as_object().unwrap());
        let e = examine(&sent, &schema());
        // Keys in JSON key order; one entry per name ignoring case.
        assert_eq!(e.unmatched, ["NOPE"]);
        assert_eq!(e.received, ["att_1"]);
        assert_eq!(e.refused.len(), 1);
        assert_eq!(e.refused[0].0, "att_1");
        assert!(
            e.refused[0].1.contains("is of type date"),
            "{}",
            e.refused[0].1
        );
    }
}
