//! The SCIM endpoints under `/scim/v2` (RFC 7644 §3): one `match` on method and endpoint, after
//! the checks every request shares (media types, body size, credentials).

use super::auth::{self, TokenHash};
use super::media::{self, Answer};
use super::respond::{scim_error, scim_json};
use super::routes::ScimEndpoint;
use super::tenancy::scim_batch;
use super::{Body, Ctx, Request, Response};
use crate::scim::error::ScimError;
use crate::store::Store;
use http::Method;
use serde_json::{json, Map, Value};

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
        Body::TooLarge => Err(ScimError::PayloadTooLarge { limit: media::MAX_BODY_BYTES }),
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
    if matches!(req.body(), Body::TooLarge) {
        return Err(ScimError::PayloadTooLarge { limit: media::MAX_BODY_BYTES });
    }
    let method = req.method().clone();
    match (method, endpoint) {
        (Method::GET, ScimEndpoint::ServiceProviderConfig) => {
            Ok(scim_json(200, &service_provider_config(), answer))
        }
        (Method::GET | Method::POST, ScimEndpoint::Users) => {
            let hash = credential(&req)?;
            if req.method() == Method::POST {
                body_object(&req)?;
            }
            scim_batch(store, ctx, &hash, vec![]).await?;
            Err(ScimError::NotImplemented("Users are not available yet".into()))
        }
        (_, ScimEndpoint::Groups) => Err(ScimError::NotFound(
            "Groups are not supported by this service provider; only Users are provisioned".into(),
        )),
        (Method::POST, ScimEndpoint::Bulk) => {
            Err(ScimError::NotImplemented("Bulk operations are not supported".into()))
        }
        (_, ScimEndpoint::Me) => {
            Err(ScimError::NotImplemented("/Me is not supported: tokens belong to tenants, not users".into()))
        }
        (Method::POST, ScimEndpoint::RootSearch) => Err(ScimError::NotImplemented(
            "Searching from the root is not supported; use POST /Users/.search".into(),
        )),
        (_, ScimEndpoint::Unknown) => Err(ScimError::NotFound("No such SCIM endpoint".into())),
        (_, endpoint) => Err(ScimError::MethodNotAllowed { allow: endpoint.allow() }),
    }
}

/// RFC 7643 §5: what this service provider supports, truthfully.
fn service_provider_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/scim-edge/scim-edge#readme",
        "patch": { "supported": false },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": false, "maxResults": 0 },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the bearer token issued when provisioning was enabled",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig" }
    })
}
