//! Tenants over two local D1 databases under `wrangler dev` (issue 20): `DB` (shard 0) and
//! `DB_1` (shard 1). Tenants are created on both; each one's SCIM and admin requests reach its
//! own database (and `scripts/test.sh` reads both local D1s afterwards, `check_shards`: every
//! row of every tenant on its own shard, each shard with a tenant that has employees); another
//! shard's tenant id answers 404; a credential whose shard mark was altered is refused before
//! D1 (its log line counts no round trip); the Cron Trigger reaches both; and a shard-0 tenant
//! from before shards, with an old-format token (`tests/e2e/seed/shards.sql`), still works.

use crate::common::scenarios::admins::sign_in;
use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client, Tenant};
use crate::cron::{dated_runs, run_at};
use crate::http_client::worker;
use crate::worker_log::log_line;
use scim_edge::app::purge::PURGE_CRON;
use scim_edge::model::TenantId;
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::of_tenant;
use serde_json::{json, Value};

/// The old-format token of the seeded shard-0 tenant (`tests/e2e/seed/shards.sql`).
const OLD_TOKEN: &str = "scim_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM";
const OLD_TENANT: &str = "tnt_e2e_legacy_shard0";

fn shard(t: &Tenant) -> u16 {
    of_tenant(&TenantId::new(&t.id))
}

/// A tenant on each shard: new tenants go to the least full, so a few creations reach both
/// (other tests create tenants at the same time).
fn one_on_each_shard(c: &impl Client, name: &str) -> [Tenant; 2] {
    let (mut zero, mut one) = (None, None);
    for _ in 0..20 {
        let t = c.new_tenant(&unique(name));
        match shard(&t) {
            0 => zero = zero.or(Some(t)),
            1 => one = one.or(Some(t)),
            n => panic!("a tenant on shard {n} of a deployment of two: {}", t.id),
        }
        if let (Some(a), Some(b)) = (&zero, &one) {
            return [a.clone(), b.clone()];
        }
    }
    panic!("20 new tenants and not one on each shard: placement is not spreading them");
}

#[test]
fn every_scim_and_admin_operation_of_a_tenant_reaches_its_own_shard() {
    let c = worker();
    for t in one_on_each_shard(c, "Shards ") {
        let n = shard(&t);
        assert!(t.id.starts_with(&format!("tnt_{n}_")), "{}", t.id);
        assert!(t.token.starts_with(&format!("scim_1_{n}_")), "{}", t.token);
        // SCIM: create, read, patch, filter, delete.
        let name = format!("{}@shard{n}.example", unique("e2e.shards."));
        let r = c.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
        r.expect(201);
        let id = r.json()["id"].as_str().unwrap().to_string();
        c.scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .expect(200);
        c.scim(
            &t.token,
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"title": "Shard keeper"}}]
            })),
        )
        .expect(200);
        let found = c.scim(
            &t.token,
            "GET",
            &format!("/Users?filter=userName+eq+%22{name}%22"),
            None,
        );
        assert_eq!(found.json()["totalResults"], json!(1), "{}", found.body);
        let second = c.scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!(
                "{}@shard{n}.example",
                unique("e2e.shards.")
            ))),
        );
        second.expect(201);
        let second = second.json()["id"].as_str().unwrap().to_string();
        c.scim(&t.token, "DELETE", &format!("/Users/{second}"), None)
            .expect(204);
        // Admin: the tenant, a token, an attribute, the roster, the activity log, a company
        // admin's sign-in (link and session carry the shard) and their session's requests.
        c.admin("GET", &format!("/tenants/{}", t.id), None)
            .expect(200);
        let token = c.admin(
            "POST",
            &format!("/tenants/{}/tokens", t.id),
            Some(json!({})),
        );
        token.expect(201);
        let token = token.json()["token"].as_str().unwrap().to_string();
        assert!(token.starts_with(&format!("scim_1_{n}_")), "{token}");
        let users = c.scim(&token, "GET", "/Users", None);
        assert_eq!(users.json()["totalResults"], json!(1), "{}", users.body);
        let made = c.admin(
            "POST",
            &format!("/tenants/{}/attributes", t.id),
            Some(json!({"name": "Department", "type": "text"})),
        );
        made.expect(201);
        // The admin's bookmark is of the tenant's shard; handed back, it is taken.
        if let Some(bookmark) = made.header("x-bookmark") {
            assert!(bookmark.starts_with(&format!("{n}:")), "{bookmark}");
            let auth = format!("Bearer {}", c.admin_token());
            let r = c.send(
                "GET",
                &format!("/admin/v1/tenants/{}/attributes", t.id),
                &[("Authorization", &auth), ("X-Bookmark", bookmark)],
                None,
            );
            r.expect(200);
            assert_eq!(r.json()["attributes"][0]["name"], json!("Department"));
        }
        let roster = c.admin("GET", &format!("/tenants/{}/employees", t.id), None);
        assert_eq!(roster.json()["total"], json!(1), "{}", roster.body);
        let activity = c.admin("GET", &format!("/tenants/{}/activity", t.id), None);
        assert!(activity.json()["entries"].as_array().unwrap().len() >= 4);
        let browser = sign_in(c, &t, &format!("{}@shard{n}.example", unique("admin.")));
        let me = browser.api("GET", "/session", None);
        me.expect(200);
        assert_eq!(me.json()["tenant"]["id"], json!(t.id));
        browser
            .api("GET", &format!("/tenants/{}/attributes", t.id), None)
            .expect(200);
    }
}

#[test]
fn another_shard_s_tenant_id_answers_404() {
    let c = worker();
    let [zero, one] = one_on_each_shard(c, "Shards 404 ");
    let random = |t: &Tenant| t.id.splitn(3, '_').nth(2).unwrap().to_string();
    for path in [
        format!("/tenants/tnt_1_{}", random(&zero)),
        format!("/tenants/tnt_0_{}", random(&one)),
        format!("/tenants/tnt_{}", random(&one)),
        format!("/tenants/tnt_0_{}/employees", random(&one)),
    ] {
        c.admin("GET", &path, None)
            .expect_admin_error(404, "not_found");
    }
    // And a tenant's token never reaches another tenant, whichever shard.
    let r = c.scim(&zero.token, "GET", "/Users?filter=userName+pr", None);
    r.expect(200);
}

#[test]
fn a_credential_whose_shard_mark_was_altered_fails_its_check_and_never_reaches_d1() {
    let c = worker();
    let [zero, one] = one_on_each_shard(c, "Shards forged ");
    for (t, from, to) in [
        (&one, "scim_1_1_", "scim_1_0_"),
        (&zero, "scim_1_0_", "scim_1_1_"),
    ] {
        let moved = t.token.replacen(from, to, 1);
        let r = c.scim(&moved, "GET", "/Users", None);
        r.expect_scim_error(401, None);
        let line = log_line(&r);
        assert_eq!(line["d1_round_trips"], json!(0), "{line}");
        // The genuine one works, through D1.
        let ok = c.scim(&t.token, "GET", "/Users", None);
        ok.expect(200);
        assert!(log_line(&ok)["d1_round_trips"].as_u64().unwrap() >= 1);
    }
    // A session cookie whose mark was moved: refused before D1 too.
    let browser = sign_in(c, &one, &format!("{}@shard1.example", unique("admin.")));
    let moved = browser.cookie.replacen("session_1_1_", "session_1_0_", 1);
    let r = c.send(
        "GET",
        "/admin/v1/session",
        &[("Cookie", &format!("__Host-session={moved}"))],
        None,
    );
    r.expect_admin_error(401, "unauthorized");
    assert_eq!(log_line(&r)["d1_round_trips"], json!(0));
}

#[test]
fn a_shard_0_tenant_from_before_shards_and_its_old_format_token_still_work() {
    let c = worker();
    let t = c.admin("GET", &format!("/tenants/{OLD_TENANT}"), None);
    assert_eq!(
        t.status, 200,
        "the seeded tenant of tests/e2e/seed/shards.sql is missing: scripts/test.sh loads it into DB before the worker starts"
    );
    assert_eq!(t.json()["legacy_tokens"], json!(1));
    let name = format!("{}@old.example", unique("e2e.old."));
    let r = c.scim(OLD_TOKEN, "POST", "/Users", Some(okta_user(&name)));
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    c.scim(OLD_TOKEN, "GET", &format!("/Users/{id}"), None)
        .expect(200);
    let roster = c.admin("GET", &format!("/tenants/{OLD_TENANT}/employees"), None);
    assert!(roster.json()["total"].as_i64().unwrap() >= 1);
}

fn deleted_total(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None);
    r.expect(200);
    r.json()["total"].clone()
}

#[test]
fn the_cron_trigger_runs_its_jobs_on_both_shards() {
    let c = worker();
    let _turn = dated_runs();
    let both = one_on_each_shard(c, "Shards cron ");
    let mut due = 0;
    for t in &both {
        c.admin(
            "PATCH",
            &format!("/tenants/{}", t.id),
            Some(json!({ "deleted_retention_days": 1 })),
        )
        .expect(200);
        let name = format!("{}@cron.example", unique("e2e.leaver."));
        let r = c.scim(&t.token, "POST", "/Users", Some(okta_user(&name)));
        r.expect(201);
        let id = r.json()["id"].as_str().unwrap().to_string();
        c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
            .expect(204);
        let listed = c.admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None);
        let purge_at = listed.json()["deleted_employees"][0]["purge_at"]
            .as_str()
            .unwrap()
            .to_string();
        due = due.max(Timestamp::parse_rfc3339(&purge_at).unwrap().0);
        assert_eq!(deleted_total(c, t), json!(1));
    }
    // One run of the purge schedule, dated past both retentions: each shard's erasure ran.
    run_at(c, PURGE_CRON, due + 60_000);
    for t in &both {
        assert_eq!(deleted_total(c, t), json!(0), "shard {}", shard(t));
    }
}

#[test]
fn the_operator_s_tenant_list_pages_across_both_shards_newest_first() {
    let c = worker();
    let [zero, one] = one_on_each_shard(c, "Shards list ");
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut path = "/tenants?limit=3".to_string();
    for _ in 0..1000 {
        let r = c.admin("GET", &path, None);
        r.expect(200);
        let body = r.json();
        for t in body["tenants"].as_array().unwrap() {
            seen.push((
                t["created"].as_str().unwrap().to_string(),
                t["id"].as_str().unwrap().to_string(),
            ));
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/tenants?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "one order, no tenant twice");
    for t in [&zero, &one] {
        assert!(seen.iter().any(|(_, id)| *id == t.id), "{} listed", t.id);
    }
    assert!(seen.iter().any(|(_, id)| id.starts_with("tnt_1_")));
    assert!(seen.iter().any(|(_, id)| !id.starts_with("tnt_1_")));
}
