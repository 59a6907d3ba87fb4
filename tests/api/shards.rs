//! Tenants over several databases (issue 20), on the host: two in-memory shards behind the very
//! app the worker runs. Where a tenant goes, that its requests reach its database and no other,
//! that the operator's lists span both in one order, and the read replicas' bookmarks.

use crate::common::scenarios::users::okta_user;
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use scim_edge::model::TenantId;
use scim_edge::store::shards::of_tenant;
use scim_edge::store::sqlite::SqliteStore;
use serde_json::{json, Value};

fn shard(t: &Tenant) -> u16 {
    of_tenant(&TenantId::new(&t.id))
}

/// Rows of `tenant` in `table` of `store`.
fn rows(store: &SqliteStore, table: &str, tenant: &str) -> i64 {
    let column = if table == "tenants" {
        "id"
    } else {
        "tenant_id"
    };
    store.with_conn(|c| {
        c.query_row(
            &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
            [tenant],
            |r| r.get(0),
        )
        .unwrap()
    })
}

#[test]
fn new_tenants_go_to_the_least_full_shard_for_good_and_say_so_in_their_id_and_token() {
    let app = TestApp::with_shards(2);
    let a = app.new_tenant("A");
    let b = app.new_tenant("B");
    let c = app.new_tenant("C");
    // Both empty: the lower number; then each new tenant weighs at least RESERVED_BYTES.
    assert_eq!((shard(&a), shard(&b), shard(&c)), (0, 1, 0));
    assert!(
        a.id.starts_with("tnt_0_") && b.id.starts_with("tnt_1_"),
        "{a:?} {b:?}"
    );
    assert!(a.token.starts_with("scim_1_0_") && b.token.starts_with("scim_1_1_"));
    for (t, n) in [(&a, 0), (&b, 1), (&c, 0)] {
        assert_eq!(rows(app.shard(n), "tenants", &t.id), 1, "{}", t.id);
        assert_eq!(rows(app.shard(n), "tokens", &t.id), 1);
        assert_eq!(rows(app.shard(1 - n), "tenants", &t.id), 0);
        assert_eq!(rows(app.shard(1 - n), "tokens", &t.id), 0);
    }
    // Shard 0 fills up (its tenants store a lot): the next tenants go to shard 1 until it
    // weighs as much.
    app.store.with_conn(|c| {
        c.execute("UPDATE tenants SET stored_bytes = 500000000", [])
            .unwrap()
    });
    let d = app.new_tenant("D");
    let e = app.new_tenant("E");
    assert_eq!((shard(&d), shard(&e)), (1, 1));
    // A tenant stays where it was placed: its later tokens carry its shard.
    let r = app.admin(
        "POST",
        &format!("/tenants/{}/tokens", b.id),
        Some(json!({})),
    );
    r.expect(201);
    assert!(r.json()["token"].as_str().unwrap().starts_with("scim_1_1_"));
}

#[test]
fn every_scim_and_admin_request_reaches_its_tenant_s_shard_only() {
    let app = TestApp::with_shards(2);
    let a = app.new_tenant("A");
    let b = app.new_tenant("B");
    assert_eq!((shard(&a), shard(&b)), (0, 1));
    for (t, n) in [(&a, 0u16), (&b, 1u16)] {
        let name = format!("someone@shard{n}.example");
        let r = app.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
        r.expect(201);
        let id = r.json()["id"].as_str().unwrap().to_string();
        app.scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .expect(200);
        app.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}]
            })),
        )
        .expect(200);
        let list = app.scim(&t.token, "GET", "/Users", None);
        assert_eq!(list.json()["totalResults"], json!(1));
        app.admin(
            "POST",
            &format!("/tenants/{}/attributes", t.id),
            Some(json!({"name": "Department", "type": "text"})),
        )
        .expect(201);
        let roster = app.admin("GET", &format!("/tenants/{}/employees", t.id), None);
        assert_eq!(roster.json()["total"], json!(1), "{}", roster.body);
        app.admin("GET", &format!("/tenants/{}/activity", t.id), None)
            .expect(200);
        for table in [
            "users",
            "activity",
            "attributes",
            "user_emails",
            "activation",
        ] {
            assert!(rows(app.shard(n), table, &t.id) > 0, "{table} of {}", t.id);
            assert_eq!(
                rows(app.shard(1 - n), table, &t.id),
                0,
                "{table} of {}",
                t.id
            );
        }
    }
    // A company admin of shard 1's tenant: the link and the session carry the shard, and the
    // session's requests reach shard 1.
    let browser = crate::common::scenarios::admins::sign_in(&app, &b, "boss@b.example");
    assert!(browser.cookie.starts_with("session_1_1_"));
    let me = browser.api("GET", "/session", None);
    me.expect(200);
    assert_eq!(me.json()["tenant"]["id"], json!(b.id), "{}", me.body);
    assert_eq!(rows(app.shard(1), "admin_sessions", &b.id), 1);
    assert_eq!(rows(app.shard(0), "admin_sessions", &b.id), 0);
}

#[test]
fn another_shard_s_tenant_id_answers_404() {
    let app = TestApp::with_shards(2);
    let a = app.new_tenant("A");
    let b = app.new_tenant("B");
    let random = |t: &Tenant| t.id.splitn(3, '_').nth(2).unwrap().to_string();
    for path in [
        format!("/tenants/tnt_1_{}", random(&a)),
        format!("/tenants/tnt_0_{}", random(&b)),
        format!("/tenants/tnt_{}", random(&b)),
        format!("/tenants/tnt_0_{}/tokens", random(&b)),
    ] {
        app.admin("GET", &path, None)
            .expect_admin_error(404, "not_found");
    }
    app.admin("GET", &format!("/tenants/{}", b.id), None)
        .expect(200);
}

#[test]
fn a_credential_whose_shard_mark_was_altered_is_refused_without_the_database() {
    let app = TestApp::with_shards(2);
    let _a = app.new_tenant("A");
    let b = app.new_tenant("B");
    let moved = b.token.replacen("scim_1_1_", "scim_1_0_", 1);
    let before = app.batches.get();
    app.scim(&moved, "GET", "/Users", None)
        .expect_scim_error(401, None);
    assert_eq!(
        app.batches.get(),
        before,
        "no batch for a forged credential"
    );
    // A session cookie moved to another shard: refused before any batch too.
    let browser = crate::common::scenarios::admins::sign_in(&app, &b, "boss@b.example");
    let moved = browser.cookie.replacen("session_1_1_", "session_1_0_", 1);
    let before = app.batches.get();
    let r = app.send(
        "GET",
        "/admin/v1/session",
        &[("Cookie", &format!("__Host-session={moved}"))],
        None,
    );
    r.expect_admin_error(401, "unauthorized");
    assert_eq!(app.batches.get(), before);
    // The genuine ones work.
    app.scim(&b.token, "GET", "/Users", None).expect(200);
}

#[test]
fn an_old_format_token_and_an_unmarked_tenant_id_are_shard_0() {
    let app = TestApp::with_shards(2);
    let old_id = "tnt_3f9a0c51d2e84b7a9c1e";
    let token = format!(
        "scim_{}",
        scim_edge::app::plumbing::ids::base64url(&[42u8; 32])
    );
    app.store.with_conn(|c| {
        c.execute_batch(&format!(
            "INSERT INTO tenants (id, name, active, created) VALUES ('{old_id}', 'Old', 1, '2025-01-01T00:00:00.000Z');
             INSERT INTO tokens (id, tenant_id, hash, prefix, label, created, format)
             VALUES ('tok_old', '{old_id}', '{}', 'scim_KioqKio', NULL, '2025-01-01T00:00:00.000Z', 0);",
            scim_edge::model::TokenHash::of(&token).as_str()
        ))
        .unwrap()
    });
    app.new_tenant("fills shard 0 first");
    app.scim(&token, "POST", "/Users", Some(okta_user("old@example.com")))
        .expect(201);
    assert_eq!(rows(app.shard(0), "users", old_id), 1);
    let t = app.admin("GET", &format!("/tenants/{old_id}"), None);
    t.expect(200);
    assert_eq!(t.json()["legacy_tokens"], json!(1));
}

#[test]
fn the_tenant_list_and_the_purges_page_across_shards_in_one_order() {
    let app = TestApp::with_shards(2);
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(app.new_tenant(&format!("T{i}")));
        app.tick(1000);
    }
    assert!(made.iter().any(|t| shard(t) == 0) && made.iter().any(|t| shard(t) == 1));
    let mut listed: Vec<Value> = Vec::new();
    let mut path = "/tenants?limit=2".to_string();
    loop {
        let r = app.admin("GET", &path, None);
        r.expect(200);
        let body = r.json();
        let page = body["tenants"].as_array().unwrap();
        assert!(page.len() <= 2);
        listed.extend(page.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/tenants?limit=2&cursor={c}"),
            None => break,
        }
    }
    let ids: Vec<&str> = listed.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = made.iter().rev().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, newest_first);

    // Purges in progress on both shards (recorded as a deletion records them).
    for (n, t, at) in [
        (0u16, "tnt_0_aa", "2026-01-01T00:00:01.000Z"),
        (1, "tnt_1_bb", "2026-01-01T00:00:02.000Z"),
        (0, "tnt_0_cc", "2026-01-01T00:00:03.000Z"),
    ] {
        app.shard(n).with_conn(|c| {
            c.execute(
                "INSERT INTO tenant_purges (id, requested) VALUES (?1, ?2)",
                [t, at],
            )
            .unwrap()
        });
    }
    let first = app.admin("GET", "/purges?limit=2", None);
    first.expect(200);
    let body = first.json();
    let tenants: Vec<&str> = body["purges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["tnt_0_cc", "tnt_1_bb"]);
    let next = app.admin(
        "GET",
        &format!(
            "/purges?limit=2&cursor={}",
            body["next_cursor"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(next.json()["purges"][0]["tenant"], json!("tnt_0_aa"));
    assert_eq!(next.json()["next_cursor"], Value::Null);
}

#[test]
fn healthz_is_ok_only_when_every_shard_answers() {
    let app = TestApp::with_shards(2);
    app.send("GET", "/healthz", &[], None).expect(200);
    app.shard(1)
        .with_conn(|c| c.execute_batch("DROP TABLE tenants").unwrap());
    app.advance(10_000);
    let r = app.send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(app
        .log
        .borrow()
        .iter()
        .any(|l| l.contains("shard 1") && l.contains("no such table")));
}

/// The read replicas (DESIGN §9): admin reads come from a replica that lags until a bookmark
/// asks for more; the bookmark an answer hands back makes the admin's next reads see their
/// own changes; SCIM reads the primary.
#[test]
fn the_bookmark_travels_with_an_admin_s_reads_after_their_writes() {
    let app = TestApp::with_shards(2).with_replicas();
    let a = app.new_tenant("A");
    let b = app.new_tenant("B");
    app.store.replicate().unwrap();
    app.shard(1).replicate().unwrap();
    for (t, n) in [(&a, 0u16), (&b, 1u16)] {
        let attributes = format!("/tenants/{}/attributes", t.id);
        let made = app.admin(
            "POST",
            &attributes,
            Some(json!({"name": "Employed Since", "type": "date"})),
        );
        made.expect(201);
        let bookmark = made.header("x-bookmark").expect("a bookmark").to_string();
        assert!(bookmark.starts_with(&format!("{n}:")), "{bookmark}");

        // Without the bookmark: a replica that has not caught up (what D1 may serve).
        let stale = app.admin("GET", &attributes, None);
        stale.expect(200);
        assert_eq!(stale.json()["attributes"], json!([]), "{}", stale.body);

        // With it: at least as new as the write.
        let auth = format!("Bearer {}", crate::helpers::ADMIN_TOKEN);
        let fresh = app.send(
            "GET",
            &format!("/admin/v1{attributes}"),
            &[("Authorization", &auth), ("X-Bookmark", &bookmark)],
            None,
        );
        fresh.expect(200);
        assert_eq!(
            fresh.json()["attributes"][0]["name"],
            json!("Employed Since")
        );
        assert!(fresh.header("x-bookmark").unwrap() >= bookmark.as_str());

        // Another shard's bookmark is not this shard's: ignored.
        let other = format!("{}:{}", 1 - n, bookmark.split_once(':').unwrap().1);
        let ignored = app.send(
            "GET",
            &format!("/admin/v1{attributes}"),
            &[("Authorization", &auth), ("X-Bookmark", &other)],
            None,
        );
        assert_eq!(ignored.json()["attributes"], json!([]));

        // SCIM reads the primary: an IdP reads its own write at once, without a bookmark.
        let user = app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("u{n}@x.example"))),
        );
        user.expect(201);
        assert!(user.header("x-bookmark").is_none());
        let id = user.json()["id"].as_str().unwrap().to_string();
        app.scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .expect(200);
    }
}

#[test]
fn a_console_session_carries_its_bookmark_in_a_cookie() {
    let app = TestApp::new().with_replicas();
    let t = app.new_tenant("A");
    let browser = crate::common::scenarios::admins::sign_in(&app, &t, "boss@a.example");
    app.store.replicate().unwrap();
    let made = browser.api(
        "POST",
        &format!("/tenants/{}/attributes", t.id),
        Some(json!({"name": "Team", "type": "text"})),
    );
    made.expect(201);
    let cookie = made
        .header("set-cookie")
        .expect("the bookmark cookie")
        .to_string();
    assert!(cookie.starts_with("__Host-bookmark=0:"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let bookmark = cookie.split(';').next().unwrap().to_string();
    let session = format!("__Host-session={}; {bookmark}", browser.cookie);
    let fresh = app.send(
        "GET",
        &format!("/admin/v1/tenants/{}/attributes", t.id),
        &[("Cookie", &session)],
        None,
    );
    fresh.expect(200);
    assert_eq!(fresh.json()["attributes"][0]["name"], json!("Team"));
    // Without it, the lagging replica.
    let stale = browser.api("GET", &format!("/tenants/{}/attributes", t.id), None);
    assert_eq!(stale.json()["attributes"], json!([]));
}

#[test]
fn a_tenant_a_replica_does_not_know_yet_is_asked_of_the_primary_before_a_404() {
    let app = TestApp::new().with_replicas();
    let t = app.new_tenant("Just made");
    // The replica predates the tenant; the read without a bookmark still finds it.
    let r = app.admin("GET", &format!("/tenants/{}", t.id), None);
    r.expect(200);
    app.admin("GET", "/tenants/tnt_0_00000000000000000000", None)
        .expect_admin_error(404, "not_found");
}
