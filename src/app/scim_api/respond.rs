//! SCIM answers: a user with its `ETag` and `Location`, any SCIM JSON as
//! `application/scim+json` (or `application/json` when asked), and errors in the RFC 7644 §3.12
//! schema with the headers they call for.

use super::call::Call;
use crate::app::plumbing::media::Answer;
use crate::app::plumbing::respond;
use crate::app::plumbing::Response;
use crate::model::UserId;
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::scim::user::etag;
use crate::store::users::StoredUser;
use serde_json::Value;

/// A SCIM JSON answer.
pub fn scim_json(status: u16, body: &Value, answer: Answer) -> Response {
    respond::json(status, body, answer.content_type())
}

/// A SCIM error answer: `WWW-Authenticate` on 401, `Retry-After` on 429/503, `Allow` on 405.
pub fn scim_error(err: &ScimError, answer: Answer) -> Response {
    let mut r = scim_json(err.status(), &err.to_json(), answer);
    if err.status() == 401 {
        respond::challenge(&mut r);
    }
    if let Some(seconds) = err.retry_after() {
        respond::retry_after(&mut r, seconds);
    }
    if let ScimError::MethodNotAllowed { allow } = err {
        respond::allow(&mut r, allow);
    }
    r
}

/// A single-user answer: the user rendered and projected, with its `ETag` (RFC 7644 §3.14)
/// and, for a create, its `Location` (RFC 7644 §3.3).
pub fn resource_answer(
    status: u16,
    user: &StoredUser,
    schema: &TenantSchema,
    call: &Call,
    location: bool,
) -> Response {
    let body = call
        .projection
        .apply(render(user, schema, &call.base), schema);
    let mut r = scim_json(status, &body, call.answer);
    respond::set(&mut r, http::header::ETAG, &etag(user.meta.version));
    if location {
        let url = format!("{}/Users/{}", call.base, user.meta.id);
        respond::set(&mut r, http::header::LOCATION, &url);
    }
    r
}

/// The representation of a stored user (RFC 7643 §4.1).
pub fn render(user: &StoredUser, schema: &TenantSchema, base: &str) -> Value {
    crate::scim::user::render(
        &user.doc,
        &user.meta,
        user.manager.as_ref(),
        &user.refs,
        schema,
        base,
    )
}

/// 404 for a user id the tenant does not have.
pub fn user_not_found(id: &UserId) -> ScimError {
    ScimError::NotFound(format!("No user with id \"{id}\""))
}
