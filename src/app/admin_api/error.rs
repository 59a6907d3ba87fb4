//! The admin API's errors (DESIGN §7): `{"error": "<code>", "detail": "..."}` with a 4xx/5xx
//! status, one variant per answer the API gives, mapped by one exhaustive `match`. How the
//! plumbing's and the store's failures read here is decided here too.
//!
//! `Internal` keeps its cause for the worker's log and tells the client nothing.

use crate::app::plumbing::auth::AuthFailure;
use crate::app::plumbing::media::MediaError;
use crate::app::plumbing::respond;
use crate::app::plumbing::Response;
use crate::store::StoreError;
use serde_json::json;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum AdminError {
    /// 400 `invalid_request`: a malformed body, field or parameter; the detail says which.
    BadRequest(String),
    /// 401 `unauthorized`; answered with `WWW-Authenticate: Bearer`.
    Unauthorized(String),
    /// 403 `forbidden`: the caller may not do this (a company admin, an operator's switch).
    Forbidden(String),
    /// 403 `quota_exceeded`: the tenant's quota has no room for what the request would store
    /// (the operator can raise it).
    QuotaExceeded(String),
    /// 404 `not_found`: no such tenant, token, attribute or endpoint.
    NotFound(String),
    /// 405 `method_not_allowed`; `allow` is for the `Allow` header.
    MethodNotAllowed { allow: &'static str },
    /// 409 `conflict`: a name that must be unique is taken.
    Conflict(String),
    /// 413 `payload_too_large`: the body is larger than `limit` bytes.
    PayloadTooLarge { limit: usize },
    /// 413 `too_large`: what the request would store is larger than the database stores.
    TooLarge(String),
    /// 413 `storage_full`: the database is full; nothing is written until an operator makes
    /// room (a 5xx would only invite retries).
    StorageFull,
    /// 415 `unsupported_media_type`.
    UnsupportedMediaType(String),
    /// 429 `too_many_requests`: throttled (wrong admin credentials from this address);
    /// `retry_after` in seconds.
    TooManyRequests { retry_after: u32 },
    /// 503 `not_configured`: the deployment lacks a usable secret for this (the operator's
    /// `ADMIN_TOKEN`, or `CREDENTIAL_SECRET` to issue tokens); the worker's log says which.
    NotConfigured(String),
    /// 503 `unavailable`: a failure that may go away; `retry_after` in seconds.
    Unavailable { retry_after: u32 },
    /// 500 `internal`: a bug or an unexpected failure. The cause is logged, never shown.
    Internal(String),
}

impl AdminError {
    pub fn status(&self) -> u16 {
        match self {
            AdminError::BadRequest(_) => 400,
            AdminError::Unauthorized(_) => 401,
            AdminError::Forbidden(_) | AdminError::QuotaExceeded(_) => 403,
            AdminError::NotFound(_) => 404,
            AdminError::MethodNotAllowed { .. } => 405,
            AdminError::Conflict(_) => 409,
            AdminError::PayloadTooLarge { .. }
            | AdminError::TooLarge(_)
            | AdminError::StorageFull => 413,
            AdminError::UnsupportedMediaType(_) => 415,
            AdminError::TooManyRequests { .. } => 429,
            AdminError::NotConfigured(_) => 503,
            AdminError::Unavailable { .. } => 503,
            AdminError::Internal(_) => 500,
        }
    }

    /// The `error` code of the body.
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::BadRequest(_) => "invalid_request",
            AdminError::Unauthorized(_) => "unauthorized",
            AdminError::Forbidden(_) => "forbidden",
            AdminError::QuotaExceeded(_) => "quota_exceeded",
            AdminError::NotFound(_) => "not_found",
            AdminError::MethodNotAllowed { .. } => "method_not_allowed",
            AdminError::Conflict(_) => "conflict",
            AdminError::PayloadTooLarge { .. } => "payload_too_large",
            AdminError::TooLarge(_) => "too_large",
            AdminError::StorageFull => "storage_full",
            AdminError::UnsupportedMediaType(_) => "unsupported_media_type",
            AdminError::TooManyRequests { .. } => "too_many_requests",
            AdminError::NotConfigured(_) => "not_configured",
            AdminError::Unavailable { .. } => "unavailable",
            AdminError::Internal(_) => "internal",
        }
    }

    /// What the client reads.
    pub fn detail(&self) -> String {
        match self {
            AdminError::BadRequest(d)
            | AdminError::Unauthorized(d)
            | AdminError::Forbidden(d)
            | AdminError::QuotaExceeded(d)
            | AdminError::NotFound(d)
            | AdminError::Conflict(d)
            | AdminError::TooLarge(d)
            | AdminError::UnsupportedMediaType(d)
            | AdminError::NotConfigured(d) => d.clone(),
            AdminError::TooManyRequests { retry_after } => {
                format!("Too many requests; retry after {retry_after} seconds")
            }
            AdminError::MethodNotAllowed { allow } => {
                format!("Method not allowed here; allowed: {allow}")
            }
            AdminError::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes")
            }
            AdminError::StorageFull => {
                "The database is full; nothing was changed. Make room (or move tenants) first"
                    .into()
            }
            AdminError::Unavailable { retry_after } => {
                format!("The service is temporarily unavailable; retry after {retry_after} seconds")
            }
            AdminError::Internal(_) => "An internal error occurred".into(),
        }
    }

    /// The answer: the JSON body and the headers the status calls for.
    pub fn response(&self) -> Response {
        let mut r = respond::json(
            self.status(),
            &json!({ "error": self.code(), "detail": self.detail() }),
            super::JSON,
        );
        match self {
            AdminError::Unauthorized(_) => respond::challenge(&mut r),
            AdminError::MethodNotAllowed { allow } => respond::allow(&mut r, allow),
            AdminError::Unavailable { retry_after }
            | AdminError::TooManyRequests { retry_after } => {
                respond::retry_after(&mut r, *retry_after)
            }
            AdminError::BadRequest(_)
            | AdminError::Forbidden(_)
            | AdminError::QuotaExceeded(_)
            | AdminError::NotFound(_)
            | AdminError::Conflict(_)
            | AdminError::PayloadTooLarge { .. }
            | AdminError::TooLarge(_)
            | AdminError::StorageFull
            | AdminError::UnsupportedMediaType(_)
            | AdminError::NotConfigured(_)
            | AdminError::Internal(_) => {}
        }
        r
    }
}

/// For the worker's log (never shown to the client).
impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::Internal(cause) => write!(f, "{} internal: {cause}", self.status()),
            other => write!(f, "{} {}: {}", other.status(), other.code(), other.detail()),
        }
    }
}

/// A store failure as an admin error (DESIGN §8). The store logged the cause.
impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> AdminError {
        match e {
            StoreError::Duplicate(_) => {
                AdminError::Conflict("A value that must be unique is already taken".into())
            }
            StoreError::TooLarge(_) => AdminError::TooLarge(
                "A value is larger than the database stores; nothing was changed".into(),
            ),
            StoreError::Full(_) => AdminError::StorageFull,
            StoreError::TooComplex(_) => AdminError::BadRequest(
                "The request asks for more than the database runs at once; ask for less".into(),
            ),
            StoreError::Unavailable { retry_after, .. } => AdminError::Unavailable { retry_after },
            StoreError::Internal(cause) => AdminError::Internal(cause),
        }
    }
}

impl From<MediaError> for AdminError {
    fn from(e: MediaError) -> AdminError {
        match e {
            // The admin API answers JSON whatever `Accept` says; kept for completeness.
            MediaError::NotAcceptable => {
                AdminError::BadRequest("The admin API answers application/json only".into())
            }
            MediaError::UnsupportedType(detail) => AdminError::UnsupportedMediaType(detail),
            MediaError::TooLarge { limit } => AdminError::PayloadTooLarge { limit },
            MediaError::NotAnObject(detail) => AdminError::BadRequest(detail),
        }
    }
}

impl From<AuthFailure> for AdminError {
    fn from(f: AuthFailure) -> AdminError {
        AdminError::Unauthorized(f.detail().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_code_and_headers() {
        let table = [
            (
                AdminError::BadRequest("x".into()),
                400,
                "invalid_request",
                None,
            ),
            (
                AdminError::Unauthorized("x".into()),
                401,
                "unauthorized",
                Some("www-authenticate"),
            ),
            (AdminError::NotFound("x".into()), 404, "not_found", None),
            (
                AdminError::MethodNotAllowed { allow: "GET" },
                405,
                "method_not_allowed",
                Some("allow"),
            ),
            (AdminError::Conflict("x".into()), 409, "conflict", None),
            (
                AdminError::PayloadTooLarge { limit: 10 },
                413,
                "payload_too_large",
                None,
            ),
            (AdminError::TooLarge("x".into()), 413, "too_large", None),
            (AdminError::StorageFull, 413, "storage_full", None),
            (
                AdminError::UnsupportedMediaType("x".into()),
                415,
                "unsupported_media_type",
                None,
            ),
            (
                AdminError::TooManyRequests { retry_after: 60 },
                429,
                "too_many_requests",
                Some("retry-after"),
            ),
            (
                AdminError::NotConfigured("x".into()),
                503,
                "not_configured",
                None,
            ),
            (
                AdminError::Unavailable { retry_after: 1 },
                503,
                "unavailable",
                Some("retry-after"),
            ),
            (
                AdminError::Internal("secret cause".into()),
                500,
                "internal",
                None,
            ),
        ];
        for (err, status, code, header) in table {
            let r = err.response();
            assert_eq!(r.status().as_u16(), status, "{err:?}");
            let body: serde_json::Value = serde_json::from_str(r.body()).unwrap();
            assert_eq!(body["error"], code, "{err:?}");
            assert!(!body["detail"].as_str().unwrap().is_empty(), "{err:?}");
            assert!(!r.body().contains("secret cause"));
            if let Some(h) = header {
                assert!(r.headers().contains_key(h), "{err:?} lacks {h}");
            }
        }
    }

    /// Each kind of store failure answers as DESIGN §8 says, and never shows its cause.
    #[test]
    fn store_failures_answer_their_meaning() {
        use crate::store::classify::classify;
        let table: &[(&str, u16, &str)] = &[
            (
                "D1_ERROR: UNIQUE constraint failed: attribute_names.tenant_id, attribute_names.name_fold: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)",
                409,
                "conflict",
            ),
            (
                "D1_ERROR: CHECK constraint failed: type IN ('text'): SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)",
                500,
                "internal",
            ),
            ("D1_ERROR: string or blob too big: SQLITE_TOOBIG", 413, "too_large"),
            ("D1_ERROR: Exceeded maximum DB size", 413, "storage_full"),
            ("D1_ERROR: statement too long: SQLITE_TOOBIG", 400, "invalid_request"),
            ("D1_ERROR: D1 DB reset because its code was updated.", 503, "unavailable"),
            ("D1_ERROR: internal error; reference = abc", 500, "internal"),
        ];
        for (message, status, code) in table {
            let r = AdminError::from(classify(message)).response();
            assert_eq!(r.status().as_u16(), *status, "{message}");
            let body: serde_json::Value = serde_json::from_str(r.body()).unwrap();
            assert_eq!(body["error"], *code, "{message}");
            assert!(!r.body().contains("SQLITE") && !r.body().contains("D1_ERROR"));
        }
    }
}
