//! No lost updates (DESIGN §9): concurrent PATCHes of different attributes of one user all
//! survive. Each PATCH reads the user, applies its operation and writes with the version it read
//! in the UPDATE's WHERE clause; the losers of a race read again and re-apply, within
//! `WRITE_DEADLINE_MS`. Only the real worker on D1 runs requests truly at once.

use crate::common::scenarios::patch::patch;
use crate::common::scenarios::users::{create, okta_user, ENTERPRISE};
use crate::common::{unique, Client};
use crate::http_client::worker;
use serde_json::{json, Value};

/// Twenty attributes no two PATCHes share, and where each shows in the resource.
const PATHS: [&str; 20] = [
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "profileUrl",
    "externalId",
    "name.givenName",
    "name.familyName",
    "name.middleName",
    "name.formatted",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
];

fn read(user: &Value, path: &str) -> Value {
    if let Some(attr) = path.strip_prefix(&format!("{ENTERPRISE}:")) {
        return user[ENTERPRISE][attr].clone();
    }
    match path.split_once('.') {
        Some((top, sub)) => user[top][sub].clone(),
        None => user[path].clone(),
    }
}

#[test]
fn twenty_concurrent_patches_of_distinct_attributes_all_survive_five_runs_of_five() {
    let w = worker();
    let t = w.new_tenant(&unique("Concurrent PATCH "));
    for run in 1..=5 {
        let u = create(
            w,
            &t,
            okta_user(&format!("{}@example.com", unique(&format!("race{run}.")))),
        );
        let id = u["id"].as_str().unwrap().to_string();
        let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = PATHS
                .iter()
                .enumerate()
                .map(|(i, path)| {
                    let (t, id) = (&t, &id);
                    s.spawn(move || {
                        let r = patch(w, t, id, json!([{ "op": "replace", "path": path, "value": format!("v{run}-{i}") }]));
                        (r.status, r.body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, (status, body)) in statuses.iter().enumerate() {
            assert_eq!(
                *status, 200,
                "run {run}: PATCH of {} answered {status}: {body}",
                PATHS[i]
            );
        }
        let after = w
            .scim(&t.token, "GET", &format!("/Users/{id}"), None)
            .json();
        let lost: Vec<&str> = PATHS
            .iter()
            .enumerate()
            .filter(|(i, path)| read(&after, path) != json!(format!("v{run}-{i}")))
            .map(|(_, path)| *path)
            .collect();
        assert!(
            lost.is_empty(),
            "run {run}: lost updates of {lost:?} in {after}"
        );
        // Every write took effect exactly once: the version counts them.
        assert_eq!(after["meta"]["version"], json!("W/\"21\""), "run {run}");
    }
}
