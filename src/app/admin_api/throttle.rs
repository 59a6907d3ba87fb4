//! Rate limiting of the admin API (DESIGN §8): wrong admin credentials are counted per client
//! address (`AUTH_FAILURE_LIMITER`, scope `admin`), before anything else runs; the operator's
//! own requests (the right admin token) and company admins' genuine session cookies are never
//! counted. While the operator secret is
//! unusable the API refuses everyone without counting (503, see `authorize`).

use super::error::AdminError;
use crate::app::plumbing::auth::{admin_token_matches, bearer};
use crate::app::plumbing::context::Config;
use crate::app::plumbing::credential::usable_secret;
use crate::app::plumbing::session::{genuine_session, session_cookie};
use crate::app::plumbing::throttle::{Count, Limiter};
use crate::app::plumbing::{header, Request, Response};

/// What an admin request is counted under.
pub fn counts(req: &Request, config: &Config) -> Vec<Count> {
    let configured = config.admin_token.as_deref();
    if usable_secret(configured).is_err() {
        return Vec::new();
    }
    // A company admin's session cookie that is genuine (its check value verifies, without the
    // database) is not counted; the database decides whether it is live.
    if header(req, http::header::AUTHORIZATION).is_none() {
        if let (Some(cookie), Ok(key)) = (session_cookie(req), config.credential_key()) {
            if genuine_session(cookie, key).is_some() {
                return Vec::new();
            }
        }
    }
    match bearer(header(req, http::header::AUTHORIZATION)) {
        Ok(credential) if admin_token_matches(credential, configured) => Vec::new(),
        _ => vec![Count::per_address(Limiter::FailedCredential, "admin", req)],
    }
}

/// The answer to a throttled request: 429 with an integer `Retry-After`, in the admin API's
/// error shape.
pub fn answer(retry_after: u32) -> Response {
    AdminError::TooManyRequests { retry_after }.response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::Body;

    const ADMIN: &str = "adm_throttle_tests_0123456789abcdefghij";

    fn req(auth: Option<&str>) -> Request {
        let mut b = http::Request::builder()
            .uri("https://h/admin/v1/tenants")
            .header("CF-Connecting-IP", "192.0.2.10");
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn wrong_admin_credentials_are_counted_per_address_and_the_right_one_never() {
        let config = Config::new(Some(ADMIN.into()), None);
        assert_eq!(counts(&req(Some(&format!("Bearer {ADMIN}"))), &config), []);
        for auth in [
            None,
            Some(format!("Bearer {ADMIN}x")),
            Some("Bearer scim_abc".to_string()),
            Some(format!("Basic {ADMIN}")),
        ] {
            assert_eq!(
                counts(&req(auth.as_deref()), &config),
                [Count {
                    limiter: Limiter::FailedCredential,
                    key: "admin:192.0.2.10".into()
                }],
                "{auth:?}"
            );
        }
    }

    #[test]
    fn an_unusable_operator_secret_counts_nothing() {
        for configured in [None, Some("too-short".to_string())] {
            let config = Config::new(configured, None);
            assert_eq!(counts(&req(Some("Bearer too-short")), &config), []);
        }
    }

    #[test]
    fn a_throttled_request_gets_429_in_the_admin_shape() {
        let r = answer(60);
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers().get("retry-after").unwrap(), "60");
        let body: serde_json::Value = serde_json::from_str(r.body()).unwrap();
        assert_eq!(body["error"], "too_many_requests");
        assert!(body["detail"].as_str().unwrap().contains("60"));
    }
}
