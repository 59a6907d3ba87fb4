//! The SCIM service under `/scim/v2` (RFC 7644 §3): one `match` on method and endpoint, after
//! the checks every request shares (media types, body size, credentials).
//!
//! - `call`: what every `/Users` handler reads from its request;
//! - `users`: create, read, replace, patch and delete; `retry` the optimistic write loop that
//!   replace and patch share; `activity` the activity-log entries each outcome writes; `write`
//!   what every write shares, including the log of a refusal no batch logged (a failure);
//! - `bulk`: `POST /Bulk` (RFC 7644 §3.7), each operation run as its single request by
//!   [`write_user`];
//!   `attribute_health` what writes note for attribute health;
//! - `list`: `GET /Users` and the searches; `discovery`: the service's self-description;
//! - `conditional`: ETags and `If-Match`/`If-None-Match`; `tenancy`: the token check and the
//!   tenant's schema in every batch; `respond`: SCIM answers and errors; `throttle`: what the
//!   edge's rate limiter counts and how a throttled request is answered.

pub mod activity;
pub mod attribute_health;
pub mod bulk;
pub mod call;
pub mod conditional;
pub mod discovery;
pub mod list;
pub mod respond;
pub mod retry;
pub mod tenancy;
pub mod throttle;
pub mod users;
pub mod write;

use crate::app::plumbing::auth::{self, AuthFailure, ScimToken};
use crate::app::plumbing::context::{Config, Ctx, CREDENTIAL_SECRET};
use crate::app::plumbing::header;
use crate::app::plumbing::media::{self, Answer};
use crate::app::plumbing::routes::{self, ScimEndpoint, SCIM_PREFIX};
use crate::app::plumbing::{Request, Response};
use crate::model::{Operation, TokenHash, UserId};
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::store::Store;
use activity::Activity;
use call::Call;
use http::Method;
use respond::{scim_error, scim_json};
use serde_json::{Map, Value};
use tenancy::{auth_error, media_error, tenant_of};
use write::{log_unlogged, Target, Watched};

pub async fn handle<S: Store>(
    endpoint: ScimEndpoint,
    req: Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Response {
    let answer = match media::negotiate(header(&req, http::header::ACCEPT)) {
        Ok(a) => a,
        Err(e) => return scim_error(&media_error(e), Answer::Scim),
    };
    // The credential is read once, without the database; a current-format token that cannot
    // be checked for want of a secret is the operator's to fix, and the log says so.
    let token = presented_token(&req, ctx.config);
    ctx.client = call::client(&req);
    if let Err(AuthFailure::NotConfigured(problem)) = token {
        ctx.log.push(format!(
            "scim: {}: tokens of the current format are neither issued nor accepted",
            problem.describe(CREDENTIAL_SECRET)
        ));
    }
    match dispatch(endpoint, req, &token, store, ctx, answer).await {
        Ok(r) => r,
        Err(e) => {
            let logged = matches!(token, Err(AuthFailure::NotConfigured(_)));
            if e.status() >= 500 && !logged {
                ctx.log.push(format!("scim: {e}"));
            }
            scim_error(&e, answer)
        }
    }
}

/// The SCIM token a request presents, read without the database: `None` without an
/// `Authorization` header (discovery answers anonymous requests); an error when the header or
/// the token is refused as it stands. A genuine token of a shard this deployment does not serve
/// (`Config::shards`) was issued by a deployment with more databases: here it is unknown.
pub fn presented_token(req: &Request, config: &Config) -> Result<Option<ScimToken>, AuthFailure> {
    if !req.headers().contains_key(http::header::AUTHORIZATION) {
        return Ok(None);
    }
    let bearer = auth::bearer(header(req, http::header::AUTHORIZATION))?;
    match auth::scim_token(bearer, config.credential_key())? {
        ScimToken::Genuine { shard, .. } if shard >= config.shards => Err(AuthFailure::Invalid),
        token => Ok(Some(token)),
    }
}

/// The answer to a path outside both APIs.
pub fn no_such_service() -> Response {
    scim_error(
        &ScimError::NotFound(format!(
            "No such endpoint; the SCIM service is under {SCIM_PREFIX}"
        )),
        Answer::Scim,
    )
}

/// The token hash of a SCIM request (401 when the header is missing or the token refused as it
/// stands, 503 when it cannot be checked; whether the token is live is decided in the
/// operation's batch).
pub fn credential(token: &Result<Option<ScimToken>, AuthFailure>) -> Result<TokenHash, ScimError> {
    match token {
        Ok(Some(token)) => Ok(token.hash().clone()),
        Ok(None) => Err(auth_error(AuthFailure::Missing)),
        Err(f) => Err(auth_error(*f)),
    }
}

/// The JSON object a POST, PUT or PATCH carries.
pub fn body_object(req: &Request) -> Result<Map<String, Value>, ScimError> {
    media::body_object(header(req, http::header::CONTENT_TYPE), req.body(), None)
        .map_err(media_error)
}

async fn dispatch<S: Store>(
    endpoint: ScimEndpoint,
    req: Request,
    token: &Result<Option<ScimToken>, AuthFailure>,
    store: &S,
    ctx: &mut Ctx<'_>,
    answer: Answer,
) -> Result<Response, ScimError> {
    let base = routes::scim_base(&req);
    let method = req.method().clone();
    let call = || Call::new(&req, token, answer);
    match (method, endpoint) {
        (Method::GET, ScimEndpoint::ServiceProviderConfig) => {
            check_optional_credential(token, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::service_provider_config(&base),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Schemas) => {
            let schema = check_optional_credential(token, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::list(discovery::all_schemas(&schema, &base)),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Schema(id)) => {
            let schema = check_optional_credential(token, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::schema_by_id(&id, &schema, &base)?,
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::ResourceTypes) => {
            let schema = check_optional_credential(token, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::list(vec![discovery::user_resource_type(&schema, &base)]),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::ResourceType(id)) => {
            let schema = check_optional_credential(token, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::resource_type_by_id(&id, &schema, &base)?,
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Users) => list::list(&req, store, ctx, &call()?).await,
        (Method::POST, endpoint @ ScimEndpoint::Users)
        | (Method::PUT | Method::PATCH | Method::DELETE, endpoint @ ScimEndpoint::User(_)) => {
            write_user(&req, &endpoint, &call()?, store, ctx).await
        }
        (Method::GET, ScimEndpoint::User(id)) => {
            users::get(&UserId::new(id), store, ctx, &call()?).await
        }
        (_, ScimEndpoint::Groups) => Err(ScimError::NotFound(
            "Groups are not supported by this service provider; only Users are provisioned".into(),
        )),
        (Method::POST, ScimEndpoint::Bulk) => bulk::bulk(&req, &call()?, token, store, ctx).await,
        (_, ScimEndpoint::Me) => Err(ScimError::NotImplemented(
            "/Me is not supported: tokens belong to tenants, not users".into(),
        )),
        (Method::POST, ScimEndpoint::UsersSearch) => list::search(&req, store, ctx, &call()?).await,
        // RFC 7644 §3.4.3: a search at the root searches every resource type; Users is the only
        // one, so it is the Users search (scim2-tester searches there).
        (Method::POST, ScimEndpoint::RootSearch) => list::search(&req, store, ctx, &call()?).await,
        (_, ScimEndpoint::Unknown) => Err(ScimError::NotFound("No such SCIM endpoint".into())),
        (_, endpoint) => Err(ScimError::MethodNotAllowed {
            allow: endpoint.allow(),
        }),
    }
}

/// A write of a user: `POST /Users`, and `PUT`, `PATCH` and `DELETE` of `/Users/{id}` (any
/// other method and endpoint: 405), shared by the single requests and the operations of a Bulk
/// request. Writes run on a `Watched` store, so that a refusal no batch logged is logged after
/// (`write::log_unlogged`).
pub async fn write_user<S: Store>(
    req: &Request,
    endpoint: &ScimEndpoint,
    call: &Call,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    let watched = Watched::new(store);
    let (operation, id, answer) = match (req.method().clone(), endpoint) {
        (Method::POST, ScimEndpoint::Users) => {
            let answer = users::create(req, &watched, ctx, call).await;
            (Operation::Create, None, answer)
        }
        (Method::PUT, ScimEndpoint::User(id)) => {
            let id = UserId::new(id.clone());
            let answer = users::replace(&id, req, &watched, ctx, call).await;
            (Operation::Replace, Some(id), answer)
        }
        (Method::PATCH, ScimEndpoint::User(id)) => {
            let id = UserId::new(id.clone());
            let answer = users::patch(&id, req, &watched, ctx, call).await;
            (Operation::Update, Some(id), answer)
        }
        (Method::DELETE, ScimEndpoint::User(id)) => {
            let id = UserId::new(id.clone());
            let answer = users::delete(&id, &watched, ctx, call).await;
            (Operation::Delete, Some(id), answer)
        }
        (_, endpoint) => {
            return Err(ScimError::MethodNotAllowed {
                allow: endpoint.allow(),
            })
        }
    };
    let activity = Activity::new(ctx, call, operation);
    let target = match &id {
        Some(id) => Target::Existing(id),
        None => Target::New(req),
    };
    log_unlogged(store, ctx, &activity, target, watched.last_failed(), answer).await
}

/// Discovery answers without credentials; a token that is sent must be valid, and then the
/// answer shows its tenant's own attributes.
async fn check_optional_credential<S: Store>(
    token: &Result<Option<ScimToken>, AuthFailure>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<TenantSchema, ScimError> {
    if matches!(token, Ok(None)) {
        return Ok(TenantSchema::default());
    }
    let hash = credential(token)?;
    Ok(tenant_of(store, ctx, &hash).await?.schema)
}
