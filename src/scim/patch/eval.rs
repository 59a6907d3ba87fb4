//! Value filters applied in memory: which values of a multi-valued attribute a PATCH path such
//! as `emails[type eq "work" and value ew "example.com"]` selects (RFC 7644 §3.5.2).
//!
//! The filter comes from `scim::filter::resolve`, which typed its literals and folded those of
//! `caseExact: false` attributes; [`folded`] folds the value's strings the same way
//! (`scim::fold`), so a PATCH selects exactly the values a `/Users?filter=` with the same
//! condition matches. The semantics follow `store::sql`: a missing sub-attribute compares
//! false, except under `ne`, where it counts as different.

use crate::scim::filter::resolve::{Lit, Resolved, Target};
use crate::scim::filter::CompareOp;
use crate::scim::fold::fold;
use crate::scim::schema::{Attr, Type};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Whether filters compare this sub-attribute's strings folded: `caseExact: false` strings.
pub(super) fn is_folded(sub: &Attr) -> bool {
    sub.ty == Type::String && !sub.case_exact
}

/// One value of `attr` with its `caseExact: false` strings folded, as filters compare them.
pub(super) fn folded(attr: &Attr, value: &Value) -> Map<String, Value> {
    let Some(obj) = value.as_object() else {
        return Map::new();
    };
    // `extend`, not `collect`: each `collect` into a map instantiates a sort.
    let mut folded = Map::new();
    folded.extend(obj.iter().map(|(k, v)| {
        let fold_it = attr.sub(k).is_some_and(is_folded);
        let v = match v {
            Value::String(s) if fold_it => Value::String(fold(s)),
            other => other.clone(),
        };
        (k.clone(), v)
    }));
    folded
}

/// Whether the (folded) value matches the element filter.
pub(super) fn matches(filter: &Resolved, value: &Map<String, Value>) -> bool {
    match filter {
        Resolved::And(a, b) => matches(a, value) && matches(b, value),
        Resolved::Or(a, b) => matches(a, value) || matches(b, value),
        Resolved::Not(a) => !matches(a, value),
        Resolved::Const(b) => *b,
        Resolved::Present {
            target: Target::Elem(key),
            ..
        } => match value.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        },
        Resolved::Compare {
            target: Target::Elem(key),
            op,
            value: lit,
        } => compare(value.get(key), *op, lit),
        // Element filters only ever target the element's own sub-attributes.
        Resolved::Present { .. }
        | Resolved::Compare { .. }
        | Resolved::Any { .. }
        | Resolved::Refers { .. } => false,
    }
}

fn compare(x: Option<&Value>, op: CompareOp, lit: &Lit) -> bool {
    let Some(x) = x.filter(|v| !v.is_null()) else {
        return op == CompareOp::Ne;
    };
    if let (Value::String(s), Lit::Text(t)) = (x, lit) {
        match op {
            CompareOp::Co => return s.contains(t.as_str()),
            CompareOp::Sw => return s.starts_with(t.as_str()),
            CompareOp::Ew => return s.ends_with(t.as_str()),
            _ => {}
        }
    }
    let order = match (x, lit) {
        (Value::String(s), Lit::Text(t)) => Some(s.as_str().cmp(t.as_str())),
        (Value::Bool(b), Lit::Bool(l)) => Some(b.cmp(l)),
        (Value::Number(n), Lit::Int(i)) => match n.as_i64() {
            Some(v) => Some(v.cmp(i)),
            None => n.as_f64().and_then(|v| v.partial_cmp(&(*i as f64))),
        },
        (Value::Number(n), Lit::Real(r)) => n.as_f64().and_then(|v| v.partial_cmp(r)),
        _ => None,
    };
    match (op, order) {
        (CompareOp::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        // co/sw/ew on anything but strings: never (the resolver only lets strings through).
        (CompareOp::Co | CompareOp::Sw | CompareOp::Ew, Some(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::resolve::resolve;
    use crate::scim::filter::{parse_filter, Limits};
    use crate::scim::schema::core_attr;
    use crate::scim::tenant::TenantSchema;
    use serde_json::json;

    /// Whether `emails[<filter>]` selects `email`.
    fn selects(filter: &str, email: Value) -> bool {
        let f = parse_filter(&format!("emails[{filter}]"), &Limits::DEFAULT).unwrap();
        let Resolved::Any { filter, .. } = resolve(&f, &TenantSchema::default()).unwrap() else {
            panic!("{filter}")
        };
        matches(&filter, &folded(core_attr("emails").unwrap(), &email))
    }

    #[test]
    fn element_filters_select_as_list_filters_match() {
        let work = json!({"value": "Bjensen@Example.com", "type": "Work", "primary": true});
        let table = [
            ("type eq \"work\"", true),
            ("type eq \"WORK\"", true),
            ("type eq \"home\"", false),
            ("type ne \"home\"", true),
            ("display ne \"x\"", true),
            ("display eq \"x\"", false),
            ("value ew \"example.com\"", true),
            ("value sw \"BJENSEN\"", true),
            ("value co \"@\"", true),
            ("value co \"%\"", false),
            ("value gt \"a\"", true),
            ("value lt \"a\"", false),
            ("value ge \"bjensen@example.com\"", true),
            ("value le \"bjensen@example.com\"", true),
            ("primary eq true", true),
            ("primary eq \"False\"", false),
            ("primary pr", true),
            ("display pr", false),
            ("type eq \"work\" and value ew \"example.com\"", true),
            ("type eq \"home\" or value ew \"example.com\"", true),
            ("not (type eq \"work\")", false),
            ("display eq null", true),
        ];
        for (filter, want) in table {
            assert_eq!(selects(filter, work.clone()), want, "{filter}");
        }
    }

    #[test]
    fn references_compare_exactly() {
        let photo = json!({"value": "https://Example.com/P.jpg", "type": "photo"});
        let f = parse_filter(
            "photos[value eq \"https://example.com/p.jpg\"]",
            &Limits::DEFAULT,
        )
        .unwrap();
        let Resolved::Any { filter, .. } = resolve(&f, &TenantSchema::default()).unwrap() else {
            panic!()
        };
        assert!(
            !matches(&filter, &folded(core_attr("photos").unwrap(), &photo)),
            "references (photos.value) are not folded, as in list filters"
        );
    }
}
