//! SCIM plumbing every endpoint shares: routing, methods, media types, body limits, errors,
//! request ids (RFC 7644 §3.1, §3.12; DESIGN §6, §8).

use crate::common::{unique, Client};

pub fn every_answer_has_a_request_id(c: &impl Client) {
    let t = c.new_tenant(&unique("Rid "));
    for (method, path) in [
        ("GET", "/scim/v2/ServiceProviderConfig"),
        ("GET", "/scim/v2/Nope"),
        ("GET", "/nope"),
        ("GET", "/admin/v1/tenants"),
    ] {
        let r = c.send(method, path, &[], None);
        let id = r
            .header("x-request-id")
            .unwrap_or_else(|| panic!("no X-Request-Id on {path}"));
        assert!(!id.is_empty());
    }
    let r = c.scim(&t.token, "GET", "/Users", None);
    assert!(r.header("x-request-id").is_some());
    // A client's own request id never replaces ours, however safe it looks (the worker keeps it
    // beside ours in its log line); an unsafe one is not echoed either.
    let r = c.send(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &[("X-Request-Id", "okta-abc-123")],
        None,
    );
    let ours = r.header("x-request-id").expect("X-Request-Id");
    assert_ne!(ours, "okta-abc-123");
    assert!(
        ours.len() == 24 && ours.bytes().all(|b| b.is_ascii_hexdigit()),
        "{ours}"
    );
    let r = c.send(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &[("X-Request-Id", "<script>")],
        None,
    );
    assert_ne!(r.header("x-request-id"), Some("<script>"));
}

pub fn unknown_routes_and_methods(c: &impl Client) {
    let t = c.new_tenant(&unique("Routes "));
    c.scim(&t.token, "GET", "/Nope", None)
        .expect_scim_error(404, None);
    c.scim(&t.token, "GET", "/Users/a/b", None)
        .expect_scim_error(404, None);
    c.send("GET", "/", &[], None).expect_scim_error(404, None);
    let r = c.scim(&t.token, "DELETE", "/ServiceProviderConfig", None);
    r.expect_scim_error(405, None);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = c.scim(&t.token, "PUT", "/Users", Some(serde_json::json!({})));
    r.expect_scim_error(405, None);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    // Groups are not part of the product: a SCIM 404 that says so.
    let body = c
        .scim(&t.token, "GET", "/Groups", None)
        .expect_scim_error(404, None);
    assert!(
        body["detail"].as_str().unwrap().contains("Groups"),
        "{body}"
    );
    c.scim(
        &t.token,
        "POST",
        "/Groups",
        Some(serde_json::json!({"displayName": "x"})),
    )
    .expect_scim_error(404, None);
    // Bulk is served (a body without the BulkRequest schema is a 400; see the bulk
    // scenarios); /Me is defined by RFC 7644 and not implemented: 501.
    c.scim(&t.token, "POST", "/Bulk", Some(serde_json::json!({})))
        .expect_scim_error(400, Some("invalidValue"));
    let r = c.scim(&t.token, "GET", "/Bulk", None);
    r.expect_scim_error(405, None);
    assert_eq!(r.header("allow"), Some("POST"));
    c.scim(&t.token, "GET", "/Me", None)
        .expect_scim_error(501, None);
    // A search at the root is the Users search (Users is the only resource type; see the query scenarios).
    c.scim(&t.token, "POST", "/.search", Some(serde_json::json!({})))
        .expect(200);
    c.admin("GET", "/nope", None)
        .expect_admin_error(404, "not_found");
    let r = c.admin("PUT", "/tenants", None);
    r.expect_admin_error(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, POST"));
}

pub fn media_types_are_negotiated(c: &impl Client) {
    let t = c.new_tenant(&unique("Media "));
    let auth = format!("Bearer {}", t.token);
    // 415 for a body that is neither SCIM nor JSON.
    c.send(
        "POST",
        "/scim/v2/Users",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        Some(b"{}"),
    )
    .expect_scim_error(415, None);
    // Accept: application/json alone gets application/json; SCIM otherwise.
    let r = c.send(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &[("Accept", "application/json")],
        None,
    );
    r.expect(200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let r = c.send(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &[("Accept", "application/scim+json")],
        None,
    );
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));
    let r = c.send("GET", "/scim/v2/ServiceProviderConfig", &[], None);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));
    c.send(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &[("Accept", "text/html")],
        None,
    )
    .expect_scim_error(406, None);
}

pub fn bodies_over_one_mebibyte_are_refused(c: &impl Client) {
    let t = c.new_tenant(&unique("Big "));
    let auth = format!("Bearer {}", t.token);
    let mut big = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big","displayName":""#.to_vec();
    big.resize(1024 * 1024 + 1, b'x');
    let r = c.send(
        "POST",
        "/scim/v2/Users",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(&big),
    );
    r.expect_scim_error(413, None);
    let admin = format!("Bearer {}", c.admin_token());
    c.send(
        "POST",
        "/admin/v1/tenants",
        &[
            ("Authorization", &admin),
            ("Content-Type", "application/json"),
        ],
        Some(&big),
    )
    .expect_admin_error(413, "payload_too_large");
}

pub fn service_provider_config_is_served(c: &impl Client) {
    let r = c.send("GET", "/scim/v2/ServiceProviderConfig", &[], None);
    r.expect(200);
    let spc = r.json();
    assert_eq!(
        spc["schemas"],
        serde_json::json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    for k in [
        "patch",
        "bulk",
        "filter",
        "changePassword",
        "sort",
        "etag",
        "authenticationSchemes",
    ] {
        assert!(spc.get(k).is_some(), "missing {k}");
    }
    // RFC 7644 §3.7.4: the limits the Bulk scenarios test at one past each.
    assert_eq!(
        spc["bulk"],
        serde_json::json!({"supported": true, "maxOperations": 30, "maxPayloadSize": 1048576})
    );
    assert_eq!(spc["changePassword"]["supported"], serde_json::json!(false));
    assert_eq!(
        spc["authenticationSchemes"][0]["type"],
        serde_json::json!("oauthbearertoken")
    );
}
