//! Rate limiting of SCIM traffic (DESIGN §8), with the Workers Rate Limiting binding at the edge:
//! this module decides what a request is counted under and how a throttled one is answered.
//!
//! Requests are counted per bearer token, the credential an IdP's whole connection uses, so a
//! tenant's traffic is limited without a D1 round trip to learn the tenant first (a tenant with
//! two live tokens during a rotation gets two budgets). Requests without a well-formed SCIM token
//! are not counted: they are refused before any database access anyway. The admin API is the
//! operator's and is not limited. A throttled request is answered 429 before the application
//! runs, so a throttled write changes nothing (and is not logged).

use super::respond::scim_error;
use crate::app::plumbing::auth::{bearer, scim_token_hash};
use crate::app::plumbing::header;
use crate::app::plumbing::media::{self, Answer};
use crate::app::plumbing::routes::SCIM_PREFIX;
use crate::app::plumbing::{Request, Response};
use crate::scim::error::ScimError;

/// The binding's window in seconds (`[[ratelimits]]` in `wrangler.toml`), also the Retry-After
/// of a throttled answer: the window has passed by then.
pub const PERIOD_SECONDS: u32 = 10;

/// What a request is counted under: `scim:<token hash prefix>`, or `None` when it is not
/// counted.
pub fn key(req: &Request) -> Option<String> {
    let path = req.uri().path();
    if !(path == SCIM_PREFIX || path.starts_with(&format!("{SCIM_PREFIX}/"))) {
        return None;
    }
    let hash = scim_token_hash(bearer(header(req, http::header::AUTHORIZATION)).ok()?).ok()?;
    // 128 bits of the SHA-256: unique enough for a counter, and not the stored hash itself.
    Some(format!("scim:{}", &hash.as_str()[..32]))
}

/// The answer to a throttled request: 429 with an integer `Retry-After` and a SCIM error body.
pub fn answer(req: &Request) -> Response {
    let answer = media::negotiate(header(req, http::header::ACCEPT)).unwrap_or(Answer::Scim);
    scim_error(
        &ScimError::TooManyRequests {
            retry_after: PERIOD_SECONDS,
        },
        answer,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::auth::generate_token;
    use crate::app::plumbing::ids::SeededRandom;
    use crate::app::plumbing::Body;

    fn req(path: &str, auth: Option<&str>) -> Request {
        let mut b = http::Request::builder().uri(format!("https://h{path}"));
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn scim_requests_are_counted_per_token() {
        let token = generate_token(&mut SeededRandom(3)).unwrap().secret;
        let other = generate_token(&mut SeededRandom(4)).unwrap().secret;
        let bearer = format!("Bearer {token}");
        let k = key(&req("/scim/v2/Users", Some(&bearer))).unwrap();
        assert!(k.starts_with("scim:") && k.len() == 5 + 32, "{k}");
        assert!(!k.contains(&token), "the key is not the token");
        assert_eq!(
            key(&req(
                "/scim/v2/Users/x?filter=a",
                Some(&format!("bearer {token}"))
            )),
            Some(k.clone())
        );
        assert_ne!(
            key(&req("/scim/v2/Users", Some(&format!("Bearer {other}")))),
            Some(k)
        );
    }

    #[test]
    fn what_is_not_counted() {
        let token = generate_token(&mut SeededRandom(3)).unwrap().secret;
        let bearer = format!("Bearer {token}");
        for (path, auth) in [
            ("/scim/v2/Users", None),
            ("/scim/v2/Users", Some("Bearer not-a-scim-token")),
            ("/scim/v2/Users", Some("Basic abc")),
            ("/admin/v1/tenants", Some(bearer.as_str())),
            ("/scim/v2x/Users", Some(bearer.as_str())),
            ("/", Some(bearer.as_str())),
        ] {
            assert_eq!(key(&req(path, auth)), None, "{path} {auth:?}");
        }
    }

    #[test]
    fn a_throttled_request_gets_429_with_retry_after_and_a_scim_error() {
        let r = answer(&req("/scim/v2/Users", None));
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers().get("retry-after").unwrap(), "10");
        let body: serde_json::Value = serde_json::from_str(r.body()).unwrap();
        assert_eq!(body["status"], "429");
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
    }
}
