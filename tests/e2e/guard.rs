//! The mass-deactivation guard against the worker under `wrangler dev` (DESIGN §4): an
//! Entra-style burst trips it and holds the changes; apply, dismiss, a reactivation, and the
//! automatic application through the Cron Trigger dated past the period; each tenant apart.

use crate::common::scenarios::reports::roster;
use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client, Tenant};
use crate::cron::{dated_runs, run_at};
use crate::http_client::worker;
use scim_edge::app::purge::PURGE_CRON;
use scim_edge::scim::datetime::Timestamp;
use serde_json::{json, Value};

const ENTRA: &str = "Microsoft.Identity.Provisioning (e2e guard)";

fn staff(c: &impl Client, t: &Tenant, n: usize) -> Vec<String> {
    let prefix = unique("g");
    (0..n)
        .map(|i| {
            let r = c.scim(
                &t.token,
                "POST",
                "/Users",
                Some(okta_user(&format!("{prefix}.{i}@example.com"))),
            );
            r.expect(201);
            r.json()["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Entra's deactivation: `Replace` of `active` with the string "False"; the time it was
/// received (the answer's `meta.lastModified`).
fn entra_active(c: &impl Client, t: &Tenant, id: &str, value: &str) -> String {
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "Replace", "path": "active", "value": value }] }).to_string();
    let auth = format!("Bearer {}", t.token);
    let r = c.send(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
            ("User-Agent", ENTRA),
        ],
        Some(body.as_bytes()),
    );
    r.expect(200);
    assert_eq!(
        r.json()["active"],
        json!(value == "True"),
        "SCIM follows the IdP"
    );
    r.json()["meta"]["lastModified"]
        .as_str()
        .unwrap()
        .to_string()
}

fn guard(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/guard", t.id), None);
    r.expect(200);
    r.json()
}

fn lines(c: &impl Client, t: &Tenant, at: Option<&str>) -> Vec<Value> {
    let mut pairs = vec![("limit", "1000")];
    if let Some(at) = at {
        pairs.push(("at", at));
    }
    roster(c, &t.id, &pairs)["employees"]
        .as_array()
        .unwrap()
        .clone()
}

fn line_of<'a>(lines: &'a [Value], id: &str) -> &'a Value {
    lines.iter().find(|e| e["id"] == json!(id)).unwrap()
}

/// 100 employees, 30 deactivated in a burst: returns the tenant, ids, and received times.
fn burst(c: &impl Client, auto_apply_days: i64) -> (Tenant, Vec<String>, Vec<String>) {
    let t = c.new_tenant(&unique("Guard "));
    c.admin(
        "PATCH",
        &format!("/tenants/{}", t.id),
        Some(json!({ "guard": { "auto_apply_days": auto_apply_days } })),
    )
    .expect(200);
    let ids = staff(c, &t, 100);
    let received: Vec<String> = ids[..30]
        .iter()
        .map(|id| entra_active(c, &t, id, "False"))
        .collect();
    (t, ids, received)
}

#[test]
fn an_entra_burst_trips_the_guard_and_each_decision_holds() {
    let c = worker();
    let _turn = dated_runs();

    // Tripped: all 30 still eligible, held; SCIM says inactive.
    let (a, a_ids, received) = burst(c, 7);
    let g = guard(c, &a);
    assert_eq!(g["tripped"], json!(true), "{g}");
    // Created within the hour: none was eligible at the window's start, so the minimum (20)
    // decides (the host tests count against a real denominator).
    assert_eq!(g["trip"]["eligible_before"], json!(0), "{g}");
    assert_eq!(g["trip"]["losses"], json!(20), "{g}");
    assert_eq!(g["trip"]["clients"], json!([ENTRA]), "{g}");
    assert_eq!(g["held_employees"], json!(30), "{g}");
    let now = lines(c, &a, None);
    assert_eq!(now.len(), 100);
    for id in &a_ids[..30] {
        let l = line_of(&now, id);
        assert_eq!(
            (&l["active"], &l["eligible"], &l["held"]),
            (&json!(false), &json!(true), &json!(true)),
            "{l}"
        );
    }
    assert!(now.iter().all(|l| l["eligible"] == json!(true)));
    let log = c
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=guard", a.id),
            None,
        )
        .json();
    assert_eq!(log["entries"][0]["client"], json!(ENTRA), "{log}");

    // A reactivation from the IdP clears one hold.
    entra_active(c, &a, &a_ids[29], "True");
    assert_eq!(guard(c, &a)["held_employees"], json!(29));

    // Apply: ineligible as of the times they were received.
    c.admin("POST", &format!("/tenants/{}/guard/apply", a.id), None)
        .expect(200);
    assert_eq!(guard(c, &a)["tripped"], json!(false));
    let last = Timestamp::parse_rfc3339(&received[28]).unwrap().0;
    let after = Timestamp(last + 1).to_rfc3339();
    let then = lines(c, &a, Some(&after));
    assert_eq!(
        then.iter()
            .filter(|l| l["eligible"] == json!(false))
            .count(),
        29
    );
    for (i, id) in a_ids[..29].iter().enumerate() {
        let just_before = Timestamp(Timestamp::parse_rfc3339(&received[i]).unwrap().0 - 1);
        let before = lines(c, &a, Some(&just_before.to_rfc3339()));
        if i % 7 == 0 {
            assert_eq!(line_of(&before, id)["eligible"], json!(true), "before {i}");
            let at = lines(c, &a, Some(&received[i]));
            assert_eq!(line_of(&at, id)["eligible"], json!(false), "at {i}");
        }
    }

    // Another tenant: dismiss keeps them eligible, overridden; the first tenant's roster is
    // untouched by it.
    let (d, d_ids, _) = burst(c, 7);
    assert_eq!(guard(c, &d)["tripped"], json!(true));
    let r = c.admin("POST", &format!("/tenants/{}/guard/dismiss", d.id), None);
    r.expect(200);
    assert_eq!(r.json()["dismissed"], json!(30), "{}", r.json());
    let now = lines(c, &d, None);
    for id in &d_ids[..30] {
        let l = line_of(&now, id);
        assert_eq!(
            (&l["active"], &l["eligible"], &l["overridden"], &l["held"]),
            (&json!(false), &json!(true), &json!(true), &json!(false)),
            "{l}"
        );
    }
    assert_eq!(
        lines(c, &a, Some(&after))
            .iter()
            .filter(|l| l["eligible"] == json!(false))
            .count(),
        29
    );

    // Nobody decides: the Cron Trigger dated past the period applies them.
    let (n, n_ids, n_received) = burst(c, 1);
    let trip = guard(c, &n)["trip"].clone();
    let due = Timestamp::parse_rfc3339(trip["auto_apply_at"].as_str().unwrap())
        .unwrap()
        .0;
    run_at(c, PURGE_CRON, due - 60_000);
    assert_eq!(guard(c, &n)["tripped"], json!(true), "not yet due");
    run_at(c, PURGE_CRON, due + 60_000);
    let g = guard(c, &n);
    assert_eq!(
        (&g["tripped"], &g["held_employees"]),
        (&json!(false), &json!(0)),
        "{g}"
    );
    let at = lines(c, &n, Some(&n_received[10]));
    assert_eq!(line_of(&at, &n_ids[10])["eligible"], json!(false));
    let applied = c
        .admin(
            "GET",
            &format!("/tenants/{}/activity?operation=apply", n.id),
            None,
        )
        .json();
    assert_eq!(applied["entries"].as_array().unwrap().len(), 30);
    assert_eq!(applied["entries"][0]["client"], json!("guard"));
    // The dismissed tenant was not touched by the run.
    assert!(lines(c, &d, None)
        .iter()
        .all(|l| l["eligible"] == json!(true)));
}
