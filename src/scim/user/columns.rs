//! The product's own columns of a canonical document (DESIGN §5): the fields IdPs look users up
//! by, the roster shows, and sorting and employee references use, folded where SQL compares
//! them, and one row per email (`user_emails`).
//!
//! Nothing of SCIM's wire format: it reads a document that `parse` built. Leaves the SQL to
//! `store`.

use super::Doc;
use crate::scim::fold::fold;
use crate::scim::schema::ENTERPRISE_USER;
use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimError;
    use crate::scim::tenant::TenantSchema;
    use crate::scim::user::parse_user;
    use serde_json::json;

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(v.as_object().unwrap(), &TenantSchema::default()).map(|p| p.doc)
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
}
