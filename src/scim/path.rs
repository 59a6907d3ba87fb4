//! Attribute paths resolved against a tenant's schema (RFC 7644 §3.10): which attribute an
//! `attrPath` of a filter, a `sortBy`, an `attributes` list or a PATCH `path` names, and where
//! its value lives in the stored document.
//!
//! Names compare case-insensitively. A path with a schema URN looks only in that schema; a
//! path without one looks at the common attributes (`id`, `externalId`, `meta`), then the core
//! schema, then the enterprise extension, then the tenant's own attributes, and takes the first
//! that has the name. A custom attribute answers to its SCIM name, its aliases and its display
//! name; a deactivated one answers to nothing here (writes handle it, DESIGN §4).

use super::columns::{self, Column};
use super::error::ScimError;
use super::filter::AttrPath;
use super::schema::{self, Attr, Type, CORE_USER, ENTERPRISE_USER, TENANT_USER};
use super::tenant::{CustomAttr, TenantSchema};
use std::sync::Arc;

/// An attribute definition: one of the static tables', or one of the tenant's own.
#[derive(Debug, Clone, PartialEq)]
pub enum Def {
    Static(&'static Attr),
    Custom(Arc<CustomAttr>),
}

impl Def {
    /// The name SCIM uses for it.
    pub fn name(&self) -> &str {
        match self {
            Def::Static(a) => a.name,
            Def::Custom(c) => &c.scim_name,
        }
    }
    /// Its key in the stored document: the attribute name, or a custom attribute's id.
    pub fn key(&self) -> &str {
        match self {
            Def::Static(a) => a.name,
            Def::Custom(c) => &c.id,
        }
    }
    pub fn ty(&self) -> Type {
        match self {
            Def::Static(a) => a.ty,
            Def::Custom(c) => c.ty.scim_type(),
        }
    }
    pub fn multi(&self) -> bool {
        match self {
            Def::Static(a) => a.multi,
            Def::Custom(_) => false,
        }
    }
    /// Custom strings compare case-insensitively, as most of the core schema's do.
    pub fn case_exact(&self) -> bool {
        match self {
            Def::Static(a) => a.case_exact,
            Def::Custom(_) => false,
        }
    }
    pub fn static_attr(&self) -> Option<&'static Attr> {
        match self {
            Def::Static(a) => Some(a),
            Def::Custom(_) => None,
        }
    }
    pub fn custom(&self) -> Option<&Arc<CustomAttr>> {
        match self {
            Def::Static(_) => None,
            Def::Custom(c) => Some(c),
        }
    }
    pub fn sub(&self, name: &str) -> Option<Def> {
        match self {
            Def::Static(a) => a.sub(name).map(Def::Static),
            Def::Custom(_) => None,
        }
    }
}

/// Which part of the resource an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// `id`, `externalId`, `meta` (RFC 7643 §3.1).
    Common,
    Core,
    Enterprise,
    Tenant,
}

/// A resolved attribute path: the top-level attribute and, if given, its sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrRef {
    pub container: Container,
    pub top: Def,
    pub sub: Option<Def>,
}

impl AttrRef {
    /// The attribute the path ends at.
    pub fn leaf(&self) -> Def {
        self.sub.clone().unwrap_or_else(|| self.top.clone())
    }

    /// The keys from the document's root to the top-level attribute (`["name"]`,
    /// `["urn:…:enterprise:2.0:User", "department"]`); `None` for `id` and `meta`, which live in
    /// columns.
    pub fn doc_keys(&self) -> Option<Vec<String>> {
        match self.container {
            Container::Common if self.top.name() == "externalId" => Some(vec!["externalId".into()]),
            Container::Common => None,
            Container::Core => Some(vec![self.top.name().into()]),
            Container::Enterprise => Some(vec![ENTERPRISE_USER.into(), self.top.name().into()]),
            Container::Tenant => Some(vec![TENANT_USER.into(), self.top.key().into()]),
        }
    }

    /// The `users` column that filters and sorting read for this path, if one serves it
    /// (`scim::columns`): `id`, `meta.created`, `userName`, `name.familyName`, ...
    pub fn column(&self) -> Option<&'static Column> {
        if self.top.multi() {
            return None;
        }
        let mut path: Vec<&str> = match self.container {
            Container::Common => vec![self.top.name()],
            Container::Core => vec![self.top.name()],
            Container::Enterprise => vec![ENTERPRISE_USER, self.top.name()],
            Container::Tenant => return None,
        };
        if let Some(sub) = &self.sub {
            path.push(sub.name());
        }
        columns::serving(&path)
    }

    /// The path as the RFC spells it, for messages and the activity log.
    pub fn display(&self) -> String {
        let base = match self.container {
            Container::Enterprise => format!("{ENTERPRISE_USER}:{}", self.top.name()),
            Container::Tenant => format!("{TENANT_USER}:{}", self.top.name()),
            _ => self.top.name().to_string(),
        };
        match &self.sub {
            Some(s) => format!("{base}.{}", s.name()),
            None => base,
        }
    }
}

fn unknown(path: &AttrPath) -> ScimError {
    ScimError::InvalidFilter(format!("Unknown attribute \"{path}\""))
}

/// Resolves a path (errors are `invalidFilter`; PATCH callers re-map them to `invalidPath`).
pub fn resolve(path: &AttrPath, schema: &TenantSchema) -> Result<AttrRef, ScimError> {
    let custom = |name: &str| {
        schema
            .find(name)
            .filter(|a| a.active)
            .map(|a| (Container::Tenant, Def::Custom(a.clone())))
    };
    let found = match path.urn.as_deref() {
        Some(urn) if urn.eq_ignore_ascii_case(CORE_USER) => schema::core_attr(&path.name)
            .map(|a| (Container::Core, Def::Static(a)))
            .or_else(|| common(&path.name)),
        Some(urn) if urn.eq_ignore_ascii_case(ENTERPRISE_USER) => {
            schema::enterprise_attr(&path.name).map(|a| (Container::Enterprise, Def::Static(a)))
        }
        Some(urn) if urn.eq_ignore_ascii_case(TENANT_USER) => custom(&path.name),
        Some(_) => None,
        None => common(&path.name)
            .or_else(|| schema::core_attr(&path.name).map(|a| (Container::Core, Def::Static(a))))
            .or_else(|| {
                schema::enterprise_attr(&path.name).map(|a| (Container::Enterprise, Def::Static(a)))
            })
            .or_else(|| custom(&path.name)),
    };
    let (container, top) = found.ok_or_else(|| unknown(path))?;
    let sub = match &path.sub {
        None => None,
        Some(name) => Some(top.sub(name).ok_or_else(|| unknown(path))?),
    };
    Ok(AttrRef {
        container,
        top,
        sub,
    })
}

fn common(name: &str) -> Option<(Container, Def)> {
    [&schema::ID, &schema::EXTERNAL_ID, &schema::META]
        .into_iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| (Container::Common, Def::Static(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> AttrPath {
        let f =
            crate::scim::filter::parse_filter(&format!("{text} pr"), &Default::default()).unwrap();
        match f {
            crate::scim::filter::Filter::Present(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_resolve_case_insensitively_to_their_schema() {
        let s = TenantSchema::default();
        let table = [
            ("userName", "userName", Container::Core),
            ("USERNAME", "userName", Container::Core),
            ("name.familyName", "name.familyName", Container::Core),
            ("emails.VALUE", "emails.value", Container::Core),
            ("id", "id", Container::Common),
            ("externalId", "externalId", Container::Common),
            ("meta.lastModified", "meta.lastModified", Container::Common),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                "userName",
                Container::Core,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                Container::Enterprise,
            ),
            (
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                Container::Enterprise,
            ),
            (
                "employeeNumber",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                Container::Enterprise,
            ),
        ];
        for (text, display, container) in table {
            let r = resolve(&p(text), &s).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.display(), display, "{text}");
            assert_eq!(r.container, container, "{text}");
        }
    }

    #[test]
    fn unknown_paths_name_the_attribute() {
        let s = TenantSchema::default();
        for text in [
            "nope",
            "name.nope",
            "password",
            "groups",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName",
            "urn:x:y:z",
        ] {
            let err = resolve(&p(text), &s).unwrap_err();
            assert!(
                matches!(&err, ScimError::InvalidFilter(d) if d.contains(text.split('.').next().unwrap().rsplit(':').next().unwrap())),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn document_keys_locate_values() {
        let s = TenantSchema::default();
        assert_eq!(
            resolve(&p("name.givenName"), &s).unwrap().doc_keys(),
            Some(vec!["name".to_string()])
        );
        assert_eq!(
            resolve(
                &p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
                &s
            )
            .unwrap()
            .doc_keys(),
            Some(vec![ENTERPRISE_USER.to_string(), "department".to_string()])
        );
        assert_eq!(resolve(&p("id"), &s).unwrap().doc_keys(), None);
        assert_eq!(
            resolve(&p("externalId"), &s).unwrap().doc_keys(),
            Some(vec!["externalId".to_string()])
        );
    }
}
