//! What every `/Users` handler reads from its request, read once: the token's hash, the SCIM
//! base URL, the client (for the activity log), the answer's media type and projection, and
//! the conditional-request headers.

use super::conditional::{self, Condition};
use super::credential;
use crate::app::plumbing::auth::{AuthFailure, ScimToken};
use crate::app::plumbing::media::Answer;
use crate::app::plumbing::Request;
use crate::app::plumbing::{header, query, routes};
use crate::model::TokenHash;
use crate::scim::error::ScimError;
use crate::scim::projection::Projection;

/// Longest User-Agent kept in the activity log.
const MAX_CLIENT_CHARS: usize = 256;

/// The request's client for the logs: its User-Agent, at most [`MAX_CLIENT_CHARS`].
pub fn client(req: &Request) -> Option<String> {
    header(req, http::header::USER_AGENT).map(|ua| ua.chars().take(MAX_CLIENT_CHARS).collect())
}

/// What every /Users handler needs from the request.
pub struct Call {
    pub hash: TokenHash,
    pub base: String,
    pub client: Option<String>,
    pub answer: Answer,
    /// `attributes`/`excludedAttributes` of the request URL (RFC 7644 §3.9), for the user an
    /// answer returns.
    pub projection: Projection,
    /// `If-Match` (PUT, PATCH, DELETE) and `If-None-Match` (GET), RFC 7644 §3.14; a malformed
    /// header is an error the handler answers (and, for a write, logs).
    pub if_match: Result<Option<Condition>, ScimError>,
    pub if_none_match: Result<Option<Condition>, ScimError>,
    /// How many read-compute-write attempts a replace or patch may make when it loses races
    /// with other writes (`retry`): fewer within a Bulk request, whose statements are counted.
    pub max_attempts: usize,
}

/// A bound on a single request's retries (`retry`), even if the clock does not move.
pub const MAX_ATTEMPTS: usize = 64;

impl Call {
    /// `token`: the request's token as [`super::presented_token`] read it.
    pub fn new(
        req: &Request,
        token: &Result<Option<ScimToken>, AuthFailure>,
        answer: Answer,
    ) -> Result<Call, ScimError> {
        let hash = credential(token)?;
        let params = query::pairs(req.uri().query());
        let projection = match Projection::from_query(
            query::get(&params, "attributes"),
            query::get(&params, "excludedAttributes"),
        ) {
            Ok(p) => p,
            // A write is never refused for how its answer should look (it could not be logged
            // as refused, and after the write it is too late): it answers the default attributes.
            Err(_) if req.method() != http::Method::GET => Projection::Default,
            Err(e) => return Err(e),
        };
        Ok(Call {
            hash,
            base: routes::scim_base(req),
            client: client(req),
            answer,
            projection,
            if_match: conditional::if_match(req.headers()),
            if_none_match: conditional::if_none_match(req.headers()),
            max_attempts: MAX_ATTEMPTS,
        })
    }
}
