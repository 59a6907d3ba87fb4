//! The retention's purge of deleted employees through the worker's Cron Trigger, which only
//! `wrangler dev` runs (its scheduled-event endpoint, dated with `time`). The tenant's retention
//! is one day, and the run is dated just past it: every other tenant of the shared database keeps
//! the default 30 days, so the run purges this test's employees only. (The scenarios both suites
//! run are in `common::scenarios::deleted`.)

use crate::common::scenarios::reports::{activity, listed, shift};
use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client, Tenant};
use crate::cron::{dated_runs, run_at};
use crate::http_client::worker;
use scim_edge::app::purge::PURGE_CRON;
use scim_edge::scim::datetime::Timestamp;
use serde_json::{json, Value};

fn deleted(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None);
    r.expect(200);
    r.json()
}

fn create_and_delete(c: &impl Client, t: &Tenant, name: &str) -> (String, String) {
    let r = c.scim(&t.token, "POST", "/Users", Some(okta_user(name)));
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let created = shift(r.json()["meta"]["created"].as_str().unwrap(), 0);
    c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect(204);
    (id, created)
}

#[test]
fn the_cron_trigger_purges_deleted_employees_past_their_retention() {
    let c = worker();
    let _turn = dated_runs();
    let t = c.new_tenant(&unique("Erasure "));
    let other = c.new_tenant(&unique("Erasure other "));
    c.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "deleted_retention_days": 1 })),
    )
    .expect(200);
    let name = format!("{}@example.com", unique("leaver."));
    let (id, created) = create_and_delete(c, &t, &name);
    let (other_id, _) = create_and_delete(c, &other, &format!("{}@example.com", unique("stays.")));
    let listed_now = deleted(c, &t);
    let purge_at = listed_now["deleted_employees"][0]["purge_at"]
        .as_str()
        .unwrap();
    let due = Timestamp::parse_rfc3339(purge_at).unwrap().0;

    let cron = |time: i64| run_at(c, PURGE_CRON, time);
    // Dated before the purge time: kept.
    cron(due - 60_000);
    assert_eq!(deleted(c, &t)["total"], json!(1));
    // Dated past it: purged; what remains is the nameless history.
    cron(due + 60_000);
    assert_eq!(deleted(c, &t)["total"], json!(0));
    c.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{id}/restore", t.id),
        None,
    )
    .expect_admin_error(404, "not_found");
    let line = listed(c, &t.id, &id, Some(&created), None).expect("still counted when it existed");
    assert_eq!(
        (line["userName"].clone(), line["purged"].clone()),
        (Value::Null, json!(true))
    );
    let log = activity(c, &t.id, &[("user", &id)]);
    let purge = &log["entries"][0];
    assert_eq!(purge["operation"], json!("purge"), "{log}");
    assert_eq!(purge["client"], json!("retention"), "{log}");
    assert_eq!(purge["token_id"], Value::Null, "{log}");
    assert!(!log.to_string().contains(&name), "{log}");
    // The other tenant's deleted employee (30 days) is still kept.
    let kept = deleted(c, &other);
    assert_eq!(
        kept["deleted_employees"][0]["id"],
        json!(other_id),
        "{kept}"
    );
}
