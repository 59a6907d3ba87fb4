//! Rate limiting (DESIGN §8), through the Workers Rate Limiting binding that `wrangler dev`
//! runs locally: past the limit a token's requests get 429 with an integer Retry-After and a
//! SCIM error body, and a throttled write changes nothing.

use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::http_client::worker;
use crate::throttle::{own_address, scim_from, spend_budget};
use serde_json::json;

#[test]
fn a_token_past_its_limit_gets_429_and_its_writes_change_nothing() {
    let w = worker();
    let t = w.new_tenant(&unique("Throttled "));
    // An address of its own (a genuine token is never counted per address; kept apart anyway).
    let ip = own_address();
    // Spend the token's budget (Bulk requests of 30 units each, so that the limit of 1,000 in
    // 10 s is met whatever the machine's speed), then a plain request is refused; should the
    // window turn over in between, again.
    let mut throttled = None;
    for _ in 0..5 {
        spend_budget(&ip, &t.token);
        let r = scim_from(&ip, &t.token, "GET", "/Users?count=0");
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = throttled.expect("a plain request refused once the budget was spent");
    let body = r.expect_scim_error(429, None);
    assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}");
    let retry: u32 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("an integer");
    assert!((1..=60).contains(&retry));

    // While throttled, a create is refused...
    let name = format!("{}@example.com", unique("throttled."));
    let mut refused = false;
    for _ in 0..5 {
        let r = w.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
        if r.status == 429 {
            refused = true;
            break;
        }
        // The window turned over and the create went through: undo it, spend the budget again.
        assert_eq!(r.status, 201, "{}", r.body);
        w.scim(
            &t.token,
            "DELETE",
            &format!("/Users/{}", r.json()["id"].as_str().unwrap()),
            None,
        );
        spend_budget(&ip, &t.token);
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
