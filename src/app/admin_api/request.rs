//! What admin handlers read from a request: the JSON body, its fields (known names only,
//! display strings, booleans), and the `limit` and `cursor` of a list (DESIGN §7: default 100,
//! at most 1,000; cursors opaque to clients).

use super::error::AdminError;
use crate::app::plumbing::ids::{base64url, base64url_decode};
use crate::app::plumbing::Request;
use crate::app::plumbing::{header, media, query};
use crate::scim::datetime::Timestamp;
use crate::store::After;
use serde_json::{Map, Value};

/// Page size of admin lists: default and maximum (DESIGN §7).
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

fn bad(detail: String) -> AdminError {
    AdminError::BadRequest(detail)
}

/// The JSON object of an admin request body; an empty body counts as `{}`.
pub fn request_object(req: &Request) -> Result<Map<String, Value>, AdminError> {
    Ok(media::body_object(
        header(req, http::header::CONTENT_TYPE),
        req.body(),
        Some(Map::new()),
    )?)
}

pub fn refuse_unknown_fields(body: &Map<String, Value>, known: &[&str]) -> Result<(), AdminError> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(format!(
            "Unknown field \"{k}\"; expected {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A display string: trimmed, 1..=`max` characters, no control characters.
pub fn display_string(value: &Value, field: &str, max: usize) -> Result<String, AdminError> {
    let s = value
        .as_str()
        .ok_or_else(|| bad(format!("\"{field}\" must be a string")))?
        .trim();
    if s.is_empty() {
        return Err(bad(format!("\"{field}\" must not be empty")));
    }
    if s.chars().count() > max {
        return Err(bad(format!("\"{field}\" is longer than {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(bad(format!(
            "\"{field}\" must not contain control characters"
        )));
    }
    Ok(s.to_string())
}

pub fn bool_field(value: &Value, field: &str) -> Result<bool, AdminError> {
    value
        .as_bool()
        .ok_or_else(|| bad(format!("\"{field}\" must be true or false")))
}

/// `limit` of a list request: default 100, clamped to 1,000.
pub fn limit(params: &[(String, String)]) -> Result<i64, AdminError> {
    match query::get(params, "limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
            _ => Err(bad(format!(
                "\"limit\" must be an integer from 1 to {MAX_LIMIT}"
            ))),
        },
    }
}

/// `limit` and `cursor` of a list keyset-paged on `(created, id)`.
pub fn paging(params: &[(String, String)]) -> Result<(i64, Option<After>), AdminError> {
    let cursor = match query::get(params, "cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| bad("\"cursor\" is not valid".into()))?),
    };
    Ok((limit(params)?, cursor))
}

/// Cursors are opaque to clients: the `(created, id)` of the last row of the previous page.
fn encode_cursor(after: &After) -> String {
    base64url(format!("{}\n{}", after.created.to_rfc3339(), after.id).as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<After> {
    let text = String::from_utf8(base64url_decode(cursor)?).ok()?;
    let (created, id) = text.split_once('\n')?;
    Some(After {
        created: Timestamp::parse_rfc3339(created)?,
        id: id.to_string(),
    })
}

/// A page of rows fetched with `limit + 1`: the rows to show and the next cursor (`null` on the
/// last page).
pub fn page<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> After) -> (Vec<T>, Value) {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = match (more, rows.last()) {
        (true, Some(last)) => Value::String(encode_cursor(&key(last))),
        _ => Value::Null,
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let after = After {
            created: Timestamp::parse_rfc3339("2026-11-24T20:45:04.123Z").unwrap(),
            id: "tnt_0123".into(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&after)), Some(after));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&base64url(b"no-newline")), None);
        assert_eq!(decode_cursor(&base64url(b"yesterday\ntnt_1")), None);
    }

    #[test]
    fn limit_is_defaulted_clamped_and_validated() {
        let p = |v: &str| vec![("limit".to_string(), v.to_string())];
        assert_eq!(paging(&[]).unwrap().0, DEFAULT_LIMIT);
        assert_eq!(paging(&p("5")).unwrap().0, 5);
        assert_eq!(paging(&p("5000")).unwrap().0, MAX_LIMIT);
        for bad in ["0", "-1", "x", "1.5", ""] {
            assert_eq!(paging(&p(bad)).unwrap_err().status(), 400, "{bad}");
        }
    }
}
