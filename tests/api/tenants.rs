//! Tenants and tokens on the host, where the clock is fixed and steps as a test says: the exact
//! answer of a creation, the interval of `last_used` writes, a revocation within one millisecond.
//! (The scenarios both suites run are in `common::scenarios::tenants`.)

use crate::common::Client;
use crate::helpers::TestApp;
use serde_json::json;

#[test]
fn created_tenant_answer_is_exact_with_a_fixed_clock_and_seed() {
    let app = TestApp::new();
    let r = app.admin("POST", "/tenants", Some(json!({ "name": "Acme" })));
    r.expect(201);
    let body = r.json();
    assert_eq!(body["created"], json!("2026-01-02T03:04:05.001Z"));
    assert_eq!(body["scim_base_url"], json!("http://scim.test/scim/v2"));
    assert!(body["id"].as_str().unwrap().starts_with("tnt_"));
    assert!(body["token_id"].as_str().unwrap().starts_with("tok_"));
    // The quota and its usage were added (the contract lets fields be added, never changed).
    assert_eq!(
        body["quota"],
        json!({ "employees": 500_000, "bytes": 1_073_741_824 })
    );
    assert_eq!(body["usage"], json!({ "employees": 0, "bytes": 0 }));
    assert_eq!(body.as_object().unwrap().len(), 9, "{body}");
}

#[test]
fn last_used_is_written_at_most_every_five_minutes() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let last_used = |app: &TestApp| {
        let list = app
            .admin("GET", &format!("/tenants/{}/tokens", t.id), None)
            .json();
        list["tokens"][0]["last_used"].clone()
    };
    assert_eq!(last_used(&app), serde_json::Value::Null);
    app.scim(&t.token, "GET", "/Users", None);
    let first = last_used(&app);
    assert!(first.is_string());
    app.advance(60_000);
    app.scim(&t.token, "GET", "/Users", None);
    assert_eq!(
        last_used(&app),
        first,
        "a use one minute later is not written"
    );
    app.advance(5 * 60_000);
    app.scim(&t.token, "GET", "/Users", None);
    assert_ne!(
        last_used(&app),
        first,
        "a use after five minutes is written"
    );
}

#[test]
fn revoked_token_fails_on_the_next_request_even_within_the_same_millisecond() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    app.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{}", t.id, t.token_id),
        None,
    )
    .expect(204);
    app.now.set(app.now.get() - 1); // the clock does not move between the two requests
    app.scim(&t.token, "GET", "/Users", None)
        .expect_scim_error(401, None);
}
