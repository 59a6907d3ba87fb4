//! Recoverable deletes (DESIGN §4): to SCIM a deleted employee is gone (RFC 7644 §3.6); the
//! admin API lists it, restores it (same id, attributes, history and references) or purges it.

use super::custom::{define, PEAKON};
use super::reports::{activity, listed, shift};
use super::users::{create, okta_user, CORE, ENTERPRISE, LIST};
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

fn deleted_list(c: &impl Client, t: &Tenant) -> Value {
    let r = c.admin("GET", &format!("/tenants/{}/deleted-employees", t.id), None);
    r.expect(200);
    r.json()
}

fn restore(c: &impl Client, t: &Tenant, id: &str) -> Reply {
    c.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{id}/restore", t.id),
        None,
    )
}

fn by_user_name(c: &impl Client, t: &Tenant, name: &str) -> Value {
    let filter = format!("userName eq \"{name}\"")
        .replace(' ', "%20")
        .replace('"', "%22");
    let r = c.scim(&t.token, "GET", &format!("/Users?filter={filter}"), None);
    r.expect(200);
    let body = r.json();
    assert_eq!(body["schemas"], json!([LIST]), "{body}");
    body
}

fn id_of(user: &Value) -> String {
    user["id"].as_str().unwrap().to_string()
}

/// The whole path of the issue: delete → gone to SCIM; the userName reused, so the restore is
/// refused with 409; the new user deleted, the old one restored, found again by `userName eq`
/// and `externalId eq` with its attributes, history, and the references other employees had to
/// it; another tenant sees none of it.
pub fn a_deleted_employee_is_gone_for_scim_and_restorable(c: &impl Client) {
    let t = c.new_tenant(&unique("Deletes "));
    let other = c.new_tenant(&unique("Deletes other "));
    define(c, &t, json!({ "name": "Mentor", "type": "employee" }));
    let name = format!("{}@example.com", unique("ada."));
    let mut body = okta_user(&name);
    body["schemas"] = json!([CORE, ENTERPRISE]);
    body["displayName"] = json!("Ada Lovelace");
    body["active"] = json!(false);
    body[ENTERPRISE] = json!({ "department": "Engines", "employeeNumber": "1815" });
    let ada = create(c, &t, body);
    let ada_id = id_of(&ada);
    let ada_path = format!("/Users/{ada_id}");
    let external_id = ada["externalId"].as_str().unwrap().to_string();
    // Two employees refer to Ada: by the enterprise manager, and by an employee attribute.
    let report = create(
        c,
        &t,
        json!({ "schemas": [CORE, ENTERPRISE], "userName": unique("report"), ENTERPRISE: { "manager": { "value": ada_id } } }),
    );
    let mentee = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("mentee"), PEAKON: { "Mentor": name } }),
    );
    let (report_path, mentee_path) = (
        format!("/Users/{}", id_of(&report)),
        format!("/Users/{}", id_of(&mentee)),
    );
    assert_eq!(
        report[ENTERPRISE]["manager"]["displayName"],
        json!("Ada Lovelace")
    );
    assert_eq!(mentee[PEAKON]["Mentor"], json!(name));
    let mentee_version = mentee["meta"]["version"].clone();

    // Deleted: 204, then gone to SCIM (RFC 7644 §3.6).
    c.scim(&t.token, "DELETE", &ada_path, None).expect(204);
    c.scim(&t.token, "GET", &ada_path, None)
        .expect_scim_error(404, None);
    c.scim(&t.token, "PUT", &ada_path, Some(okta_user(&name)))
        .expect_scim_error(404, None);
    let off = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "value": { "active": true } }] });
    c.scim(&t.token, "PATCH", &ada_path, Some(off))
        .expect_scim_error(404, None);
    c.scim(&t.token, "DELETE", &ada_path, None)
        .expect_scim_error(404, None);
    assert_eq!(by_user_name(c, &t, &name)["totalResults"], json!(0));
    let all = c.scim(&t.token, "GET", "/Users", None).json();
    assert!(
        !all["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == json!(ada_id)),
        "{all}"
    );
    // References no longer name her, and the referring employees' versions moved on.
    let r = c.scim(&t.token, "GET", &report_path, None).json();
    assert!(r[ENTERPRISE]["manager"].get("displayName").is_none(), "{r}");
    assert!(r[ENTERPRISE]["manager"].get("$ref").is_none(), "{r}");
    let m = c.scim(&t.token, "GET", &mentee_path, None).json();
    assert!(
        m.get(PEAKON).is_none_or(|p| p.get("Mentor").is_none()),
        "{m}"
    );
    assert_ne!(m["meta"]["version"], mentee_version);
    let mentee_filter = format!(
        "/Users?filter={}",
        format!("{PEAKON}:Mentor eq \"{name}\"")
            .replace(' ', "%20")
            .replace('"', "%22")
    );
    assert_eq!(
        c.scim(&t.token, "GET", &mentee_filter, None).json()["totalResults"],
        json!(0)
    );

    // The admin list: who, when, by which token and client, and when it will be purged.
    let list = deleted_list(c, &t);
    assert_eq!(list["total"], json!(1), "{list}");
    assert_eq!(list["deleted_retention_days"], json!(30), "{list}");
    let d = &list["deleted_employees"][0];
    assert_eq!(d["id"], json!(ada_id));
    assert_eq!(d["userName"], json!(name));
    assert_eq!(d["active"], json!(false));
    assert_eq!(d["deleted_by"]["token_id"], json!(t.token_id));
    let deleted_at = d["deleted_at"].as_str().unwrap();
    let purge_at = d["purge_at"].as_str().unwrap();
    let days = |s: &str| {
        scim_edge::scim::datetime::Timestamp::parse_rfc3339(s)
            .unwrap_or_else(|| panic!("not a time: {s}"))
            .0
    };
    assert_eq!(days(purge_at) - days(deleted_at), 30 * 86_400_000, "{d}");
    c.admin(
        "GET",
        &format!("/tenants/{}/deleted-employees/{ada_id}", t.id),
        None,
    )
    .expect(200);

    // Her userName and externalId are free: a new employee takes both.
    let mut again = okta_user(&name.to_uppercase());
    again["externalId"] = json!(external_id);
    let newcomer = create(c, &t, again);
    // So she cannot be restored: 409, and nothing changes.
    let refused = restore(c, &t, &ada_id).expect_admin_error(409, "conflict");
    assert!(
        refused["detail"].as_str().unwrap().contains("userName"),
        "{refused}"
    );
    c.scim(&t.token, "GET", &ada_path, None)
        .expect_scim_error(404, None);
    assert_eq!(deleted_list(c, &t)["total"], json!(1));
    // Another tenant sees none of it, and cannot restore or purge it.
    assert_eq!(deleted_list(c, &other)["total"], json!(0));
    restore(c, &other, &ada_id).expect_admin_error(404, "not_found");
    c.admin(
        "DELETE",
        &format!("/tenants/{}/deleted-employees/{ada_id}", other.id),
        None,
    )
    .expect_admin_error(404, "not_found");

    // The newcomer leaves; Ada comes back as she was, at the next version.
    c.scim(
        &t.token,
        "DELETE",
        &format!("/Users/{}", id_of(&newcomer)),
        None,
    )
    .expect(204);
    let back = restore(c, &t, &ada_id);
    back.expect(200);
    assert_eq!(back.json()["id"], json!(ada_id));
    assert_eq!(back.json()["active"], json!(false));
    restore(c, &t, &ada_id).expect_admin_error(404, "not_found");
    let found = by_user_name(c, &t, &name);
    assert_eq!(found["totalResults"], json!(1), "{found}");
    let user = &found["Resources"][0];
    assert_eq!(user["id"], json!(ada_id));
    assert_eq!(user["displayName"], json!("Ada Lovelace"));
    assert_eq!(user["active"], json!(false));
    assert_eq!(user[ENTERPRISE]["department"], json!("Engines"));
    assert_eq!(user["meta"]["created"], ada["meta"]["created"]);
    assert_eq!(
        user["meta"]["version"],
        json!(format!("W/\"{}\"", version_of(&ada) + 1))
    );
    let by_external = format!("/Users?filter=externalId%20eq%20%22{external_id}%22");
    assert_eq!(
        c.scim(&t.token, "GET", &by_external, None).json()["Resources"][0]["id"],
        json!(ada_id)
    );
    // The references are back.
    let r = c.scim(&t.token, "GET", &report_path, None).json();
    assert_eq!(
        r[ENTERPRISE]["manager"]["displayName"],
        json!("Ada Lovelace"),
        "{r}"
    );
    let m = c.scim(&t.token, "GET", &mentee_path, None).json();
    assert_eq!(m[PEAKON]["Mentor"], json!(name), "{m}");
    assert_eq!(
        c.scim(&t.token, "GET", &mentee_filter, None).json()["totalResults"],
        json!(1)
    );
    // Her history: created, deleted, a refused restore, restored; listed again (inactive).
    let log = activity(c, &t.id, &[("user", &ada_id)]);
    let ops: Vec<(&str, i64)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["operation"].as_str().unwrap(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    // (The PUT, PATCH and DELETE of the deleted id are there too, each a 404.)
    assert_eq!(ops.iter().filter(|(_, s)| *s == 404).count(), 3, "{log}");
    let kept: Vec<(&str, i64)> = ops.into_iter().filter(|(_, s)| *s != 404).collect();
    assert_eq!(
        kept,
        vec![
            ("create", 201),
            ("delete", 204),
            ("restore", 409),
            ("restore", 200)
        ],
        "{log}"
    );
    let restored_entry = &log["entries"][0];
    assert_eq!(restored_entry["client"], json!("admin"), "{restored_entry}");
    assert_eq!(restored_entry["token_id"], Value::Null, "{restored_entry}");
    let line = listed(c, &t.id, &ada_id, None, None).expect("listed again");
    assert_eq!(line["active"], json!(false));
    assert_eq!(
        deleted_list(c, &t)["total"],
        json!(1),
        "the newcomer is kept"
    );
}

/// `meta.version` of a SCIM answer as its number (`W/"n"`).
fn version_of(user: &Value) -> i64 {
    let tag = user["meta"]["version"].as_str().unwrap();
    tag.trim_start_matches("W/\"")
        .trim_end_matches('"')
        .parse()
        .unwrap_or_else(|_| panic!("not a version: {tag}"))
}

/// Purged at once by an admin: no longer restorable; the roster of a past time still counts the
/// employee, without a name; the log keeps its entries without personal data, plus `purge`.
pub fn purging_a_deleted_employee_erases_its_personal_data(c: &impl Client) {
    let t = c.new_tenant(&unique("Purges "));
    define(c, &t, json!({ "name": "Buddy", "type": "employee" }));
    let name = format!("{}@example.com", unique("grace."));
    let grace = create(c, &t, okta_user(&name));
    let id = id_of(&grace);
    let created_at = shift(grace["meta"]["created"].as_str().unwrap(), 0);
    let buddy = create(
        c,
        &t,
        json!({ "schemas": [CORE, PEAKON], "userName": unique("buddy"), PEAKON: { "Buddy": id } }),
    );
    c.tick(5);
    c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None)
        .expect(204);
    let path = format!("/tenants/{}/deleted-employees/{id}", t.id);
    c.admin("DELETE", &path, None).expect(204);
    c.admin("DELETE", &path, None)
        .expect_admin_error(404, "not_found");
    restore(c, &t, &id).expect_admin_error(404, "not_found");
    assert_eq!(deleted_list(c, &t)["total"], json!(0));

    // The roster when she existed counts her, nameless.
    let line = listed(c, &t.id, &id, Some(&created_at), None).expect("still counted then");
    assert_eq!(line["userName"], Value::Null, "{line}");
    assert_eq!(line["email"], Value::Null, "{line}");
    assert_eq!(line["purged"], json!(true), "{line}");
    // Her log entries name her no more; the purge is logged, by the admin, without a token.
    let log = activity(c, &t.id, &[("user", &id)]);
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{log}");
    assert_eq!(entries[0]["operation"], json!("purge"));
    assert_eq!(entries[0]["client"], json!("admin"));
    assert_eq!(entries[0]["token_id"], Value::Null);
    for e in entries {
        assert_eq!(e["user_name"], Value::Null, "{e}");
        assert!(!e.to_string().contains(&name), "{e}");
    }
    assert_eq!(activity(c, &t.id, &[("user", &name)])["entries"], json!([]));
    // The buddy's reference is gone for good; her userName is a new employee's to take, and
    // no reference comes back to it.
    let b = c
        .scim(&t.token, "GET", &format!("/Users/{}", id_of(&buddy)), None)
        .json();
    assert!(
        b.get(PEAKON).is_none_or(|p| p.get("Buddy").is_none()),
        "{b}"
    );
    assert_ne!(b["meta"]["version"], buddy["meta"]["version"]);
    create(c, &t, okta_user(&name));
}

/// The retention is the tenant's: 0 to 365 days, `null` for the default (30); a change moves
/// the purge time of the employees already deleted.
pub fn the_retention_of_deleted_employees_is_set_per_tenant(c: &impl Client) {
    let t = c.new_tenant(&unique("Retention "));
    let path = format!("/tenants/{}", t.id);
    let tenant = c.admin("GET", &path, None).json();
    assert_eq!(tenant["deleted_retention_days"], json!(30), "{tenant}");
    for bad in [json!(-1), json!(366), json!("7"), json!(1.5), json!(true)] {
        c.admin(
            "PATCH",
            &path,
            Some(json!({ "deleted_retention_days": bad })),
        )
        .expect_admin_error(400, "invalid_request");
    }
    let u = create(c, &t, okta_user(&format!("{}@example.com", unique("kit."))));
    c.scim(&t.token, "DELETE", &format!("/Users/{}", id_of(&u)), None)
        .expect(204);
    let set = c.admin("PATCH", &path, Some(json!({ "deleted_retention_days": 7 })));
    set.expect(200);
    assert_eq!(set.json()["deleted_retention_days"], json!(7));
    let d = &deleted_list(c, &t)["deleted_employees"][0];
    let ms = |s: &Value| {
        scim_edge::scim::datetime::Timestamp::parse_rfc3339(s.as_str().unwrap())
            .unwrap()
            .0
    };
    assert_eq!(
        ms(&d["purge_at"]) - ms(&d["deleted_at"]),
        7 * 86_400_000,
        "{d}"
    );
    let reset = c.admin(
        "PATCH",
        &path,
        Some(json!({ "deleted_retention_days": null })),
    );
    assert_eq!(reset.json()["deleted_retention_days"], json!(30));
    let d = &deleted_list(c, &t)["deleted_employees"][0];
    assert_eq!(
        ms(&d["purge_at"]) - ms(&d["deleted_at"]),
        30 * 86_400_000,
        "{d}"
    );
    // The list's paging and errors.
    c.admin(
        "GET",
        &format!("/tenants/{}/deleted-employees?limit=0", t.id),
        None,
    )
    .expect_admin_error(400, "invalid_request");
    c.admin(
        "GET",
        "/tenants/tnt_00000000000000000000/deleted-employees",
        None,
    )
    .expect_admin_error(404, "not_found");
    c.admin("PUT", &format!("/tenants/{}/deleted-employees", t.id), None)
        .expect_admin_error(405, "method_not_allowed");
}
