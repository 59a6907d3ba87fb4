//! Content negotiation and request bodies (RFC 7644 §3.1, §8.1; DESIGN §6).
//!
//! Request bodies typed `application/scim+json`, `application/json` (any parameters, e.g.
//! `charset=utf-8`) or not typed at all (Okta's SPEC test sends none) are parsed as JSON; any
//! other type is a 415. Answers are `application/scim+json`, or `application/json` when the
//! `Accept` header prefers that; an `Accept` that allows neither is a 406.
//!
//! Failures are [`MediaError`]s, which each API answers in its own error format.

use super::Body;
use serde_json::Value;

/// Why a request's media types or body cannot be served.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaError {
    /// 406: `Accept` names no media type the service can produce.
    NotAcceptable,
    /// 415: the body has another media type; the detail names it.
    UnsupportedType(String),
    /// 413: the body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// 400: the body is empty, not JSON, or not a JSON object; the detail says which.
    NotAnObject(String),
}

pub const SCIM_JSON: &str = "application/scim+json";
pub const JSON: &str = "application/json";

/// The largest request body accepted, in bytes (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The media type of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Scim,
    Json,
}

impl Answer {
    pub fn content_type(self) -> &'static str {
        match self {
            Answer::Scim => "application/scim+json; charset=utf-8",
            Answer::Json => "application/json; charset=utf-8",
        }
    }
}

/// The `type/subtype` of a media type, lower-cased, without parameters.
fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The `q` parameter of a media range (RFC 9110 §12.4.2); 1 when absent, 0 when unreadable.
fn quality(range: &str) -> f32 {
    // The parameters follow the media type, after the first ';'.
    let params = range.split_once(';').map_or("", |(_, p)| p);
    for param in params.split(';') {
        if let Some((k, v)) = param.split_once('=') {
            if k.trim().eq_ignore_ascii_case("q") {
                return v
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0);
            }
        }
    }
    1.0
}

/// Picks the answer's media type from an `Accept` header. SCIM wins ties and wildcards.
pub fn negotiate(accept: Option<&str>) -> Result<Answer, MediaError> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(Answer::Scim);
    };
    let (mut scim, mut json) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let q = quality(range);
        match essence(range).as_str() {
            "application/scim+json" | "application/*" | "*/*" => scim = scim.max(q),
            "application/json" => json = json.max(q),
            _ => {}
        }
    }
    if scim > 0.0 && scim >= json {
        Ok(Answer::Scim)
    } else if json > 0.0 {
        Ok(Answer::Json)
    } else {
        Err(MediaError::NotAcceptable)
    }
}

/// Refuses a request body whose `Content-Type` is neither SCIM nor JSON.
pub fn check_body_type(content_type: Option<&str>) -> Result<(), MediaError> {
    match content_type.map(essence) {
        None => Ok(()),
        Some(t) if t.is_empty() || t == "application/scim+json" || t == "application/json" => {
            Ok(())
        }
        Some(t) => Err(MediaError::UnsupportedType(format!(
            "Content-Type {t} is not supported; send application/scim+json or application/json"
        ))),
    }
}

/// The JSON object of a request body: its media type checked, its size within
/// [`MAX_BODY_BYTES`]. `empty` is what an empty body means (`None`: an error).
pub fn body_object(
    content_type: Option<&str>,
    body: &Body,
    empty: Option<serde_json::Map<String, Value>>,
) -> Result<serde_json::Map<String, Value>, MediaError> {
    check_body_type(content_type)?;
    match (body, empty) {
        (Body::TooLarge, _) => Err(MediaError::TooLarge {
            limit: MAX_BODY_BYTES,
        }),
        (Body::Complete(b), Some(empty)) if b.iter().all(u8::is_ascii_whitespace) => Ok(empty),
        (Body::Complete(b), _) => json_object(b),
    }
}

/// The JSON object of a request body.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, MediaError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(MediaError::NotAnObject(
            "The request body is empty; a JSON object is required".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MediaError::NotAnObject(
            "The request body must be a JSON object".into(),
        )),
        Err(e) => Err(MediaError::NotAnObject(format!(
            "The request body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_picks_the_answer_type() {
        let table: [(Option<&str>, Option<Answer>); 14] = [
            (None, Some(Answer::Scim)),
            (Some(""), Some(Answer::Scim)),
            (Some("application/scim+json"), Some(Answer::Scim)),
            (Some("application/json"), Some(Answer::Json)),
            (Some("Application/JSON; charset=utf-8"), Some(Answer::Json)),
            (
                Some("application/scim+json, application/json"),
                Some(Answer::Scim),
            ),
            (
                Some("application/json, application/scim+json;q=0.5"),
                Some(Answer::Json),
            ),
            (
                Some("application/json;q=0.5, application/scim+json"),
                Some(Answer::Scim),
            ),
            (Some("*/*"), Some(Answer::Scim)),
            (Some("application/*"), Some(Answer::Scim)),
            (Some("text/html, */*;q=0.1"), Some(Answer::Scim)),
            (Some("text/html"), None),
            (Some("application/xml"), None),
            (
                Some("application/scim+json;q=0, application/json;q=0"),
                None,
            ),
        ];
        for (accept, expected) in table {
            assert_eq!(negotiate(accept).ok(), expected, "{accept:?}");
        }
        assert_eq!(negotiate(Some("text/html")), Err(MediaError::NotAcceptable));
    }

    #[test]
    fn request_body_types() {
        let table = [
            (None, true),
            (Some("application/scim+json"), true),
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("APPLICATION/SCIM+JSON;charset=UTF-8"), true),
            (Some("text/plain"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("application/xml"), false),
        ];
        for (ct, ok) in table {
            assert_eq!(check_body_type(ct).is_ok(), ok, "{ct:?}");
        }
        assert!(matches!(
            check_body_type(Some("text/plain")),
            Err(MediaError::UnsupportedType(d)) if d.contains("text/plain")
        ));
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(json_object(br#"{"a":1}"#).is_ok());
        for (body, detail) in [
            (
                &b""[..],
                "The request body is empty; a JSON object is required",
            ),
            (
                b"  \n",
                "The request body is empty; a JSON object is required",
            ),
            (b"[1]", "The request body must be a JSON object"),
            (b"\"x\"", "The request body must be a JSON object"),
            (
                b"{\"a\":",
                "The request body is not valid JSON (line 1, column 5)",
            ),
        ] {
            let err = json_object(body).unwrap_err();
            assert_eq!(err, MediaError::NotAnObject(detail.into()), "{body:?}");
        }
    }
}
