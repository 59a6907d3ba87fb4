//! A tenant's schema: the static User tables plus the company's own attributes under
//! `urn:ietf:params:scim:schemas:extension:peakon:2.0:User` (DESIGN §4).
//!
//! The definitions are read in the same D1 batch as each request's other reads, so a change
//! applies to the very next request; nothing is cached across requests. Values are stored in
//! the document under the extension URN keyed by attribute id, so renames and aliases never
//! touch them.

use super::datetime::{normalize_datetime, Timestamp};
use super::error::ScimError;
use super::fold::fold;
use super::limits;
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
    pub const ALL: [CustomType; 5] = [
        CustomType::Text,
        CustomType::Option,
        CustomType::Date,
        CustomType::Number,
        CustomType::Employee,
    ];

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
        fold(&self.scim_name) == n
            || fold(&self.name) == n
            || self.aliases.iter().any(|a| fold(a) == n)
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

    /// The tenant extension object of a request (POST, PUT, or a path-less PATCH value), keyed
    /// by attribute id. Keys resolve by SCIM name, alias or display name, case-insensitively; an
    /// unknown one is a 400 naming it; a deactivated one is ignored and noted (DESIGN §4).
    pub fn parse_extension(
        &self,
        value: &Value,
        notes: &mut Vec<String>,
    ) -> Result<Map<String, Value>, ScimError> {
        let obj = match value {
            Value::Null => return Ok(Map::new()),
            Value::Object(o) => o,
            _ => {
                return Err(ScimError::InvalidValue(format!(
                    "\"{TENANT_USER}\" must be an object"
                )))
            }
        };
        let mut out = Map::new();
        for (name, v) in obj {
            let attr = self.find(name).ok_or_else(|| {
                ScimError::InvalidValue(format!(
                    "Unknown attribute \"{name}\" in {TENANT_USER}; {}",
                    self.known_names()
                ))
            })?;
            if !attr.active {
                notes.push(format!(
                    "ignored the deactivated attribute \"{}\"",
                    attr.scim_name
                ));
                continue;
            }
            // A null or empty value leaves the attribute unassigned (Okta sends "" for empty
            // profile fields).
            let v = custom_value(attr, v)?.unwrap_or(Value::Null);
            match out.get(&attr.id) {
                // Two of its names with different values: which one is meant is unknowable.
                Some(prev) if !prev.is_null() && !v.is_null() && *prev != v => {
                    return Err(ScimError::InvalidValue(format!(
                        "The attribute \"{}\" is given twice in {TENANT_USER} with different values (\"{name}\" is one of its names)",
                        attr.scim_name
                    )));
                }
                Some(prev) if !prev.is_null() => {}
                _ => {
                    out.insert(attr.id.clone(), v);
                }
            }
        }
        out.retain(|_, v| !v.is_null());
        Ok(out)
    }

    /// The stored extension with every value in the form filters and sorting compare: strings
    /// folded (custom attributes compare case-insensitively), dates as UTC instants.
    pub fn fold_extension(&self, stored: &Value) -> Value {
        let Some(obj) = stored.as_object() else {
            return stored.clone();
        };
        // `extend`, not `collect`: each `collect` into a map instantiates a sort.
        let mut folded = Map::new();
        folded.extend(obj.iter().map(|(id, v)| {
            let f = match (self.by_id(id).map(|a| a.ty), v) {
                (Some(CustomType::Date), Value::String(s)) => {
                    Value::String(date_instant(s).unwrap_or_else(|| s.clone()))
                }
                (Some(CustomType::Number), _) => v.clone(),
                (_, Value::String(s)) => Value::String(fold(s)),
                _ => v.clone(),
            };
            (id.clone(), f)
        }));
        Value::Object(folded)
    }

    /// The stored extension as the client sees it: SCIM names, active attributes only, and
    /// employee references as the referenced employee's email (`refs`: attribute id → the
    /// resolved email, or the value as sent while pending; no entry once the employee is gone).
    pub fn render_extension(&self, stored: &Value, refs: &Map<String, Value>) -> Value {
        let mut out = Map::new();
        if let Some(obj) = stored.as_object() {
            for (id, v) in obj {
                let Some(attr) = self.by_id(id).filter(|a| a.active) else {
                    continue;
                };
                let shown = match attr.ty {
                    CustomType::Employee => match refs.get(id) {
                        Some(r) if !r.is_null() => r.clone(),
                        _ => continue,
                    },
                    _ => v.clone(),
                };
                out.insert(attr.scim_name.clone(), shown);
            }
        }
        Value::Object(out)
    }

    /// The `employee` values of a stored extension: `(attribute id, value as sent)`.
    pub fn employee_values<'d>(&self, stored: Option<&'d Value>) -> Vec<(&str, &'d str)> {
        let Some(obj) = stored.and_then(Value::as_object) else {
            return Vec::new();
        };
        self.attributes
            .iter()
            .filter(|a| a.ty == CustomType::Employee)
            .filter_map(|a| {
                obj.get(&a.id)
                    .and_then(Value::as_str)
                    .map(|v| (a.id.as_str(), v))
            })
            .collect()
    }

    /// The tenant extension's `/Schemas` representation: its active attributes.
    pub fn schema_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": TENANT_USER,
            "name": "PeakonUser",
            "description": "The company's own employee attributes",
            "attributes": self.active().map(|a| a.to_json()).collect::<Vec<_>>(),
            "meta": { "resourceType": "Schema", "location": format!("{base_url}/Schemas/{TENANT_USER}") }
        })
    }
}

/// Longest `text`, `option` and `employee` values, in characters (DESIGN §4): the limits of
/// the core attributes of their kind (`scim::limits`), so that one table of numbers holds.
pub const MAX_TEXT_CHARS: usize = limits::TEXT_CHARS;
pub const MAX_OPTION_CHARS: usize = limits::CODE_CHARS;
pub const MAX_EMPLOYEE_CHARS: usize = limits::IDENTIFIER_CHARS;
/// Integers beyond ±2^53 do not survive a JavaScript number (D1).
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A date value as an instant: `YYYY-MM-DD` is midnight UTC, a date-time its UTC instant.
pub fn date_instant(s: &str) -> Option<String> {
    Timestamp::parse_date(s)
        .map(Timestamp::to_rfc3339)
        .or_else(|| normalize_datetime(s))
}

/// One custom value, validated and normalised by type (DESIGN §4's table); `None` when it is
/// null or empty (unassigned).
pub fn custom_value(attr: &CustomAttr, value: &Value) -> Result<Option<Value>, ScimError> {
    let expected = |what: &str| {
        ScimError::InvalidValue(format!(
            "The attribute \"{}\" is of type {}: expected {what}",
            attr.scim_name,
            attr.ty.as_str()
        ))
    };
    if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let v = match attr.ty {
        CustomType::Text | CustomType::Employee => {
            let s = value.as_str().ok_or_else(|| expected("a string"))?;
            let max = match attr.ty {
                CustomType::Employee => MAX_EMPLOYEE_CHARS,
                _ => MAX_TEXT_CHARS,
            };
            if s.chars().nth(max).is_some() {
                return Err(expected(&format!("a string of at most {max} characters")));
            }
            // An employee is named by an identifier (email, userName or id), which holds no
            // control characters (`scim::limits`).
            if attr.ty == CustomType::Employee && s.chars().any(char::is_control) {
                return Err(expected(
                    "an email, userName or id, without control characters",
                ));
            }
            Value::String(s.to_string())
        }
        CustomType::Option => {
            let s = value.as_str().ok_or_else(|| expected("a string"))?;
            if s.chars().nth(MAX_OPTION_CHARS).is_some() {
                return Err(expected(&format!(
                    "a string of at most {MAX_OPTION_CHARS} characters"
                )));
            }
            match &attr.options {
                None => Value::String(s.to_string()),
                Some(list) => {
                    let f = fold(s);
                    let listed = list.iter().find(|o| fold(o) == f).ok_or_else(|| {
                        expected(&format!(
                            "one of {}",
                            list.iter()
                                .map(|o| format!("\"{o}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                    Value::String(listed.clone())
                }
            }
        }
        CustomType::Date => {
            let s = value
                .as_str()
                .ok_or_else(|| expected("a date (YYYY-MM-DD) or an RFC 3339 date-time"))?;
            if Timestamp::parse_date(s).is_some() {
                Value::String(s.to_string())
            } else {
                Value::String(
                    normalize_datetime(s)
                        .ok_or_else(|| expected("a date (YYYY-MM-DD) or an RFC 3339 date-time"))?,
                )
            }
        }
        CustomType::Number => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                // Okta may send numbers as strings.
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match n {
                // Not `i.abs()`: i64::MIN has no absolute value in i64 (a panic in debug
                // builds, and in release builds i64::MIN itself, which passed as "small").
                Some(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => Value::from(i),
                _ => return Err(expected("an integer")),
            }
        }
    };
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(id: &str, name: &str, scim: &str, ty: CustomType) -> Arc<CustomAttr> {
        Arc::new(CustomAttr {
            id: id.into(),
            name: name.into(),
            scim_name: scim.into(),
            ty,
            options: None,
            aliases: vec![],
            active: true,
        })
    }

    fn schema() -> TenantSchema {
        let mut since = (*attr("a1", "Employed Since", "Employed_Since", CustomType::Date)).clone();
        since.aliases = vec!["EmployedSince".into(), "Start_Date".into()];
        let mut dept = (*attr("a2", "Department", "Department", CustomType::Option)).clone();
        dept.options = Some(vec!["Sales".into(), "R&D".into()]);
        let mut old = (*attr("a5", "Shoe size", "Shoe_size", CustomType::Number)).clone();
        old.active = false;
        TenantSchema {
            attributes: vec![
                Arc::new(since),
                Arc::new(dept),
                attr("a3", "Manager", "Manager", CustomType::Employee),
                attr("a4", "Level", "Level", CustomType::Number),
                Arc::new(old),
                attr("a6", "Bio", "Bio", CustomType::Text),
            ],
        }
    }

    #[test]
    fn names_resolve_by_scim_name_alias_or_display_name_ignoring_case() {
        let s = schema();
        let table = [
            ("Employed_Since", Some("a1")),
            ("employed_since", Some("a1")),
            ("EMPLOYEDSINCE", Some("a1")),
            ("start_date", Some("a1")),
            ("Employed Since", Some("a1")),
            ("employed since", Some("a1")),
            ("department", Some("a2")),
            ("Shoe_size", Some("a5")),
            ("EmployedSince2", None),
            ("Employed-Since", None),
        ];
        for (name, id) in table {
            assert_eq!(s.find(name).map(|a| a.id.as_str()), id, "{name}");
        }
    }

    #[test]
    fn values_are_validated_and_normalised_by_type() {
        let s = schema();
        let a = |id: &str| s.by_id(id).unwrap().clone();
        // (attribute id, value sent, the normalised value or the exact detail of the 400)
        type Case<'a> = (&'a str, Value, Result<Option<Value>, &'a str>);
        let table: Vec<Case> = vec![
            ("a1", json!("2019-03-01"), Ok(Some(json!("2019-03-01")))),
            ("a1", json!("2019-03-01T10:00:00+02:00"), Ok(Some(json!("2019-03-01T08:00:00.000Z")))),
            ("a1", json!("2019-02-30"), Err("The attribute \"Employed_Since\" is of type date: expected a date (YYYY-MM-DD) or an RFC 3339 date-time")),
            ("a1", json!("01/03/2019"), Err("The attribute \"Employed_Since\" is of type date: expected a date (YYYY-MM-DD) or an RFC 3339 date-time")),
            ("a1", json!(20190301), Err("The attribute \"Employed_Since\" is of type date: expected a date (YYYY-MM-DD) or an RFC 3339 date-time")),
            ("a2", json!("sales"), Ok(Some(json!("Sales")))),
            ("a2", json!("R&D"), Ok(Some(json!("R&D")))),
            ("a2", json!("Marketing"), Err("The attribute \"Department\" is of type option: expected one of \"Sales\", \"R&D\"")),
            ("a4", json!(7), Ok(Some(json!(7)))),
            ("a4", json!("7"), Ok(Some(json!(7)))),
            ("a4", json!(" -12 "), Ok(Some(json!(-12)))),
            ("a4", json!(7.5), Err("The attribute \"Level\" is of type number: expected an integer")),
            ("a4", json!("seven"), Err("The attribute \"Level\" is of type number: expected an integer")),
            ("a4", json!(9007199254740993i64), Err("The attribute \"Level\" is of type number: expected an integer")),
            ("a4", json!(9007199254740991i64), Ok(Some(json!(9007199254740991i64)))),
            ("a4", json!(-9007199254740991i64), Ok(Some(json!(-9007199254740991i64)))),
            ("a4", json!(-9007199254740992i64), Err("The attribute \"Level\" is of type number: expected an integer")),
            // Issue 13 (found by `make fuzz`): i64::MIN, whose absolute value overflows.
            ("a4", json!(i64::MIN), Err("The attribute \"Level\" is of type number: expected an integer")),
            ("a4", json!("-9223372036854775808"), Err("The attribute \"Level\" is of type number: expected an integer")),
            ("a3", json!("boss@example.com"), Ok(Some(json!("boss@example.com")))),
            ("a3", json!(5), Err("The attribute \"Manager\" is of type employee: expected a string")),
            ("a6", json!("x".repeat(2048)), Ok(Some(json!("x".repeat(2048))))),
            ("a6", json!("x".repeat(2049)), Err("The attribute \"Bio\" is of type text: expected a string of at most 2048 characters")),
            ("a6", json!("line one\nline two"), Ok(Some(json!("line one\nline two")))),
            ("a3", json!("é".repeat(512)), Ok(Some(json!("é".repeat(512))))),
            ("a3", json!("é".repeat(513)), Err("The attribute \"Manager\" is of type employee: expected a string of at most 512 characters")),
            ("a3", json!("boss\u{0}@example.com"), Err("The attribute \"Manager\" is of type employee: expected an email, userName or id, without control characters")),
            ("a2", json!("s".repeat(257)), Err("The attribute \"Department\" is of type option: expected a string of at most 256 characters")),
            ("a6", json!(""), Ok(None)),
            ("a2", json!(""), Ok(None)),
            ("a6", Value::Null, Ok(None)),
        ];
        for (id, input, expected) in table {
            let got = custom_value(&a(id), &input);
            match expected {
                Ok(v) => assert_eq!(got, Ok(v), "{id} {input}"),
                Err(d) => assert_eq!(got, Err(ScimError::InvalidValue(d.into())), "{id} {input}"),
            }
        }
    }

    #[test]
    fn the_extension_object_resolves_names_and_refuses_unknown_ones() {
        let s = schema();
        let mut notes = Vec::new();
        let parsed = s
            .parse_extension(&json!({"Employed_Since": "2019-03-01", "department": "sales", "Shoe_size": 44, "Bio": ""}), &mut notes)
            .unwrap();
        assert_eq!(
            Value::Object(parsed),
            json!({"a1": "2019-03-01", "a2": "Sales"})
        );
        assert_eq!(
            notes,
            vec!["ignored the deactivated attribute \"Shoe_size\"".to_string()]
        );
        let err = s
            .parse_extension(&json!({"Favourite_Colour": "red"}), &mut notes)
            .unwrap_err();
        assert_eq!(
            err,
            ScimError::InvalidValue(format!(
                "Unknown attribute \"Favourite_Colour\" in {TENANT_USER}; known attributes: Employed_Since, Department, Manager, Level, Bio"
            ))
        );
        let twice = s.parse_extension(
            &json!({"EmployedSince": "2019-03-01", "Employed_Since": "2019-03-02"}),
            &mut notes,
        );
        assert!(matches!(twice, Err(ScimError::InvalidValue(d)) if d.contains("given twice")));
        let same = s.parse_extension(&json!({"EmployedSince": "2019-03-01", "Employed_Since": "2019-03-01", "Start_Date": null}), &mut notes);
        assert_eq!(same.map(Value::Object), Ok(json!({"a1": "2019-03-01"})));
    }

    #[test]
    fn rendering_uses_scim_names_hides_inactive_attributes_and_shows_references() {
        let s = schema();
        let stored = json!({"a1": "2019-03-01", "a3": "bob", "a5": 44});
        let mut refs = Map::new();
        refs.insert("a3".into(), json!("bob@example.com"));
        assert_eq!(
            s.render_extension(&stored, &refs),
            json!({"Employed_Since": "2019-03-01", "Manager": "bob@example.com"})
        );
        // A reference whose employee is gone shows nothing.
        assert_eq!(
            s.render_extension(&stored, &Map::new()),
            json!({"Employed_Since": "2019-03-01"})
        );
    }

    #[test]
    fn folded_values_compare_dates_as_instants_and_text_without_case() {
        let s = schema();
        let folded = s.fold_extension(&json!({"a1": "2019-03-01", "a2": "Sales", "a4": 7}));
        assert_eq!(
            folded,
            json!({"a1": "2019-03-01T00:00:00.000Z", "a2": "sales", "a4": 7})
        );
    }

    #[test]
    fn schema_lists_active_attributes_with_their_scim_types() {
        let s = schema().schema_json("https://h/scim/v2");
        let attrs = s["attributes"].as_array().unwrap();
        let names: Vec<&str> = attrs.iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            vec!["Employed_Since", "Department", "Manager", "Level", "Bio"]
        );
        assert_eq!(attrs[0]["type"], json!("dateTime"));
        assert_eq!(attrs[0]["description"], json!("Employed Since"));
        assert_eq!(attrs[1]["canonicalValues"], json!(["Sales", "R&D"]));
        assert_eq!(attrs[3]["type"], json!("integer"));
        assert_eq!(attrs[2]["type"], json!("string"));
    }
}
