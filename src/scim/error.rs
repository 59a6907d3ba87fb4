//! The one SCIM error type: every failure a SCIM request can meet, mapped by one exhaustive
//! `match` to its HTTP status, its `scimType` (RFC 7644 §3.12, Table 9) and the `detail` a
//! client reads.
//!
//! `Internal` keeps its cause for the worker's log and tells the client nothing; no variant
//! carries SQL, stack traces or secrets into `detail`.

use serde_json::{json, Value};
use std::fmt;

/// RFC 7644 §3.12 error schema URN.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` keywords of RFC 7644 §3.12, spelled as the RFC spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
    /// RFC 9865 §2.1 (cursor pagination).
    InvalidCursor,
    /// RFC 9865 §2.1 (cursor pagination).
    InvalidCount,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::InvalidCount => "invalidCount",
        }
    }
}

/// Everything that can go wrong in a SCIM request. The `String`s are the client-facing detail,
/// except in `Internal`, whose cause is only ever logged.
#[derive(Debug, Clone, PartialEq)]
pub enum ScimError {
    /// 400 `invalidFilter`: the filter syntax is invalid or names an unknown attribute.
    InvalidFilter(String),
    /// 400 `tooMany`: the query would return more results than the server will process.
    TooMany(String),
    /// 409 `uniqueness`: a value that must be unique is taken.
    Uniqueness(String),
    /// 400 `mutability`: an attempt to change a readOnly or immutable attribute.
    Mutability(String),
    /// 400 `invalidSyntax`: the request body is not valid JSON or not a valid SCIM message.
    InvalidSyntax(String),
    /// 400 `invalidPath`: a PATCH path is malformed or names nothing known.
    InvalidPath(String),
    /// 400 `noTarget`: a PATCH path matched nothing.
    NoTarget(String),
    /// 400 `invalidValue`: a missing required attribute or a value of the wrong type.
    InvalidValue(String),
    /// 400 `invalidVers`: the SCIM protocol version is not supported.
    InvalidVers(String),
    /// 400 `sensitive`: sensitive information in the URI.
    Sensitive(String),
    /// 400 `invalidCursor` (RFC 9865 §2.1): a `cursor` this service did not issue for this query.
    InvalidCursor(String),
    /// 400 `invalidCount` (RFC 9865 §2.1): a `count` that cursor pagination cannot serve.
    InvalidCount(String),
    /// 400 without a `scimType` (e.g. a malformed query parameter RFC 7644 has no keyword for).
    BadRequest(String),
    /// 401; answered with `WWW-Authenticate: Bearer`.
    Unauthorized(String),
    /// 403.
    Forbidden(String),
    /// 404.
    NotFound(String),
    /// 405; `allow` lists the methods the resource does support, for the `Allow` header.
    MethodNotAllowed { allow: &'static str },
    /// 406: the `Accept` header names no media type the service can produce.
    NotAcceptable,
    /// 409 without a `scimType` (RFC 7644 §3.12 has none for it): a Bulk operation whose
    /// `bulkId` reference cannot be resolved (RFC 7644 §3.7.1, §3.7.2).
    Conflict(String),
    /// 412: an `If-Match` precondition failed.
    PreconditionFailed(String),
    /// 413: the request body is larger than `limit` bytes.
    PayloadTooLarge { limit: usize },
    /// 413: what the request would store does not fit (a row larger than the database stores,
    /// or a full database); the detail says which.
    ContentTooLarge(String),
    /// 415: the request body has a media type other than SCIM or plain JSON.
    UnsupportedMediaType(String),
    /// 429: too many requests; `retry_after` in seconds.
    TooManyRequests { retry_after: u32 },
    /// 501: an endpoint RFC 7644 defines that this service does not implement.
    NotImplemented(String),
    /// 503: a failure that may be transient (D1 unavailable, a version conflict that kept
    /// recurring); `retry_after` in seconds.
    Unavailable { retry_after: u32 },
    /// 500: a bug or an unexpected failure. The cause is logged, never shown.
    Internal(String),
}

impl ScimError {
    pub fn status(&self) -> u16 {
        match self {
            ScimError::InvalidFilter(_)
            | ScimError::TooMany(_)
            | ScimError::Mutability(_)
            | ScimError::InvalidSyntax(_)
            | ScimError::InvalidPath(_)
            | ScimError::NoTarget(_)
            | ScimError::InvalidValue(_)
            | ScimError::InvalidVers(_)
            | ScimError::Sensitive(_)
            | ScimError::InvalidCursor(_)
            | ScimError::InvalidCount(_)
            | ScimError::BadRequest(_) => 400,
            ScimError::Unauthorized(_) => 401,
            ScimError::Forbidden(_) => 403,
            ScimError::NotFound(_) => 404,
            ScimError::MethodNotAllowed { .. } => 405,
            ScimError::NotAcceptable => 406,
            ScimError::Uniqueness(_) | ScimError::Conflict(_) => 409,
            ScimError::PreconditionFailed(_) => 412,
            ScimError::PayloadTooLarge { .. } | ScimError::ContentTooLarge(_) => 413,
            ScimError::UnsupportedMediaType(_) => 415,
            ScimError::TooManyRequests { .. } => 429,
            ScimError::Internal(_) => 500,
            ScimError::NotImplemented(_) => 501,
            ScimError::Unavailable { .. } => 503,
        }
    }

    pub fn scim_type(&self) -> Option<ScimType> {
        match self {
            ScimError::InvalidFilter(_) => Some(ScimType::InvalidFilter),
            ScimError::TooMany(_) => Some(ScimType::TooMany),
            ScimError::Uniqueness(_) => Some(ScimType::Uniqueness),
            ScimError::Mutability(_) => Some(ScimType::Mutability),
            ScimError::InvalidSyntax(_) => Some(ScimType::InvalidSyntax),
            ScimError::InvalidPath(_) => Some(ScimType::InvalidPath),
            ScimError::NoTarget(_) => Some(ScimType::NoTarget),
            ScimError::InvalidValue(_) => Some(ScimType::InvalidValue),
            ScimError::InvalidVers(_) => Some(ScimType::InvalidVers),
            ScimError::Sensitive(_) => Some(ScimType::Sensitive),
            ScimError::InvalidCursor(_) => Some(ScimType::InvalidCursor),
            ScimError::InvalidCount(_) => Some(ScimType::InvalidCount),
            ScimError::BadRequest(_)
            | ScimError::Unauthorized(_)
            | ScimError::Forbidden(_)
            | ScimError::NotFound(_)
            | ScimError::MethodNotAllowed { .. }
            | ScimError::NotAcceptable
            | ScimError::Conflict(_)
            | ScimError::PreconditionFailed(_)
            | ScimError::PayloadTooLarge { .. }
            | ScimError::ContentTooLarge(_)
            | ScimError::UnsupportedMediaType(_)
            | ScimError::TooManyRequests { .. }
            | ScimError::NotImplemented(_)
            | ScimError::Unavailable { .. }
            | ScimError::Internal(_) => None,
        }
    }

    /// The human-readable `detail` a client sees.
    pub fn detail(&self) -> String {
        match self {
            ScimError::InvalidFilter(d)
            | ScimError::TooMany(d)
            | ScimError::Uniqueness(d)
            | ScimError::Mutability(d)
            | ScimError::InvalidSyntax(d)
            | ScimError::InvalidPath(d)
            | ScimError::NoTarget(d)
            | ScimError::InvalidValue(d)
            | ScimError::InvalidVers(d)
            | ScimError::Sensitive(d)
            | ScimError::InvalidCursor(d)
            | ScimError::InvalidCount(d)
            | ScimError::BadRequest(d)
            | ScimError::Unauthorized(d)
            | ScimError::Forbidden(d)
            | ScimError::NotFound(d)
            | ScimError::Conflict(d)
            | ScimError::PreconditionFailed(d)
            | ScimError::ContentTooLarge(d)
            | ScimError::UnsupportedMediaType(d)
            | ScimError::NotImplemented(d) => d.clone(),
            ScimError::MethodNotAllowed { allow } => {
                format!("Method not allowed here; allowed: {allow}")
            }
            ScimError::NotAcceptable => {
                "The Accept header allows neither application/scim+json nor application/json"
                    .to_string()
            }
            ScimError::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes")
            }
            ScimError::TooManyRequests { retry_after } => {
                format!("Too many requests; retry after {retry_after} seconds")
            }
            ScimError::Unavailable { retry_after } => {
                format!("The service is temporarily unavailable; retry after {retry_after} seconds")
            }
            ScimError::Internal(_) => "An internal error occurred".to_string(),
        }
    }

    /// Seconds for a `Retry-After` header, when the error asks the client to come back.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ScimError::TooManyRequests { retry_after } | ScimError::Unavailable { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The RFC 7644 §3.12 error body; `status` is a string, as the RFC's examples show.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status().to_string(),
            "detail": self.detail(),
        });
        if let (Some(t), Some(obj)) = (self.scim_type(), body.as_object_mut()) {
            obj.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body
    }
}

impl fmt::Display for ScimError {
    /// For logs: the status, the scimType and, for `Internal`, the cause.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScimError::Internal(cause) => write!(f, "500 internal: {cause}"),
            other => match other.scim_type() {
                Some(t) => write!(f, "{} {}: {}", other.status(), t.as_str(), other.detail()),
                None => write!(f, "{}: {}", other.status(), other.detail()),
            },
        }
    }
}

impl std::error::Error for ScimError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn every_variant_maps_to_its_status_and_scim_type() {
        let table: Vec<(ScimError, u16, Option<&str>)> = vec![
            (ScimError::InvalidFilter(s("f")), 400, Some("invalidFilter")),
            (ScimError::TooMany(s("t")), 400, Some("tooMany")),
            (ScimError::Uniqueness(s("u")), 409, Some("uniqueness")),
            (ScimError::Mutability(s("m")), 400, Some("mutability")),
            (ScimError::InvalidSyntax(s("s")), 400, Some("invalidSyntax")),
            (ScimError::InvalidPath(s("p")), 400, Some("invalidPath")),
            (ScimError::NoTarget(s("n")), 400, Some("noTarget")),
            (ScimError::InvalidValue(s("v")), 400, Some("invalidValue")),
            (ScimError::InvalidVers(s("v")), 400, Some("invalidVers")),
            (ScimError::Sensitive(s("x")), 400, Some("sensitive")),
            (ScimError::InvalidCursor(s("c")), 400, Some("invalidCursor")),
            (ScimError::InvalidCount(s("c")), 400, Some("invalidCount")),
            (ScimError::BadRequest(s("b")), 400, None),
            (ScimError::Unauthorized(s("a")), 401, None),
            (ScimError::Forbidden(s("f")), 403, None),
            (ScimError::NotFound(s("n")), 404, None),
            (ScimError::MethodNotAllowed { allow: "GET" }, 405, None),
            (ScimError::NotAcceptable, 406, None),
            (ScimError::PreconditionFailed(s("p")), 412, None),
            (ScimError::PayloadTooLarge { limit: 10 }, 413, None),
            (ScimError::ContentTooLarge(s("c")), 413, None),
            (ScimError::UnsupportedMediaType(s("m")), 415, None),
            (ScimError::TooManyRequests { retry_after: 3 }, 429, None),
            (ScimError::Internal(s("boom")), 500, None),
            (ScimError::NotImplemented(s("n")), 501, None),
            (ScimError::Unavailable { retry_after: 1 }, 503, None),
        ];
        for (err, status, scim_type) in table {
            assert_eq!(err.status(), status, "{err:?}");
            assert_eq!(err.scim_type().map(ScimType::as_str), scim_type, "{err:?}");
            let body = err.to_json();
            assert_eq!(body["status"], Value::String(status.to_string()), "{err:?}");
            assert_eq!(body["schemas"], json!([ERROR_SCHEMA]));
            assert_eq!(
                body.get("scimType").and_then(Value::as_str),
                scim_type,
                "{err:?}"
            );
        }
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let err = ScimError::Internal(s("SQLITE_ERROR: no such table: users"));
        assert_eq!(err.detail(), "An internal error occurred");
        assert!(!err.to_json().to_string().contains("SQLITE"));
        assert!(
            err.to_string().contains("no such table"),
            "the log line keeps the cause"
        );
    }

    #[test]
    fn retry_after_is_given_for_429_and_503_only() {
        assert_eq!(
            ScimError::TooManyRequests { retry_after: 7 }.retry_after(),
            Some(7)
        );
        assert_eq!(
            ScimError::Unavailable { retry_after: 2 }.retry_after(),
            Some(2)
        );
        assert_eq!(ScimError::NotFound(s("x")).retry_after(), None);
    }
}
