//! The HTTP application, runtime-free: `handle` takes an `http::Request`, a [`Store`] and the
//! request's context (time, request id, randomness, configuration) and returns the
//! `http::Response`. The wasm edge (`lib.rs`) and the host tests call the very same function.
//!
//! Nothing here reads a clock, draws randomness or touches `worker` types.

pub mod admin;
pub mod attributes;
pub mod auth;
pub mod conditional;
pub mod discovery;
pub mod ids;
pub mod list;
pub mod media;
pub mod query;
pub mod reports;
pub mod respond;
pub mod routes;
pub mod scim_api;
pub mod tenancy;
pub mod throttle;
pub mod users;

use crate::scim::datetime::Timestamp;
use crate::store::{Stmt, Store};
use ids::Random;
use routes::Route;

/// A request body as the edge read it: complete, or cut off because it passed
/// [`media::MAX_BODY_BYTES`] (answered 413 without being parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Complete(Vec<u8>),
    TooLarge,
}

impl Body {
    pub fn empty() -> Body {
        Body::Complete(Vec::new())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        if bytes.len() > media::MAX_BODY_BYTES {
            Body::TooLarge
        } else {
            Body::Complete(bytes)
        }
    }
}

pub type Request = http::Request<Body>;
pub type Response = http::Response<String>;

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
        Ok(()) => ids::hex(&b),
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

/// The application: routes the request and answers it. Every answer carries `X-Request-Id`.
pub async fn handle<S: Store>(req: Request, store: &S, ctx: &mut Ctx<'_>) -> Response {
    let response = match routes::route(req.uri().path()) {
        Route::Scim(endpoint) => scim_api::handle(endpoint, req, store, ctx).await,
        Route::Admin(endpoint) => admin::handle(endpoint, req, store, ctx).await,
        Route::NotFound => respond::scim_error(
            &crate::scim::error::ScimError::NotFound(format!(
                "No such endpoint; the SCIM service is under {}",
                routes::SCIM_PREFIX
            )),
            media::Answer::Scim,
        ),
    };
    with_request_id(response, &ctx.request_id)
}
