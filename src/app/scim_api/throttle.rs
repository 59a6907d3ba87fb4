//! Rate limiting of SCIM traffic (DESIGN §8), with the Workers Rate Limiting binding at the edge:
//! this module decides what a request is counted under and how a throttled one is answered.
//!
//! - A **genuine** token (current format, check value matched) is counted per token
//!   (`SCIM_RATE_LIMITER`), whether the database will find it live, revoked or unknown: an IdP
//!   retrying a revoked token for hours meets its own limit and nobody else's, and such tokens
//!   cannot be made up without the secret. A tenant's traffic is limited without a D1 round
//!   trip (a tenant with two live tokens during a rotation gets two budgets).
//! - A token whose **check value fails**, or a credential with no token's shape, is counted per
//!   client address (`AUTH_FAILURE_LIMITER`, scope `scim`); it is refused without D1 anyway,
//!   and its flood is cut off without touching a genuine token from the same address.
//! - An **old-format** token (before the check value) can only be told known or unknown by D1:
//!   it is counted per token like a genuine one, and also per client address
//!   (`LEGACY_TOKEN_LIMITER`) with a limit high enough for one IdP's egress address, which
//!   bounds what a flood of made-up old-format tokens costs in D1 batches.
//! - Requests without credentials are not counted: discovery answers them without D1, and
//!   everything else refuses them without D1.
//! - While the deployment's credential secret is unusable, a current-format token is answered
//!   503 without D1 and not counted.
//!
//! A throttled request is answered 429 before the application runs, so a throttled write
//! changes nothing (and is not logged in the activity log).

use super::respond::scim_error;
use crate::app::plumbing::auth::{bearer, scim_token, AuthFailure, ScimToken};
use crate::app::plumbing::context::Config;
use crate::app::plumbing::header;
use crate::app::plumbing::media::{self, Answer};
use crate::app::plumbing::throttle::{Count, Limiter};
use crate::app::plumbing::{Request, Response};
use crate::model::TokenHash;
use crate::scim::error::ScimError;

/// The counts of one token: `scim:<128 bits of its SHA-256>`.
fn per_token(hash: &TokenHash) -> Count {
    // 128 bits of the SHA-256: unique enough for a counter, and not the stored hash itself.
    Count {
        limiter: Limiter::Token,
        key: format!("scim:{}", &hash.as_str()[..32]),
    }
}

/// What a SCIM request is counted under, in order.
pub fn counts(req: &Request, config: &Config) -> Vec<Count> {
    if !req.headers().contains_key(http::header::AUTHORIZATION) {
        return Vec::new();
    }
    let failed = || vec![Count::per_address(Limiter::FailedCredential, "scim", req)];
    let Ok(credential) = bearer(header(req, http::header::AUTHORIZATION)) else {
        return failed();
    };
    match scim_token(credential, config.credential_key()) {
        Ok(ScimToken::Genuine { hash, .. }) => vec![per_token(&hash)],
        Ok(ScimToken::Legacy { hash }) => vec![
            per_token(&hash),
            Count::per_address(Limiter::LegacyToken, "legacy", req),
        ],
        Err(AuthFailure::NotConfigured(_)) => Vec::new(),
        Err(_) => failed(),
    }
}

/// The answer to a throttled request: 429 with an integer `Retry-After` and a SCIM error body.
pub fn answer(req: &Request, retry_after: u32) -> Response {
    let answer = media::negotiate(header(req, http::header::ACCEPT)).unwrap_or(Answer::Scim);
    scim_error(&ScimError::TooManyRequests { retry_after }, answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::auth::generate_token;
    use crate::app::plumbing::ids::{base64url, SeededRandom};
    use crate::app::plumbing::Body;

    const SECRET: &str = "throttle-tests-secret-0123456789abcdef";

    fn config() -> Config {
        Config::new(None, Some(SECRET))
    }

    fn token(seed: u64) -> String {
        generate_token(
            config().credential_key().unwrap(),
            0,
            &mut SeededRandom(seed),
        )
        .unwrap()
        .secret
    }

    fn req(path: &str, auth: Option<&str>) -> Request {
        req_from(path, auth, None)
    }

    fn req_from(path: &str, auth: Option<&str>, ip: Option<&str>) -> Request {
        let mut b = http::Request::builder().uri(format!("https://h{path}"));
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        if let Some(ip) = ip {
            b = b.header("CF-Connecting-IP", ip);
        }
        b.body(Body::empty()).unwrap()
    }

    fn key(req: &Request) -> Option<String> {
        counts(req, &config())
            .into_iter()
            .find(|c| c.limiter == Limiter::Token)
            .map(|c| c.key)
    }

    #[test]
    fn scim_requests_are_counted_per_token() {
        let token = token(3);
        let other = self::token(4);
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
    fn a_genuine_token_is_never_counted_per_address() {
        let bearer = format!("Bearer {}", token(5));
        for ip in [None, Some("203.0.113.9"), Some("2001:db8::1")] {
            let c = counts(&req_from("/scim/v2/Users", Some(&bearer), ip), &config());
            assert_eq!(c.len(), 1, "{c:?}");
            assert_eq!(c[0].limiter, Limiter::Token);
        }
    }

    #[test]
    fn what_is_not_counted_per_token() {
        let token = token(3);
        let bearer = format!("Bearer {token}");
        for (path, auth) in [
            ("/scim/v2/Users", None),
            ("/scim/v2/Users", Some("Bearer not-a-scim-token")),
            ("/scim/v2/Users", Some("Basic abc")),
        ] {
            assert_eq!(key(&req(path, auth)), None, "{path} {auth:?}");
        }
        // Requests without credentials are not counted at all.
        assert_eq!(
            counts(&req("/scim/v2/ServiceProviderConfig", None), &config()),
            []
        );
        // Nor, while the credential secret is unusable, current-format tokens (503 without D1).
        assert_eq!(
            counts(&req("/scim/v2/Users", Some(&bearer)), &Config::default()),
            []
        );
    }

    #[test]
    fn failed_credentials_are_counted_per_client_address() {
        let good = token(6);
        let forged = format!(
            "{}{}",
            &good[..good.len() - 1],
            if good.ends_with('A') { 'B' } else { 'A' }
        );
        for auth in [
            format!("Bearer {forged}"),
            "Bearer not-a-scim-token".to_string(),
            "Basic abc".to_string(),
            "Bearer".to_string(),
            format!("Bearer {}", good.replacen("scim_1_", "scim_2_", 1)),
        ] {
            let c = counts(
                &req_from("/scim/v2/Users", Some(&auth), Some("203.0.113.5")),
                &config(),
            );
            assert_eq!(
                c,
                [Count {
                    limiter: Limiter::FailedCredential,
                    key: "scim:203.0.113.5".into()
                }],
                "{auth}"
            );
        }
        // Without an address, one shared key.
        let c = counts(&req("/scim/v2/Users", Some("Bearer nope")), &config());
        assert_eq!(c[0].key, "scim:unknown");
    }

    #[test]
    fn old_format_tokens_are_counted_per_token_and_per_address() {
        let old = format!("scim_{}", base64url(&[9u8; 32]));
        let c = counts(
            &req_from(
                "/scim/v2/Users",
                Some(&format!("Bearer {old}")),
                Some("198.51.100.4"),
            ),
            &config(),
        );
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].limiter, Limiter::Token);
        assert_eq!(
            c[1],
            Count {
                limiter: Limiter::LegacyToken,
                key: "legacy:198.51.100.4".into()
            }
        );
        // The same, without any credential secret: old tokens never needed it.
        let c = counts(
            &req("/scim/v2/Users", Some(&format!("Bearer {old}"))),
            &Config::default(),
        );
        assert_eq!(c.len(), 2, "{c:?}");
    }

    #[test]
    fn a_throttled_request_gets_429_with_retry_after_and_a_scim_error() {
        let r = answer(&req("/scim/v2/Users", None), 10);
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
