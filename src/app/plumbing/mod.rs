//! The HTTP plumbing both APIs use: the request's context, credentials (the credential format,
//! company admins' sign-in links, sessions and their cookie,
//! and the tokens made of it), media types and request bodies, query strings, building answers,
//! ids and secrets from randomness, the URL space, which database a request reaches (`reach`), what rate limiting counts, and the
//! request's log line; and the request and response types of the whole application. Nothing here knows SCIM resources or
//! admin rows; each API maps the plumbing's errors to its own.

pub mod auth;
pub mod context;
pub mod credential;
pub mod ids;
pub mod log;
pub mod media;
pub mod query;
pub mod reach;
pub mod respond;
pub mod routes;
pub mod session;
pub mod throttle;

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

pub type Request = ::http::Request<Body>;
pub type Response = ::http::Response<String>;

/// A request header as text (`None` when absent or not visible ASCII).
pub fn header(req: &Request, name: ::http::header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}
