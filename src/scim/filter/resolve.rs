//! Resolution: a schema-free filter tree, checked against the tenant's schema, becomes a tree
//! that says where each value lives and what literal to compare it with (RFC 7644 §3.4.2.2).
//!
//! - Attribute names resolve case-insensitively (`scim::path`); an unknown one is a 400
//!   `invalidFilter` naming it.
//! - `caseExact: false` strings compare case-insensitively: the literal is folded here and
//!   compared with the folded copy of the stored document (DESIGN §5).
//! - `dateTime` literals are normalised to the stored instant form, so they compare as instants.
//! - A multi-valued attribute matches when any of its values matches; a complex multi-valued
//!   attribute without a sub-attribute compares its `value` (`emails co "x"`).
//! - `attr eq null` means the attribute is absent, `attr ne null` that it is present.
//! - References compare as a whole. The enterprise `manager` (a singular complex attribute
//!   with a `value`) stands for its `value`, as a complex multi-valued attribute does:
//!   `manager eq "x"` is `manager.value eq "x"`, by its short name or its full URN path, and
//!   `ne`, `pr` and every other operator follow. A tenant's `employee` attribute compares as the
//!   employee it names ([`Resolved::Refers`]): eq, ne, pr and null tests only. Microsoft's
//!   Azure AD SCIM guide checks a user's manager so before it updates it (fixture
//!   `entra-azure-ad-scim-provisioning-guide`). Other complex attributes (`name`) are refused:
//!   compare one of their sub-attributes.

use super::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::path::{resolve as resolve_path, AttrRef, Container, Def};
use crate::scim::schema::Type;
use crate::scim::tenant::date_instant;
use crate::scim::tenant::{CustomAttr, CustomType, TenantSchema};

/// A literal, typed for the attribute it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Bool(bool),
    Int(i64),
    Real(f64),
    Text(String),
}

/// Where a compared value lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A column of `users`.
    Column(&'static str),
    /// The value at these keys of the folded document.
    Doc(Vec<String>),
    /// Inside `Any`: the key of the current element.
    Elem(String),
}

/// The shape of a value, for presence (`pr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Simple,
    Complex,
    Multi,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Compare {
        target: Target,
        op: CompareOp,
        value: Lit,
    },
    Present {
        target: Target,
        shape: Shape,
    },
    And(Box<Resolved>, Box<Resolved>),
    Or(Box<Resolved>, Box<Resolved>),
    Not(Box<Resolved>),
    /// Some element of the multi-valued attribute at `array` (document keys) matches `filter`,
    /// whose targets are `Elem`.
    Any {
        array: Vec<String>,
        filter: Box<Resolved>,
    },
    /// Known without looking at the data (`meta.resourceType eq "User"`).
    Const(bool),
    /// The tenant's `employee` attribute with id `attribute` refers to the employee `value`
    /// names, read as a write reads it (DESIGN §4: by SCIM id, else userName, else email, the
    /// last two ignoring case), or is still pending as `folded` (`value` folded).
    Refers {
        attribute: String,
        value: String,
        folded: String,
    },
}

fn bad(detail: String) -> ScimError {
    ScimError::InvalidFilter(detail)
}

/// Resolves a parsed filter for `/Users`.
pub fn resolve(filter: &Filter, schema: &TenantSchema) -> Result<Resolved, ScimError> {
    match filter {
        Filter::And(a, b) => Ok(Resolved::And(
            Box::new(resolve(a, schema)?),
            Box::new(resolve(b, schema)?),
        )),
        Filter::Or(a, b) => Ok(Resolved::Or(
            Box::new(resolve(a, schema)?),
            Box::new(resolve(b, schema)?),
        )),
        Filter::Not(a) => Ok(Resolved::Not(Box::new(resolve(a, schema)?))),
        Filter::Present(path) => present(path, schema),
        Filter::Compare { path, op, value } => compare(path, *op, value, schema),
        Filter::ValuePath { path, filter } => value_path(path, filter, schema),
    }
}

/// A reference compared as a whole: a singular complex attribute with a `value` sub-attribute
/// (the enterprise `manager`, RFC 7643 §4.3) stands for that `value`, as a complex multi-valued
/// attribute does (`emails co "x"`). Microsoft's Azure AD SCIM guide asks
/// `manager eq 2819c223-7f76-453a-919d-413861904646` (fixture
/// `entra-azure-ad-scim-provisioning-guide`).
fn as_a_whole(r: AttrRef) -> AttrRef {
    if r.sub.is_none() && !r.top.multi() && r.top.ty() == Type::Complex {
        if let Some(value) = r.top.sub("value") {
            return AttrRef {
                sub: Some(value),
                ..r
            };
        }
    }
    r
}

fn present(path: &AttrPath, schema: &TenantSchema) -> Result<Resolved, ScimError> {
    let r = as_a_whole(resolve_path(path, schema)?);
    // Every user has `meta`, and its `resourceType` is always "User".
    if is_meta(&r) && r.sub.as_ref().is_none_or(|s| s.name() == "resourceType") {
        return Ok(Resolved::Const(true));
    }
    if let Some(keys) = r.doc_keys() {
        if r.top.multi() {
            return Ok(match &r.sub {
                None => Resolved::Present {
                    target: Target::Doc(keys),
                    shape: Shape::Multi,
                },
                Some(sub) => Resolved::Any {
                    array: keys,
                    filter: Box::new(Resolved::Present {
                        target: Target::Elem(sub.name().into()),
                        shape: Shape::Simple,
                    }),
                },
            });
        }
    }
    match meta_or_column(&r) {
        Some(Ok(target)) => Ok(Resolved::Present {
            target,
            shape: Shape::Simple,
        }),
        Some(Err(e)) => Err(e),
        None => {
            let (target, leaf) = singular_target(&r)?;
            let shape = if leaf.ty() == Type::Complex {
                Shape::Complex
            } else {
                Shape::Simple
            };
            Ok(Resolved::Present { target, shape })
        }
    }
}

fn is_meta(r: &AttrRef) -> bool {
    r.container == Container::Common && r.top.name() == "meta"
}

/// `id`, `meta.*` and the attributes a column serves (`scim::columns`); `None` for document
/// values.
fn meta_or_column(r: &AttrRef) -> Option<Result<Target, ScimError>> {
    match r.column() {
        Some(column) => Some(Ok(Target::Column(column.name))),
        None if is_meta(r) => Some(Err(bad(format!(
            "Filtering on \"{}\" is not supported",
            r.display()
        )))),
        None => None,
    }
}

/// The document target of a singular attribute path, and the definition it ends at.
fn singular_target(r: &AttrRef) -> Result<(Target, Def), ScimError> {
    let mut keys = r
        .doc_keys()
        .ok_or_else(|| bad(format!("Filtering on \"{}\" is not supported", r.display())))?;
    if let Some(sub) = &r.sub {
        keys.push(sub.name().into());
    }
    Ok((Target::Doc(keys), r.leaf()))
}

fn compare(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    schema: &TenantSchema,
) -> Result<Resolved, ScimError> {
    let r = as_a_whole(resolve_path(path, schema)?);
    if is_meta(&r) && r.sub.as_ref().is_some_and(|s| s.name() == "resourceType") {
        let matches = matches!(value, CompValue::Str(s) if s == "User");
        return match op {
            CompareOp::Eq => Ok(Resolved::Const(matches)),
            CompareOp::Ne => Ok(Resolved::Const(!matches)),
            _ => Err(bad(format!(
                "\"{}\" can only be compared with eq or ne",
                r.display()
            ))),
        };
    }
    if *value == CompValue::Null {
        let present = present(path, schema)?;
        return match op {
            CompareOp::Eq => Ok(Resolved::Not(Box::new(present))),
            CompareOp::Ne => Ok(present),
            _ => Err(bad(format!(
                "null can only be compared with eq or ne (at \"{path}\")"
            ))),
        };
    }
    if let Some(attr) = r.top.custom().filter(|a| a.ty == CustomType::Employee) {
        return employee_reference(attr, op, value, &r.display());
    }
    if r.doc_keys().is_some() && r.top.multi() {
        // Any value matches: `emails.value eq "x"`, and `emails eq "x"` for the `value`.
        let sub = match r.sub.clone() {
            Some(s) => s,
            None => r.top.sub("value").ok_or_else(|| {
                bad(format!(
                    "\"{}\" is complex; compare one of its sub-attributes",
                    r.display()
                ))
            })?,
        };
        let leaf = leaf_compare(
            Target::Elem(sub.name().into()),
            sub,
            op,
            value,
            &r.display(),
        )?;
        return Ok(Resolved::Any {
            array: r.doc_keys().unwrap_or_default(),
            filter: Box::new(leaf),
        });
    }
    let (target, leaf) = match meta_or_column(&r) {
        Some(t) => (t?, r.leaf()),
        None => singular_target(&r)?,
    };
    leaf_compare(target, leaf, op, value, &r.display())
}

/// A comparison of a tenant's `employee` attribute (DESIGN §4): `eq` holds when the stored
/// reference and the literal name the same employee, or when the reference is still pending
/// as the literal (ignoring case); `ne` is its negation, so a user without the attribute is
/// `ne` every employee. Substrings and orders of an identity mean nothing (the value shown is
/// the employee's current email, the value stored may have been an id), so the other
/// operators are refused. `pr` and `eq null` test the stored value, as for any attribute.
fn employee_reference(
    attr: &CustomAttr,
    op: CompareOp,
    value: &CompValue,
    name: &str,
) -> Result<Resolved, ScimError> {
    let CompValue::Str(s) = value else {
        return Err(bad(format!(
            "\"{name}\" is an employee reference; compare it with a string (an id, userName or email)"
        )));
    };
    let refers = Resolved::Refers {
        attribute: attr.id.clone(),
        value: s.clone(),
        folded: fold(s),
    };
    match op {
        CompareOp::Eq => Ok(refers),
        CompareOp::Ne => Ok(Resolved::Not(Box::new(refers))),
        _ => Err(bad(format!(
            "\"{name}\" is an employee reference; only eq, ne and pr apply"
        ))),
    }
}

/// `attr[filter]`: the inner filter's paths are sub-attributes of `attr`.
fn value_path(
    path: &AttrPath,
    inner: &Filter,
    schema: &TenantSchema,
) -> Result<Resolved, ScimError> {
    let r = resolve_path(path, schema)?;
    if r.top.ty() != Type::Complex || r.sub.is_some() {
        return Err(bad(format!(
            "\"{}\" is not a complex attribute; value filters need one",
            r.display()
        )));
    }
    let keys = r
        .doc_keys()
        .ok_or_else(|| bad(format!("Filtering on \"{}\" is not supported", r.display())))?;
    if r.top.multi() {
        let filter = element_filter(inner, &r.top, &r.display(), &|sub| Target::Elem(sub.into()))?;
        Ok(Resolved::Any {
            array: keys,
            filter: Box::new(filter),
        })
    } else {
        // A singular complex attribute: the conditions apply to its sub-attributes directly.
        element_filter(inner, &r.top, &r.display(), &|sub| {
            let mut k = keys.clone();
            k.push(sub.into());
            Target::Doc(k)
        })
    }
}

fn element_filter(
    f: &Filter,
    parent: &Def,
    parent_name: &str,
    target: &dyn Fn(&str) -> Target,
) -> Result<Resolved, ScimError> {
    let sub = |p: &AttrPath| -> Result<Def, ScimError> {
        if p.urn.is_some() || p.sub.is_some() {
            return Err(bad(format!(
                "Inside \"{parent_name}[...]\" only sub-attribute names may appear, not \"{p}\""
            )));
        }
        parent
            .sub(&p.name)
            .ok_or_else(|| bad(format!("Unknown attribute \"{parent_name}.{}\"", p.name)))
    };
    match f {
        Filter::And(a, b) => Ok(Resolved::And(
            Box::new(element_filter(a, parent, parent_name, target)?),
            Box::new(element_filter(b, parent, parent_name, target)?),
        )),
        Filter::Or(a, b) => Ok(Resolved::Or(
            Box::new(element_filter(a, parent, parent_name, target)?),
            Box::new(element_filter(b, parent, parent_name, target)?),
        )),
        Filter::Not(a) => Ok(Resolved::Not(Box::new(element_filter(
            a,
            parent,
            parent_name,
            target,
        )?))),
        Filter::Present(p) => {
            let d = sub(p)?;
            Ok(Resolved::Present {
                target: target(d.name()),
                shape: Shape::Simple,
            })
        }
        Filter::Compare { path, op, value } => {
            let d = sub(path)?;
            let name = format!("{parent_name}.{}", d.name());
            if *value == CompValue::Null {
                let present = Resolved::Present {
                    target: target(d.name()),
                    shape: Shape::Simple,
                };
                return match op {
                    CompareOp::Eq => Ok(Resolved::Not(Box::new(present))),
                    CompareOp::Ne => Ok(present),
                    _ => Err(bad(format!(
                        "null can only be compared with eq or ne (at \"{name}\")"
                    ))),
                };
            }
            leaf_compare(target(d.name()), d, *op, value, &name)
        }
        Filter::ValuePath { .. } => Err(bad("Value filters cannot be nested".into())),
    }
}

/// A comparison of one simple value: checks the operator against the type and types the
/// literal (RFC 7644 §3.4.2.2's operator table).
fn leaf_compare(
    target: Target,
    def: Def,
    op: CompareOp,
    value: &CompValue,
    name: &str,
) -> Result<Resolved, ScimError> {
    use CompareOp::*;
    let ty = def.ty();
    let mismatch = |want: &str| {
        bad(format!(
            "\"{name}\" is of type {}; compare it with {want}",
            ty.as_str()
        ))
    };
    let lit = match ty {
        Type::Complex => {
            return Err(bad(format!(
                "\"{name}\" is complex; compare one of its sub-attributes"
            )))
        }
        Type::Boolean => {
            if !matches!(op, Eq | Ne) {
                return Err(bad(format!(
                    "\"{name}\" is a boolean; only eq, ne and pr apply"
                )));
            }
            match value {
                CompValue::Bool(b) => Lit::Bool(*b),
                CompValue::Str(s) if s.eq_ignore_ascii_case("true") => Lit::Bool(true),
                CompValue::Str(s) if s.eq_ignore_ascii_case("false") => Lit::Bool(false),
                _ => return Err(mismatch("true or false")),
            }
        }
        Type::Integer | Type::Decimal => {
            if matches!(op, Co | Sw | Ew) {
                return Err(bad(format!(
                    "\"{name}\" is a number; co, sw and ew apply to strings"
                )));
            }
            match value {
                CompValue::Number(n) => match n.as_i64() {
                    Some(i) => Lit::Int(i),
                    None => Lit::Real(n.as_f64().ok_or_else(|| mismatch("a number"))?),
                },
                _ => return Err(mismatch("a number")),
            }
        }
        Type::DateTime => match value {
            // Substrings of the stored text form (RFC 3339 UTC, three fractional digits).
            CompValue::Str(s) if matches!(op, Co | Sw | Ew) => Lit::Text(s.clone()),
            // A date alone (`2020-01-15`) is that day's midnight UTC: the company's date
            // attributes hold dates, and compare as instants (DESIGN §4).
            CompValue::Str(s) => Lit::Text(date_instant(s).ok_or_else(|| {
                bad(format!(
                    "\"{s}\" is not an RFC 3339 date-time (at \"{name}\")"
                ))
            })?),
            _ => return Err(mismatch("a date-time string")),
        },
        // RFC 7644 §3.4.2.2 (gt, ge, lt, le): "Boolean and Binary attributes SHALL cause a
        // failed response (HTTP status code 400) with 'scimType' of 'invalidFilter'".
        Type::Binary if matches!(op, Gt | Ge | Lt | Le) => {
            return Err(bad(format!(
                "\"{name}\" is binary; gt, ge, lt and le do not apply"
            )))
        }
        Type::String | Type::Reference | Type::Binary => match value {
            CompValue::Str(s) if !def.case_exact() && ty == Type::String => Lit::Text(fold(s)),
            CompValue::Str(s) => Lit::Text(s.clone()),
            _ => return Err(mismatch("a string")),
        },
    };
    Ok(Resolved::Compare {
        target,
        op,
        value: lit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse_filter, Limits};
    use crate::scim::schema::ENTERPRISE_USER;

    fn r(text: &str) -> Result<Resolved, ScimError> {
        resolve(
            &parse_filter(text, &Limits::DEFAULT).unwrap(),
            &TenantSchema::default(),
        )
    }
    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }
    fn text(s: &str) -> Lit {
        Lit::Text(s.into())
    }

    #[test]
    fn user_name_compares_folded_on_its_column() {
        assert_eq!(
            r("userName eq \"ÅSA@Example.COM\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("user_name_fold"),
                op: CompareOp::Eq,
                value: text("åsa@example.com")
            }
        );
    }

    #[test]
    fn canonically_equivalent_literals_give_one_key() {
        // "José" typed as NFC (é) and as NFD (e + U+0301), in any case: one folded literal,
        // the key the folded columns hold.
        for literal in ["José", "Jose\u{301}", "JOSÉ", "JOSE\u{301}"] {
            assert_eq!(
                r(&format!("userName eq \"{literal}\"")).unwrap(),
                Resolved::Compare {
                    target: Target::Column("user_name_fold"),
                    op: CompareOp::Eq,
                    value: text("josé")
                },
                "{literal:?}"
            );
        }
        // caseExact attributes compare exactly: no folding, no normalisation.
        assert_eq!(
            r("externalId eq \"Jose\u{301}\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("external_id"),
                op: CompareOp::Eq,
                value: text("Jose\u{301}")
            }
        );
    }

    #[test]
    fn external_id_and_id_are_case_exact_columns() {
        assert_eq!(
            r("externalId eq \"AbC\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("external_id"),
                op: CompareOp::Eq,
                value: text("AbC")
            }
        );
        assert_eq!(
            r("id eq \"X\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("id"),
                op: CompareOp::Eq,
                value: text("X")
            }
        );
    }

    #[test]
    fn entra_work_email_filter_is_a_condition_on_one_element() {
        let expected = Resolved::Any {
            array: keys(&["emails"]),
            filter: Box::new(Resolved::And(
                Box::new(Resolved::Compare {
                    target: Target::Elem("type".into()),
                    op: CompareOp::Eq,
                    value: text("work"),
                }),
                Box::new(Resolved::Compare {
                    target: Target::Elem("value".into()),
                    op: CompareOp::Eq,
                    value: text("a@x.com"),
                }),
            )),
        };
        assert_eq!(
            r("emails[type eq \"work\"].value eq \"A@x.com\"").unwrap(),
            expected
        );
    }

    #[test]
    fn multi_valued_attributes_match_any_value() {
        let any = |op, v: &str| Resolved::Any {
            array: keys(&["emails"]),
            filter: Box::new(Resolved::Compare {
                target: Target::Elem("value".into()),
                op,
                value: text(v),
            }),
        };
        assert_eq!(r("emails.value eq \"x\"").unwrap(), any(CompareOp::Eq, "x"));
        assert_eq!(
            r("emails co \"example.com\"").unwrap(),
            any(CompareOp::Co, "example.com")
        );
    }

    #[test]
    fn literals_are_typed_by_the_attribute() {
        assert_eq!(
            r("active eq \"False\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("active"),
                op: CompareOp::Eq,
                value: Lit::Bool(false)
            }
        );
        assert_eq!(
            r("meta.lastModified gt \"2011-05-13T04:42:34Z\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("last_modified"),
                op: CompareOp::Gt,
                value: text("2011-05-13T04:42:34.000Z")
            }
        );
        assert_eq!(
            r("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter eq \"R&D\"")
                .unwrap(),
            Resolved::Compare {
                target: Target::Doc(keys(&[ENTERPRISE_USER, "costCenter"])),
                op: CompareOp::Eq,
                value: text("r&d")
            }
        );
        // An attribute a generated column serves (`scim::columns`) resolves to that column.
        assert_eq!(
            r("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\"")
                .unwrap(),
            Resolved::Compare {
                target: Target::Column("department_fold"),
                op: CompareOp::Eq,
                value: text("r&d")
            }
        );
        assert_eq!(
            r("meta.resourceType eq \"User\"").unwrap(),
            Resolved::Const(true)
        );
        assert_eq!(r("meta.resourceType pr").unwrap(), Resolved::Const(true));
        assert_eq!(r("meta pr").unwrap(), Resolved::Const(true));
        assert_eq!(
            r("meta.created lt \"2026-01-01\"").unwrap(),
            Resolved::Compare {
                target: Target::Column("created"),
                op: CompareOp::Lt,
                value: text("2026-01-01T00:00:00.000Z")
            }
        );
        assert_eq!(
            r("title eq null").unwrap(),
            Resolved::Not(Box::new(Resolved::Present {
                target: Target::Doc(keys(&["title"])),
                shape: Shape::Simple
            }))
        );
    }

    /// Issue 14: Microsoft's reference check, `manager eq <id>`, compares `manager.value`, by
    /// its short name and its URN path; `ne` and `pr` follow.
    #[test]
    fn the_manager_compared_as_a_whole_is_its_value() {
        let value = |op, v: &str| Resolved::Compare {
            target: Target::Column("manager_fold"),
            op,
            value: text(v),
        };
        let urn = ENTERPRISE_USER;
        let table = [
            (
                "manager eq 2819C223-7F76",
                value(CompareOp::Eq, "2819c223-7f76"),
            ),
            (
                &format!("{urn}:manager eq \"2819c223-7f76\"") as &str,
                value(CompareOp::Eq, "2819c223-7f76"),
            ),
            ("MANAGER ne \"x\"", value(CompareOp::Ne, "x")),
            ("manager sw \"x\"", value(CompareOp::Sw, "x")),
            (
                &format!("{urn}:manager pr"),
                Resolved::Present {
                    target: Target::Column("manager_fold"),
                    shape: Shape::Simple,
                },
            ),
            (
                "manager eq null",
                Resolved::Not(Box::new(Resolved::Present {
                    target: Target::Column("manager_fold"),
                    shape: Shape::Simple,
                })),
            ),
        ];
        for (input, expected) in table {
            assert_eq!(r(input).unwrap(), expected, "{input}");
        }
    }

    /// Issue 14: a tenant's employee attribute compares as the employee it names (DESIGN §4).
    #[test]
    fn employee_attributes_compare_as_the_employee_they_name() {
        use crate::scim::tenant::{CustomAttr, CustomType};
        use std::sync::Arc;
        let schema = TenantSchema {
            attributes: vec![Arc::new(CustomAttr {
                id: "a7".into(),
                name: "Second Manager".into(),
                scim_name: "Second_Manager".into(),
                ty: CustomType::Employee,
                options: None,
                aliases: vec!["Boss".into()],
                active: true,
            })],
        };
        let r = |text: &str| resolve(&parse_filter(text, &Limits::DEFAULT).unwrap(), &schema);
        let refers = |value: &str, folded: &str| Resolved::Refers {
            attribute: "a7".into(),
            value: value.into(),
            folded: folded.into(),
        };
        let peakon = crate::scim::schema::TENANT_USER;
        assert_eq!(
            r("boss eq Ann@Example.COM").unwrap(),
            refers("Ann@Example.COM", "ann@example.com")
        );
        assert_eq!(
            r(&format!("{peakon}:Second_Manager ne \"54D382A4\"")).unwrap(),
            Resolved::Not(Box::new(refers("54D382A4", "54d382a4")))
        );
        let stored = Resolved::Present {
            target: Target::Doc(keys(&[peakon, "a7"])),
            shape: Shape::Simple,
        };
        assert_eq!(r("Boss pr").unwrap(), stored);
        assert_eq!(r("Boss eq null").unwrap(), Resolved::Not(Box::new(stored)));
        let name = format!("{peakon}:Second_Manager");
        for (input, detail) in [
            (
                "Boss co \"ann\"",
                format!("\"{name}\" is an employee reference; only eq, ne and pr apply"),
            ),
            (
                "Boss gt \"ann\"",
                format!("\"{name}\" is an employee reference; only eq, ne and pr apply"),
            ),
            (
                "Boss eq 5",
                format!("\"{name}\" is an employee reference; compare it with a string (an id, userName or email)"),
            ),
        ] {
            assert_eq!(r(input), Err(ScimError::InvalidFilter(detail)), "{input}");
        }
    }

    #[test]
    fn invalid_filters_say_why() {
        let table = [
            ("nope eq \"x\"", "Unknown attribute \"nope\""),
            (
                "name eq \"x\"",
                "\"name\" is complex; compare one of its sub-attributes",
            ),
            (
                "active gt true",
                "\"active\" is a boolean; only eq, ne and pr apply",
            ),
            (
                "userName eq 5",
                "\"userName\" is of type string; compare it with a string",
            ),
            (
                "meta.created gt \"yesterday\"",
                "\"yesterday\" is not an RFC 3339 date-time (at \"meta.created\")",
            ),
            ("emails[nope eq \"x\"]", "Unknown attribute \"emails.nope\""),
            (
                "userName[value eq \"x\"]",
                "\"userName\" is not a complex attribute; value filters need one",
            ),
            (
                "meta.location eq \"x\"",
                "Filtering on \"meta.location\" is not supported",
            ),
        ];
        for (input, detail) in table {
            assert_eq!(
                r(input),
                Err(ScimError::InvalidFilter(detail.into())),
                "{input}"
            );
        }
    }
}
