//! Credentials through the whole application (DESIGN §3): tokens of the credential format are
//! told genuine or not without the database; tokens issued before it keep working and are
//! reported so that operators rotate them; secrets that are missing or too short close what
//! needs them and say why in the log.

use crate::common::Client;
use crate::helpers::{TestApp, ADMIN_TOKEN, CREDENTIAL_SECRET};
use scim_edge::app::plumbing::ids::{base64url, SeededRandom};
use scim_edge::app::plumbing::{auth, credential};
use scim_edge::app::Config;
use scim_edge::model::TokenHash;
use serde_json::{json, Value};

/// A token of the format before the check value, stored for `tenant` as the service stored
/// them then (format 0).
fn insert_legacy_token(app: &TestApp, tenant: &str, seed: u64) -> (String, String) {
    let mut bytes = [0u8; 32];
    use scim_edge::app::plumbing::ids::Random;
    SeededRandom(seed).fill(&mut bytes).unwrap();
    let token = format!("scim_{}", base64url(&bytes));
    let id = format!("tok_legacy{seed}");
    app.store.with_conn(|c| {
        c.execute(
            "INSERT INTO tokens (id, tenant_id, hash, prefix, label, created) \
             VALUES (?1, ?2, ?3, ?4, 'Okta', '2025-06-01T00:00:00.000Z')",
            [
                id.as_str(),
                tenant,
                TokenHash::of(&token).as_str(),
                &token[..12],
            ],
        )
        .unwrap();
    });
    (token, id)
}

/// The same token with its last character changed (within the alphabet).
fn flipped(token: &str) -> String {
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    format!("{}{last}", &token[..token.len() - 1])
}

#[test]
fn issued_tokens_carry_version_shard_and_a_check_value() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    assert!(t.token.starts_with("scim_1_0_"), "{}", t.token);
    assert_eq!(t.token.len(), 69);
    let key = credential::CredentialKey::from_secret(Some(CREDENTIAL_SECRET)).unwrap();
    let v = credential::parse(credential::SCIM_TOKEN, &t.token)
        .unwrap()
        .verify(&key)
        .unwrap();
    assert_eq!((v.version, v.shard), (1, 0));
    app.scim(&t.token, "GET", "/Users", None).expect(200);
    let listed = app
        .admin("GET", &format!("/tenants/{}/tokens", t.id), None)
        .json();
    assert_eq!(listed["tokens"][0]["legacy"], json!(false));
    assert_eq!(listed["tokens"][0]["prefix"], json!(&t.token[..12]));
    assert_eq!(listed["legacy_tokens"], json!(0));
}

#[test]
fn a_forged_or_mistyped_token_is_refused_without_the_database() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let before = app.batches.get();
    let forged = flipped(&t.token);
    for (method, path) in [
        ("GET", "/Users"),
        ("POST", "/Users"),
        ("GET", "/Schemas"),
        ("DELETE", "/Users/x"),
    ] {
        let r = app.scim(&forged, method, path, None);
        let body = r.expect_scim_error(401, None);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("not issued by this service"),
            "{body}"
        );
    }
    // A token of another deployment (another secret) is a forgery here.
    let other_key = credential::CredentialKey::from_secret(Some(&"z".repeat(40))).unwrap();
    let foreign = auth::generate_token(&other_key, 0, &mut SeededRandom(1))
        .unwrap()
        .secret;
    app.scim(&foreign, "GET", "/Users", None)
        .expect_scim_error(401, None);
    // A genuine token of a shard this deployment does not serve is refused as unknown.
    let key = credential::CredentialKey::from_secret(Some(CREDENTIAL_SECRET)).unwrap();
    let elsewhere = auth::generate_token(&key, 1, &mut SeededRandom(2))
        .unwrap()
        .secret;
    app.scim(&elsewhere, "GET", "/Users", None)
        .expect_scim_error(401, None);
    assert_eq!(app.batches.get(), before, "no batch reached the store");
    // The genuine token goes to the database, and works.
    app.scim(&t.token, "GET", "/Users", None).expect(200);
    assert_eq!(app.batches.get(), before + 1);
}

#[test]
fn old_format_tokens_keep_working_and_are_counted_until_rotated() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let other = app.new_tenant("Other");
    let (old, old_id) = insert_legacy_token(&app, &t.id, 1);
    let (old2, _) = insert_legacy_token(&app, &t.id, 2);
    assert_eq!(old.len(), 48);
    app.scim(&old, "GET", "/Users", None).expect(200);
    app.scim(
        &old2,
        "POST",
        "/Users",
        Some(crate::common::scenarios::users::okta_user(
            "legacy@example.com",
        )),
    )
    .expect(201);
    // An old-format token nobody issued is unknown, as before (only the database can tell).
    let unknown = format!("scim_{}", "A".repeat(43));
    app.scim(&unknown, "GET", "/Users", None)
        .expect_scim_error(401, None);

    let legacy_of = |id: &str| {
        let got = app.admin("GET", &format!("/tenants/{id}"), None);
        got.expect(200);
        got.json()["legacy_tokens"].clone()
    };
    assert_eq!(legacy_of(&t.id), json!(2));
    assert_eq!(legacy_of(&other.id), json!(0));
    let listed = app
        .admin("GET", &format!("/tenants/{}/tokens", t.id), None)
        .json();
    assert_eq!(listed["legacy_tokens"], json!(2));
    let flags: Vec<(Value, Value)> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["token_id"].clone(), k["legacy"].clone()))
        .collect();
    assert!(flags.contains(&(json!(old_id), json!(true))), "{flags:?}");
    assert!(
        flags.contains(&(json!(t.token_id), json!(false))),
        "{flags:?}"
    );
    let tenants = app.admin("GET", "/tenants", None).json();
    let counts: Vec<(Value, Value)> = tenants["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["id"].clone(), x["legacy_tokens"].clone()))
        .collect();
    assert!(counts.contains(&(json!(t.id), json!(2))), "{counts:?}");
    assert!(counts.contains(&(json!(other.id), json!(0))), "{counts:?}");
    let patched = app.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "name": "Acme Inc" })),
    );
    assert_eq!(patched.json()["legacy_tokens"], json!(2));

    // Rotating: revoking an old token counts it no more, and it fails from the next request.
    app.admin(
        "DELETE",
        &format!("/tenants/{}/tokens/{old_id}", t.id),
        None,
    )
    .expect(204);
    app.scim(&old, "GET", "/Users", None)
        .expect_scim_error(401, None);
    assert_eq!(legacy_of(&t.id), json!(1));
    let listed = app
        .admin("GET", &format!("/tenants/{}/tokens", t.id), None)
        .json();
    assert_eq!(listed["legacy_tokens"], json!(1));
}

#[test]
fn without_a_credential_secret_no_current_token_is_issued_or_accepted() {
    for secret in [None, Some("too-short-0123456789")] {
        // A deployment whose tokens were issued, then lost its secret.
        let app = TestApp::new();
        let t = app.new_tenant("Acme");
        let (old, _) = insert_legacy_token(&app, &t.id, 3);
        let app = app.reconfigured(Config::new(Some(ADMIN_TOKEN.into()), secret));
        let before = app.batches.get();
        let r = app.scim(&t.token, "GET", "/Users", None);
        let body = r.expect_scim_error(503, None);
        assert_eq!(r.header("retry-after"), Some("60"), "{body}");
        assert_eq!(app.batches.get(), before, "refused without the database");
        let log = app.log.borrow().join("\n");
        assert!(log.contains("CREDENTIAL_SECRET"), "{log}");
        assert!(!log.contains(&t.token), "{log}");
        // Old-format tokens never needed it.
        app.scim(&old, "GET", "/Users", None).expect(200);
        // Nothing is issued.
        app.admin("POST", "/tenants", Some(json!({ "name": "New" })))
            .expect_admin_error(503, "not_configured");
        app.admin(
            "POST",
            &format!("/tenants/{}/tokens", t.id),
            Some(json!({ "label": "Okta" })),
        )
        .expect_admin_error(503, "not_configured");
        // The rest of the admin API works.
        app.admin("GET", &format!("/tenants/{}", t.id), None)
            .expect(200);
        let log = app.log.borrow().join("\n");
        let expected = match secret {
            None => "CREDENTIAL_SECRET is not set",
            Some(_) => "CREDENTIAL_SECRET is shorter than 32 characters",
        };
        assert!(log.contains(expected), "{log}");
    }
}

#[test]
fn an_operator_secret_under_32_characters_closes_the_admin_api() {
    for configured in [None, Some("adm_short_0123456789")] {
        let app = TestApp::with_config(Config::new(
            configured.map(str::to_string),
            Some(CREDENTIAL_SECRET),
        ));
        let presented = format!("Bearer {}", configured.unwrap_or(""));
        let r = app.send(
            "GET",
            "/admin/v1/tenants",
            &[("Authorization", &presented)],
            None,
        );
        let body = r.expect_admin_error(503, "not_configured");
        assert!(!r.body.contains("adm_short"), "{body}");
        assert_eq!(app.batches.get(), 0);
        let log = app.log.borrow().join("\n");
        let expected = match configured {
            None => "ADMIN_TOKEN is not set",
            Some(_) => "ADMIN_TOKEN is shorter than 32 characters",
        };
        assert!(log.contains(expected), "{log}");
        assert!(!log.contains("adm_short"), "{log}");
    }
}

#[test]
fn old_format_tokens_are_counted_through_their_partial_index() {
    use scim_edge::model::TenantId;
    use scim_edge::store::tokens::{count_legacy_tokens, legacy_token_counts};
    use scim_edge::store::After;
    let app = TestApp::new();
    let one = count_legacy_tokens(&TenantId::new("tnt_1"));
    let plan = app.plan(one.stmt()).join("\n");
    assert!(plan.contains("tokens_legacy_live"), "{plan}");
    let after = After {
        created: scim_edge::scim::datetime::Timestamp(0),
        id: "tnt_1".into(),
    };
    for page in [
        legacy_token_counts(None, 101),
        legacy_token_counts(Some(&after), 101),
    ] {
        let plan = app.plan(page.stmt()).join("\n");
        assert!(plan.contains("tokens_legacy_live"), "{plan}");
        assert!(!plan.contains("SCAN tokens"), "{plan}");
    }
}
