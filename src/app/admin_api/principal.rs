//! Who may call the admin API, and what each may do (DESIGN §7): the operator (`Authorization:
//! Bearer <ADMIN_TOKEN>`: everything) or a company admin (the session cookie of a sign-in,
//! `plumbing::session`: their own tenant, within the matrix below). A request with an
//! `Authorization` header is the operator's or nobody's; one without, a session's or nobody's.
//!
//! | | operator | company admin |
//! | --- | --- | --- |
//! | create, list, delete tenants; rename; quotas; sign-in links; purges | yes | no (403) |
//! | suspend or lift a suspension (`active`) | yes | no (403) |
//! | connect / disconnect, tokens, custom attributes, roster, activity, deleted employees, the guard, its settings and the retention, sessions, audit | yes | own tenant |
//!
//! Another tenant's id answers a company admin 404, as a tenant that does not exist does. A
//! company admin's state-changing request must also come from this origin (`Origin`, CSRF).

use super::error::AdminError;
use crate::app::plumbing::auth::{self, admin_token_matches};
use crate::app::plumbing::context::{Caller, Ctx, ADMIN_TOKEN_SECRET};
use crate::app::plumbing::credential::usable_secret;
use crate::app::plumbing::routes::AdminEndpoint;
use crate::app::plumbing::session::{genuine_session, same_origin, session_cookie};
use crate::app::plumbing::{header, Request};
use crate::store::admins::{live_session, Session};
use crate::store::{Batch, Consistency, Store};
use http::Method;
use serde_json::{Map, Value};

/// Who is calling.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Operator,
    Admin(Session),
}

impl Principal {
    pub fn caller(&self) -> Caller {
        match self {
            Principal::Operator => Caller {
                name: "operator".into(),
                session_id: None,
            },
            Principal::Admin(s) => Caller {
                name: s.email.clone(),
                session_id: Some(s.id.clone()),
            },
        }
    }
}

fn not_signed_in() -> AdminError {
    AdminError::Unauthorized(
        "Sign in again: the session is not valid (signed out, revoked or expired)".into(),
    )
}

/// Whether `req` is a company admin's (a session cookie and no `Authorization`), before any
/// check.
pub fn session_cookie_only(req: &Request) -> bool {
    header(req, http::header::AUTHORIZATION).is_none() && session_cookie(req).is_some()
}

/// The caller of `req`: the operator's token, or a live session (read on the primary: a
/// revoked session is refused from the next request on).
pub async fn authenticate<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Principal, AdminError> {
    if !session_cookie_only(req) {
        return operator(req, ctx).map(|()| Principal::Operator);
    }
    let cookie = session_cookie(req).unwrap_or_default();
    let key = super::credential_key(ctx)?;
    let hash = genuine_session(cookie, key).ok_or_else(not_signed_in)?;
    let mut batch = Batch::new();
    let session = batch.read(live_session(&hash, ctx.now));
    let mut results = batch.run(store, Consistency::Primary).await?;
    let session = results.take(session)?.ok_or_else(not_signed_in)?;
    Ok(Principal::Admin(session))
}

/// The operator's token.
fn operator(req: &Request, ctx: &mut Ctx<'_>) -> Result<(), AdminError> {
    let configured = ctx.config.admin_token.as_deref();
    if let Err(problem) = usable_secret(configured) {
        ctx.log.push(format!(
            "admin: {}: the admin API refuses to serve",
            problem.describe(ADMIN_TOKEN_SECRET)
        ));
        return Err(AdminError::NotConfigured(
            "The admin API is not configured on this deployment; the worker's log says why".into(),
        ));
    }
    let credential = auth::bearer(header(req, http::header::AUTHORIZATION))?;
    if admin_token_matches(credential, configured) {
        Ok(())
    } else {
        Err(AdminError::Unauthorized(
            "The admin token is not valid".into(),
        ))
    }
}

fn operator_only(what: &str) -> AdminError {
    AdminError::Forbidden(format!("{what} is the operator's to do"))
}

/// Whether `principal` may make this request (the matrix of the module doc); for a company
/// admin, also that a state-changing request comes from this origin.
pub fn permit(
    principal: &Principal,
    method: &Method,
    endpoint: &AdminEndpoint,
    req: &Request,
    body: Option<&Map<String, Value>>,
) -> Result<(), AdminError> {
    let Principal::Admin(session) = principal else {
        return Ok(());
    };
    use AdminEndpoint as A;
    if let Some(t) = endpoint.tenant() {
        if t != session.tenant_id.as_str() {
            return Err(super::tenant_not_found());
        }
    }
    if !matches!(*method, Method::GET | Method::HEAD) && !same_origin(req) {
        return Err(AdminError::Forbidden(
            "Cross-origin request refused: a signed-in admin's changes must come from this site's own pages".into(),
        ));
    }
    match (method, endpoint) {
        (_, A::Tenants) => Err(operator_only("Creating and listing tenants")),
        (_, A::Purges) => Err(operator_only("Following tenant purges")),
        (_, A::SignInLinks(_)) => Err(operator_only("Issuing sign-in links")),
        (&Method::DELETE, A::Tenant(_)) => Err(operator_only("Deleting a tenant")),
        (&Method::PATCH, A::Tenant(_)) => {
            let allowed = ["deleted_retention_days", "guard"];
            match body.and_then(|b| b.keys().find(|k| !allowed.contains(&k.as_str()))) {
                Some(k) if k == "active" => Err(operator_only(
                    "Suspending a tenant, or lifting a suspension,",
                )),
                Some(k) => Err(operator_only(&format!("Changing \"{k}\""))),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
