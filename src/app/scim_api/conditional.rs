//! Conditional requests (RFC 7644 §3.14, RFC 9110 §13): `If-Match` on PUT, PATCH and DELETE,
//! `If-None-Match` on GET, against a user's `meta.version`, which is sent as the weak entity
//! tag `W/"<version>"` (`ETag` on every single-resource answer).
//!
//! Comparison. RFC 9110 §13.1.1 has `If-Match` use the strong comparison function, under which
//! a weak tag never matches; SCIM versions are weak tags, and RFC 7644 §3.14 shows clients
//! sending them back in `If-Match` (`If-Match: W/"e180ee84f0671b1"`). So both headers use the
//! weak comparison function (RFC 9110 §8.8.3.2: the opaque tags are equal, `W/` or not):
//! `W/"3"` and `"3"` both match version 3, and `*` matches any existing user. A header may
//! list several tags (RFC 9110 §13.1.1: `#entity-tag`), and may be sent more than once.
//!
//! Leniency. Tags are read as RFC 9110 §8.8.3 writes them; a bare token (`3`, `W/3`) is taken
//! as the quoted tag it stands for, because some clients strip the quotes, and refusing them
//! would only make them retry without the condition. A header with no tag at all is a 400.
//!
//! A precondition on a user that does not exist answers 404, not 412, per RFC 9110 §13.2.1: "A
//! server MUST ignore all received preconditions if its response to the same request without
//! those conditions, prior to processing the request content, would have been a status code
//! other than a 2xx (Successful) or 412 (Precondition Failed)."

use crate::scim::error::ScimError;
use http::HeaderMap;

/// What an `If-Match` or `If-None-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `*`: any current representation.
    Any,
    /// The opaque tags listed (without `W/` and quotes).
    Tags(Vec<String>),
}

impl Condition {
    /// Weak comparison (RFC 9110 §8.8.3.2) with a user at `version`.
    pub fn matches(&self, version: i64) -> bool {
        match self {
            Condition::Any => true,
            Condition::Tags(tags) => tags.iter().any(|t| *t == version.to_string()),
        }
    }

    /// The versions the listed tags name (tags that are not a version can match none);
    /// `None` for `*`.
    pub fn versions(&self) -> Option<Vec<i64>> {
        match self {
            Condition::Any => None,
            Condition::Tags(tags) => Some(tags.iter().filter_map(|t| t.parse().ok()).collect()),
        }
    }
}

/// 412 (RFC 7644 §3.14): the user is no longer at a version `If-Match` names.
pub fn precondition_failed(version: i64) -> ScimError {
    ScimError::PreconditionFailed(format!(
        "The user is at version {}, which If-Match does not name; read it again and retry",
        crate::scim::user::etag(version)
    ))
}

/// The `If-Match` condition of a request, if it has one.
pub fn if_match(headers: &HeaderMap) -> Result<Option<Condition>, ScimError> {
    header(headers, http::header::IF_MATCH, "If-Match")
}

/// The `If-None-Match` condition of a request, if it has one.
pub fn if_none_match(headers: &HeaderMap) -> Result<Option<Condition>, ScimError> {
    header(headers, http::header::IF_NONE_MATCH, "If-None-Match")
}

fn header(
    headers: &HeaderMap,
    name: http::header::HeaderName,
    label: &str,
) -> Result<Option<Condition>, ScimError> {
    let mut tags = Vec::new();
    let mut any = false;
    let mut present = false;
    for value in headers.get_all(&name) {
        present = true;
        let text = value.to_str().map_err(|_| {
            ScimError::BadRequest(format!(
                "{label} must be a list of entity tags such as W/\"3\", or *"
            ))
        })?;
        match parse(text) {
            Some(Condition::Any) => any = true,
            Some(Condition::Tags(t)) => tags.extend(t),
            None => {
                return Err(ScimError::BadRequest(format!(
                    "{label} must be a list of entity tags such as W/\"3\", or *"
                )))
            }
        }
    }
    Ok(match (present, any) {
        (false, _) => None,
        (true, true) => Some(Condition::Any),
        (true, false) => Some(Condition::Tags(tags)),
    })
}

/// One header value: `*`, or a comma-separated list of entity tags; `None` when it holds none.
pub fn parse(text: &str) -> Option<Condition> {
    if text.trim() == "*" {
        return Some(Condition::Any);
    }
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            break;
        }
        // RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; weak = %s"W/" (case-sensitive;
        // a lower-case w/ is accepted too).
        if rest.starts_with("W/") || rest.starts_with("w/") {
            rest = &rest[2..];
        }
        let tag;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            tag = &quoted[..end];
            rest = &quoted[end + 1..];
        } else {
            let end = rest
                .find(|c: char| c == ',' || c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            tag = &rest[..end];
            rest = &rest[end..];
        }
        if tag == "*" {
            return Some(Condition::Any);
        }
        tags.push(tag.to_string());
    }
    (!tags.is_empty()).then_some(Condition::Tags(tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Option<Condition> {
        Some(Condition::Tags(t.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn entity_tags_are_read_as_rfc_9110_writes_them_and_a_little_more() {
        let table = [
            ("W/\"3\"", tags(&["3"])),
            ("\"3\"", tags(&["3"])),
            ("*", Some(Condition::Any)),
            (" * ", Some(Condition::Any)),
            ("W/\"3\", W/\"4\"", tags(&["3", "4"])),
            ("W/\"3\",\"4\" ,W/\"x,y\"", tags(&["3", "4", "x,y"])),
            ("3", tags(&["3"])),
            ("W/3", tags(&["3"])),
            ("w/\"3\"", tags(&["3"])),
            ("\"\"", tags(&[""])),
            ("", None),
            (" , ", None),
            ("\"3", None),
        ];
        for (text, want) in table {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn weak_comparison_matches_weak_and_strong_tags_of_the_version() {
        let table = [
            ("W/\"3\"", 3, true),
            ("\"3\"", 3, true),
            ("W/\"3\"", 4, false),
            ("W/\"2\", W/\"4\"", 4, true),
            ("*", 7, true),
            ("W/\"03\"", 3, false),
            ("W/\"abc\"", 3, false),
        ];
        for (text, version, want) in table {
            assert_eq!(
                parse(text).map(|c| c.matches(version)),
                Some(want),
                "{text} vs {version}"
            );
        }
    }

    #[test]
    fn tags_name_the_versions_a_delete_may_remove() {
        assert_eq!(parse("W/\"3\"").and_then(|c| c.versions()), Some(vec![3]));
        assert_eq!(parse("*").and_then(|c| c.versions()), None);
        assert_eq!(
            parse("W/\"3\", \"4\"").and_then(|c| c.versions()),
            Some(vec![3, 4])
        );
        assert_eq!(parse("W/\"x\"").and_then(|c| c.versions()), Some(vec![]));
    }

    #[test]
    fn repeated_headers_are_one_list() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::IF_MATCH,
            http::HeaderValue::from_static("W/\"1\""),
        );
        h.append(
            http::header::IF_MATCH,
            http::HeaderValue::from_static("\"2\""),
        );
        assert_eq!(if_match(&h), Ok(tags(&["1", "2"])));
        assert_eq!(if_none_match(&h), Ok(None));
        h.append(http::header::IF_MATCH, http::HeaderValue::from_static("*"));
        assert_eq!(if_match(&h), Ok(Some(Condition::Any)));
        let mut bad = HeaderMap::new();
        bad.insert(
            http::header::IF_NONE_MATCH,
            http::HeaderValue::from_static(", ,"),
        );
        assert!(matches!(if_none_match(&bad), Err(ScimError::BadRequest(_))));
    }
}
