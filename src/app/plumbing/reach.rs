//! Which database a request reaches (DESIGN §9), read off the request alone: no lookup, no
//! database access. The one place that decides it; the edge opens what this names, and
//! [`crate::app::handle`] picks the same.
//!
//! | request | reaches |
//! | --- | --- |
//! | SCIM with a bearer token | the token's shard (an old-format token: shard 0) |
//! | admin API with `Authorization` (the operator), a tenant's path | the shard in the tenant id (an id without the mark: shard 0) |
//! | admin API with `Authorization`, `/tenants` or `/purges` | every shard |
//! | admin API with a session cookie and no `Authorization` | the session's shard |
//! | sign-in page (`?link=` or the form's `link=`) | the link's shard |
//! | `/healthz` | every shard |
//! | anything else | shard 0 (answered without the database) |
//!
//! A credential's shard counts only when its check value verifies: an altered mark fails the
//! check and the request is refused before any database access (by its API, which checks the
//! same credential again); until then it reaches shard 0, where it reads nothing. A shard this
//! deployment does not serve (a genuine credential of a larger deployment) also reaches
//! shard 0: the SCIM API refuses such a token unread, and elsewhere the id or credential is not
//! found there.

use super::auth::{self, ScimToken};
use super::context::Config;
use super::credential::{SESSION, SIGN_IN_LINK};
use super::routes::{self, AdminEndpoint, Route};
use super::session::{genuine_shard, session_cookie};
use super::{header, query, Body, Request};
use crate::model::TenantId;
use crate::store::shards;

/// The databases a request reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// One shard's.
    Shard(u16),
    /// Every shard's (what spans all tenants).
    Every,
}

/// The databases `req` reaches under `config` (its credential key and its number of shards).
pub fn reach(req: &Request, config: &Config) -> Reach {
    let shard = match routes::route(req.uri().path()) {
        Route::Scim(_) => scim_shard(req, config),
        Route::Admin(endpoint) => {
            if req.headers().contains_key(http::header::AUTHORIZATION) {
                match endpoint {
                    AdminEndpoint::Tenants | AdminEndpoint::Purges => return Reach::Every,
                    e => e
                        .tenant()
                        .map_or(0, |t| shards::of_tenant(&TenantId::new(t))),
                }
            } else {
                let key = config.credential_key().ok();
                session_cookie(req)
                    .zip(key)
                    .and_then(|(c, key)| genuine_shard(SESSION, c, key))
                    .unwrap_or(0)
            }
        }
        Route::SignIn => link_shard(req, config),
        Route::Health => return Reach::Every,
        Route::NotFound => 0,
    };
    Reach::Shard(if shard < config.shards { shard } else { 0 })
}

fn scim_shard(req: &Request, config: &Config) -> u16 {
    let Ok(bearer) = auth::bearer(header(req, http::header::AUTHORIZATION)) else {
        return 0;
    };
    match auth::scim_token(bearer, config.credential_key()) {
        Ok(ScimToken::Genuine { shard, .. }) => shard,
        _ => 0,
    }
}

/// The sign-in link's shard: in the query of the confirmation page, in the form body of the
/// exchange.
fn link_shard(req: &Request, config: &Config) -> u16 {
    let Ok(key) = config.credential_key() else {
        return 0;
    };
    let from_query = query::pairs(req.uri().query());
    let from_body = match req.body() {
        Body::Complete(b) if req.method() == http::Method::POST => {
            query::pairs(Some(&String::from_utf8_lossy(b)))
        }
        _ => Vec::new(),
    };
    query::get(&from_query, "link")
        .or_else(|| query::get(&from_body, "link"))
        .and_then(|link| genuine_shard(SIGN_IN_LINK, link, key))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::credential::{issue, CredentialKey, SCIM_TOKEN};
    use crate::app::plumbing::ids::SeededRandom;

    const SECRET: &str = "reach-tests-credential-secret-0123456789";

    fn config() -> Config {
        Config::new(Some("a".repeat(40)), Some(SECRET)).with_shards(2)
    }

    fn key() -> CredentialKey {
        CredentialKey::from_secret(Some(SECRET)).unwrap()
    }

    fn credential(kind: super::super::credential::Kind, shard: u16) -> String {
        issue(kind, shard, &key(), &mut SeededRandom(u64::from(shard) + 7)).unwrap()
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
        let mut b = http::Request::builder()
            .method(method)
            .uri(format!("https://h{path}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::Complete(body.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn each_kind_of_request_reaches_its_shard() {
        let c = config();
        let scim = |t: &str| {
            reach(
                &req(
                    "GET",
                    "/scim/v2/Users",
                    &[("Authorization", &format!("Bearer {t}"))],
                    "",
                ),
                &c,
            )
        };
        assert_eq!(scim(&credential(SCIM_TOKEN, 1)), Reach::Shard(1));
        assert_eq!(scim(&credential(SCIM_TOKEN, 0)), Reach::Shard(0));
        // An old-format token is shard 0.
        let old = format!("scim_{}", super::super::ids::base64url(&[9u8; 32]));
        assert_eq!(scim(&old), Reach::Shard(0));
        // An altered mark fails the check value: shard 0, where the SCIM API refuses it unread.
        let moved = credential(SCIM_TOKEN, 1).replacen("scim_1_1_", "scim_1_0_", 1);
        assert_eq!(scim(&moved), Reach::Shard(0));
        let moved = credential(SCIM_TOKEN, 0).replacen("scim_1_0_", "scim_1_1_", 1);
        assert_eq!(scim(&moved), Reach::Shard(0));
        // A genuine token of a shard this deployment does not serve.
        assert_eq!(scim(&credential(SCIM_TOKEN, 5)), Reach::Shard(0));
        assert_eq!(
            reach(&req("GET", "/scim/v2/Users", &[], ""), &c),
            Reach::Shard(0)
        );

        let operator = [("Authorization", "Bearer operator")];
        let admin = |path: &str| reach(&req("GET", path, &operator, ""), &c);
        assert_eq!(
            admin("/admin/v1/tenants/tnt_1_00ff/tokens"),
            Reach::Shard(1)
        );
        assert_eq!(admin("/admin/v1/tenants/tnt_0_00ff"), Reach::Shard(0));
        assert_eq!(
            admin("/admin/v1/tenants/tnt_3f9a0c51d2e84b7a9c1e"),
            Reach::Shard(0)
        );
        assert_eq!(admin("/admin/v1/tenants/tnt_9_00ff"), Reach::Shard(0));
        assert_eq!(admin("/admin/v1/tenants"), Reach::Every);
        assert_eq!(admin("/admin/v1/purges"), Reach::Every);
        assert_eq!(admin("/admin/v1/session"), Reach::Shard(0));

        let session = credential(SESSION, 1);
        let cookie = format!("__Host-session={session}");
        let by_session = |path: &str| reach(&req("GET", path, &[("Cookie", &cookie)], ""), &c);
        assert_eq!(by_session("/admin/v1/session"), Reach::Shard(1));
        // The session's shard whatever the path names (another tenant is its API's 404).
        assert_eq!(
            by_session("/admin/v1/tenants/tnt_0_00ff/tokens"),
            Reach::Shard(1)
        );
        assert_eq!(by_session("/admin/v1/tenants"), Reach::Shard(1));
        let forged = format!("__Host-session={}", session.replacen("_1_1_", "_1_0_", 1));
        assert_eq!(
            reach(
                &req("GET", "/admin/v1/session", &[("Cookie", &forged)], ""),
                &c
            ),
            Reach::Shard(0)
        );

        let link = credential(SIGN_IN_LINK, 1);
        assert_eq!(
            reach(&req("GET", &format!("/sign-in?link={link}"), &[], ""), &c),
            Reach::Shard(1)
        );
        assert_eq!(
            reach(&req("POST", "/sign-in", &[], &format!("link={link}")), &c),
            Reach::Shard(1)
        );
        assert_eq!(
            reach(&req("POST", "/sign-in", &[], "link=nope"), &c),
            Reach::Shard(0)
        );

        assert_eq!(reach(&req("GET", "/healthz", &[], ""), &c), Reach::Every);
        assert_eq!(
            reach(&req("GET", "/elsewhere", &[], ""), &c),
            Reach::Shard(0)
        );
    }

    #[test]
    fn one_shard_deployments_reach_shard_0_only() {
        let c = Config::new(None, Some(SECRET));
        let t = credential(SCIM_TOKEN, 1);
        let r = req(
            "GET",
            "/scim/v2/Users",
            &[("Authorization", &format!("Bearer {t}"))],
            "",
        );
        assert_eq!(reach(&r, &c), Reach::Shard(0));
    }
}
