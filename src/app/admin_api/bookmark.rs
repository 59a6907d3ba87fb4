//! The bookmark an admin's requests carry, so that the admin API can read D1's replicas and an
//! admin still sees their own changes (DESIGN §9, the Sessions API).
//!
//! Every admin answer about one tenant says where its session stood in `X-Bookmark`:
//! `<shard>:<bookmark>` (D1's bookmark, opaque, of that shard's database). A client that sends
//! it back in `X-Bookmark` has its next request's reads served by a replica at least that new:
//! its own writes and everything it read before are there. A company admin's console gets it
//! as a cookie too (`__Host-bookmark`, the session cookie's attributes), which the browser
//! hands back by itself; the header wins over the cookie. A bookmark of another shard than the
//! request's, or of no bookmark's shape, is ignored (the session then starts on any replica).
//!
//! Leaves out the lists that span every shard (the operator's tenants and purges): they read
//! the primaries (`super::run_batch`).

use crate::app::plumbing::respond::set;
use crate::app::plumbing::session::{cookie, SESSION_HOURS};
use crate::app::plumbing::{header, Request, Response};
use http::header::HeaderName;

/// The header that carries a bookmark, both ways.
pub const HEADER: &str = "x-bookmark";
/// The cookie that carries it for a console session.
pub const COOKIE: &str = "__Host-bookmark";
/// The longest bookmark accepted, in characters (D1's are under 100).
const MAX_CHARS: usize = 200;

/// `<shard>:<bookmark>` read back: the bookmark when it is of `shard`.
fn parse(value: &str, shard: u16) -> Option<String> {
    let (mark, bookmark) = value.trim().split_once(':')?;
    let shaped = !bookmark.is_empty()
        && bookmark.len() <= MAX_CHARS
        && bookmark
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.');
    (shaped && mark.parse::<u16>().ok()? == shard && mark == shard.to_string())
        .then(|| bookmark.to_string())
}

/// The bookmark a request hands back for `shard`, if any: its header, else its cookie.
pub fn presented(req: &Request, shard: u16) -> Option<String> {
    match header(req, HeaderName::from_static(HEADER)) {
        Some(value) => parse(value, shard),
        None => cookie(req, COOKIE).and_then(|v| parse(v, shard)),
    }
}

/// Says where the request's session of `shard` stands: the header, and for a console session
/// the cookie (unless the answer sets a cookie of its own).
pub fn hand_back(response: &mut Response, shard: u16, bookmark: Option<String>, session: bool) {
    let Some(bookmark) = bookmark.filter(|b| parse(&format!("{shard}:{b}"), shard).is_some())
    else {
        return;
    };
    let value = format!("{shard}:{bookmark}");
    set(response, HeaderName::from_static(HEADER), &value);
    // Not beside a cookie the answer sets itself (a logout's).
    if session && !response.headers().contains_key(http::header::SET_COOKIE) {
        let cookie = format!(
            "{COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
            SESSION_HOURS * 3600
        );
        response.headers_mut().append(
            http::header::SET_COOKIE,
            cookie.parse().expect("visible ASCII"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::Body;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().uri("https://h/admin/v1/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn a_bookmark_counts_for_its_own_shard_only() {
        let b = "0000000c-00000003-00004f73-8c1a6c0f";
        assert_eq!(
            presented(&req(&[("X-Bookmark", &format!("1:{b}"))]), 1).as_deref(),
            Some(b)
        );
        assert_eq!(
            presented(&req(&[("X-Bookmark", &format!("1:{b}"))]), 0),
            None
        );
        for bad in ["", "1", "1:", ":abc", "01:abc", "1:a b", "1:a;b", "x:abc"] {
            assert_eq!(presented(&req(&[("X-Bookmark", bad)]), 1), None, "{bad}");
        }
        assert_eq!(
            presented(
                &req(&[("X-Bookmark", &format!("1:{}", "a".repeat(201)))]),
                1
            ),
            None
        );
        // The cookie, when there is no header; the header wins.
        let cookie = format!("__Host-bookmark=0:{b}");
        assert_eq!(
            presented(&req(&[("Cookie", &cookie)]), 0).as_deref(),
            Some(b)
        );
        assert_eq!(
            presented(&req(&[("Cookie", &cookie), ("X-Bookmark", "0:ffff")]), 0).as_deref(),
            Some("ffff")
        );
    }

    #[test]
    fn the_answer_says_where_the_session_stands() {
        let mut r = Response::new(String::new());
        hand_back(&mut r, 1, Some("00ab".into()), false);
        assert_eq!(r.headers()["x-bookmark"], "1:00ab");
        assert!(r.headers().get("set-cookie").is_none());
        let mut r = Response::new(String::new());
        hand_back(&mut r, 0, Some("00ab".into()), true);
        let set = r.headers()["set-cookie"].to_str().unwrap();
        assert!(set.starts_with("__Host-bookmark=0:00ab; Path=/;"), "{set}");
        assert!(
            set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict")
        );
        let mut r = Response::new(String::new());
        hand_back(&mut r, 0, None, true);
        hand_back(&mut r, 0, Some("a b".into()), true);
        assert!(r.headers().is_empty());
    }
}
