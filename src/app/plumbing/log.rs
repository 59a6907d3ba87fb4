//! The worker's log line: one JSON object per request (Workers Logs indexes its fields), built
//! from fixed names and numbers only: the request's id (and the client's, when harmless), the
//! tenant, the operation ([`super::routes::operation`]: API, endpoint, method), the status, the
//! duration, what the database did ([`Usage`]) and the notes the request left (`Ctx::log`).
//!
//! What it never holds, by construction: a token or secret, an email, a userName, a filter or
//! any other text of the path, the query string, the headers or the body. The notes are the
//! application's own sentences (a missing secret's name, a store failure's cause, which holds
//! SQL text but never bound values); none quotes a request. `tests/log_scan.rs` proves it
//! over the whole end-to-end run's log.

use crate::model::TenantId;
use crate::store::Usage;
use serde_json::{json, Map, Value};

/// One request's line.
#[derive(Debug, Clone)]
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    /// The client's `X-Request-Id` (`context::client_request_id`: bounded, printable).
    pub client_request_id: Option<&'a str>,
    pub operation: &'a str,
    pub tenant: Option<&'a TenantId>,
    pub status: u16,
    /// Wall time from the request's arrival to its answer, in milliseconds. On Workers the
    /// clock moves only across I/O, so this is time spent waiting (D1, rate limiters), not CPU.
    pub duration_ms: i64,
    /// The batches sent before the answer; a deferred write (`Ctx::deferred`) is not counted.
    pub usage: Usage,
    /// The rate limiter that refused the request, if one did (then nothing else ran).
    pub throttled_by: Option<&'a str>,
    pub notes: &'a [String],
}

impl RequestLine<'_> {
    /// Whether the line belongs at error level: a 5xx, or notes to read.
    pub fn is_error(&self) -> bool {
        self.status >= 500 || !self.notes.is_empty()
    }

    pub fn to_json(&self) -> String {
        let mut line = Map::new();
        line.insert("request_id".into(), json!(self.request_id));
        if let Some(id) = self.client_request_id.filter(|id| harmless_client_id(id)) {
            line.insert("client_request_id".into(), json!(id));
        }
        line.insert(
            "tenant_id".into(),
            self.tenant.map_or(Value::Null, |t| json!(t.as_str())),
        );
        line.insert("operation".into(), json!(self.operation));
        line.insert("status".into(), json!(self.status));
        line.insert("duration_ms".into(), json!(self.duration_ms));
        line.insert("d1_round_trips".into(), json!(self.usage.round_trips));
        line.insert("rows_read".into(), json!(self.usage.rows_read));
        line.insert("rows_written".into(), json!(self.usage.rows_written));
        if let Some(limiter) = self.throttled_by {
            line.insert("throttled_by".into(), json!(limiter));
        }
        if !self.notes.is_empty() {
            line.insert("notes".into(), json!(self.notes));
        }
        Value::Object(line).to_string()
    }
}

/// A client's request id is kept unless it could be an email (an `@`): IdPs send opaque ids,
/// and the log keeps no address whoever sent it.
fn harmless_client_id(id: &str) -> bool {
    !id.contains('@')
}

/// The longest tenant id the log line takes from a path.
const MAX_TENANT_ID_CHARS: usize = 64;

/// A tenant id from an admin path, for the log line, when it has a tenant id's shape (`tnt_`,
/// then lower-case letters, digits and `_`): any other text of a path stays out of the log.
pub fn tenant_id(path_segment: &str) -> Option<TenantId> {
    let rest = path_segment.strip_prefix("tnt_")?;
    let shaped = path_segment.len() <= MAX_TENANT_ID_CHARS
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    shaped.then(|| TenantId::new(path_segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(notes: &'a [String], tenant: Option<&'a TenantId>) -> RequestLine<'a> {
        RequestLine {
            request_id: "0123456789abcdef01234567",
            client_request_id: Some("okta-abc-123"),
            operation: "scim.users.post",
            tenant,
            status: 201,
            duration_ms: 12,
            usage: Usage {
                round_trips: 1,
                rows_read: 7,
                rows_written: 5,
            },
            throttled_by: None,
            notes,
        }
    }

    #[test]
    fn a_line_is_one_json_object_with_every_field() {
        let tenant = TenantId::new("tnt_3f9a0c51d2e84b7a9c1e");
        let text = line(&[], Some(&tenant)).to_json();
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({
                "request_id": "0123456789abcdef01234567",
                "client_request_id": "okta-abc-123",
                "tenant_id": "tnt_3f9a0c51d2e84b7a9c1e",
                "operation": "scim.users.post",
                "status": 201,
                "duration_ms": 12,
                "d1_round_trips": 1,
                "rows_read": 7,
                "rows_written": 5,
            })
        );
        assert!(!line(&[], Some(&tenant)).is_error());
    }

    #[test]
    fn notes_throttles_and_unknown_tenants() {
        let notes = vec!["scim: CREDENTIAL_SECRET is not set".to_string()];
        let mut l = line(&notes, None);
        l.throttled_by = Some("SCIM_RATE_LIMITER");
        let v: Value = serde_json::from_str(&l.to_json()).unwrap();
        assert_eq!(v["tenant_id"], Value::Null);
        assert_eq!(v["throttled_by"], "SCIM_RATE_LIMITER");
        assert_eq!(v["notes"], json!(notes));
        assert!(l.is_error());
        let mut failed = line(&[], None);
        failed.status = 503;
        assert!(failed.is_error());
    }

    #[test]
    fn a_client_request_id_that_could_be_an_email_is_left_out() {
        let mut l = line(&[], None);
        l.client_request_id = Some("jane@example.com");
        assert!(!l.to_json().contains("example.com"), "{}", l.to_json());
    }

    #[test]
    fn only_tenant_id_shapes_come_from_paths() {
        let table = [
            ("tnt_3f9a0c51d2e84b7a9c1e", true),
            ("tnt_e2e_purge_20000", true),
            ("tnt_", false),
            ("jane@example.com", false),
            ("tnt_Jane", false),
            ("tnt_a b", false),
            ("tnt_jane@example.com", false),
        ];
        for (segment, kept) in table {
            assert_eq!(tenant_id(segment).is_some(), kept, "{segment}");
        }
        assert!(tenant_id(&format!("tnt_{}", "a".repeat(61))).is_none());
    }
}
