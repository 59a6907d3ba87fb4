//! Webhook delivery of the change feed (issue 19), runtime-free: the edge (`lib.rs`,
//! `outbound.rs`) gives it a queue producer and an HTTP client ([`Queue`], [`Outbound`]) and
//! calls [`delivery::sweep`] (after writes, and from the Cron Trigger) and [`delivery::deliver`]
//! (the queue consumer, for each message).
//!
//! - `sign`: Standard Webhooks secrets and signatures;
//! - `seal`: the secrets at rest (sealed under the Worker secret `WEBHOOK_SECRET_KEY`);
//! - `backoff`: the retry schedule (the var `WEBHOOK_RETRY_SCHEDULE`);
//! - `delivery`: fan-out, hand-out, sending, retries and giving up (`store::webhooks` holds
//!   the rows and says why the order per employee and the leases hold).
//!
//! The events API and the endpoints' admin API are `app::admin_api::{events, webhooks}`.
//! Leaves out: delivery to anything but HTTP endpoints.

pub mod backoff;
pub mod delivery;
pub mod seal;
pub mod sign;

use crate::app::plumbing::credential::SecretProblem;
use crate::store::outbox::EmployeeEvent;
use crate::store::webhooks::Handed;
use backoff::Schedule;
use seal::SealKey;
use serde_json::{json, Value};

/// The var that allows `http://` endpoints on a loopback address (`make dev` and the tests set
/// it to `on`; anywhere else endpoints must be `https://`).
pub const LOOPBACK_VAR: &str = "WEBHOOK_ALLOW_LOOPBACK_HTTP";
/// The longest endpoint URL.
pub const MAX_URL_CHARS: usize = 2_048;
/// How long one delivery attempt may take, connection and answer (the edge enforces it).
pub const SEND_TIMEOUT_MS: i64 = 10_000;

/// What delivery needs from the deployment.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub seal_key: Result<SealKey, SecretProblem>,
    pub loopback_http: bool,
    pub schedule: Schedule,
}

impl Default for WebhookConfig {
    fn default() -> WebhookConfig {
        WebhookConfig {
            seal_key: Err(SecretProblem::Missing),
            loopback_http: false,
            schedule: Schedule::default(),
        }
    }
}

/// The queue that carries handed-out deliveries to the consumer.
pub trait Queue {
    /// Sends each delivery, not before `delay_seconds` (0: now).
    async fn send(&self, messages: &[(Handed, u32)]) -> Result<(), String>;
}

/// An HTTP POST, bounded by [`SEND_TIMEOUT_MS`]: the status, or why there is none.
pub trait Outbound {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String>;
}

/// Whether `url` may be an endpoint: `https://` with a host, or, when `loopback_http`,
/// `http://` to 127.0.0.1, `[::1]` or localhost; no credentials in it; at most
/// [`MAX_URL_CHARS`]. The reason otherwise.
pub fn check_url(url: &str, loopback_http: bool) -> Result<(), String> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "\"url\" must have at most {MAX_URL_CHARS} characters"
        ));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|_| "\"url\" is not a valid URL".to_string())?;
    let authority = uri
        .authority()
        .ok_or_else(|| "\"url\" must be an absolute URL".to_string())?;
    if authority.as_str().contains('@') {
        return Err("\"url\" must not carry credentials".into());
    }
    let host = authority.host();
    let loopback = matches!(host, "127.0.0.1" | "[::1]" | "localhost");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback && loopback_http => Ok(()),
        Some("http") if loopback => Err(
            "\"url\" must be https://; http:// to a loopback address is allowed only under \
             make dev and the tests"
                .into(),
        ),
        _ => Err("\"url\" must be https://".into()),
    }
}

/// An event as the events API lists it and a webhook carries it (`data`).
pub fn event_json(e: &EmployeeEvent) -> Value {
    let changes: Value = e
        .changes
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": e.id(),
        "seq": e.seq,
        "type": e.kind,
        "at": e.at.to_rfc3339(),
        "employee": {
            "id": e.user_id.as_str(),
            "userName": e.user_name,
            "email": e.email,
            "active": e.active,
            "eligible": e.eligible,
            "held": e.held,
        },
        "changes": changes,
    })
}

/// A webhook's body (Standard Webhooks' recommended shape: `type`, `timestamp`, `data`).
pub fn payload(e: &EmployeeEvent) -> String {
    json!({
        "type": e.kind,
        "timestamp": e.at.to_rfc3339(),
        "data": event_json(e),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_and_loopback_http_only_where_allowed() {
        let table = [
            ("https://hooks.example.com/scim", false, true),
            ("https://hooks.example.com:8443/x?y=1", false, true),
            ("http://hooks.example.com/scim", true, false),
            ("http://127.0.0.1:9000/hook", false, false),
            ("http://127.0.0.1:9000/hook", true, true),
            ("http://localhost/hook", true, true),
            ("http://[::1]:9/hook", true, true),
            ("http://127.0.0.2/hook", true, false),
            ("https://user:pw@hooks.example.com/", false, false),
            ("ftp://hooks.example.com/", true, false),
            ("/relative", true, false),
            ("not a url", true, false),
        ];
        for (url, loopback_http, ok) in table {
            assert_eq!(
                check_url(url, loopback_http).is_ok(),
                ok,
                "{url} {loopback_http}"
            );
        }
        let long = format!("https://h.example/{}", "x".repeat(MAX_URL_CHARS));
        assert!(check_url(&long, false).is_err());
    }
}
