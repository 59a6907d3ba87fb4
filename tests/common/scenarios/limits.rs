//! Bounded input (DESIGN §8): the limits of `scim::limits` at their edges, canonically
//! equivalent identities, script URIs in references, and the RFC 7644 errors for bodies
//! without `schemas`, over HTTP: the same requests in-process and against `wrangler dev`.
//!
//! Each scenario sends a handful of requests, the largest about 1 MiB (the body limit), so
//! they stay quick on both suites. Speed itself is measured by
//! `cargo run --release --example largest_patch`, never asserted here.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::patch::patch;
use crate::common::scenarios::users::{create, CORE, ENTERPRISE, PATCH_OP};
use crate::common::{unique, Client, Tenant};
use serde_json::{json, Value};

/// The limits as `/ServiceProviderConfig` states them (`scim::limits`).
const MAX_VALUES: usize = 100;
const MAX_OPERATIONS: usize = 100;
const NAME_CHARS: usize = 1024;
const IDENTIFIER_CHARS: usize = 512;
const MAX_BODY_BYTES: usize = 1024 * 1024;

fn user_path(u: &Value) -> String {
    format!("/Users/{}", u["id"].as_str().unwrap())
}

fn new_user(c: &impl Client, t: &Tenant) -> Value {
    create(
        c,
        t,
        json!({ "schemas": [CORE], "userName": format!("{}@example.com", unique("bounded.")) }),
    )
}

/// The emails of the largest PATCH: `MAX_VALUES` distinct addresses, long and not ASCII (so
/// that every one is normalised and folded), spelled in upper case by even operations.
fn largest_patch_ops(op_count: usize) -> Value {
    let ops: Vec<Value> = (0..op_count)
        .map(|op| {
            let values: Vec<Value> = (0..MAX_VALUES)
                .map(|i| {
                    let v =
                        format!("Åsa.Lindqvist-Öberg.{i:03}@Provisioning-Test.Example-Company.com");
                    let v = if op % 2 == 0 { v.to_uppercase() } else { v };
                    json!({ "value": v, "type": "work" })
                })
                .collect();
            json!({ "op": "add", "path": "emails", "value": values })
        })
        .collect();
    Value::Array(ops)
}

/// The largest PATCH the limits allow (100 operations, each adding the same 100 emails, so
/// every value after the first operation's merges into one already there; about 0.9 MiB)
/// completes, and a GET sent right after it is answered.
pub fn the_largest_allowed_patch_completes_and_the_next_get_is_answered(c: &impl Client) {
    let t = c.new_tenant(&unique("Largest PATCH "));
    let u = new_user(c, &t);
    let ops = largest_patch_ops(MAX_OPERATIONS);
    let body = json!({ "schemas": [PATCH_OP], "Operations": ops }).to_string();
    assert!(
        body.len() > MAX_BODY_BYTES * 8 / 10 && body.len() <= MAX_BODY_BYTES,
        "{} bytes",
        body.len()
    );
    let r = patch(c, &t, u["id"].as_str().unwrap(), ops);
    r.expect(200);
    let patched = r.json();
    let emails = patched["emails"].as_array().unwrap();
    assert_eq!(emails.len(), MAX_VALUES);
    // A merge keeps the spelling sent last (operation 99's).
    assert_eq!(
        emails[7]["value"],
        json!("Åsa.Lindqvist-Öberg.007@Provisioning-Test.Example-Company.com")
    );
    let got = c.scim(&t.token, "GET", &user_path(&u), None);
    got.expect(200);
    assert_eq!(got.json(), patched);
}

/// PATCHes past a limit are 400 `invalidValue` naming the attribute and the limit, and change
/// nothing; so are the oversized creates (which D1 answered with a 503).
pub fn over_limit_requests_are_refused_and_change_nothing(c: &impl Client) {
    let t = c.new_tenant(&unique("Over limit "));
    let u = new_user(c, &t);
    let id = u["id"].as_str().unwrap();
    let email = |i: usize| json!({ "value": format!("u{i}@example.com"), "type": "work" });
    let emails = |n: usize| Value::Array((0..n).map(email).collect());
    let cases = [
        (
            json!([{ "op": "add", "path": "emails", "value": emails(MAX_VALUES + 1) }]),
            format!("Operation 0: emails may hold at most {MAX_VALUES} values, not 101"),
        ),
        (
            json!([
                { "op": "add", "path": "emails", "value": emails(MAX_VALUES) },
                { "op": "add", "path": "emails[type eq \"home\"].value", "value": "h@example.com" }
            ]),
            format!("Operation 1: emails may hold at most {MAX_VALUES} values, not 101"),
        ),
        // The PATCH: 20,000 distinct emails in one add.
        (
            json!([{ "op": "add", "path": "emails", "value": emails(20_000) }]),
            format!("Operation 0: emails may hold at most {MAX_VALUES} values, not 20000"),
        ),
        (
            json!([{ "op": "replace", "path": "displayName", "value": "x".repeat(NAME_CHARS + 1) }]),
            format!("Operation 0: displayName may hold at most {NAME_CHARS} characters, not 1025"),
        ),
        (
            json!([{ "op": "replace", "value": { "userName": "a\u{0}b@example.com" } }]),
            "Operation 0: userName may not contain control characters (found U+0000)".into(),
        ),
    ];
    for (ops, detail) in cases {
        let e = patch(c, &t, id, ops).expect_scim_error(400, Some("invalidValue"));
        assert_eq!(e["detail"], json!(detail));
    }
    // At the limits: accepted.
    let at = patch(
        c,
        &t,
        id,
        json!([
            { "op": "add", "path": "emails", "value": emails(MAX_VALUES) },
            { "op": "replace", "path": "displayName", "value": "x".repeat(NAME_CHARS) }
        ]),
    );
    at.expect(200);
    assert_eq!(at.json()["emails"].as_array().unwrap().len(), MAX_VALUES);
    patch(
        c,
        &t,
        id,
        json!([{ "op": "add", "path": "emails", "value": [email(MAX_VALUES)] }]),
    )
    .expect_scim_error(400, Some("invalidValue"));
    let now = c.scim(&t.token, "GET", &user_path(&u), None);
    now.expect(200);
    assert_eq!(now.json(), at.json(), "refused PATCHes change nothing");

    // The creates: an 800,000-character displayName (D1 refused the row: 503) and a
    // 300,000-character userName (stored).
    let long = |n: usize| "x".repeat(n);
    let e = c
        .scim(
            &t.token,
            "POST",
            "/Users",
            Some(json!({ "schemas": [CORE], "userName": unique("long"), "displayName": long(800_000) })),
        )
        .expect_scim_error(400, Some("invalidValue"));
    assert_eq!(
        e["detail"],
        json!("displayName may hold at most 1024 characters, not 800000")
    );
    let e = c
        .scim(
            &t.token,
            "POST",
            "/Users",
            Some(json!({ "schemas": [CORE], "userName": long(300_000) })),
        )
        .expect_scim_error(400, Some("invalidValue"));
    assert_eq!(
        e["detail"],
        json!(format!(
            "userName may hold at most {IDENTIFIER_CHARS} characters, not 300000"
        ))
    );
    let list = c.scim(&t.token, "GET", "/Users", None).json();
    assert_eq!(list["totalResults"], json!(1), "only the first user exists");
}

/// "José" typed with a precomposed é (NFC) and as e + U+0301 (NFD) name one employee: a second
/// create is a 409, filters find either form, and an employee reference resolves.
pub fn canonically_equivalent_identities_are_one(c: &impl Client) {
    let t = c.new_tenant(&unique("NFC "));
    define(c, &t, json!({ "name": "Manager", "type": "employee" }));
    let tag = unique("");
    let nfc = format!("josé.{tag}@example.com");
    let nfd = format!("jose\u{301}.{tag}@example.com");
    assert_ne!(nfc, nfd);
    let jose = create(
        c,
        &t,
        json!({ "schemas": [CORE], "userName": nfc, "emails": [{ "value": nfc, "type": "work" }] }),
    );
    assert_eq!(jose["userName"], json!(nfc), "returned as sent");
    for other in [nfd.clone(), nfd.to_uppercase()] {
        c.scim(
            &t.token,
            "POST",
            "/Users",
            Some(json!({ "schemas": [CORE], "userName": other })),
        )
        .expect_scim_error(409, Some("uniqueness"));
    }
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    for filter in [
        format!("userName eq \"{nfd}\""),
        format!("userName eq \"{}\"", nfd.to_uppercase()),
        format!("emails.value eq \"{nfd}\""),
        format!("emails[type eq \"work\" and value eq \"{nfd}\"]"),
        format!("userName sw \"jose\u{301}.{tag}\""),
    ] {
        let r = c.scim(
            &t.token,
            "GET",
            &format!("/Users?filter={}", enc(&filter)),
            None,
        );
        r.expect(200);
        let l = r.json();
        assert_eq!(l["totalResults"], json!(1), "{filter}: {l}");
        assert_eq!(l["Resources"][0]["id"], jose["id"], "{filter}");
    }
    // An employee reference written in the other form resolves to José.
    let report = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("report"), PEAKON: { "Manager": nfd.to_uppercase() } }),
    );
    assert_eq!(report[PEAKON]["Manager"], json!(nfc));
}

/// `javascript:`, `data:` and `vbscript:` URIs are refused in every reference, however a
/// browser would still read them; relative references pass.
pub fn script_references_are_refused(c: &impl Client) {
    let t = c.new_tenant(&unique("Refs "));
    let boss = new_user(c, &t);
    let boss_id = boss["id"].as_str().unwrap();
    let with = |extra: Value| {
        let mut body = json!({ "schemas": [CORE, ENTERPRISE], "userName": unique("ref") });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        c.scim(&t.token, "POST", "/Users", Some(body))
    };
    let refused = [
        (
            json!({ ENTERPRISE: { "manager": { "value": boss_id, "$ref": "javascript:alert(1)" } } }),
            "manager.$ref may not be a javascript: URI",
        ),
        (
            json!({ ENTERPRISE: { "manager": { "value": boss_id, "$ref": " \u{1}JavaScript:alert(document.cookie)" } } }),
            "manager.$ref may not be a javascript: URI",
        ),
        (
            json!({ "profileUrl": "java\tscript:alert(1)" }),
            "profileUrl may not be a javascript: URI",
        ),
        (
            json!({ "photos": [{ "value": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" }] }),
            "photos.value may not be a data: URI",
        ),
        (
            json!({ "profileUrl": "VBScript:MsgBox(1)" }),
            "profileUrl may not be a vbscript: URI",
        ),
    ];
    for (extra, detail) in refused {
        let e = with(extra.clone()).expect_scim_error(400, Some("invalidValue"));
        assert!(
            e["detail"].as_str().unwrap().starts_with(detail),
            "{extra}: {e}"
        );
    }
    let list = c.scim(&t.token, "GET", "/Users", None).json();
    assert_eq!(list["totalResults"], json!(1), "nothing stored: {list}");

    // Relative and absolute http(s) references pass (RFC 7643 §2.3.7).
    let ok = with(json!({
        "profileUrl": "https://example.com/people/1",
        "photos": [{ "value": "/photos/1.jpg", "type": "photo" }],
        ENTERPRISE: { "manager": { "value": boss_id, "$ref": format!("../Users/{boss_id}") } }
    }));
    ok.expect(201);
    let u = ok.json();
    assert_eq!(u["photos"][0]["value"], json!("/photos/1.jpg"));
    assert_eq!(u[ENTERPRISE]["manager"]["value"], json!(boss_id));
    // And by PATCH, the same.
    let e = patch(
        c,
        &t,
        u["id"].as_str().unwrap(),
        json!([{ "op": "replace", "path": "profileUrl", "value": "javascript:alert(1)" }]),
    )
    .expect_scim_error(400, Some("invalidValue"));
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .starts_with("Operation 0: profileUrl may not be a javascript: URI"),
        "{e}"
    );
    let again = c.scim(&t.token, "GET", &user_path(&u), None).json();
    assert_eq!(again["profileUrl"], json!("https://example.com/people/1"));
}

/// RFC 7643 §3 and RFC 7644 §3.5.2: a POST or PUT body without `schemas` is 400
/// `invalidValue`, a PATCH without the PatchOp schema 400 `invalidSyntax`; an unknown PATCH
/// `op` is `invalidValue` (Table 9); removing `userName` is `mutability`.
pub fn rfc_errors_for_schemas_operations_and_required_attributes(c: &impl Client) {
    let t = c.new_tenant(&unique("RFC errors "));
    let u = new_user(c, &t);
    let path = user_path(&u);
    let e = c
        .scim(
            &t.token,
            "POST",
            "/Users",
            Some(json!({ "userName": unique("no-schemas") })),
        )
        .expect_scim_error(400, Some("invalidValue"));
    assert!(e["detail"].as_str().unwrap().contains("\"schemas\""), "{e}");
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(json!({ "schemas": [], "userName": unique("empty-schemas") })),
    )
    .expect_scim_error(400, Some("invalidValue"));
    c.scim(
        &t.token,
        "PUT",
        &path,
        Some(json!({ "userName": u["userName"], "displayName": "X" })),
    )
    .expect_scim_error(400, Some("invalidValue"));
    c.scim(
        &t.token,
        "PATCH",
        &path,
        Some(json!({ "Operations": [{ "op": "replace", "path": "displayName", "value": "X" }] })),
    )
    .expect_scim_error(400, Some("invalidSyntax"));
    patch(
        c,
        &t,
        u["id"].as_str().unwrap(),
        json!([{ "op": "copy", "path": "displayName" }]),
    )
    .expect_scim_error(400, Some("invalidValue"));
    for ops in [
        json!([{ "op": "remove", "path": "userName" }]),
        json!([{ "op": "replace", "path": "userName", "value": null }]),
        json!([{ "op": "replace", "value": { "userName": "" } }]),
    ] {
        patch(c, &t, u["id"].as_str().unwrap(), ops).expect_scim_error(400, Some("mutability"));
    }
    let now = c.scim(&t.token, "GET", &path, None);
    now.expect(200);
    assert_eq!(now.json(), u, "nothing changed");
}
