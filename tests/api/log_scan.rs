//! The log scan's own tests (`tests/common/log_scan.rs`): what it records from a request, and
//! that it finds each kind of leak in a log. Without these, a scan that finds nothing would look
//! the same as a clean log.

use crate::common::log_scan::{find_email, read_record, scan, sensitive, Kind};
use serde_json::json;

const TOKEN: &str = "scim_1_0_P5oMUdLoS3qcHlttfo-QobLD1OX2BxgpOktcbX6PkBI_c0aG_9gwBwTtRykC";

#[test]
fn requests_yield_their_emails_usernames_filter_values_and_credentials() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jyoung.e2e",
        "emails": [{"value": "jane.young@example.com", "type": "work"}],
        "Operations": [{"op": "replace", "path": "userName", "value": "jyoung.renamed"}],
        "title": "cto"
    })
    .to_string();
    let mut got = sensitive(
        "/scim/v2/Users?filter=userName+eq+%22ISAAC%40example.com%22+and+externalId+eq+%22ext-4711%22+and+id+eq+%22f174dbff-119f-4005-8cfc-95f20de9334f%22+and+meta.created+gt+%222026-01-02T03:04:05Z%22",
        &[("Authorization", &format!("Bearer {TOKEN}")), ("Accept", "application/scim+json")],
        Some(body.as_bytes()),
        &json!({ "token": "scim_1_0_issued_token_value" }).to_string(),
    );
    got.sort();
    assert_eq!(
        got,
        vec![
            (Kind::Email, "ISAAC@example.com".into()),
            (Kind::Email, "jane.young@example.com".into()),
            (Kind::UserName, "jyoung.e2e".into()),
            (Kind::UserName, "jyoung.renamed".into()),
            (Kind::FilterValue, "ISAAC@example.com".into()),
            (Kind::FilterValue, "ext-4711".into()),
            (Kind::Credential, TOKEN.into()),
            (Kind::Credential, "scim_1_0_issued_token_value".into()),
        ]
    );
}

#[test]
fn each_kind_of_leak_is_found_and_a_clean_log_passes() {
    let recorded = read_record(
        "userName\tjyoung.e2e\nemail\tjane.young@example.com\ncredential\tadm_operator_secret_0123\nfilter value\text-4711\n",
    );
    assert_eq!(recorded.len(), 4);
    let clean = r#"[wrangler:info] GET /scim/v2/Users 200 OK (3ms)
{"request_id":"0123","tenant_id":"tnt_ab","operation":"scim.users.get","status":200}"#;
    assert_eq!(scan(clean, &recorded), vec![]);
    let leaks = [
        ("{\"detail\":\"user JYoung.E2E exists\"}", "userName"),
        ("note: Jane.Young@Example.com", "email"),
        (
            "Authorization: Bearer adm_operator_secret_0123",
            "credential",
        ),
        (
            "GET /scim/v2/Users?filter=externalId eq \"ext-4711\"",
            "filter value",
        ),
        ("someone.else@corp.example.org was here", "email's shape"),
        (&format!("token={TOKEN}"), "token's shape"),
        (
            "GET /scim/v2/Users?filter=emails+co+%22Jane.Young%40example.com%22",
            "email",
        ),
        (
            "GET /scim/v2/Users?filter=externalId%20eq%20%22ext-4711%22",
            "filter value",
        ),
    ];
    for (line, says) in leaks {
        let log = format!("{clean}\n{line}\n");
        let findings = scan(&log, &recorded);
        assert!(
            findings
                .iter()
                .any(|f| f.line == 3 && f.what.contains(says)),
            "{line:?}: {findings:?}"
        );
    }
}

#[test]
fn email_shapes() {
    let table = [
        ("mail a.b+c@example.co.uk now", Some("a.b+c@example.co.uk")),
        ("x@y", None),
        ("wrangler@4.86.0", None),
        ("@example.com", None),
        ("\"jane@corp.io\"", Some("jane@corp.io")),
        ("no at sign", None),
    ];
    for (text, found) in table {
        assert_eq!(find_email(text), found, "{text}");
    }
}
