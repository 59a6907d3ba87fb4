//! Company admins' credentials (DESIGN §3): one-time sign-in links and console sessions, both in
//! the credential format of [`credential`] (`signin_…`, `session_…`), both stored only as their
//! SHA-256; and the HTTP around them: the session cookie and the same-origin check that guards
//! every state-changing request made with it.
//!
//! The cookie is `__Host-session` (the `__Host-` prefix makes browsers refuse it unless it is
//! `Secure`, has `Path=/` and no `Domain`), `HttpOnly` (no script reads it), `SameSite=Strict`
//! (no other site's request carries it) and lasts [`SESSION_HOURS`] hours.

use super::credential::{self, CredentialKey, Kind, SESSION, SIGN_IN_LINK};
use super::ids::Random;
use super::{header, Request};
use crate::model::TokenHash;

/// How long a sign-in link may be used, and a session lasts.
pub const LINK_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 8;
/// The session cookie's name.
pub const COOKIE: &str = "__Host-session";

/// A freshly issued credential: the text (shown or set once) and its hash (what is stored).
pub struct Issued {
    pub secret: String,
    pub hash: TokenHash,
}

fn issue(
    kind: Kind,
    shard: u16,
    key: &CredentialKey,
    random: &mut dyn Random,
) -> Result<Issued, String> {
    let secret = credential::issue(kind, shard, key, random)?;
    Ok(Issued {
        hash: TokenHash::of(&secret),
        secret,
    })
}

/// A sign-in link for an admin of a tenant of `shard`.
pub fn issue_link(
    key: &CredentialKey,
    shard: u16,
    random: &mut dyn Random,
) -> Result<Issued, String> {
    issue(SIGN_IN_LINK, shard, key, random)
}

/// A session, in the shard of the link it was exchanged for.
pub fn issue_session(
    key: &CredentialKey,
    shard: u16,
    random: &mut dyn Random,
) -> Result<Issued, String> {
    issue(SESSION, shard, key, random)
}

/// The shard a genuine credential of `kind` carries (its check value verifies); `None` for
/// anything else. Read without the database.
pub fn genuine_shard(kind: Kind, text: &str, key: &CredentialKey) -> Option<u16> {
    Some(credential::parse(kind, text)?.verify(key).ok()?.shard)
}

/// The hash of `text` when it is a genuine credential of `kind` (its check value verifies:
/// decided without the database); `None` for anything else.
fn genuine(kind: Kind, text: &str, key: &CredentialKey) -> Option<TokenHash> {
    let parsed = credential::parse(kind, text)?;
    parsed.verify(key).ok()?;
    Some(TokenHash::of(text))
}

pub fn genuine_link(text: &str, key: &CredentialKey) -> Option<TokenHash> {
    genuine(SIGN_IN_LINK, text, key)
}

pub fn genuine_session(text: &str, key: &CredentialKey) -> Option<TokenHash> {
    genuine(SESSION, text, key)
}

/// The session cookie's value, when the request carries one.
pub fn session_cookie(req: &Request) -> Option<&str> {
    cookie(req, COOKIE)
}

/// The value of the cookie `name`, when the request carries one.
pub fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers()
        .get_all(::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` value that starts a session.
pub fn session_set_cookie(secret: &str) -> String {
    format!(
        "{COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        SESSION_HOURS * 3600
    )
}

/// The `Set-Cookie` value that ends it in the browser.
pub fn session_clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// This request's own origin (`scheme://host[:port]`).
pub fn own_origin(req: &Request) -> String {
    let uri = req.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => format!(
            "https://{}",
            header(req, ::http::header::HOST).unwrap_or("")
        ),
    }
}

/// Whether a state-changing request comes from a page of this origin: its `Origin` header names
/// this origin (browsers send it with every POST, PUT, PATCH and DELETE), or, without one, the
/// browser says `Sec-Fetch-Site: same-origin`. Anything else is refused (CSRF), whatever
/// `SameSite` already prevents.
pub fn same_origin(req: &Request) -> bool {
    match header(req, ::http::header::ORIGIN) {
        Some(origin) => origin.eq_ignore_ascii_case(&own_origin(req)),
        None => header(
            req,
            ::http::header::HeaderName::from_static("sec-fetch-site"),
        )
        .is_some_and(|s| s == "same-origin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;
    use crate::app::plumbing::Body;

    fn key() -> CredentialKey {
        CredentialKey::from_secret(Some("session-tests-secret-0123456789abcdef")).unwrap()
    }

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = ::http::Request::builder().uri("https://scim.example/admin/v1/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn links_and_sessions_are_told_apart_and_checked_without_the_database() {
        let mut r = SeededRandom(3);
        let link = issue_link(&key(), 0, &mut r).unwrap();
        let session = issue_session(&key(), 0, &mut r).unwrap();
        assert!(link.secret.starts_with("signin_1_0_"), "{}", link.secret);
        assert!(session.secret.starts_with("session_1_0_"));
        assert_eq!(genuine_link(&link.secret, &key()), Some(link.hash.clone()));
        assert_eq!(genuine_session(&link.secret, &key()), None);
        assert_eq!(genuine_link(&session.secret, &key()), None);
        let mut altered = session.secret.clone();
        altered.replace_range(20..21, if &altered[20..21] == "A" { "B" } else { "A" });
        assert_eq!(genuine_session(&altered, &key()), None);
        let other =
            CredentialKey::from_secret(Some("another-secret-0123456789abcdefghij")).unwrap();
        assert_eq!(genuine_session(&session.secret, &other), None);
    }

    #[test]
    fn links_and_sessions_carry_their_tenant_s_shard_under_the_check_value() {
        let mut r = SeededRandom(4);
        let link = issue_link(&key(), 1, &mut r).unwrap();
        let session = issue_session(&key(), 1, &mut r).unwrap();
        assert!(link.secret.starts_with("signin_1_1_"), "{}", link.secret);
        assert!(session.secret.starts_with("session_1_1_"));
        assert_eq!(genuine_shard(SIGN_IN_LINK, &link.secret, &key()), Some(1));
        assert_eq!(genuine_shard(SESSION, &session.secret, &key()), Some(1));
        // The mark moved to another shard: the check value fails.
        let moved = session.secret.replacen("session_1_1_", "session_1_0_", 1);
        assert_eq!(genuine_shard(SESSION, &moved, &key()), None);
        assert_eq!(genuine_session(&moved, &key()), None);
        assert_eq!(genuine_shard(SESSION, &link.secret, &key()), None);
    }

    #[test]
    fn the_cookie_is_found_among_others_and_set_as_a_host_cookie() {
        let r = req(&[("Cookie", "a=1; __Host-session=abc ; b=2")]);
        assert_eq!(session_cookie(&r), Some("abc"));
        assert_eq!(session_cookie(&req(&[("Cookie", "session=abc")])), None);
        assert_eq!(session_cookie(&req(&[])), None);
        let set = session_set_cookie("xyz");
        for part in [
            "__Host-session=xyz",
            "Path=/",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Max-Age=28800",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set.contains("Domain"));
    }

    #[test]
    fn only_same_origin_requests_pass() {
        assert!(same_origin(&req(&[("Origin", "https://scim.example")])));
        assert!(!same_origin(&req(&[("Origin", "https://evil.example")])));
        assert!(!same_origin(&req(&[("Origin", "null")])));
        assert!(same_origin(&req(&[("Sec-Fetch-Site", "same-origin")])));
        assert!(!same_origin(&req(&[("Sec-Fetch-Site", "cross-site")])));
        assert!(!same_origin(&req(&[])));
    }
}
