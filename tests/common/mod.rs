//! What the host suite (`tests/api`, the app over rusqlite) and the end-to-end suite
//! (`tests/e2e`, HTTP to the worker under `wrangler dev`) share: a [`Client`] that sends a request
//! and returns the [`Reply`] and lets the server's clock move on ([`Client::tick`]), request
//! helpers, the golden fixtures, and the scenarios both suites run (`scenarios`, with the one list
//! of them that both suites expand into their tests).
#![allow(dead_code)]

pub mod fixtures;
pub mod log_scan;
pub mod scanner;
pub mod scenarios;

use serde_json::Value;

/// An answer: status, headers (names lower-cased), body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?} (status {})",
                self.body, self.status
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Panics with the body when the status is not `expected`.
    #[track_caller]
    pub fn expect(&self, expected: u16) -> &Reply {
        assert_eq!(
            self.status, expected,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
    /// Asserts a SCIM error answer (RFC 7644 §3.12): status (as a string in the body), scimType.
    #[track_caller]
    pub fn expect_scim_error(&self, status: u16, scim_type: Option<&str>) -> Value {
        self.expect(status);
        let body = self.json();
        assert_eq!(
            body["schemas"],
            serde_json::json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{body}"
        );
        assert_eq!(body["status"], Value::String(status.to_string()), "{body}");
        assert_eq!(
            body.get("scimType").and_then(Value::as_str),
            scim_type,
            "{body}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/scim+json")),
            "content type {:?}",
            self.header("content-type")
        );
        body
    }
    /// Asserts an admin API error answer (DESIGN §7): `{"error": code, "detail": ...}`.
    #[track_caller]
    pub fn expect_admin_error(&self, status: u16, code: &str) -> Value {
        self.expect(status);
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        body
    }
}

/// Sends requests to scim-edge: the app in-process (host) or the worker over HTTP (e2e).
pub trait Client {
    /// `path` includes any query string. Header names are sent as given.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply;
    /// The operator's admin token of this deployment.
    fn admin_token(&self) -> &str;
    /// The origin the service sees its requests at (`scheme://host[:port]`): what a browser on
    /// its pages sends as `Origin`.
    fn origin(&self) -> String;
    /// Whether the client runs against the real worker, for the few expectations that differ
    /// there (writes the worker defers until after its answer). Not for waiting: see [`tick`].
    ///
    /// [`tick`]: Client::tick
    fn is_e2e(&self) -> bool;
    /// Lets `ms` milliseconds pass on the server's clock before the next request: whatever is
    /// sent after it is stamped at least `ms` ms later than whatever was answered before it
    /// (e.g. so that two steps of a lifecycle have distinct times, and "between them" exists).
    /// The host steps its fixed clock; against the worker it waits that long on the real clock.
    fn tick(&self, ms: u64);

    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {}", self.admin_token());
        let body = body.map(|b| b.to_string());
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.send(
            method,
            &format!("/admin/v1{path}"),
            &headers,
            body.as_deref().map(str::as_bytes),
        )
    }

    fn scim(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {token}");
        let body = body.map(|b| b.to_string());
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("Content-Type", "application/scim+json"));
        }
        self.send(
            method,
            &format!("/scim/v2{path}"),
            &headers,
            body.as_deref().map(str::as_bytes),
        )
    }

    /// A new tenant; returns its id and first token.
    fn new_tenant(&self, name: &str) -> Tenant {
        let reply = self.admin(
            "POST",
            "/tenants",
            Some(serde_json::json!({ "name": name })),
        );
        reply.expect(201);
        let body = reply.json();
        Tenant {
            id: body["id"].as_str().unwrap().to_string(),
            token: body["token"].as_str().unwrap().to_string(),
            token_id: body["token_id"].as_str().unwrap().to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub token: String,
    pub token_id: String,
}

/// A unique suffix for names, so that scenarios never collide in a shared database.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}{:x}{n}", t % 0xFFFF_FFFF)
}
