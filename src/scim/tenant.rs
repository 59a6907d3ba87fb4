//! A tenant's schema: the static User tables plus the tenant's own attributes under
//! `urn:ietf:params:scim:schemas:extension:peakon:2.0:User` (DESIGN §4). The definitions are read
//! in the same D1 batch as each request's other reads, so a change applies to the next request.

use super::error::ScimError;
use super::schema::TENANT_USER;
use serde_json::{Map, Value};

/// The schema a request is checked against. Without custom attributes, the tenant extension
/// accepts nothing but an empty object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantSchema {}

impl TenantSchema {
    /// The tenant extension object of a request, by attribute: unknown names are refused.
    pub fn parse_extension(&self, value: &Value, _notes: &mut Vec<String>) -> Result<Map<String, Value>, ScimError> {
        let obj = match value {
            Value::Null => return Ok(Map::new()),
            Value::Object(o) => o,
            _ => return Err(ScimError::InvalidValue(format!("\"{TENANT_USER}\" must be an object"))),
        };
        match obj.iter().find(|(_, v)| !v.is_null()) {
            None => Ok(Map::new()),
            Some((name, _)) => Err(ScimError::InvalidValue(format!(
                "Unknown attribute \"{name}\" in {TENANT_USER}; this tenant defines no custom attributes"
            ))),
        }
    }

    /// The stored extension with case-insensitive values folded, for filters.
    pub fn fold_extension(&self, stored: &Value) -> Value {
        stored.clone()
    }

    /// The stored extension as the client sees it.
    pub fn render_extension(&self, stored: &Value) -> Value {
        stored.clone()
    }
}
