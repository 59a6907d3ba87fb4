//! The URL space, whole: which endpoint a path names, and the SCIM base URL of a request.
//! Methods are matched where the endpoints are handled (`scim_api`, `admin_api`), each in one
//! `match` on method and endpoint.
//!
//! SCIM endpoint names (`Users`, `Schemas`, ...) are matched case-insensitively and a trailing
//! slash is ignored: IdPs differ in both, and neither can name another endpoint. Query strings
//! never take part (Entra appends flags such as `?aadOptscim062020` to the tenant URL).

use super::Request;

/// Where the SCIM service lives: the base URL a tenant pastes into its IdP ends in this.
pub const SCIM_PREFIX: &str = "/scim/v2";
/// Where the operator's admin API lives.
pub const ADMIN_PREFIX: &str = "/admin/v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimEndpoint {
    Users,
    User(String),
    UsersSearch,
    ServiceProviderConfig,
    ResourceTypes,
    ResourceType(String),
    Schemas,
    Schema(String),
    /// `/Groups` and anything below it: the product has no groups.
    Groups,
    Bulk,
    Me,
    RootSearch,
    Unknown,
}

impl ScimEndpoint {
    /// The methods an endpoint answers, for `Allow` on a 405.
    pub fn allow(&self) -> &'static str {
        match self {
            ScimEndpoint::Users => "GET, POST",
            ScimEndpoint::User(_) => "GET, PUT, PATCH, DELETE",
            ScimEndpoint::UsersSearch | ScimEndpoint::Bulk | ScimEndpoint::RootSearch => "POST",
            ScimEndpoint::ServiceProviderConfig
            | ScimEndpoint::ResourceTypes
            | ScimEndpoint::ResourceType(_)
            | ScimEndpoint::Schemas
            | ScimEndpoint::Schema(_) => "GET",
            ScimEndpoint::Me => "GET, POST, PUT, PATCH, DELETE",
            ScimEndpoint::Groups | ScimEndpoint::Unknown => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEndpoint {
    Tenants,
    Tenant(String),
    Tokens(String),
    Token(String, String),
    Attributes(String),
    Attribute(String, String),
    Employees(String),
    Activity(String),
    /// A tenant's deleted employees, still restorable (DESIGN §4).
    DeletedEmployees(String),
    DeletedEmployee(String, String),
    RestoreEmployee(String, String),
    /// A tenant's mass-deactivation guard, and its decisions (DESIGN §4).
    Guard(String),
    GuardApply(String),
    GuardDismiss(String),
    /// Deleted tenants whose data is still being purged.
    Purges,
    /// The console's reads of a tenant (issue 23): attribute health and its alias call, the
    /// roster as CSV, the connection status.
    AttributeHealth(String),
    AttributeHealthAliases(String),
    EmployeesCsv(String),
    Connection(String),
    Unknown,
}

impl AdminEndpoint {
    pub fn allow(&self) -> &'static str {
        match self {
            AdminEndpoint::Tenants | AdminEndpoint::Tokens(_) | AdminEndpoint::Attributes(_) => {
                "GET, POST"
            }
            AdminEndpoint::Tenant(_) => "GET, PATCH, DELETE",
            AdminEndpoint::Token(..) => "DELETE",
            AdminEndpoint::Attribute(..) => "GET, PATCH",
            AdminEndpoint::Employees(_) | AdminEndpoint::Activity(_) | AdminEndpoint::Purges => {
                "GET"
            }
            AdminEndpoint::DeletedEmployees(_) => "GET",
            AdminEndpoint::DeletedEmployee(..) => "GET, DELETE",
            AdminEndpoint::RestoreEmployee(..) => "POST",
            AdminEndpoint::Guard(_) => "GET",
            AdminEndpoint::GuardApply(_) | AdminEndpoint::GuardDismiss(_) => "POST",
            AdminEndpoint::AttributeHealth(_)
            | AdminEndpoint::EmployeesCsv(_)
            | AdminEndpoint::Connection(_) => "GET",
            AdminEndpoint::AttributeHealthAliases(_) => "POST",
            AdminEndpoint::Unknown => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Scim(ScimEndpoint),
    Admin(AdminEndpoint),
    NotFound,
}

/// The SCIM base URL of this request's origin (for `meta.location`, `Location`, `$ref`, and
/// the URL a tenant's IdP is given).
pub fn scim_base(req: &Request) -> String {
    let uri = req.uri();
    let origin = match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => format!(
            "https://{}",
            super::header(req, ::http::header::HOST).unwrap_or("localhost")
        ),
    };
    format!("{origin}{SCIM_PREFIX}")
}

/// Decodes `%XX` escapes of one path segment; `None` when they do not form UTF-8.
fn decode_segment(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The segments after `prefix`, decoded; `None` when the path is not under `prefix`.
fn segments_under(path: &str, prefix: &str) -> Option<Option<Vec<String>>> {
    let rest = path.strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let decoded: Option<Vec<String>> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_segment)
        .collect();
    Some(decoded)
}

pub fn route(path: &str) -> Route {
    if let Some(segments) = segments_under(path, SCIM_PREFIX) {
        return Route::Scim(segments.map_or(ScimEndpoint::Unknown, |s| scim_endpoint(&s)));
    }
    if let Some(segments) = segments_under(path, ADMIN_PREFIX) {
        return Route::Admin(segments.map_or(AdminEndpoint::Unknown, |s| admin_endpoint(&s)));
    }
    Route::NotFound
}

fn scim_endpoint(segments: &[String]) -> ScimEndpoint {
    let is = |s: &String, name: &str| s.eq_ignore_ascii_case(name);
    match segments {
        [a] if is(a, "Users") => ScimEndpoint::Users,
        [a, b] if is(a, "Users") && is(b, ".search") => ScimEndpoint::UsersSearch,
        [a, id] if is(a, "Users") => ScimEndpoint::User(id.clone()),
        [a] if is(a, "ServiceProviderConfig") => ScimEndpoint::ServiceProviderConfig,
        [a] if is(a, "ResourceTypes") => ScimEndpoint::ResourceTypes,
        [a, id] if is(a, "ResourceTypes") => ScimEndpoint::ResourceType(id.clone()),
        [a] if is(a, "Schemas") => ScimEndpoint::Schemas,
        [a, id] if is(a, "Schemas") => ScimEndpoint::Schema(id.clone()),
        [a, ..] if is(a, "Groups") => ScimEndpoint::Groups,
        [a] if is(a, "Bulk") => ScimEndpoint::Bulk,
        [a, ..] if is(a, "Me") => ScimEndpoint::Me,
        [a] if is(a, ".search") => ScimEndpoint::RootSearch,
        _ => ScimEndpoint::Unknown,
    }
}

fn admin_endpoint(segments: &[String]) -> AdminEndpoint {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["tenants"] => AdminEndpoint::Tenants,
        ["tenants", t] => AdminEndpoint::Tenant(t.to_string()),
        ["tenants", t, "tokens"] => AdminEndpoint::Tokens(t.to_string()),
        ["tenants", t, "tokens", k] => AdminEndpoint::Token(t.to_string(), k.to_string()),
        ["tenants", t, "attributes"] => AdminEndpoint::Attributes(t.to_string()),
        ["tenants", t, "attributes", a] => AdminEndpoint::Attribute(t.to_string(), a.to_string()),
        ["tenants", t, "employees"] => AdminEndpoint::Employees(t.to_string()),
        ["tenants", t, "activity"] => AdminEndpoint::Activity(t.to_string()),
        ["tenants", t, "deleted-employees"] => AdminEndpoint::DeletedEmployees(t.to_string()),
        ["tenants", t, "deleted-employees", u] => {
            AdminEndpoint::DeletedEmployee(t.to_string(), u.to_string())
        }
        ["tenants", t, "deleted-employees", u, "restore"] => {
            AdminEndpoint::RestoreEmployee(t.to_string(), u.to_string())
        }
        ["tenants", t, "guard"] => AdminEndpoint::Guard(t.to_string()),
        ["tenants", t, "guard", "apply"] => AdminEndpoint::GuardApply(t.to_string()),
        ["tenants", t, "guard", "dismiss"] => AdminEndpoint::GuardDismiss(t.to_string()),
        ["purges"] => AdminEndpoint::Purges,
        // The console's reads (issue 23).
        ["tenants", t, "attribute-health"] => AdminEndpoint::AttributeHealth(t.to_string()),
        ["tenants", t, "attribute-health", "aliases"] => {
            AdminEndpoint::AttributeHealthAliases(t.to_string())
        }
        ["tenants", t, "employees.csv"] => AdminEndpoint::EmployeesCsv(t.to_string()),
        ["tenants", t, "connection"] => AdminEndpoint::Connection(t.to_string()),
        _ => AdminEndpoint::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table() {
        use AdminEndpoint as A;
        use ScimEndpoint as S;
        let s = |x: &str| x.to_string();
        let table = [
            ("/scim/v2/Users", Route::Scim(S::Users)),
            ("/scim/v2/users", Route::Scim(S::Users)),
            ("/scim/v2/Users/", Route::Scim(S::Users)),
            ("/scim/v2/Users/abc-123", Route::Scim(S::User(s("abc-123")))),
            ("/scim/v2/Users/a%20b", Route::Scim(S::User(s("a b")))),
            ("/scim/v2/Users/.search", Route::Scim(S::UsersSearch)),
            ("/scim/v2/Users/a/b", Route::Scim(S::Unknown)),
            (
                "/scim/v2/ServiceProviderConfig",
                Route::Scim(S::ServiceProviderConfig),
            ),
            (
                "/scim/v2/serviceproviderconfig",
                Route::Scim(S::ServiceProviderConfig),
            ),
            ("/scim/v2/ResourceTypes", Route::Scim(S::ResourceTypes)),
            (
                "/scim/v2/ResourceTypes/User",
                Route::Scim(S::ResourceType(s("User"))),
            ),
            ("/scim/v2/Schemas", Route::Scim(S::Schemas)),
            (
                "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                Route::Scim(S::Schema(s("urn:ietf:params:scim:schemas:core:2.0:User"))),
            ),
            ("/scim/v2/Groups", Route::Scim(S::Groups)),
            ("/scim/v2/Groups/123", Route::Scim(S::Groups)),
            ("/scim/v2/Bulk", Route::Scim(S::Bulk)),
            ("/scim/v2/Me", Route::Scim(S::Me)),
            ("/scim/v2/.search", Route::Scim(S::RootSearch)),
            ("/scim/v2", Route::Scim(S::Unknown)),
            ("/scim/v2/", Route::Scim(S::Unknown)),
            ("/scim/v2/Nope", Route::Scim(S::Unknown)),
            ("/scim/v2/Users/%zz", Route::Scim(S::Unknown)),
            ("/scim/v2/Users/%", Route::Scim(S::Unknown)),
            ("/scim/v2x/Users", Route::NotFound),
            ("/scim/v1/Users", Route::NotFound),
            ("/", Route::NotFound),
            ("/admin/v1/tenants", Route::Admin(A::Tenants)),
            ("/admin/v1/tenants/t1", Route::Admin(A::Tenant(s("t1")))),
            (
                "/admin/v1/tenants/t1/tokens",
                Route::Admin(A::Tokens(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/tokens/k1",
                Route::Admin(A::Token(s("t1"), s("k1"))),
            ),
            (
                "/admin/v1/tenants/t1/attributes",
                Route::Admin(A::Attributes(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/attributes/a1",
                Route::Admin(A::Attribute(s("t1"), s("a1"))),
            ),
            (
                "/admin/v1/tenants/t1/employees",
                Route::Admin(A::Employees(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/activity",
                Route::Admin(A::Activity(s("t1"))),
            ),
            ("/admin/v1/purges", Route::Admin(A::Purges)),
            (
                "/admin/v1/tenants/t1/deleted-employees",
                Route::Admin(A::DeletedEmployees(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/deleted-employees/u1",
                Route::Admin(A::DeletedEmployee(s("t1"), s("u1"))),
            ),
            (
                "/admin/v1/tenants/t1/guard",
                Route::Admin(A::Guard(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/guard/apply",
                Route::Admin(A::GuardApply(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/guard/dismiss",
                Route::Admin(A::GuardDismiss(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/deleted-employees/u1/restore",
                Route::Admin(A::RestoreEmployee(s("t1"), s("u1"))),
            ),
            (
                "/admin/v1/tenants/t1/attribute-health",
                Route::Admin(A::AttributeHealth(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/attribute-health/aliases",
                Route::Admin(A::AttributeHealthAliases(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/employees.csv",
                Route::Admin(A::EmployeesCsv(s("t1"))),
            ),
            (
                "/admin/v1/tenants/t1/connection",
                Route::Admin(A::Connection(s("t1"))),
            ),
            ("/admin/v1/Tenants", Route::Admin(A::Unknown)),
            ("/admin/v1", Route::Admin(A::Unknown)),
        ];
        for (path, expected) in table {
            assert_eq!(route(path), expected, "{path}");
        }
    }

    #[test]
    fn every_scim_endpoint_but_unknown_ones_allows_some_method() {
        for e in [
            ScimEndpoint::Users,
            ScimEndpoint::User("x".into()),
            ScimEndpoint::UsersSearch,
            ScimEndpoint::ServiceProviderConfig,
            ScimEndpoint::Schemas,
            ScimEndpoint::Bulk,
        ] {
            assert!(!e.allow().is_empty(), "{e:?}");
        }
    }
}
