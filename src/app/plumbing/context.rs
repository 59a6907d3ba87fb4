//! What one request runs with: its time, a clock for deadlines, its id, randomness and the
//! deployment's configuration, what the isolate remembers between requests (the health
//! check's cache), plus what it leaves for after the answer (deferred statements, log lines,
//! the tenant it turned out to serve). The edge builds it; tests build it with a fixed clock
//! and seeded randomness.

use super::credential::{CredentialKey, SecretProblem};
use super::ids::{hex, Random};
use super::Response;
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::store::Stmt;
use std::cell::Cell;

/// The Worker secret of the operator's admin token.
pub const ADMIN_TOKEN_SECRET: &str = "ADMIN_TOKEN";
/// The Worker secret that keys the check values of credentials ([`super::credential`]).
pub const CREDENTIAL_SECRET: &str = "CREDENTIAL_SECRET";

/// Deployment configuration (the worker's vars and secrets).
#[derive(Debug, Clone)]
pub struct Config {
    /// The operator's admin token (`wrangler secret put ADMIN_TOKEN`; `.dev.vars` locally).
    /// Unset or shorter than 32 characters: the admin API refuses to serve (503, and the log
    /// says why).
    pub admin_token: Option<String>,
    /// The key of credential check values, from `CREDENTIAL_SECRET`, or why there is none
    /// (then tokens of the current format are neither issued nor accepted).
    credential_key: Result<CredentialKey, SecretProblem>,
    /// Webhook delivery's secret key, URL policy and retry schedule (`app::webhooks`).
    pub webhooks: crate::app::webhooks::WebhookConfig,
    /// How many shards (D1 databases) this deployment serves (`store::shards`); 1 unless said.
    pub shards: u16,
}

impl Config {
    pub fn new(admin_token: Option<String>, credential_secret: Option<&str>) -> Config {
        Config {
            admin_token,
            credential_key: CredentialKey::from_secret(credential_secret),
            webhooks: Default::default(),
            shards: 1,
        }
    }

    /// The same, serving `shards` databases (at least one).
    pub fn with_shards(self, shards: u16) -> Config {
        Config {
            shards: shards.max(1),
            ..self
        }
    }

    /// The same, with webhook delivery configured.
    pub fn with_webhooks(self, webhooks: crate::app::webhooks::WebhookConfig) -> Config {
        Config { webhooks, ..self }
    }

    pub fn credential_key(&self) -> Result<&CredentialKey, SecretProblem> {
        self.credential_key.as_ref().map_err(|p| *p)
    }
}

impl Default for Config {
    /// Nothing configured: no admin API, no current-format tokens.
    fn default() -> Config {
        Config::new(None, None)
    }
}

/// The last database check of `GET /healthz` (`app::health`): when, and whether it passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheck {
    pub at: Timestamp,
    pub ok: bool,
}

/// Where an isolate keeps its last [`HealthCheck`] (the edge keeps one per isolate; a test
/// makes its own).
pub type HealthCache = Cell<Option<HealthCheck>>;

/// What one request runs with. `deferred` collects statements to run after the answer is sent
/// (the edge hands them to `waitUntil`; tests run them at once); `log` collects lines for the
/// worker's log, which never contain secrets.
pub struct Ctx<'a> {
    /// The request's time: every timestamp the request writes.
    pub now: Timestamp,
    /// The current time, for deadlines of retried writes.
    pub clock: &'a dyn Fn() -> Timestamp,
    pub request_id: String,
    pub random: &'a mut dyn Random,
    pub config: &'a Config,
    pub deferred: Vec<Stmt>,
    pub log: Vec<String>,
    /// The client (User-Agent, bounded) of a SCIM request, set by the SCIM API: kept with the
    /// token's `last_used` (connection status, DESIGN §7).
    pub client: Option<String>,
    /// The tenant the request turned out to serve (its token's, or the admin path's), for the
    /// log line; `None` until known.
    pub tenant: Option<TenantId>,
    /// The isolate's health-check cache; `None`: every `/healthz` asks the database.
    pub health_cache: Option<&'a HealthCache>,
    /// The isolate's memory of recent users and definitions (`app::recent`); `None`: every
    /// write reads before it writes.
    pub recent: Option<&'a crate::app::recent::RecentCache>,
    /// Who calls the admin API, once authenticated (its audit log names them).
    pub caller: Option<Caller>,
    /// Whether the request's tenant has an active webhook endpoint, when a SCIM batch found
    /// out: a write of a tenant without one has no event to sweep to the queue after its
    /// answer (`None`: not known, sweep).
    pub webhooks: Option<bool>,
}

/// An admin API caller: the operator, or a company admin's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `operator`, or the admin's email.
    pub name: String,
    pub session_id: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        now: Timestamp,
        clock: &'a dyn Fn() -> Timestamp,
        request_id: String,
        random: &'a mut dyn Random,
        config: &'a Config,
    ) -> Self {
        Ctx {
            now,
            clock,
            request_id,
            random,
            config,
            deferred: Vec::new(),
            log: Vec::new(),
            caller: None,
            tenant: None,
            health_cache: None,
            recent: None,
            webhooks: None,
            client: None,
        }
    }
}

/// The request's own id, always generated here (96 random bits in hex): the id of the answer's
/// `X-Request-Id`, of the activity log and of the worker's log. A client's id never replaces
/// it (see [`client_request_id`]).
pub fn request_id(random: &mut dyn Random) -> String {
    let mut b = [0u8; 12];
    match random.fill(&mut b) {
        Ok(()) => hex(&b),
        Err(_) => "unknown".to_string(),
    }
}

/// Longest client request id kept, in characters.
pub const MAX_CLIENT_REQUEST_ID_CHARS: usize = 64;

/// The client's own `X-Request-Id`, kept beside the request's id in the worker's log line (so an
/// IdP's correlation id can be found there): at most 64 characters, each visible ASCII (any
/// other character becomes `?`, so the log line stays one line of space-separated fields).
/// `None` when absent or empty.
pub fn client_request_id(header: Option<&[u8]>) -> Option<String> {
    let header = header?;
    let id: String = header
        .iter()
        .take(MAX_CLIENT_REQUEST_ID_CHARS)
        .map(|&c| if c.is_ascii_graphic() { c as char } else { '?' })
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Sets the `X-Request-Id` of an answer.
pub fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;

    #[test]
    fn request_ids_are_always_our_own() {
        let mut r = SeededRandom(1);
        let a = request_id(&mut r);
        let b = request_id(&mut r);
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn client_request_ids_are_bounded_and_printable() {
        assert_eq!(client_request_id(None), None);
        assert_eq!(client_request_id(Some(b"")), None);
        assert_eq!(
            client_request_id(Some(b"okta-abc-123")).as_deref(),
            Some("okta-abc-123")
        );
        assert_eq!(
            client_request_id(Some(b"a b\tc\n\xffd")).as_deref(),
            Some("a?b?c??d")
        );
        let long = "x".repeat(500);
        assert_eq!(
            client_request_id(Some(long.as_bytes())).map(|s| s.len()),
            Some(MAX_CLIENT_REQUEST_ID_CHARS)
        );
    }

    #[test]
    fn config_without_a_usable_credential_secret_has_no_key() {
        assert_eq!(
            Config::default().credential_key().err(),
            Some(SecretProblem::Missing)
        );
        assert_eq!(
            Config::new(None, Some("short")).credential_key().err(),
            Some(SecretProblem::TooShort)
        );
        assert!(Config::new(None, Some(&"k".repeat(32)))
            .credential_key()
            .is_ok());
    }
}
