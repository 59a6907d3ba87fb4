//! Bulk requests (RFC 7644 §3.7): many writes in one request, each as its single request
//! would be, with `bulkId` references, `failOnErrors`, the limits of §3.7.4 and one
//! activity-log entry per operation.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::reports::activity;
use crate::common::scenarios::users::{CORE, ENTERPRISE, PATCH_OP};
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The tenant extension, for references in employee attributes.
pub const PEAKON_REF: &str = PEAKON;
/// What `/ServiceProviderConfig` advertises (RFC 7644 §3.7.4).
pub const MAX_OPERATIONS: usize = 30;
pub const MAX_PAYLOAD_SIZE: usize = 1_048_576;

/// A BulkRequest of `operations`.
pub fn bulk_request(operations: Vec<Value>, fail_on_errors: Option<u64>) -> Value {
    let mut body = json!({"schemas": [BULK_REQUEST], "Operations": operations});
    if let Some(n) = fail_on_errors {
        body["failOnErrors"] = json!(n);
    }
    body
}

/// A POST of `data` with `bulk_id`.
pub fn post(bulk_id: &str, data: Value) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data})
}

/// Sends a Bulk request; the reply.
pub fn bulk_reply(c: &impl Client, t: &Tenant, body: &Value) -> Reply {
    c.scim(&t.token, "POST", "/Bulk", Some(body.clone()))
}

/// Sends a Bulk request (200); its BulkResponse.
pub fn bulk(c: &impl Client, t: &Tenant, body: Value) -> Value {
    let r = bulk_reply(c, t, &body);
    r.expect(200);
    let answer = r.json();
    assert_eq!(answer["schemas"], json!([BULK_RESPONSE]), "{answer}");
    answer
}

/// The `status` of each result.
pub fn statuses(answer: &Value) -> Vec<String> {
    answer["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_string())
        .collect()
}

/// The user id a result's `location` names.
pub fn id_at(answer: &Value, i: usize) -> String {
    let location = answer["Operations"][i]["location"]
        .as_str()
        .unwrap_or_else(|| panic!("no location in result {i}: {answer}"));
    location.rsplit('/').next().unwrap().to_string()
}

pub fn user(user_name: &str) -> Value {
    json!({
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": "Bulk", "familyName": "User"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
    })
}

/// How many users of the tenant have a userName that starts with `prefix`.
fn users_starting(c: &impl Client, t: &Tenant, prefix: &str) -> u64 {
    let r = c.scim(
        &t.token,
        "GET",
        &format!("/Users?count=0&filter=userName+sw+%22{prefix}%22"),
        None,
    );
    r.expect(200);
    r.json()["totalResults"].as_u64().unwrap()
}
