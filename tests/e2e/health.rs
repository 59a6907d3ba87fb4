//! `GET /healthz` against the real worker: answered without a token, its check reused within
//! a few seconds (per isolate: `wrangler dev` runs one), and limited per client address by the
//! Workers Rate Limiting binding (`HEALTH_LIMITER`, 60 in 60 s), in the health answer's shape.

use crate::common::Client;
use crate::http_client::worker;
use crate::throttle::own_address;
use scim_edge::app::plumbing::throttle::Limiter;

fn healthz(ip: &str) -> crate::common::Reply {
    worker().send("GET", "/healthz", &[("CF-Connecting-IP", ip)], None)
}

#[test]
fn healthz_answers_without_a_token_and_reuses_its_check() {
    let ip = own_address();
    let first = healthz(&ip);
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(first["status"], "ok");
    // Within the cache's five seconds, the next answer is the same check (unless the first was
    // itself a cached one that just expired: then the one after is cached).
    let mut cached = None;
    for _ in 0..3 {
        let r = healthz(&ip).json();
        if r["cached"] == true {
            cached = Some(r);
            break;
        }
    }
    let cached = cached.expect("no cached answer within three requests");
    assert_eq!(cached["status"], "ok");
    assert!(cached["checked_at"].is_string());
}

#[test]
fn healthz_is_limited_per_address() {
    let ip = own_address();
    let limit = Limiter::Health.limit() as usize;
    let mut throttled = None;
    // The limiter's window is 60 s and counts are eventually consistent: allow some slack.
    for sent in 1..=limit * 3 {
        let r = healthz(&ip);
        if r.status == 429 {
            throttled = Some((sent, r));
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (sent, r) = throttled.expect("no 429 from the health limiter");
    assert!(sent > limit / 2, "throttled after only {sent} requests");
    assert_eq!(r.json()["status"], "throttled");
    assert_eq!(r.header("retry-after"), Some("60"));
    // Another address is not affected.
    assert_eq!(healthz(&own_address()).status, 200);
}
