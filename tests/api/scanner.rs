//! The response scanner (`tests/common/scanner.rs`) itself: answers it must refuse and answers
//! it must let pass. Without these, a scanner that accepts everything would look the same as
//! one that works.

use crate::common::scanner::{find_token, remember_sent, scan, Request};
use crate::common::Reply;
use scim_edge::app::plumbing::auth::generate_token;
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::Config;

const ADMIN: &str = "adm_scanner_tests_0123456789abcdefghijkl";
const SECRET: &str = "scanner-tests-credential-secret-0123456789";
/// The README's example token (issued under `example-secret-do-not-use-0123456789abcdef`).
const README_TOKEN: &str = "scim_1_0_P5oMUdLoS3qcHlttfo-QobLD1OX2BxgpOktcbX6PkBI_c0aG_9gwBwTtRykC";
/// A token of the old format: `scim_` and 43 characters.
const LEGACY_TOKEN: &str = "scim_P5oMUdLoS3qcHlttfo-QobLD1OX2BxgpOktcbX6PkBI";
const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn reply(status: u16, content_type: &str, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("x-request-id".into(), "req_0123456789abcdef".into()),
        ],
        body: body.into(),
    }
}

fn scim_error(status: u16, detail: &str) -> Reply {
    let body = serde_json::json!({
        "schemas": [SCIM_ERROR], "status": status.to_string(), "detail": detail
    });
    reply(status, "application/scim+json", &body.to_string())
}

fn check(method: &str, path: &str, r: &Reply) -> Result<(), String> {
    scan(
        &Request {
            method,
            path,
            admin_token: ADMIN,
            credential_secret: Some(SECRET),
        },
        r,
    )
}

/// A token the application itself issues, so that the scanner knows today's format.
fn issued_token(seed: u64) -> String {
    let config = Config::new(Some(ADMIN.into()), Some(SECRET));
    generate_token(config.credential_key().unwrap(), 0, &mut SeededRandom(seed))
        .unwrap()
        .secret
}

#[track_caller]
fn refused(result: Result<(), String>, says: &str) {
    match result {
        Ok(()) => panic!("the scanner let it pass; it should have said {says:?}"),
        Err(problem) => assert!(problem.contains(says), "{problem}"),
    }
}

#[test]
fn scanner_accepts_well_formed_answers() {
    let user = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ada@example.com"}"#;
    assert_eq!(
        check(
            "GET",
            "/scim/v2/Users/u1",
            &reply(200, "application/scim+json", user)
        ),
        Ok(())
    );
    assert_eq!(
        check(
            "GET",
            "/scim/v2/Users/nope",
            &scim_error(404, "No such user")
        ),
        Ok(())
    );
    assert_eq!(
        check("GET", "/nowhere", &scim_error(404, "Not a SCIM endpoint")),
        Ok(())
    );
    let admin = r#"{"error":"not_found","detail":"No such tenant"}"#;
    assert_eq!(
        check(
            "GET",
            "/admin/v1/tenants/t",
            &reply(404, "application/json", admin)
        ),
        Ok(())
    );
    assert_eq!(
        check("GET", "/scim/v2/Users/u1", &reply(304, "", "")),
        Ok(())
    );
    // A listing shows a token's first 12 characters: no token.
    let listing = r#"{"tokens":[{"token_id":"tok_1","prefix":"scim_1_0_P5o"}]}"#;
    assert_eq!(
        check(
            "GET",
            "/admin/v1/tenants/t/tokens",
            &reply(200, "application/json", listing)
        ),
        Ok(())
    );
}

#[test]
fn scanner_refuses_non_2xx_answers_of_another_shape() {
    refused(
        check(
            "GET",
            "/scim/v2/Users",
            &reply(500, "text/html", "<h1>Error 1101</h1>"),
        ),
        "Content-Type",
    );
    refused(
        check(
            "GET",
            "/scim/v2/Users",
            &reply(500, "application/json", "Internal Server Error"),
        ),
        "not a JSON object",
    );
    // The status as a number, or another status than the HTTP one.
    let number = format!(r#"{{"schemas":["{SCIM_ERROR}"],"status":400,"detail":"x"}}"#);
    refused(
        check(
            "POST",
            "/scim/v2/Users",
            &reply(400, "application/scim+json", &number),
        ),
        "as a string",
    );
    refused(
        check("POST", "/scim/v2/Users", &{
            let mut r = scim_error(409, "taken");
            r.status = 400;
            r
        }),
        "as a string",
    );
    // The admin shape under /scim/v2, and the SCIM shape under /admin/v1.
    let admin = r#"{"error":"unauthorized","detail":"no"}"#;
    refused(
        check(
            "GET",
            "/scim/v2/Users",
            &reply(401, "application/json", admin),
        ),
        "not a SCIM error",
    );
    refused(
        check("GET", "/admin/v1/tenants", &scim_error(401, "no")),
        "admin API",
    );
    refused(
        check("GET", "/scim/v2/Users/u1", &reply(304, "", "{}")),
        "304",
    );
}

#[test]
fn scanner_refuses_sql_text_and_stack_traces() {
    let samples = [
        "D1_ERROR: no such table: users: SQLITE_ERROR",
        "UNIQUE constraint failed: users.tenant_id, users.user_name_fold",
        "near \"FROM\": syntax error",
        "SELECT resource FROM users WHERE id = ?1",
        "INSERT INTO activity (seq) VALUES (1)",
        "panicked at src/scim/patch/mod.rs:12:5: index out of bounds",
        "RuntimeError: unreachable\n    at wasm://wasm/0012:wasm-function[42]:0x1f",
        "Worker threw exception",
    ];
    for text in samples {
        let r = scim_error(500, text);
        assert!(check("GET", "/scim/v2/Users", &r).is_err(), "{text}");
        // In a 2xx answer too.
        let ok = reply(
            200,
            "application/scim+json",
            &serde_json::json!({ "note": text }).to_string(),
        );
        assert!(check("GET", "/scim/v2/Users", &ok).is_err(), "{text}");
        // And in a header.
        let mut h = reply(200, "application/scim+json", "{}");
        h.headers.push(("x-debug".into(), text.into()));
        assert!(check("GET", "/scim/v2/Users", &h).is_err(), "{text}");
    }
}

#[test]
fn scanner_excuses_text_the_client_sent_itself() {
    // A userName that looks like SQL comes back as written; unsent, the same text is a leak.
    let name = "Robert'); DELETE FROM students WHERE 1=1; -- scanner-excuse-7f3a";
    let user = serde_json::json!({ "id": "u1", "userName": name }).to_string();
    let r = reply(200, "application/scim+json", &user);
    refused(check("GET", "/scim/v2/Users/u1", &r), "SQL text");
    remember_sent(
        "/scim/v2/Users",
        Some(
            serde_json::json!({ "userName": name })
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(check("GET", "/scim/v2/Users/u1", &r), Ok(()));
}

#[test]
fn scanner_refuses_tokens_and_secrets() {
    let issued = issued_token(7);
    for token in [README_TOKEN, LEGACY_TOKEN, issued.as_str()] {
        assert_eq!(find_token(&format!("x \"{token}\" y")), Some(3), "{token}");
        let body = serde_json::json!({ "detail": format!("bad token {token}") }).to_string();
        refused(
            check(
                "GET",
                "/admin/v1/tenants/t/tokens",
                &reply(200, "application/json", &body),
            ),
            "token",
        );
        let mut h = reply(200, "application/json", "{}");
        h.headers
            .push(("www-authenticate".into(), format!("Bearer {token}")));
        refused(
            check("GET", "/scim/v2/Users", &h),
            "header www-authenticate",
        );
    }
    // Any kind of credential in the current format, not only SCIM tokens.
    let session = README_TOKEN.replacen("scim_", "sess_", 1);
    refused(
        check(
            "GET",
            "/admin/v1/x",
            &reply(200, "application/json", &format!("[\"{session}\"]")),
        ),
        "token",
    );
    // The worker's secrets.
    for secret in [ADMIN, SECRET] {
        refused(
            check(
                "GET",
                "/scim/v2/Users",
                &scim_error(401, &format!("expected {secret}")),
            ),
            "secret",
        );
    }
}

#[test]
fn scanner_lets_only_issuing_answers_show_their_token() {
    let token = issued_token(8);
    let body =
        serde_json::json!({ "id": "tnt_1", "token_id": "tok_1", "token": token }).to_string();
    let issued = reply(201, "application/json", &body);
    assert_eq!(check("POST", "/admin/v1/tenants", &issued), Ok(()));
    assert_eq!(
        check("POST", "/admin/v1/tenants/tnt_1/tokens", &issued),
        Ok(())
    );
    // The same answer to a request that issues nothing.
    refused(check("GET", "/admin/v1/tenants/tnt_1", &issued), "token");
    refused(check("PATCH", "/admin/v1/tenants/tnt_1", &issued), "token");
    let mut not_created = issued.clone();
    not_created.status = 200;
    refused(check("POST", "/admin/v1/tenants", &not_created), "token");
    // An issuing answer that shows its token twice, or another one beside it.
    let twice = serde_json::json!({ "token": token, "label": token }).to_string();
    refused(
        check(
            "POST",
            "/admin/v1/tenants",
            &reply(201, "application/json", &twice),
        ),
        "more than once",
    );
    let other = serde_json::json!({ "token": token, "previous": issued_token(9) }).to_string();
    refused(
        check(
            "POST",
            "/admin/v1/tenants",
            &reply(201, "application/json", &other),
        ),
        "token",
    );
}

#[test]
fn a_health_answer_needs_its_status_word() {
    let health = |status, body| reply(status, "application/json", body);
    assert_eq!(
        check(
            "GET",
            "/healthz",
            &health(503, r#"{"status":"unavailable"}"#)
        ),
        Ok(())
    );
    assert_eq!(
        check("GET", "/healthz", &health(429, r#"{"status":"throttled"}"#)),
        Ok(())
    );
    refused(
        check("GET", "/healthz", &health(503, r#"{"error":"x"}"#)),
        "without a status word",
    );
    refused(check("GET", "/healthz", &health(503, "down")), "");
    // Elsewhere, the health shape is no SCIM error.
    refused(
        check(
            "GET",
            "/scim/v2/Users",
            &health(503, r#"{"status":"unavailable"}"#),
        ),
        "",
    );
}
