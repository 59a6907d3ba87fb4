//! Which attributes an answer carries: `attributes` and `excludedAttributes` (RFC 7644
//! §3.4.2.5, §3.9), applied to every answer that returns users (GET by id, list, search, and
//! the answers of POST, PUT and PATCH), with each attribute's `returned` characteristic
//! (RFC 7643 §7) from the attribute table.
//!
//! - No parameter: every attribute whose `returned` is `always` or `default`.
//! - `attributes`: RFC 7644 §3.9, "each resource returned MUST contain the minimum set of
//!   resource attributes and any attributes or sub-attributes explicitly requested by the
//!   'attributes' parameter". The minimum set is what is `returned: always` (`id`), plus
//!   `schemas`, which every representation carries (RFC 7643 §3) and which lists the schemas of
//!   what the answer actually holds.
//! - `excludedAttributes`: the default set minus the names given; it "SHALL have no effect on
//!   attributes whose schema 'returned' setting is 'always'" (RFC 7644 §3.4.2.5).
//! - `returned: never` is never returned, `returned: request` only when `attributes` names it.
//!
//! Names are in standard attribute notation (RFC 7644 §3.10), compared case-insensitively:
//! `userName`, `name.givenName`, `emails.value`, `meta.lastModified`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, the tenant's own
//! attributes by any name they answer to; a schema URN on its own names every attribute of
//! that schema (`excludedAttributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
//!
//! Left out, on purpose: a name that is well formed but names nothing the tenant's schema knows
//! is ignored rather than refused (RFC 7644 gives no error for it, and a client asking for an
//! attribute the service does not keep, such as `groups`, should get the rest of its answer).
//! Malformed names, and both parameters at once ("mutually exclusive", RFC 7644 §3.4.2.5), are
//! refused with 400 `invalidValue` where the caller decides they may be (see `app::users::Call`).

use super::error::ScimError;
use super::filter::{parse_patch_path, AttrPath, Limits};
use super::path::{self, AttrRef, Container, Def};
use super::schema::{self, Returned, CORE_USER, ENTERPRISE_USER, TENANT_USER};
use super::tenant::TenantSchema;
use serde_json::{Map, Value};

/// Bounds on one list of names: a name is an attribute path, not a filter.
const NAME_LIMITS: Limits = Limits {
    max_len: 512,
    max_depth: 1,
    max_terms: 1,
};
/// Most names in one list (there are fewer attributes than this, sub-attributes included).
pub const MAX_NAMES: usize = 100;

/// One name of an `attributes` or `excludedAttributes` list, parsed but not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Name {
    /// A schema URN on its own: every attribute of that schema.
    Schema(&'static str),
    Path(AttrPath),
}

/// What an answer should carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Projection {
    /// The default set (`returned` always or default).
    #[default]
    Default,
    /// `attributes`: the minimum set and these.
    Include(Vec<Name>),
    /// `excludedAttributes`: the default set without these.
    Exclude(Vec<Name>),
}

fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
}

/// One name, as `parameter` gave it.
fn parse_name(text: &str, parameter: &str) -> Result<Name, ScimError> {
    if let Some(urn) = schema::known_schema(text) {
        return Ok(Name::Schema(urn));
    }
    let path = parse_patch_path(text, &NAME_LIMITS).map_err(|e| {
        invalid(format!(
            "\"{parameter}\": \"{text}\" is not an attribute name ({e})"
        ))
    })?;
    if path.filter.is_some() || path.sub.is_some() {
        return Err(invalid(format!(
            "\"{parameter}\": \"{text}\" is not an attribute name (filters are not allowed here)"
        )));
    }
    Ok(Name::Path(path.attr))
}

/// A list of names: `None` when the list is empty.
fn parse_list<'a>(
    names: impl Iterator<Item = &'a str>,
    parameter: &str,
) -> Result<Option<Vec<Name>>, ScimError> {
    let mut out = Vec::new();
    for text in names.map(str::trim).filter(|n| !n.is_empty()) {
        if out.len() == MAX_NAMES {
            return Err(invalid(format!(
                "\"{parameter}\" names more than {MAX_NAMES} attributes"
            )));
        }
        out.push(parse_name(text, parameter)?);
    }
    Ok((!out.is_empty()).then_some(out))
}

impl Projection {
    /// From the query parameters' values: comma-separated names (RFC 7644 §3.9).
    pub fn from_query(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, ScimError> {
        Projection::build(
            parse_list(attributes.unwrap_or("").split(','), "attributes")?,
            parse_list(excluded.unwrap_or("").split(','), "excludedAttributes")?,
        )
    }

    /// From a SearchRequest's lists (RFC 7644 §3.4.3: "A multi-valued list of strings").
    pub fn from_lists(attributes: &[String], excluded: &[String]) -> Result<Projection, ScimError> {
        Projection::build(
            parse_list(attributes.iter().map(String::as_str), "attributes")?,
            parse_list(excluded.iter().map(String::as_str), "excludedAttributes")?,
        )
    }

    fn build(
        attributes: Option<Vec<Name>>,
        excluded: Option<Vec<Name>>,
    ) -> Result<Projection, ScimError> {
        match (attributes, excluded) {
            (Some(_), Some(_)) => Err(invalid(
                "\"attributes\" and \"excludedAttributes\" are mutually exclusive; send one of them".into(),
            )),
            (Some(names), None) => Ok(Projection::Include(names)),
            (None, Some(names)) => Ok(Projection::Exclude(names)),
            (None, None) => Ok(Projection::Default),
        }
    }

    /// `resource` (a rendered User) with only the attributes this projection asks for.
    pub fn apply(&self, resource: Value, schema: &TenantSchema) -> Value {
        let Value::Object(resource) = resource else {
            return resource;
        };
        let chosen = Chosen::resolve(self, schema);
        let mut out = Map::new();
        for (key, value) in resource {
            if key == "schemas" {
                continue;
            }
            let extension = match key.as_str() {
                ENTERPRISE_USER => Some(Container::Enterprise),
                TENANT_USER => Some(Container::Tenant),
                _ => None,
            };
            if let Some(container) = extension {
                let Value::Object(attributes) = value else {
                    continue;
                };
                // `extend`, not `collect`: each `collect` into a map instantiates a sort.
                let mut kept = Map::new();
                kept.extend(attributes.into_iter().filter_map(|(name, v)| {
                    let def = definition(container, &name, schema);
                    chosen
                        .decide(container, def.as_ref(), &name, v)
                        .map(|v| (name, v))
                }));
                if !kept.is_empty() {
                    out.insert(key, Value::Object(kept));
                }
                continue;
            }
            let (container, def) = top_level(&key);
            if let Some(v) = chosen.decide(container, def.as_ref(), &key, value) {
                out.insert(key, v);
            }
        }
        // RFC 7643 §3: `schemas` lists the schemas of what this representation holds.
        let mut schemas = vec![Value::from(CORE_USER)];
        for urn in [ENTERPRISE_USER, TENANT_USER] {
            if out.contains_key(urn) {
                schemas.push(Value::from(urn));
            }
        }
        out.insert("schemas".into(), Value::Array(schemas));
        Value::Object(out)
    }
}

/// The container and definition of a top-level key of a rendered resource.
fn top_level(key: &str) -> (Container, Option<Def>) {
    if let Some(a) = [&schema::ID, &schema::EXTERNAL_ID, &schema::META]
        .into_iter()
        .find(|a| a.name == key)
    {
        return (Container::Common, Some(Def::Static(a)));
    }
    (Container::Core, schema::core_attr(key).map(Def::Static))
}

/// The definition of an attribute of an extension object, as rendered.
fn definition(container: Container, name: &str, schema: &TenantSchema) -> Option<Def> {
    match container {
        Container::Enterprise => schema::enterprise_attr(name).map(Def::Static),
        Container::Tenant => schema.find(name).map(|a| Def::Custom(a.clone())),
        Container::Common | Container::Core => None,
    }
}

fn returned(def: Option<&Def>) -> Returned {
    match def {
        Some(Def::Static(a)) => a.returned,
        // The tenant's attributes are advertised as `returned: default` (scim::tenant).
        Some(Def::Custom(_)) | None => Returned::Default,
    }
}

/// What a projection selects, resolved against the tenant's schema.
#[derive(Debug, Default)]
struct Chosen {
    mode: Mode,
    /// Whole schemas named by URN.
    schemas: Vec<Container>,
    /// (container, attribute, sub-attribute) named by path, in canonical spelling.
    paths: Vec<(Container, String, Option<String>)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Mode {
    #[default]
    Default,
    Include,
    Exclude,
}

impl Chosen {
    fn resolve(projection: &Projection, schema: &TenantSchema) -> Chosen {
        let (mode, names) = match projection {
            Projection::Default => return Chosen::default(),
            Projection::Include(names) => (Mode::Include, names),
            Projection::Exclude(names) => (Mode::Exclude, names),
        };
        let mut chosen = Chosen {
            mode,
            ..Chosen::default()
        };
        for name in names {
            match name {
                Name::Schema(urn) => chosen.schemas.push(match *urn {
                    ENTERPRISE_USER => Container::Enterprise,
                    TENANT_USER => Container::Tenant,
                    _ => Container::Core,
                }),
                // A name the schema does not know selects nothing (see the module doc).
                Name::Path(p) => {
                    if let Ok(AttrRef {
                        container,
                        top,
                        sub,
                    }) = path::resolve(p, schema)
                    {
                        chosen.paths.push((
                            container,
                            top.name().to_string(),
                            sub.map(|s| s.name().to_string()),
                        ));
                    }
                }
            }
        }
        chosen
    }

    /// Whether the whole attribute is named, and which of its sub-attributes are.
    fn named(&self, container: Container, name: &str) -> (bool, Vec<&str>) {
        let mut whole = self.schemas.contains(&container);
        let mut subs = Vec::new();
        for (c, top, sub) in &self.paths {
            if *c == container && top.eq_ignore_ascii_case(name) {
                match sub {
                    None => whole = true,
                    Some(s) => subs.push(s.as_str()),
                }
            }
        }
        (whole, subs)
    }

    /// The attribute's value as the answer carries it, or `None` to leave it out.
    fn decide(
        &self,
        container: Container,
        def: Option<&Def>,
        name: &str,
        value: Value,
    ) -> Option<Value> {
        match returned(def) {
            Returned::Never => return None,
            Returned::Always => return Some(value),
            Returned::Default | Returned::Request => {}
        }
        let by_request = returned(def) == Returned::Request;
        let (whole, subs) = self.named(container, name);
        match self.mode {
            Mode::Default if by_request => None,
            Mode::Default => defaults(def, value),
            Mode::Include if whole => defaults(def, value),
            Mode::Include if !subs.is_empty() => only(def, value, &subs),
            Mode::Include => None,
            Mode::Exclude if whole || by_request => None,
            Mode::Exclude => without(def, defaults(def, value)?, &subs),
        }
    }
}

/// The characteristic of a sub-attribute named `name` of `def`.
fn sub_returned(def: Option<&Def>, name: &str) -> Returned {
    returned(def.and_then(|d| d.sub(name)).as_ref())
}

/// Applies `keep` to the sub-attributes of a complex value, or of each element of a
/// multi-valued one; elements left empty are dropped, and so is a value left empty.
fn map_subs(value: Value, keep: &dyn Fn(&str) -> bool) -> Option<Value> {
    match value {
        Value::Object(o) => {
            let mut kept = Map::new();
            kept.extend(o.into_iter().filter(|(k, _)| keep(k)));
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(_) => map_subs(item, keep),
                    simple => Some(simple),
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        simple => Some(simple),
    }
}

/// The default sub-attributes of a value (those `returned` always or default).
fn defaults(def: Option<&Def>, value: Value) -> Option<Value> {
    map_subs(value, &|k| {
        matches!(sub_returned(def, k), Returned::Always | Returned::Default)
    })
}

/// Only the named sub-attributes (and those `returned: always`), RFC 7644 §3.9.
fn only(def: Option<&Def>, value: Value, subs: &[&str]) -> Option<Value> {
    map_subs(value, &|k| {
        let r = sub_returned(def, k);
        r == Returned::Always
            || (r != Returned::Never && subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
    })
}

/// Without the named sub-attributes (those `returned: always` stay).
fn without(def: Option<&Def>, value: Value, subs: &[&str]) -> Option<Value> {
    map_subs(value, &|k| {
        sub_returned(def, k) == Returned::Always || !subs.iter().any(|s| s.eq_ignore_ascii_case(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [CORE_USER, ENTERPRISE_USER],
            "id": "2819c223",
            "externalId": "ext-1",
            "userName": "bjensen",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "displayName": "Babs",
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "active": true,
            ENTERPRISE_USER: { "department": "Tour Operations", "employeeNumber": "701984" },
            "meta": { "resourceType": "User", "created": "2026-01-02T03:04:05.000Z", "version": "W/\"1\"" }
        })
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        Projection::from_query(attributes, excluded)
            .unwrap()
            .apply(user(), &TenantSchema::default())
    }

    /// `attributes` / `excludedAttributes` → the answer, one line per case.
    #[test]
    fn projections_keep_what_they_name_and_always_the_id() {
        let e = ENTERPRISE_USER;
        let department = format!("{e}:department");
        let both = format!("{e}:department,{e}:employeeNumber");
        let table: Vec<(Option<&str>, Option<&str>, Value)> = vec![
            (None, None, user()),
            (Some(""), Some(" "), user()),
            (
                Some("userName"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "userName": "bjensen" }),
            ),
            (
                Some("USERNAME,DisplayName"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "userName": "bjensen", "displayName": "Babs" }),
            ),
            (
                Some("name.givenName"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "name": { "givenName": "Barbara" } }),
            ),
            (
                Some("emails.value"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "emails": [{ "value": "bjensen@example.com" }, { "value": "babs@jensen.org" }] }),
            ),
            (
                Some("emails.display"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223" }),
            ),
            (
                Some("meta.created"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "meta": { "created": "2026-01-02T03:04:05.000Z" } }),
            ),
            (
                Some("id"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223" }),
            ),
            (
                Some("groups,nope,urn:example:x:y"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223" }),
            ),
            (
                Some(&department),
                None,
                json!({ "schemas": [CORE_USER, e], "id": "2819c223", e: { "department": "Tour Operations" } }),
            ),
            (
                Some("department"),
                None,
                json!({ "schemas": [CORE_USER, e], "id": "2819c223", e: { "department": "Tour Operations" } }),
            ),
            (
                Some(e),
                None,
                json!({ "schemas": [CORE_USER, e], "id": "2819c223", e: { "department": "Tour Operations", "employeeNumber": "701984" } }),
            ),
            (
                Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
                None,
                json!({ "schemas": [CORE_USER], "id": "2819c223", "userName": "bjensen" }),
            ),
            (None, Some("id,userName,emails,meta"), {
                let mut u = user();
                for k in ["userName", "emails", "meta"] {
                    u.as_object_mut().unwrap().remove(k);
                }
                u
            }),
            (None, Some("name.familyName,emails.type"), {
                let mut u = user();
                u["name"] = json!({ "givenName": "Barbara" });
                u["emails"] = json!([{ "value": "bjensen@example.com", "primary": true }, { "value": "babs@jensen.org" }]);
                u
            }),
            (None, Some(e), {
                let mut u = user();
                u.as_object_mut().unwrap().remove(e);
                u["schemas"] = json!([CORE_USER]);
                u
            }),
            (None, Some(&both), {
                let mut u = user();
                u.as_object_mut().unwrap().remove(e);
                u["schemas"] = json!([CORE_USER]);
                u
            }),
        ];
        for (attributes, excluded, expected) in table {
            assert_eq!(
                project(attributes, excluded),
                expected,
                "attributes={attributes:?} excludedAttributes={excluded:?}"
            );
        }
    }

    /// `returned` from the table decides before the lists do (RFC 7643 §7). The table has no
    /// `never` or `request` attribute today (`password` is not kept), so the test makes some.
    #[test]
    fn returned_never_and_request_are_honoured() {
        use crate::scim::schema::{Attr, Type, CORE_ATTRS};
        static SUBS: [Attr; 2] = [
            Attr {
                name: "shown",
                ..CORE_ATTRS[2]
            },
            Attr {
                name: "asked",
                returned: Returned::Request,
                ..CORE_ATTRS[2]
            },
        ];
        static SECRET: Attr = Attr {
            name: "secret",
            returned: Returned::Never,
            ..CORE_ATTRS[2]
        };
        static ASKED: Attr = Attr {
            name: "asked",
            returned: Returned::Request,
            ..CORE_ATTRS[2]
        };
        static BOTH: Attr = Attr {
            name: "both",
            ty: Type::Complex,
            subs: &SUBS,
            ..CORE_ATTRS[2]
        };
        let value = || json!({ "shown": "s", "asked": "a" });
        let chosen = |mode, paths: &[(&str, Option<&str>)]| Chosen {
            mode,
            schemas: vec![],
            paths: paths
                .iter()
                .map(|(t, s)| (Container::Core, t.to_string(), s.map(str::to_string)))
                .collect(),
        };
        let d = |a: &'static Attr| Some(Def::Static(a));
        let table: Vec<(Chosen, &'static Attr, Option<Value>)> = vec![
            (chosen(Mode::Default, &[]), &SECRET, None),
            (chosen(Mode::Include, &[("secret", None)]), &SECRET, None),
            (chosen(Mode::Default, &[]), &ASKED, None),
            (chosen(Mode::Exclude, &[]), &ASKED, None),
            (
                chosen(Mode::Include, &[("asked", None)]),
                &ASKED,
                Some(json!("x")),
            ),
            (
                chosen(Mode::Default, &[]),
                &BOTH,
                Some(json!({ "shown": "s" })),
            ),
            (
                chosen(Mode::Include, &[("both", None)]),
                &BOTH,
                Some(json!({ "shown": "s" })),
            ),
            (
                chosen(Mode::Include, &[("both", Some("asked"))]),
                &BOTH,
                Some(json!({ "asked": "a" })),
            ),
            (
                chosen(Mode::Exclude, &[("both", Some("shown"))]),
                &BOTH,
                None,
            ),
        ];
        for (i, (c, attr, expected)) in table.into_iter().enumerate() {
            let v = if attr.ty == Type::Complex {
                value()
            } else {
                json!("x")
            };
            assert_eq!(
                c.decide(Container::Core, d(attr).as_ref(), attr.name, v),
                expected,
                "case {i}: {}",
                attr.name
            );
        }
    }

    #[test]
    fn malformed_names_and_both_parameters_are_refused() {
        let table = [
            (Some("emails[type eq \"work\"]"), None, r#""attributes": "emails[type eq "work"]" is not an attribute name (filters are not allowed here)"#),
            (Some("a.b.c"), None, "\"attributes\": \"a.b.c\" is not an attribute name (at character 3: attribute path \"a.b.c\" has more than one sub-attribute)"),
            (None, Some("user name"), "\"excludedAttributes\": \"user name\" is not an attribute name (at character 5: expected \"[\" or end of input, found \"name\")"),
            (Some("userName"), Some("emails"), "\"attributes\" and \"excludedAttributes\" are mutually exclusive; send one of them"),
        ];
        for (attributes, excluded, detail) in table {
            assert_eq!(
                Projection::from_query(attributes, excluded),
                Err(ScimError::InvalidValue(detail.into())),
                "{attributes:?} {excluded:?}"
            );
        }
        let many = vec!["userName"; MAX_NAMES + 1].join(",");
        assert!(Projection::from_query(Some(&many), None).is_err());
        assert!(Projection::from_query(Some(&vec!["userName"; MAX_NAMES].join(",")), None).is_ok());
    }

    #[test]
    fn search_request_lists_read_like_query_lists() {
        let lists =
            Projection::from_lists(&["userName".into(), " name.givenName ".into()], &[]).unwrap();
        assert_eq!(
            lists,
            Projection::from_query(Some("userName,name.givenName"), None).unwrap()
        );
        assert_eq!(
            Projection::from_lists(&[], &["".into()]).unwrap(),
            Projection::Default
        );
    }
}
