//! The folded copy of a canonical document (DESIGN §5): every string of an attribute that is not
//! `caseExact` (RFC 7643 §2.2) case-folded, so that filters (RFC 7644 §3.4.2.2) and sorting
//! (RFC 7644 §3.4.2.3), run in SQL, compare with full Unicode case folding.
//!
//! Owns which values are folded, by the core and enterprise schemas. Leaves out the folding of
//! one string (`scim::fold`) and the tenant's attributes (`TenantSchema::fold_extension`).

use super::Doc;
use crate::scim::fold::fold;
use crate::scim::schema::{core_attr, enterprise_attr, Attr, Type, ENTERPRISE_USER, TENANT_USER};
use crate::scim::tenant::TenantSchema;
use serde_json::{Map, Value};

/// The document with every `caseExact: false` string folded (`fold`), which filters and
/// sorting read, so that SQL compares with full Unicode case folding (DESIGN §5).
pub fn folded(doc: &Doc, schema: &TenantSchema) -> Doc {
    let mut out = Doc::new();
    for (k, v) in doc {
        let folded = if k == ENTERPRISE_USER {
            fold_object(v, &|name| enterprise_attr(name))
        } else if k == TENANT_USER {
            schema.fold_extension(v)
        } else {
            match core_attr(k) {
                Some(attr) => fold_value(attr, v),
                None => v.clone(), // externalId: caseExact
            }
        };
        out.insert(k.clone(), folded);
    }
    out
}

fn fold_object(v: &Value, lookup: &dyn Fn(&str) -> Option<&'static Attr>) -> Value {
    match v {
        Value::Object(o) => {
            // `extend`, not `collect`: each `collect` into a map instantiates a sort.
            let mut folded = Map::new();
            folded.extend(o.iter().map(|(k, v)| {
                (
                    k.clone(),
                    lookup(k).map_or_else(|| v.clone(), |a| fold_value(a, v)),
                )
            }));
            Value::Object(folded)
        }
        other => other.clone(),
    }
}

fn fold_value(attr: &'static Attr, v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| fold_value(attr, i)).collect()),
        Value::Object(_) => fold_object(v, &|name| attr.sub(name)),
        Value::String(s) if !attr.case_exact && matches!(attr.ty, Type::String) => {
            Value::String(fold(s))
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimError;
    use crate::scim::user::{parse_user, with_schemas};
    use serde_json::json;

    fn parse(v: Value) -> Result<Doc, ScimError> {
        parse_user(&with_schemas(v), &TenantSchema::default()).map(|p| p.doc)
    }

    #[test]
    fn folded_document_folds_case_insensitive_strings_only() {
        let doc = parse(json!({"userName": "ÅSA", "externalId": "AbC", "emails": [{"value": "X@Y", "type": "WORK"}], "name": {"familyName": "STRAßE"}})).unwrap();
        let f = folded(&doc, &TenantSchema::default());
        assert_eq!(f["userName"], json!("åsa"));
        assert_eq!(f["externalId"], json!("AbC"));
        assert_eq!(f["emails"][0], json!({"value": "x@y", "type": "work"}));
        assert_eq!(f["name"]["familyName"], json!("strasse"));
    }

    #[test]
    fn the_folded_copy_holds_one_key_for_canonically_equivalent_values() {
        let nfc = parse(json!({"userName": "José", "emails": [{"value": "José@x.com"}]})).unwrap();
        let nfd =
            parse(json!({"userName": "JOSE\u{301}", "emails": [{"value": "Jose\u{301}@X.com"}]}))
                .unwrap();
        let (a, b) = (
            folded(&nfc, &TenantSchema::default()),
            folded(&nfd, &TenantSchema::default()),
        );
        assert_eq!(a["userName"], json!("josé"));
        assert_eq!(a["userName"], b["userName"]);
        assert_eq!(a["emails"], b["emails"]);
        // The document itself keeps what was sent.
        assert_eq!(nfd["userName"], json!("JOSE\u{301}"));
    }
}
