//! Building answers: a status, a JSON body with its media type, and the headers some errors
//! call for. Each API builds its own bodies on these (`scim_api::respond`, `admin_api::error`).

use super::Response;
use http::{header, HeaderValue, StatusCode};
use serde_json::Value;

/// An answer with `status` and `body` (500 if the status is not one).
pub fn with_status(status: u16, body: String) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// Sets a header; a value that is not a valid header value is left out.
pub fn set(r: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// A JSON answer of the given media type.
pub fn json(status: u16, body: &Value, content_type: &str) -> Response {
    let mut r = with_status(status, body.to_string());
    set(&mut r, header::CONTENT_TYPE, content_type);
    r
}

/// An answer without a body (204, 304).
pub fn empty(status: u16) -> Response {
    with_status(status, String::new())
}

/// `WWW-Authenticate` for a 401 (RFC 6750 §3).
pub fn challenge(r: &mut Response) {
    set(r, header::WWW_AUTHENTICATE, "Bearer realm=\"scim\"");
}

/// `Retry-After` in whole seconds (429, 503).
pub fn retry_after(r: &mut Response, seconds: u32) {
    set(r, header::RETRY_AFTER, &seconds.to_string());
}

/// `Allow` for a 405.
pub fn allow(r: &mut Response, methods: &str) {
    set(r, header::ALLOW, methods);
}
