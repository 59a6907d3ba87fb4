//! Throttles that never punish an IdP's other customers (DESIGN §8), against the Workers Rate
//! Limiting bindings that `wrangler dev` runs locally. `wrangler dev` passes a client's
//! `CF-Connecting-IP` on to the worker (and sets the peer's address when there is none), so
//! each flood here comes from an address of its own (documentation ranges, random per run) and
//! never throttles the rest of the suite. Each test prints its figures (`--nocapture`).

use crate::common::scenarios::bulk::{bulk_request, MAX_OPERATIONS};
use crate::common::{unique, Client, Reply};
use crate::http_client::worker;
use scim_edge::app::plumbing::ids::{base64url, Random, SeededRandom};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// A random seed for this run (the time), so that addresses and tokens differ between runs
/// against a long-lived worker.
fn seed() -> u64 {
    let n = unique("");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in n.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// An IPv6 address of the documentation range (RFC 3849) in a /64 of its own.
pub fn own_address() -> String {
    let mut r = SeededRandom(seed());
    let mut b = [0u8; 6];
    r.fill(&mut b).unwrap();
    format!(
        "2001:db8:{:x}:{:x}::1",
        u16::from_be_bytes([b[0], b[1]]),
        u16::from_be_bytes([b[2], b[3]])
    )
}

/// A SCIM request from `ip`.
pub fn scim_from(ip: &str, token: &str, method: &str, path: &str) -> Reply {
    let auth = format!("Bearer {token}");
    worker().send(
        method,
        &format!("/scim/v2{path}"),
        &[("Authorization", &auth), ("CF-Connecting-IP", ip)],
        None,
    )
}

/// A Bulk request that spends `MAX_OPERATIONS` units of its token's per-token budget (each
/// operation counts once, RFC 7644 §3.7) and costs the database little: DELETEs of users that
/// do not exist, the first failure ending the request (`failOnErrors` 1). A flood of plain
/// requests must reach 100 a second to meet the limit (1,000 in 10 s), which a busy two-core
/// machine under the whole suite does not always serve; these reach it 30 times sooner.
fn budget_spender() -> Vec<u8> {
    let ops: Vec<_> = (0..MAX_OPERATIONS)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/no-such-user-{i}")}))
        .collect();
    bulk_request(ops, Some(1)).to_string().into_bytes()
}

/// [`budget_spender`] sent with `token` from `ip`.
pub fn spend_from(ip: &str, token: &str) -> Reply {
    let auth = format!("Bearer {token}");
    worker().send(
        "POST",
        "/scim/v2/Bulk",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
            ("CF-Connecting-IP", ip),
        ],
        Some(&budget_spender()),
    )
}

/// Spends the per-token budget of a live `token` from `ip` (4 connections, at most 400
/// requests: 12,000 units), until the limiter answers 429; every other answer must be the
/// Bulk request's 200.
pub fn spend_budget(ip: &str, token: &str) {
    let throttled = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !throttled.load(Ordering::Relaxed)
                    && sent.fetch_add(1, Ordering::Relaxed) < 400
                {
                    let r = spend_from(ip, token);
                    match r.status {
                        429 => throttled.store(true, Ordering::Relaxed),
                        _ => assert_eq!(r.status, 200, "{}", r.body),
                    }
                }
            });
        }
    });
    assert!(
        throttled.load(Ordering::Relaxed),
        "no 429 after {} Bulk requests of {MAX_OPERATIONS} operations",
        sent.load(Ordering::Relaxed)
    );
}

/// A token of the current format whose every part is well formed and random: its check value
/// cannot match.
fn made_up_token(r: &mut SeededRandom) -> String {
    let (mut random, mut check) = ([0u8; 32], [0u8; 12]);
    r.fill(&mut random).unwrap();
    r.fill(&mut check).unwrap();
    format!("scim_1_0_{}_{}", base64url(&random), base64url(&check))
}

#[track_caller]
fn retry_after(r: &Reply) -> u32 {
    let retry: u32 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("an integer Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    retry
}

#[test]
fn a_flood_of_made_up_tokens_meets_429_per_address_and_a_genuine_token_there_keeps_working() {
    let w = worker();
    let t = w.new_tenant(&unique("Flooded "));
    let ip = own_address();
    let mut rng = SeededRandom(seed());
    let (mut refused, mut throttled, mut first_429) = (0, 0, None);
    let mut genuine_ok = 0;
    for i in 1..=300 {
        let r = scim_from(&ip, &made_up_token(&mut rng), "GET", "/Users");
        match r.status {
            401 => {
                // Refused by the check value, which needs no database.
                let body = r.expect_scim_error(401, None);
                assert!(
                    body["detail"]
                        .as_str()
                        .unwrap()
                        .contains("not issued by this service"),
                    "{body}"
                );
                refused += 1;
            }
            429 => {
                let body = r.expect_scim_error(429, None);
                assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}");
                retry_after(&r);
                first_429.get_or_insert(i);
                throttled += 1;
            }
            other => panic!("{other}: {}", r.body),
        }
        // The tenant's own token, from the same address, all along.
        if i % 10 == 0 {
            scim_from(&ip, &t.token, "GET", "/Users?count=1").expect(200);
            genuine_ok += 1;
        }
    }
    let first = first_429.expect("no 429 in 300 made-up tokens");
    // 100 per 60 s; a window that turns over during the flood may let up to 100 more through.
    assert!(first <= 201, "first 429 at {first}");
    assert!(throttled >= 99, "{throttled} throttled");
    // Afterwards: the genuine token from that address works; made-up tokens from elsewhere
    // are refused as such, not throttled.
    scim_from(&ip, &t.token, "GET", "/Users?count=1").expect(200);
    let elsewhere = own_address();
    scim_from(&elsewhere, &made_up_token(&mut rng), "GET", "/Users").expect_scim_error(401, None);
    genuine_ok += 1;
    eprintln!(
        "made-up tokens from {ip}: 300 sent, first 429 at request {first}, {refused} refused \
         401 (check value, no D1), {throttled} throttled 429; the genuine token from the same \
         address: {genuine_ok} of {genuine_ok} answered 200"
    );
}

#[test]
fn a_revoked_token_retried_from_a_shared_address_never_throttles_another_tenants_token() {
    let w = worker();
    // Okta's egress: both tenants' IdP connections come from this one address.
    let egress = own_address();
    let a = w.new_tenant(&unique("Revoked A "));
    let b = w.new_tenant(&unique("Neighbour B "));
    let issued = w.admin(
        "POST",
        &format!("/tenants/{}/tokens", a.id),
        Some(json!({ "label": "Okta, old" })),
    );
    issued.expect(201);
    let revoked = issued.json()["token"].as_str().unwrap().to_string();
    let revoked_id = issued.json()["token_id"].as_str().unwrap().to_string();
    w.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{revoked_id}", a.id),
        None,
    )
    .expect(204);

    // The IdP retries the revoked token as fast as it can (8 connections) until it is
    // throttled; B's token goes on from the same address meanwhile. Its retries are Bulk
    // requests, 30 units of the per-token budget each (`spend_from`), so that the limit is met
    // within one window however slowly the machine answers.
    let throttled = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);
    let first_429 = Mutex::new(None::<usize>);
    let neighbour = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for thread in 0..8 {
            let (throttled, sent, first_429, neighbour) =
                (&throttled, &sent, &first_429, &neighbour);
            let (egress, revoked, b) = (&egress, &revoked, &b);
            s.spawn(move || {
                let mut mine = 0;
                while !throttled.load(Ordering::Relaxed) {
                    mine += 1;
                    let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
                    if n > 400 {
                        break;
                    }
                    // Each request spends 30 units of the revoked token's own budget.
                    let r = spend_from(egress, revoked);
                    match r.status {
                        401 => {
                            let body = r.expect_scim_error(401, None);
                            assert!(
                                body["detail"]
                                    .as_str()
                                    .unwrap()
                                    .contains("unknown or revoked"),
                                "{body}"
                            );
                        }
                        429 => {
                            r.expect_scim_error(429, None);
                            retry_after(&r);
                            first_429.lock().unwrap().get_or_insert(n);
                            throttled.store(true, Ordering::Relaxed);
                        }
                        other => panic!("{other}: {}", r.body),
                    }
                    if thread == 0 && mine % 2 == 0 {
                        scim_from(egress, &b.token, "GET", "/Users?count=0").expect(200);
                        neighbour.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let first = first_429
        .lock()
        .unwrap()
        .unwrap_or_else(|| panic!("no 429 after {} requests", sent.load(Ordering::Relaxed)));
    // Throttled: B's token and A's live token from the same address are not.
    assert_eq!(
        scim_from(&egress, &revoked, "GET", "/Users?count=0").status,
        429
    );
    scim_from(&egress, &b.token, "GET", "/Users?count=0").expect(200);
    scim_from(&egress, &a.token, "GET", "/Users?count=0").expect(200);
    eprintln!(
        "revoked token from {egress}: first 429 at about request {first}, each of \
         {MAX_OPERATIONS} units (limit 1,000 per 10 s per token); the other tenant's token from \
         the same address: {} of {} answered 200, and 200 after the revoked one was throttled",
        neighbour.load(Ordering::Relaxed),
        neighbour.load(Ordering::Relaxed)
    );
}

#[test]
fn a_flood_of_wrong_admin_tokens_meets_429_per_address() {
    let w = worker();
    let mut r = SeededRandom(seed());
    let mut b = [0u8; 1];
    r.fill(&mut b).unwrap();
    let ip = format!("203.0.113.{}", b[0] % 200);
    let right = format!("Bearer {}", w.admin_token());
    let (mut unauthorized, mut throttled, mut first_429) = (0, 0, None);
    let mut operator_ok = 0;
    for i in 1..=300 {
        let wrong = format!("Bearer adm_guess_{i:04}_{}", "x".repeat(30));
        let reply = w.send(
            "GET",
            "/admin/v1/tenants?limit=1",
            &[("Authorization", &wrong), ("CF-Connecting-IP", &ip)],
            None,
        );
        match reply.status {
            401 => {
                reply.expect_admin_error(401, "unauthorized");
                unauthorized += 1;
            }
            429 => {
                let body = reply.expect_admin_error(429, "too_many_requests");
                assert!(!reply.body.contains("adm_guess"), "{body}");
                retry_after(&reply);
                first_429.get_or_insert(i);
                throttled += 1;
            }
            other => panic!("{other}: {}", reply.body),
        }
        // The operator, from the same address, is never counted.
        if i % 30 == 0 {
            w.send(
                "GET",
                "/admin/v1/tenants?limit=1",
                &[("Authorization", &right), ("CF-Connecting-IP", &ip)],
                None,
            )
            .expect(200);
            operator_ok += 1;
        }
    }
    let first = first_429.expect("no 429 in 300 wrong admin tokens");
    assert!(first <= 201, "first 429 at {first}");
    assert!(throttled >= 99, "{throttled} throttled");
    // From another address, a wrong admin token is a 401 still.
    w.send(
        "GET",
        "/admin/v1/tenants",
        &[
            ("Authorization", "Bearer wrong"),
            ("CF-Connecting-IP", "203.0.113.250"),
        ],
        None,
    )
    .expect_admin_error(401, "unauthorized");
    eprintln!(
        "wrong admin tokens from {ip}: 300 sent, first 429 at request {first}, {unauthorized} \
         answered 401, {throttled} throttled 429; the right admin token from the same address: \
         {operator_ok} of {operator_ok} answered 200"
    );
}
