//! The URL space, whole: which endpoint a path names, its name in the worker's log line
//! ([`operation`]), and the SCIM base URL of a request.
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
/// The company admins' sign-in pages.
pub const SIGN_IN_PATH: &str = "/sign-in";
/// The health check (`app::health`): no credential, outside both APIs.
pub const HEALTH_PATH: &str = "/healthz";

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
    /// Company admins (DESIGN §7): sign-in links (the operator's), connect and disconnect, the
    /// tenant's sessions and audit log, and the caller's own session.
    SignInLinks(String),
    Connect(String),
    Disconnect(String),
    Sessions(String),
    SessionOf(String, String),
    Audit(String),
    Session,
    /// A tenant's change feed, and its webhook endpoints (issue 19).
    Events(String),
    Webhooks(String),
    Webhook(String, String),
    WebhookRotate(String, String),
    WebhookDeliveries(String, String),
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
            AdminEndpoint::SignInLinks(_)
            | AdminEndpoint::Connect(_)
            | AdminEndpoint::Disconnect(_) => "POST",
            AdminEndpoint::Sessions(_) => "GET, DELETE",
            AdminEndpoint::SessionOf(..) => "DELETE",
            AdminEndpoint::Audit(_) => "GET",
            AdminEndpoint::Session => "GET, DELETE",
            AdminEndpoint::Events(_) | AdminEndpoint::WebhookDeliveries(..) => "GET",
            AdminEndpoint::Webhooks(_) => "GET, POST",
            AdminEndpoint::Webhook(..) => "GET, PATCH",
            AdminEndpoint::WebhookRotate(..) => "POST",
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
    /// A company admin's sign-in pages (`app::sign_in`).
    SignIn,
    Health,
    NotFound,
}

impl ScimEndpoint {
    /// The endpoint's name in the log line: what it is, never what the path held (an id).
    fn name(&self) -> &'static str {
        match self {
            ScimEndpoint::Users => "users",
            ScimEndpoint::User(_) => "user",
            ScimEndpoint::UsersSearch => "users_search",
            ScimEndpoint::ServiceProviderConfig => "service_provider_config",
            ScimEndpoint::ResourceTypes => "resource_types",
            ScimEndpoint::ResourceType(_) => "resource_type",
            ScimEndpoint::Schemas => "schemas",
            ScimEndpoint::Schema(_) => "schema",
            ScimEndpoint::Groups => "groups",
            ScimEndpoint::Bulk => "bulk",
            ScimEndpoint::Me => "me",
            ScimEndpoint::RootSearch => "search",
            ScimEndpoint::Unknown => "unknown",
        }
    }
}

impl AdminEndpoint {
    /// The endpoint's name in the log line (never the ids of its path).
    fn name(&self) -> &'static str {
        match self {
            AdminEndpoint::Tenants => "tenants",
            AdminEndpoint::Tenant(_) => "tenant",
            AdminEndpoint::Tokens(_) => "tokens",
            AdminEndpoint::Token(..) => "token",
            AdminEndpoint::Attributes(_) => "attributes",
            AdminEndpoint::Attribute(..) => "attribute",
            AdminEndpoint::Employees(_) => "employees",
            AdminEndpoint::Activity(_) => "activity",
            AdminEndpoint::DeletedEmployees(_) => "deleted_employees",
            AdminEndpoint::DeletedEmployee(..) => "deleted_employee",
            AdminEndpoint::RestoreEmployee(..) => "restore_employee",
            AdminEndpoint::Guard(_) => "guard",
            AdminEndpoint::GuardApply(_) => "guard_apply",
            AdminEndpoint::GuardDismiss(_) => "guard_dismiss",
            AdminEndpoint::SignInLinks(_) => "sign_in_links",
            AdminEndpoint::Connect(_) => "connect",
            AdminEndpoint::Disconnect(_) => "disconnect",
            AdminEndpoint::Sessions(_) => "sessions",
            AdminEndpoint::SessionOf(..) => "session_of",
            AdminEndpoint::Audit(_) => "audit",
            AdminEndpoint::Session => "session",
            AdminEndpoint::Events(_) => "events",
            AdminEndpoint::Webhooks(_) => "webhooks",
            AdminEndpoint::Webhook(..) => "webhook",
            AdminEndpoint::WebhookRotate(..) => "webhook_rotate",
            AdminEndpoint::WebhookDeliveries(..) => "webhook_deliveries",
            AdminEndpoint::AttributeHealth(_) => "attribute_health",
            AdminEndpoint::AttributeHealthAliases(_) => "attribute_health_aliases",
            AdminEndpoint::EmployeesCsv(_) => "employees_csv",
            AdminEndpoint::Connection(_) => "connection",
            AdminEndpoint::Purges => "purges",
            AdminEndpoint::Unknown => "unknown",
        }
    }

    /// The tenant a path names, as the path spells it.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            AdminEndpoint::Tenant(t)
            | AdminEndpoint::Tokens(t)
            | AdminEndpoint::Token(t, _)
            | AdminEndpoint::Attributes(t)
            | AdminEndpoint::Attribute(t, _)
            | AdminEndpoint::Employees(t)
            | AdminEndpoint::Activity(t)
            | AdminEndpoint::DeletedEmployees(t)
            | AdminEndpoint::DeletedEmployee(t, _)
            | AdminEndpoint::RestoreEmployee(t, _)
            | AdminEndpoint::Guard(t)
            | AdminEndpoint::GuardApply(t)
            | AdminEndpoint::GuardDismiss(t)
            | AdminEndpoint::SignInLinks(t)
            | AdminEndpoint::Connect(t)
            | AdminEndpoint::Disconnect(t)
            | AdminEndpoint::Sessions(t)
            | AdminEndpoint::SessionOf(t, _)
            | AdminEndpoint::Audit(t)
            | AdminEndpoint::Events(t)
            | AdminEndpoint::Webhooks(t)
            | AdminEndpoint::Webhook(t, _)
            | AdminEndpoint::WebhookRotate(t, _)
            | AdminEndpoint::WebhookDeliveries(t, _)
            | AdminEndpoint::AttributeHealth(t)
            | AdminEndpoint::AttributeHealthAliases(t)
            | AdminEndpoint::EmployeesCsv(t)
            | AdminEndpoint::Connection(t) => Some(t),
            AdminEndpoint::Tenants
            | AdminEndpoint::Purges
            | AdminEndpoint::Session
            | AdminEndpoint::Unknown => None,
        }
    }
}

/// A request's operation in the worker's log line: the API, the endpoint and the method, from
/// fixed names only (`scim.user.patch`, `admin.tenants.post`, `healthz.get`), so that no text of
/// the path (an id, or whatever a client put there) or of the query string reaches the log.
pub fn operation(method: &::http::Method, path: &str) -> String {
    let verb = match *method {
        ::http::Method::GET => "get",
        ::http::Method::HEAD => "head",
        ::http::Method::POST => "post",
        ::http::Method::PUT => "put",
        ::http::Method::PATCH => "patch",
        ::http::Method::DELETE => "delete",
        ::http::Method::OPTIONS => "options",
        _ => "other",
    };
    let name = match route(path) {
        Route::Scim(e) => format!("scim.{}", e.name()),
        Route::Admin(e) => format!("admin.{}", e.name()),
        Route::Health => "healthz".to_string(),
        Route::SignIn => "sign_in".to_string(),
        Route::NotFound => "not_found".to_string(),
    };
    format!("{name}.{verb}")
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
    if path == HEALTH_PATH {
        return Route::Health;
    }
    if let Some(segments) = segments_under(path, SCIM_PREFIX) {
        return Route::Scim(segments.map_or(ScimEndpoint::Unknown, |s| scim_endpoint(&s)));
    }
    if let Some(segments) = segments_under(path, ADMIN_PREFIX) {
        return Route::Admin(segments.map_or(AdminEndpoint::Unknown, |s| admin_endpoint(&s)));
    }
    if path == SIGN_IN_PATH {
        return Route::SignIn;
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
        ["tenants", t, "sign-in-links"] => AdminEndpoint::SignInLinks(t.to_string()),
        ["tenants", t, "connect"] => AdminEndpoint::Connect(t.to_string()),
        ["tenants", t, "disconnect"] => AdminEndpoint::Disconnect(t.to_string()),
        ["tenants", t, "sessions"] => AdminEndpoint::Sessions(t.to_string()),
        ["tenants", t, "sessions", s] => AdminEndpoint::SessionOf(t.to_string(), s.to_string()),
        ["tenants", t, "audit"] => AdminEndpoint::Audit(t.to_string()),
        ["session"] => AdminEndpoint::Session,
        ["tenants", t, "events"] => AdminEndpoint::Events(t.to_string()),
        ["tenants", t, "webhooks"] => AdminEndpoint::Webhooks(t.to_string()),
        ["tenants", t, "webhooks", w] => AdminEndpoint::Webhook(t.to_string(), w.to_string()),
        ["tenants", t, "webhooks", w, "rotate"] => {
            AdminEndpoint::WebhookRotate(t.to_string(), w.to_string())
        }
        ["tenants", t, "webhooks", w, "deliveries"] => {
            AdminEndpoint::WebhookDeliveries(t.to_string(), w.to_string())
        }
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
            ("/sign-in", Route::SignIn),
            ("/sign-in/x", Route::NotFound),
            ("/admin/v1/session", Route::Admin(A::Session)),
            (
                "/admin/v1/tenants/t1/sessions/s1",
                Route::Admin(A::SessionOf(s("t1"), s("s1"))),
            ),
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
            ("/healthz", Route::Health),
            ("/healthz/", Route::NotFound),
            ("/healthz/x", Route::NotFound),
            ("/Healthz", Route::NotFound),
        ];
        for (path, expected) in table {
            assert_eq!(route(path), expected, "{path}");
        }
    }

    /// The log line's operation names the endpoint, never what the path or query held.
    #[test]
    fn operations_are_fixed_names() {
        use ::http::Method;
        let table = [
            (
                Method::GET,
                "/scim/v2/Users?filter=userName+eq+%22a@b.c%22",
                "scim.users.get",
            ),
            (
                Method::PATCH,
                "/scim/v2/Users/jane@example.com",
                "scim.user.patch",
            ),
            (
                Method::POST,
                "/scim/v2/Users/.search",
                "scim.users_search.post",
            ),
            (
                Method::GET,
                "/scim/v2/ServiceProviderConfig",
                "scim.service_provider_config.get",
            ),
            (
                Method::GET,
                "/scim/v2/Nope/jane@example.com",
                "scim.unknown.get",
            ),
            (Method::POST, "/admin/v1/tenants", "admin.tenants.post"),
            (
                Method::GET,
                "/admin/v1/tenants/t1/activity",
                "admin.activity.get",
            ),
            (
                Method::DELETE,
                "/admin/v1/tenants/t1/tokens/k1",
                "admin.token.delete",
            ),
            (Method::GET, "/healthz", "healthz.get"),
            (Method::HEAD, "/healthz", "healthz.head"),
            (Method::GET, "/jane@example.com", "not_found.get"),
            (
                Method::from_bytes(b"PROPFIND").unwrap(),
                "/scim/v2/Users",
                "scim.users.other",
            ),
        ];
        for (method, path, expected) in table {
            let path = path.split('?').next().unwrap();
            assert_eq!(operation(&method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn admin_paths_name_their_tenant() {
        let tenant = |p: &str| match route(p) {
            Route::Admin(e) => e.tenant().map(str::to_string),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            tenant("/admin/v1/tenants/t1/guard/apply").as_deref(),
            Some("t1")
        );
        assert_eq!(tenant("/admin/v1/tenants/t1").as_deref(), Some("t1"));
        assert_eq!(tenant("/admin/v1/tenants"), None);
        assert_eq!(tenant("/admin/v1/purges"), None);
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
