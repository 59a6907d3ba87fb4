//! Where a PATCH operation points (RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`):
//! a path, or a key of a path-less operation's value, resolved against the tenant's schema.
//!
//! Besides attribute paths, a path may be a schema URN on its own: the enterprise or tenant
//! extension as a whole (scim2-tester adds and removes
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`), or the core schema URN, which
//! names the resource itself. Value filters (`emails[type eq "work"]`) are resolved by
//! `scim::filter::resolve`, so they type and fold their literals exactly as `/Users?filter=`
//! does; `eval` then applies them to the values in the document.

use crate::scim::error::ScimError;
use crate::scim::filter::resolve::{resolve as resolve_filter, Resolved};
use crate::scim::filter::{parse_patch_path, AttrPath, CompValue, CompareOp, Filter, Limits};
use crate::scim::path::{resolve as resolve_path, AttrRef, Container};
use crate::scim::schema::{
    known_schema, Mutability, Type, CORE_USER, ENTERPRISE_USER, IGNORED_CORE, TENANT_USER,
};
use crate::scim::tenant::TenantSchema;

/// An extension, addressed as a whole by its URN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ext {
    Enterprise,
    Tenant,
}

/// A value filter of a path, ready to apply to the values of a multi-valued attribute.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Select {
    /// The condition on one value; its targets are `Target::Elem` (`scim::filter::resolve`).
    pub filter: Resolved,
    /// `t` when the filter is exactly `type eq "t"`, as written: the one filter for which
    /// add/replace of a sub-attribute creates the value when none matches (DESIGN §6).
    pub type_eq: Option<String>,
}

/// What a path names.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    /// The resource itself: no path, or the core schema URN.
    Resource,
    /// An extension object as a whole.
    Extension(Ext),
    /// An attribute the service does not keep (`password`, `groups`, `roles`, ...): ignored,
    /// never an error (DESIGN §4; Entra sends `roles[primary eq "True"].value`).
    Ignored,
    /// A readOnly attribute (`id`, `meta`, `manager.displayName`), by its display path.
    ReadOnly(String),
    /// A deactivated custom attribute, by the name the client used: ignored, with a note for
    /// the activity log (DESIGN §4).
    Inactive(String),
    /// An attribute, perhaps one sub-attribute of it, perhaps only the values a filter selects.
    /// In `at`, `sub` is the sub-attribute of `name.givenName` and of `emails[...].value` alike.
    Attr { at: AttrRef, select: Option<Select> },
}

/// The outcome of resolving a path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolution {
    Found(Target),
    /// No attribute has this name (or the text is not a path at all). An explicit `path` is
    /// then a 400 `invalidPath` with this detail; a key of a path-less value is ignored, as
    /// unknown attributes are in POST and PUT (DESIGN §4).
    Unknown(String),
}

/// Resolves `text` (a `path`, or a key of a path-less value such as Entra's `name.givenName`
/// or `urn:…:enterprise:2.0:User:employeeNumber`).
///
/// # Errors
///
/// `invalidPath` for a value filter that does not fit the attribute, `invalidValue` for an
/// unknown name under the tenant's extension URN (the detail lists the known ones).
pub(super) fn resolve(text: &str, schema: &TenantSchema) -> Result<Resolution, ScimError> {
    let text = text.trim();
    if let Some(urn) = known_schema(text) {
        return Ok(Resolution::Found(match urn {
            CORE_USER => Target::Resource,
            ENTERPRISE_USER => Target::Extension(Ext::Enterprise),
            _ => Target::Extension(Ext::Tenant),
        }));
    }
    let parsed = match parse_patch_path(text, &Limits::DEFAULT) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Resolution::Unknown(format!(
                "\"{text}\" is not a valid path ({e})"
            )))
        }
    };
    let urn_is = |want: &str| {
        parsed
            .attr
            .urn
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(want))
    };
    if (parsed.attr.urn.is_none() || urn_is(CORE_USER))
        && IGNORED_CORE
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&parsed.attr.name))
    {
        return Ok(Resolution::Found(Target::Ignored));
    }
    let mut at = match resolve_path(&parsed.attr, schema) {
        Ok(r) => r,
        Err(e) => return unresolved(&parsed.attr, urn_is(TENANT_USER), schema, e),
    };
    if let Some(name) = &parsed.sub {
        match at.top.sub(name) {
            Some(sub) => at.sub = Some(sub),
            None => {
                return Ok(Resolution::Unknown(format!(
                    "Unknown attribute \"{}.{name}\"",
                    at.display()
                )))
            }
        }
    }
    if at.container == Container::Common && at.top.name() != "externalId" {
        return Ok(Resolution::Found(Target::ReadOnly(at.display())));
    }
    if at
        .sub
        .as_ref()
        .and_then(|s| s.static_attr())
        .is_some_and(|a| a.mutability == Mutability::ReadOnly)
    {
        return Ok(Resolution::Found(Target::ReadOnly(at.display())));
    }
    let select = match &parsed.filter {
        None => None,
        Some(filter) => Some(select(text, &parsed.attr, filter, &at, schema)?),
    };
    Ok(Resolution::Found(Target::Attr { at, select }))
}

/// A path that names no active attribute: a deactivated custom attribute, an unknown name
/// under the tenant URN (refused as the tenant's schema refuses it in POST and PUT), or unknown.
fn unresolved(
    attr: &AttrPath,
    tenant_urn: bool,
    schema: &TenantSchema,
    e: ScimError,
) -> Result<Resolution, ScimError> {
    if attr.urn.is_none() || tenant_urn {
        if let Some(custom) = schema
            .find(&attr.name)
            .filter(|c| !c.active && attr.sub.is_none())
        {
            return Ok(Resolution::Found(Target::Inactive(
                custom.scim_name.clone(),
            )));
        }
    }
    if tenant_urn {
        return Err(ScimError::InvalidValue(format!(
            "Unknown attribute \"{}\" in {TENANT_USER}; {}",
            attr.name,
            schema.known_names()
        )));
    }
    Ok(Resolution::Unknown(e.detail()))
}

/// The value filter of `attr[filter]`, resolved for the values of `attr`.
fn select(
    text: &str,
    attr: &AttrPath,
    filter: &Filter,
    at: &AttrRef,
    schema: &TenantSchema,
) -> Result<Select, ScimError> {
    if !(at.top.multi() && at.top.ty() == Type::Complex) {
        return Err(ScimError::InvalidPath(format!(
            "\"{text}\": \"{}\" is not a multi-valued complex attribute; value filters select values of one",
            at.top.name()
        )));
    }
    let whole = Filter::ValuePath {
        path: attr.clone(),
        filter: Box::new(filter.clone()),
    };
    let resolved = resolve_filter(&whole, schema)
        .map_err(|e| ScimError::InvalidPath(format!("\"{text}\": {}", e.detail())))?;
    let Resolved::Any { filter, .. } = resolved else {
        return Err(ScimError::Internal(format!(
            "value filter of {text} did not resolve to an element condition"
        )));
    };
    let type_eq = filter_type_eq(&whole).map(str::to_string);
    Ok(Select {
        filter: *filter,
        type_eq,
    })
}

/// `t` when the bracketed filter is exactly `type eq "t"`.
fn filter_type_eq(f: &Filter) -> Option<&str> {
    let Filter::ValuePath { filter, .. } = f else {
        return None;
    };
    match filter.as_ref() {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(t),
        } if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case("type") => {
            Some(t)
        }
        _ => None,
    }
}
