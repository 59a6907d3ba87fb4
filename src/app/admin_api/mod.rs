//! The admin API under `/admin/v1` (DESIGN §7): tenants, their tokens, their custom attributes,
//! what the product reads (the roster and the activity log), deleted employees, the guard, and
//! company admins (sign-in links, sessions, connect and disconnect, the audit log).
//!
//! JSON in and out; errors are `{"error": "<code>", "detail": "..."}` (`error`). Callers
//! (`principal`): the operator, `Authorization: Bearer <ADMIN_TOKEN>`, everything; or a company
//! admin's session cookie, their own tenant within the matrix of `principal`. A SCIM token is
//! refused here as any other wrong credential is. An `ADMIN_TOKEN` that is unset or shorter than
//! 32 characters refuses the operator (503 `not_configured`, and the log says why). Secrets
//! appear in exactly four answers, once each: a created tenant's first token, a newly issued
//! token, a connect's token, and a sign-in link. Every admin action is in the tenant's audit log.
//!
//! - `tenants`, `tokens`, `attributes`, `reports`, `deleted` (deleted employees), `guard` (the
//!   mass-deactivation guard), `admins` (company admins): the handlers, one room per resource;
//!   for the console, `attribute_health`, `export` (the roster as CSV, streamed) and
//!   `connection` (connection status);
//! - `principal`: who calls, and what each may do; `audit`: the audit log's entries;
//! - `request`: bodies, fields and paging; `error`: the error type and its answers;
//! - `throttle`: what the edge's rate limiter counts (wrong admin credentials, per address);
//! - `bookmark`: the D1 bookmark an admin's requests carry, so reads may come from replicas;
//! - [`TenantBatch`]: a batch behind the check that its tenant exists.

pub mod admins;
pub mod attribute_health;
pub mod attributes;
pub mod audit;
pub mod bookmark;
pub mod connection;
pub mod deleted;
pub mod error;
pub mod events;
pub mod export;
pub mod guard;
pub mod principal;
pub mod reports;
pub mod request;
pub mod tenants;
pub mod throttle;
pub mod tokens;
pub mod webhooks;

use crate::app::plumbing::context::{Ctx, CREDENTIAL_SECRET};
use crate::app::plumbing::credential::CredentialKey;
use crate::app::plumbing::routes::{self, AdminEndpoint};
use crate::app::plumbing::session::own_origin;
use crate::app::plumbing::{log, query, respond};
use crate::app::plumbing::{Request, Response};
use crate::model::{TenantId, UserId};
use crate::store::shards::Shards;
use crate::store::tenants::{get_tenant, TenantRow};
use crate::store::{Batch, Consistency, Handle, Query, Results, Stmt, Store};
use error::AdminError;
use http::Method;
use request::request_object;
use serde_json::Value;

/// The media type of every admin answer.
pub const JSON: &str = "application/json; charset=utf-8";

/// An admin API JSON answer.
pub fn json(status: u16, body: &Value) -> Response {
    respond::json(status, body, JSON)
}

/// Answers an admin request on `shard` (the one `app::reach` names; `shards` for the lists
/// that span every shard). The request's session resumes the bookmark it carries, and the
/// answer says where the session stands (`bookmark`).
pub async fn handle<S: Store>(
    endpoint: AdminEndpoint,
    req: Request,
    shards: &Shards<S>,
    shard: u16,
    ctx: &mut Ctx<'_>,
) -> Response {
    let Some(store) = shards.get(shard) else {
        return AdminError::Internal(format!("shard {shard} is not open")).response();
    };
    if let Some(b) = bookmark::presented(&req, shard) {
        store.resume(&b);
    }
    let session = principal::session_cookie_only(&req);
    let spans_every_shard = matches!(endpoint, AdminEndpoint::Tenants | AdminEndpoint::Purges);
    let mut response = match run(endpoint, req, store, shards, ctx).await {
        Ok(r) => r,
        Err(e) => {
            // A missing secret was logged, with its name, where it was found missing.
            if e.status() >= 500 && !matches!(e, AdminError::NotConfigured(_)) {
                ctx.log.push(format!("admin: {e}"));
            }
            e.response()
        }
    };
    let signed_in = session && ctx.caller.as_ref().is_some_and(|c| c.session_id.is_some());
    // What spans every shard reads the primaries and says nothing (a created tenant's answer
    // carries its own shard's bookmark).
    if !spans_every_shard {
        bookmark::hand_back(&mut response, shard, store.bookmark(), signed_in);
    }
    response
}

async fn run<S: Store>(
    endpoint: AdminEndpoint,
    req: Request,
    store: &S,
    shards: &Shards<S>,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let principal = principal::authenticate(&req, store, ctx).await?;
    ctx.caller = Some(principal.caller());
    let method = req.method().clone();
    let sent = if matches!(method, Method::GET | Method::HEAD) {
        None
    } else {
        request_object(&req).ok()
    };
    principal::permit(&principal, &method, &endpoint, &req, sent.as_ref())?;
    // The log line's tenant: the session's, or the operator's path's when it has a tenant id's
    // shape.
    ctx.tenant = match &principal {
        principal::Principal::Admin(s) => Some(s.tenant_id.clone()),
        principal::Principal::Operator => endpoint.tenant().and_then(log::tenant_id),
    };
    let params = query::pairs(req.uri().query());
    // The SCIM base URL a tenant's IdP is given: this request's origin plus `/scim/v2`.
    let base = routes::scim_base(&req);
    let body = || request_object(&req);
    let tenant = |t: String| TenantId::new(t);
    match (method, endpoint) {
        (Method::POST, AdminEndpoint::Tenants) => {
            tenants::create(body()?, &base, shards, ctx).await
        }
        (Method::GET, AdminEndpoint::Tenants) => tenants::list(&params, &base, shards).await,
        (Method::GET, AdminEndpoint::Tenant(t)) => tenants::get(&tenant(t), &base, store).await,
        (Method::PATCH, AdminEndpoint::Tenant(t)) => {
            tenants::update(&tenant(t), body()?, &base, store, ctx).await
        }
        (Method::DELETE, AdminEndpoint::Tenant(t)) => tenants::delete(&tenant(t), store, ctx).await,
        (Method::POST, AdminEndpoint::Tokens(t)) => {
            tokens::issue(&tenant(t), body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Tokens(t)) => tokens::list(&tenant(t), &params, store).await,
        (Method::DELETE, AdminEndpoint::Token(t, k)) => {
            tokens::revoke(&tenant(t), &crate::model::TokenId::new(k), store, ctx).await
        }
        (Method::POST, AdminEndpoint::Attributes(t)) => {
            attributes::create(&tenant(t), body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Attributes(t)) => {
            attributes::list(&tenant(t), &params, store).await
        }
        (Method::GET, AdminEndpoint::Attribute(t, a)) => {
            attributes::get(&tenant(t), &a, store).await
        }
        (Method::PATCH, AdminEndpoint::Attribute(t, a)) => {
            attributes::update(&tenant(t), &a, body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Employees(t)) => {
            reports::employees(&tenant(t), &params, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Activity(t)) => {
            reports::activity(&tenant(t), &params, store, ctx).await
        }
        (Method::GET, AdminEndpoint::DeletedEmployees(t)) => {
            deleted::list(&tenant(t), &params, store).await
        }
        (Method::GET, AdminEndpoint::DeletedEmployee(t, u)) => {
            deleted::get(&tenant(t), &UserId::new(u), store).await
        }
        (Method::DELETE, AdminEndpoint::DeletedEmployee(t, u)) => {
            deleted::purge(&tenant(t), &UserId::new(u), store, ctx).await
        }
        (Method::POST, AdminEndpoint::RestoreEmployee(t, u)) => {
            deleted::restore(&tenant(t), &UserId::new(u), store, ctx).await
        }
        (Method::GET, AdminEndpoint::Guard(t)) => guard::get(&tenant(t), store).await,
        (Method::POST, AdminEndpoint::GuardApply(t)) => {
            guard::apply(&tenant(t), body()?, store, ctx).await
        }
        (Method::POST, AdminEndpoint::GuardDismiss(t)) => {
            guard::dismiss(&tenant(t), body()?, store, ctx).await
        }
        (Method::POST, AdminEndpoint::SignInLinks(t)) => {
            admins::issue_sign_in_link(&tenant(t), body()?, &own_origin(&req), store, ctx).await
        }
        (Method::GET, AdminEndpoint::Session) => admins::whoami(&principal, &base, store).await,
        (Method::DELETE, AdminEndpoint::Session) => {
            admins::logout(&req, &principal, store, ctx).await
        }
        (Method::POST, AdminEndpoint::Connect(t)) => {
            admins::connect(&tenant(t), body()?, &base, store, ctx).await
        }
        (Method::POST, AdminEndpoint::Disconnect(t)) => {
            admins::disconnect(&tenant(t), store, ctx).await
        }
        (Method::GET, AdminEndpoint::Sessions(t)) => {
            admins::list_sessions(&tenant(t), &params, store).await
        }
        (Method::DELETE, AdminEndpoint::Sessions(t)) => {
            admins::revoke_sessions(&tenant(t), None, store, ctx).await
        }
        (Method::DELETE, AdminEndpoint::SessionOf(t, s)) => {
            admins::revoke_sessions(&tenant(t), Some(&s), store, ctx).await
        }
        (Method::GET, AdminEndpoint::Audit(t)) => admins::audit(&tenant(t), &params, store).await,
        (Method::GET, AdminEndpoint::Events(t)) => events::list(&tenant(t), &params, store).await,
        (Method::POST, AdminEndpoint::Webhooks(t)) => {
            webhooks::create(&tenant(t), body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Webhooks(t)) => webhooks::list(&tenant(t), store).await,
        (Method::GET, AdminEndpoint::Webhook(t, w)) => webhooks::get(&tenant(t), &w, store).await,
        (Method::PATCH, AdminEndpoint::Webhook(t, w)) => {
            webhooks::update(&tenant(t), &w, body()?, store, ctx).await
        }
        (Method::POST, AdminEndpoint::WebhookRotate(t, w)) => {
            webhooks::rotate(&tenant(t), &w, store, ctx).await
        }
        (Method::GET, AdminEndpoint::WebhookDeliveries(t, w)) => {
            webhooks::deliveries(&tenant(t), &w, &params, store).await
        }
        (Method::GET, AdminEndpoint::Purges) => tenants::purges(&params, shards).await,
        // The console's reads (issue 23).
        (Method::GET, AdminEndpoint::AttributeHealth(t)) => {
            attribute_health::get(&tenant(t), store).await
        }
        (Method::POST, AdminEndpoint::AttributeHealthAliases(t)) => {
            attribute_health::alias(&tenant(t), body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::EmployeesCsv(t)) => {
            export::start(&tenant(t), &params, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Connection(t)) => {
            connection::get(&tenant(t), store, ctx).await
        }
        (_, AdminEndpoint::Unknown) => Err(AdminError::NotFound("No such admin endpoint".into())),
        (_, endpoint) => Err(AdminError::MethodNotAllowed {
            allow: endpoint.allow(),
        }),
    }
}

/// The key that signs the tokens this request issues; without a usable `CREDENTIAL_SECRET`
/// none are issued (503 `not_configured`), and the log says why.
pub fn credential_key<'c>(ctx: &mut Ctx<'c>) -> Result<&'c CredentialKey, AdminError> {
    let config = ctx.config;
    config.credential_key().map_err(|problem| {
        ctx.log.push(format!(
            "admin: {}: tokens of the current format are neither issued nor accepted",
            problem.describe(CREDENTIAL_SECRET)
        ));
        AdminError::NotConfigured(
            "Tokens cannot be issued: this deployment's credential secret is not configured; \
             the worker's log says why"
                .into(),
        )
    })
}

/// The shard a tenant's credentials carry: its id's (`store::shards`).
pub fn shard_of(tenant: &TenantId) -> u16 {
    crate::store::shards::of_tenant(tenant)
}

pub fn tenant_not_found() -> AdminError {
    AdminError::NotFound("No such tenant".into())
}

/// A batch of an admin request about one tenant: the tenant's row first, so that a tenant that
/// does not exist is a 404 whatever the rest found, in the same round trip.
///
/// Reads go through the request's session ([`Consistency::Session`]): a read replica, at least
/// as new as the bookmark the caller handed back (`bookmark`), so an admin sees their own
/// changes, and the next page of a list never comes from a replica older than the previous
/// page's; a batch that writes goes to the primary. The roster is the exception
/// ([`TenantBatch::run_primary`]): it decides who receives the next survey, so an IdP's
/// deactivation counts from the moment its request was answered, whoever reads it.
pub struct TenantBatch {
    batch: Batch,
    tenant: Handle<Option<TenantRow>>,
    /// Whether it writes (then it runs on the primary wherever it is sent).
    writes: bool,
}

impl TenantBatch {
    pub fn new(tenant: &TenantId) -> TenantBatch {
        let mut batch = Batch::new();
        let tenant = batch.read(get_tenant(tenant));
        TenantBatch {
            batch,
            tenant,
            writes: false,
        }
    }

    pub fn read<T>(&mut self, query: Query<T>) -> Handle<T> {
        self.batch.read(query)
    }

    pub fn write(&mut self, stmt: Stmt) {
        self.writes = true;
        self.batch.write(stmt);
    }

    pub fn write_all(&mut self, stmts: impl IntoIterator<Item = Stmt>) {
        self.writes = true;
        self.batch.write_all(stmts);
    }

    /// Runs the batch in the request's session; 404 when the tenant does not exist.
    pub async fn run<S: Store>(self, store: &S) -> Result<(TenantRow, AdminResults), AdminError> {
        self.run_with(store, Consistency::Session).await
    }

    /// Runs the batch on the primary; 404 when the tenant does not exist.
    pub async fn run_primary<S: Store>(
        self,
        store: &S,
    ) -> Result<(TenantRow, AdminResults), AdminError> {
        self.run_with(store, Consistency::Primary).await
    }

    /// A read that a replica answers without the tenant is asked of the primary before it is a
    /// 404: a tenant created a moment ago may not have reached the replica yet (a caller that
    /// hands back its bookmark never needs this).
    async fn run_with<S: Store>(
        self,
        store: &S,
        consistency: Consistency,
    ) -> Result<(TenantRow, AdminResults), AdminError> {
        let again =
            (consistency == Consistency::Session && !self.writes).then(|| self.batch.clone());
        let mut results = self.batch.run(store, consistency).await?;
        let mut tenant = results.take(self.tenant.clone())?;
        if let (None, Some(batch)) = (&tenant, again) {
            results = batch.run(store, Consistency::Primary).await?;
            tenant = results.take(self.tenant)?;
        }
        let tenant = tenant.ok_or_else(tenant_not_found)?;
        Ok((tenant, AdminResults(results)))
    }
}

/// The answers of an admin batch, with store failures as admin errors.
pub struct AdminResults(Results);

impl AdminResults {
    pub fn take<T>(&mut self, handle: Handle<T>) -> Result<T, AdminError> {
        Ok(self.0.take(handle)?)
    }
}

/// Runs a batch that is not about one tenant, on the primary (creating a tenant, and the lists
/// that span every shard, whose reads carry no bookmark).
pub async fn run_batch<S: Store>(store: &S, batch: Batch) -> Result<AdminResults, AdminError> {
    Ok(AdminResults(batch.run(store, Consistency::Primary).await?))
}
