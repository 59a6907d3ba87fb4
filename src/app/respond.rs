//! Building answers: SCIM resources and errors (RFC 7644 §3.12) and admin API JSON (DESIGN §7).

use super::media::Answer;
use super::Response;
use crate::scim::error::ScimError;
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};

fn with_status(status: u16, body: String) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

fn set(r: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// A SCIM JSON answer.
pub fn scim_json(status: u16, body: &Value, answer: Answer) -> Response {
    let mut r = with_status(status, body.to_string());
    set(&mut r, header::CONTENT_TYPE, answer.content_type());
    r
}

/// An answer without a body (204, 304).
pub fn empty(status: u16) -> Response {
    with_status(status, String::new())
}

/// Headers some errors call for: `WWW-Authenticate` on 401 (RFC 6750 §3), `Retry-After` on
/// 429/503, `Allow` on 405.
fn error_headers(r: &mut Response, err: &ScimError) {
    if err.status() == 401 {
        set(r, header::WWW_AUTHENTICATE, "Bearer realm=\"scim\"");
    }
    if let Some(seconds) = err.retry_after() {
        set(r, header::RETRY_AFTER, &seconds.to_string());
    }
    if let ScimError::MethodNotAllowed { allow } = err {
        set(r, header::ALLOW, allow);
    }
}

/// A SCIM error answer.
pub fn scim_error(err: &ScimError, answer: Answer) -> Response {
    let mut r = scim_json(err.status(), &err.to_json(), answer);
    error_headers(&mut r, err);
    r
}

/// An admin API JSON answer.
pub fn admin_json(status: u16, body: &Value) -> Response {
    let mut r = with_status(status, body.to_string());
    set(
        &mut r,
        header::CONTENT_TYPE,
        "application/json; charset=utf-8",
    );
    r
}

/// The admin API's error code for an error (DESIGN §7: `{"error": "<code>", "detail": "..."}`).
pub fn admin_error_code(err: &ScimError) -> &'static str {
    match err.status() {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        501 => "not_implemented",
        503 => "unavailable",
        _ => "internal",
    }
}

/// An admin API error answer.
pub fn admin_error(err: &ScimError) -> Response {
    let mut r = admin_json(
        err.status(),
        &json!({ "error": admin_error_code(err), "detail": err.detail() }),
    );
    error_headers(&mut r, err);
    r
}
