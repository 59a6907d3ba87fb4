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
                return decimal(v.trim())
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0);
            }
        }
    }
    1.0
}

/// A decimal number as `str::parse::<f32>` reads one (`0.5`, `+.5`, `5.`, `00.5`, `5e-1`),
/// `None` for anything else, infinities and NaN included (no quality is either). It is read by
/// `serde_json` once rewritten as a JSON number, not by the standard library: the worker's
/// module would otherwise carry a second float reader, about 15 KB of code and tables (issue
/// 22). The reading is correctly rounded to an `f64`, then to the `f32` (the same `f32` but for
/// a decimal within an `f64` rounding of the midpoint of two `f32`s, which takes more digits
/// than any quality has).
fn decimal(text: &str) -> Option<f32> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut json = String::with_capacity(text.len() + 2);
    if negative {
        json.push('-');
    }
    // JSON allows no leading zero but that of `0.…`, and no empty whole or fraction.
    let whole = whole.trim_start_matches('0');
    json.push_str(if whole.is_empty() { "0" } else { whole });
    if !fraction.is_empty() {
        json.push('.');
        json.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        let magnitude = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if magnitude.is_empty() || !digits(magnitude) {
            return None;
        }
        json.push('e');
        json.push_str(exponent);
    }
    serde_json::from_str::<f64>(&json).ok().map(|q| q as f32)
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
    fn qualities_read_as_the_standard_library_reads_them() {
        // Expected values written out, not computed by the code under test.
        let table: [(&str, Option<f32>); 22] = [
            ("0.5", Some(0.5)),
            ("1", Some(1.0)),
            ("0", Some(0.0)),
            ("0.001", Some(0.001)),
            ("1.000", Some(1.0)),
            ("+.5", Some(0.5)),
            ("5.", Some(5.0)),
            ("00.25", Some(0.25)),
            ("5e-1", Some(0.5)),
            ("25E-2", Some(0.25)),
            ("0.5e+0", Some(0.5)),
            ("-.75", Some(-0.75)),
            ("1e39", Some(f32::INFINITY)),
            ("1e400", None),
            (".", None),
            ("", None),
            ("e5", None),
            ("1e", None),
            ("1e+", None),
            ("--1", None),
            ("0.5x", None),
            ("inf", None),
        ];
        for (text, expected) in table {
            assert_eq!(decimal(text), expected, "{text:?}");
        }
        assert_eq!(decimal("-0").map(f32::to_bits), Some((-0.0f32).to_bits()));
        // Inputs the standard library reads and no quality can be: refused both ways.
        assert_eq!(quality("*/*;q=NaN"), 0.0);
        assert_eq!(quality("*/*;q=infinity"), 0.0);
        assert_eq!(quality("*/*; Q = .5"), 0.5);
    }

    proptest::proptest! {
        /// Decimals of the shapes `str::parse::<f32>` accepts (and some it refuses) read the
        /// same as it reads them.
        #[test]
        fn decimals_read_as_str_parse_reads_them(
            text in "[+-]?[0-9]{0,4}(\\.[0-9]{0,7})?([eE][+-]?[0-9]{0,3})?"
        ) {
            match (decimal(&text), text.parse::<f32>().ok()) {
                // Beyond an f64 (1e400), serde_json refuses what the standard library reads as
                // an infinity; neither is a quality.
                (None, Some(q)) if q.is_infinite() => {}
                (got, std) => proptest::prop_assert_eq!(
                    got.map(f32::to_bits),
                    std.map(f32::to_bits),
                    "{:?}",
                    text
                ),
            }
        }
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
