//! What one request runs with: its time, a clock for deadlines, its id, randomness and the
//! deployment's configuration, plus what it leaves for after the answer (deferred statements,
//! log lines). The edge builds it; tests build it with a fixed clock and seeded randomness.

use super::ids::{hex, Random};
use super::Response;
use crate::scim::datetime::Timestamp;
use crate::store::Stmt;

/// Deployment configuration (the worker's vars and secrets).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The operator's admin token (`wrangler secret put ADMIN_TOKEN`; `.dev.vars` locally).
    /// Unset or empty: the admin API answers 401 to everyone.
    pub admin_token: Option<String>,
}

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
        }
    }
}

/// A request id: the client's `X-Request-Id` when it is a short token of safe characters (so
/// an IdP's own correlation id can be found in our logs), otherwise a fresh random one.
pub fn request_id(header: Option<&str>, random: &mut dyn Random) -> String {
    if let Some(h) = header {
        if (1..=64).contains(&h.len())
            && h.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
        {
            return h.to_string();
        }
    }
    let mut b = [0u8; 12];
    match random.fill(&mut b) {
        Ok(()) => hex(&b),
        Err(_) => "unknown".to_string(),
    }
}

/// Sets the `X-Request-Id` of an answer.
pub fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
