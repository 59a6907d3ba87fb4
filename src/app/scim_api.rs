//! The SCIM endpoints under `/scim/v2` (RFC 7644 §3): one `match` on method and endpoint, after
//! the checks every request shares (media types, body size, credentials).

use super::auth::{self, TokenHash};
use super::media::{self, Answer};
use super::respond::{scim_error, scim_json};
use super::routes::ScimEndpoint;
use super::tenancy::scim_batch;
use super::{discovery, users, Body, Ctx, Request, Response};
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::store::Store;
use http::Method;
use serde_json::{Map, Value};

pub async fn handle<S: Store>(
    endpoint: ScimEndpoint,
    req: Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Response {
    let accept = header(&req, http::header::ACCEPT);
    let answer = match media::negotiate(accept) {
        Ok(a) => a,
        Err(e) => return scim_error(&e, Answer::Scim),
    };
    match dispatch(endpoint, req, store, ctx, answer).await {
        Ok(r) => r,
        Err(e) => {
            if e.status() >= 500 {
                ctx.log.push(format!("scim: {e}"));
            }
            scim_error(&e, answer)
        }
    }
}

pub(crate) fn header(req: &Request, name: http::header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The token hash of a SCIM request (401 when the header is missing or malformed; whether the
/// token is live is decided in the operation's batch).
pub(crate) fn credential(req: &Request) -> Result<TokenHash, ScimError> {
    let fail = |f: auth::AuthFailure| ScimError::Unauthorized(f.detail().into());
    let bearer = auth::bearer(header(req, http::header::AUTHORIZATION)).map_err(fail)?;
    auth::scim_token_hash(bearer).map_err(fail)
}

/// The JSON object a POST, PUT or PATCH carries.
pub(crate) fn body_object(req: &Request) -> Result<Map<String, Value>, ScimError> {
    media::check_body_type(header(req, http::header::CONTENT_TYPE))?;
    match req.body() {
        Body::TooLarge => Err(ScimError::PayloadTooLarge {
            limit: media::MAX_BODY_BYTES,
        }),
        Body::Complete(bytes) => media::json_object(bytes),
    }
}

async fn dispatch<S: Store>(
    endpoint: ScimEndpoint,
    req: Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    answer: Answer,
) -> Result<Response, ScimError> {
    let base = users::scim_base(&req);
    let method = req.method().clone();
    match (method, endpoint) {
        (Method::GET, ScimEndpoint::ServiceProviderConfig) => {
            check_optional_credential(&req, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::service_provider_config(&base),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Schemas) => {
            let schema = check_optional_credential(&req, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::list(discovery::all_schemas(&schema, &base)),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Schema(id)) => {
            let schema = check_optional_credential(&req, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::schema_by_id(&id, &schema, &base)?,
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::ResourceTypes) => {
            let schema = check_optional_credential(&req, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::list(vec![discovery::user_resource_type(&schema, &base)]),
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::ResourceType(id)) => {
            let schema = check_optional_credential(&req, store, ctx).await?;
            Ok(scim_json(
                200,
                &discovery::resource_type_by_id(&id, &schema, &base)?,
                answer,
            ))
        }
        (Method::GET, ScimEndpoint::Users) => {
            users::list(&req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (Method::POST, ScimEndpoint::Users) => {
            users::create(&req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (Method::GET, ScimEndpoint::User(id)) => {
            users::get(&id, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (Method::PUT, ScimEndpoint::User(id)) => {
            users::replace(&id, &req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (Method::PATCH, ScimEndpoint::User(id)) => {
            users::patch(&id, &req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (Method::DELETE, ScimEndpoint::User(id)) => {
            users::delete(&id, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (_, ScimEndpoint::Groups) => Err(ScimError::NotFound(
            "Groups are not supported by this service provider; only Users are provisioned".into(),
        )),
        (Method::POST, ScimEndpoint::Bulk) => Err(ScimError::NotImplemented(
            "Bulk operations are not supported".into(),
        )),
        (_, ScimEndpoint::Me) => Err(ScimError::NotImplemented(
            "/Me is not supported: tokens belong to tenants, not users".into(),
        )),
        (Method::POST, ScimEndpoint::UsersSearch) => {
            users::search(&req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        // RFC 7644 §3.4.3: a search at the root searches every resource type; Users is the only
        // one, so it is the Users search (scim2-tester searches there).
        (Method::POST, ScimEndpoint::RootSearch) => {
            users::search(&req, store, ctx, &users::Call::new(&req, answer)?).await
        }
        (_, ScimEndpoint::Unknown) => Err(ScimError::NotFound("No such SCIM endpoint".into())),
        (_, endpoint) => Err(ScimError::MethodNotAllowed {
            allow: endpoint.allow(),
        }),
    }
}

/// Discovery answers without credentials; a token that is sent must be valid, and then the
/// answer shows its tenant's own attributes.
async fn check_optional_credential<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<TenantSchema, ScimError> {
    if !req.headers().contains_key(http::header::AUTHORIZATION) {
        return Ok(TenantSchema::default());
    }
    let hash = credential(req)?;
    Ok(scim_batch(store, ctx, &hash, Vec::new()).await?.0.schema)
}
