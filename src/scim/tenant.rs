//! A tenant's schema: the static User tables plus the company's own attributes under
//! `urn:ietf:params:scim:schemas:extension:peakon:2.0:User` (DESIGN §4).
//!
//! The definitions are read in the same D1 batch as each request's other reads, so a change
//! applies to the very next request; nothing is cached across requests. Values are stored in
//! the document under the extension URN keyed by attribute id, so renames and aliases never
//! touch them.

use super::error::ScimError;
use super::fold::fold;
use super::schema::{Type, TENANT_USER};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The kinds of custom attribute (DESIGN §4's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomType {
    Text,
    Option,
    Date,
    Number,
    Employee,
}

impl CustomType {
    pub const ALL: [CustomType; 5] =
        [CustomType::Text, CustomType::Option, CustomType::Date, CustomType::Number, CustomType::Employee];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomType::Text => "text",
            CustomType::Option => "option",
            CustomType::Date => "date",
            CustomType::Number => "number",
            CustomType::Employee => "employee",
        }
    }

    pub fn parse(s: &str) -> Option<CustomType> {
        CustomType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The SCIM type `/Schemas` advertises for it.
    pub fn scim_type(self) -> Type {
        match self {
            CustomType::Text | CustomType::Option | CustomType::Employee => Type::String,
            CustomType::Date => Type::DateTime,
            CustomType::Number => Type::Integer,
        }
    }
}

/// One custom attribute definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomAttr {
    pub id: String,
    /// The display name (may contain spaces; may be renamed).
    pub name: String,
    /// The name SCIM uses, derived once (never changes).
    pub scim_name: String,
    pub ty: CustomType,
    /// The allowed values of an `option` attribute, as listed; `None` allows any.
    pub options: Option<Vec<String>>,
    pub aliases: Vec<String>,
    pub active: bool,
}

impl CustomAttr {
    /// Whether `name` (as a client wrote it) names this attribute: its SCIM name, an alias or
    /// its display name, compared with case folding.
    pub fn answers_to(&self, name: &str) -> bool {
        let n = fold(name);
        fold(&self.scim_name) == n || fold(&self.name) == n || self.aliases.iter().any(|a| fold(a) == n)
    }

    /// RFC 7643 §7's representation, for `/Schemas`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.scim_name));
        m.insert("type".into(), json!(self.ty.scim_type().as_str()));
        m.insert("multiValued".into(), json!(false));
        m.insert("description".into(), json!(self.name));
        m.insert("required".into(), json!(false));
        if self.ty.scim_type() == Type::String {
            m.insert("caseExact".into(), json!(false));
        }
        if let (CustomType::Option, Some(options)) = (self.ty, &self.options) {
            m.insert("canonicalValues".into(), json!(options));
        }
        m.insert("mutability".into(), json!("readWrite"));
        m.insert("returned".into(), json!("default"));
        m.insert("uniqueness".into(), json!("none"));
        Value::Object(m)
    }
}

/// The schema a request is checked against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantSchema {
    /// The tenant's attributes, active or not, in creation order.
    pub attributes: Vec<Arc<CustomAttr>>,
}

impl TenantSchema {
    /// The definitions as `store::attributes::definitions` reads them.
    pub fn from_rows(rows: &[serde_json::Map<String, Value>]) -> Result<TenantSchema, ScimError> {
        let broken = |what: &str| ScimError::Internal(format!("attribute definition: bad {what}"));
        let text = |row: &serde_json::Map<String, Value>, k: &str| -> Result<String, ScimError> {
            row.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| broken(k))
        };
        let list = |row: &serde_json::Map<String, Value>, k: &str| -> Result<Option<Vec<String>>, ScimError> {
            match row.get(k).and_then(Value::as_str) {
                None => Ok(None),
                Some(s) => serde_json::from_str::<Vec<String>>(s).map(Some).map_err(|_| broken(k)),
            }
        };
        let mut attributes = Vec::with_capacity(rows.len());
        for row in rows {
            attributes.push(Arc::new(CustomAttr {
                id: text(row, "id")?,
                name: text(row, "name")?,
                scim_name: text(row, "scim_name")?,
                ty: CustomType::parse(&text(row, "type")?).ok_or_else(|| broken("type"))?,
                options: list(row, "options")?,
                aliases: list(row, "aliases")?.unwrap_or_default(),
                active: row.get("active").and_then(Value::as_i64) == Some(1),
            }));
        }
        Ok(TenantSchema { attributes })
    }

    /// The attribute a client's name resolves to (active or not).
    pub fn find(&self, name: &str) -> Option<&Arc<CustomAttr>> {
        self.attributes.iter().find(|a| a.answers_to(name))
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<CustomAttr>> {
        self.attributes.iter().find(|a| a.id == id)
    }

    /// The active attributes, as `/Schemas` lists them.
    pub fn active(&self) -> impl Iterator<Item = &Arc<CustomAttr>> {
        self.attributes.iter().filter(|a| a.active)
    }

    /// The SCIM names a client may use, for error messages.
    pub fn known_names(&self) -> String {
        let names: Vec<&str> = self.active().map(|a| a.scim_name.as_str()).collect();
        if names.is_empty() {
            "this tenant defines no custom attributes".to_string()
        } else {
            format!("known attributes: {}", names.join(", "))
        }
    }

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
                "Unknown attribute \"{name}\" in {TENANT_USER}; {}",
                self.known_names()
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
