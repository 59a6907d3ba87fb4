//! Rate limiting (DESIGN §8), through the Workers Rate Limiting binding that `wrangler dev`
//! runs locally: past the limit a token's requests get 429 with an integer Retry-After and a
//! SCIM error body, and a throttled write changes nothing.

use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::http_client::worker;
use crate::throttle::{own_address, scim_from};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[test]
fn a_token_past_its_limit_gets_429_and_its_writes_change_nothing() {
    let w = worker();
    let t = w.new_tenant(&unique("Throttled "));
    // An address of its own (a genuine token is never counted per address; kept apart anyway).
    let ip = own_address();
    // Send until the limiter answers 429 (the window is 10 s and the limit 1,000; the bound keeps
    // the test finite if the limiter never answers).
    let throttled = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                while !throttled.load(Ordering::Relaxed)
                    && sent.fetch_add(1, Ordering::Relaxed) < 4000
                {
                    let r = scim_from(&ip, &t.token, "GET", "/Users?count=0");
                    if r.status == 429 {
                        let body = r.expect_scim_error(429, None);
                        assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}");
                        let retry: u32 = r
                            .header("retry-after")
                            .expect("Retry-After")
                            .parse()
                            .expect("an integer");
                        assert!((1..=60).contains(&retry));
                        throttled.store(true, Ordering::Relaxed);
                    } else {
                        assert_eq!(r.status, 200, "{}", r.body);
                    }
                }
            });
        }
    });
    assert!(
        throttled.load(Ordering::Relaxed),
        "no 429 after {} requests",
        sent.load(Ordering::Relaxed)
    );

    // While throttled, a create is refused...
    let name = format!("{}@example.com", unique("throttled."));
    let mut refused = false;
    for _ in 0..2000 {
        let r = w.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
        if r.status == 429 {
            refused = true;
            break;
        }
        // The window turned over and the create went through: use the next name.
        assert_eq!(r.status, 201, "{}", r.body);
        w.scim(
            &t.token,
            "DELETE",
            &format!("/Users/{}", r.json()["id"].as_str().unwrap()),
            None,
        );
        for _ in 0..1200 {
            if scim_from(&ip, &t.token, "GET", "/Users?count=0").status == 429 {
                break;
            }
        }
    }
    assert!(refused, "no throttled create");
    // ...and changed nothing: another token of the tenant (counted apart) does not find it.
    let other = w.admin(
        "POST",
        &format!("/tenants/{}/tokens", t.id),
        Some(json!({ "label": "check" })),
    );
    let other = other.json()["token"].as_str().unwrap().to_string();
    let found = w.scim(
        &other,
        "GET",
        &format!(
            "/Users?filter=userName+eq+%22{}%22",
            name.replace('@', "%40")
        ),
        None,
    );
    found.expect(200);
    assert_eq!(found.json()["totalResults"], json!(0));
    // Tokens of other tenants were never affected.
    let u = w.new_tenant(&unique("Unaffected "));
    w.scim(&u.token, "GET", "/Users", None).expect(200);
}
