//! D1 round trips on the real worker (issue 22), as its log line counts them (`d1_round_trips`,
//! from D1's own answers): the IdPs' read-then-write costs one round trip for the write, because
//! the isolate that answered the read remembers the user (`app::recent`), and a create that
//! uses the company's attributes costs one once the isolate knows the tenant's token. (The host
//! suite counts every operation and every way the remembered state goes stale:
//! `tests/api/round_trips.rs`.) `wrangler dev` serves from one isolate, as a Cloudflare
//! location serves an IdP's connection.

use crate::common::scenarios::custom::{define, PEAKON};
use crate::common::scenarios::users::{okta_user, CORE, PATCH_OP};
use crate::common::{unique, Client, Reply};
use crate::http_client::worker;
use crate::worker_log::log_line;
use serde_json::{json, Value};

fn round_trips(r: &Reply) -> Value {
    log_line(r)["d1_round_trips"].clone()
}

#[test]
fn the_idps_read_then_write_is_one_round_trip_for_the_write() {
    let c = worker();
    let t = c.new_tenant(&unique("Trips "));
    define(c, &t, json!({ "name": "Employed Since", "type": "date" }));
    c.scim(&t.token, "GET", "/Users?count=0", None).expect(200);

    let name = unique("trips@example.com");
    let mut body = okta_user(&name);
    body["schemas"] = json!([CORE, PEAKON]);
    body[PEAKON] = json!({ "Employed_Since": "2021-09-01" });
    let created = c.scim(&t.token, "POST", "/Users", Some(body));
    created.expect(201);
    assert_eq!(
        round_trips(&created),
        json!(1),
        "create with the company's attribute"
    );
    let id = created.json()["id"].as_str().unwrap().to_string();

    // Okta: GET, then PUT.
    let read = c.scim(&t.token, "GET", &format!("/Users/{id}"), None);
    read.expect(200);
    assert_eq!(round_trips(&read), json!(1), "get");
    let mut doc = read.json();
    doc["displayName"] = json!("Trips Renamed");
    let put = c.scim(&t.token, "PUT", &format!("/Users/{id}"), Some(doc));
    put.expect(200);
    assert_eq!(put.json()["displayName"], json!("Trips Renamed"));
    assert_eq!(round_trips(&put), json!(1), "PUT after GET");

    // Entra: filter, then PATCH.
    let filter = format!("userName%20eq%20%22{}%22", name.replace('@', "%40"));
    let found = c.scim(&t.token, "GET", &format!("/Users?filter={filter}"), None);
    found.expect(200);
    assert_eq!(found.json()["totalResults"], json!(1));
    assert_eq!(round_trips(&found), json!(1), "filter");
    let patch = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    let patched = c.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(patch));
    patched.expect(200);
    assert_eq!(patched.json()["active"], json!(false));
    assert_eq!(round_trips(&patched), json!(1), "PATCH after a filter");

    let deleted = c.scim(&t.token, "DELETE", &format!("/Users/{id}"), None);
    deleted.expect(204);
    assert_eq!(round_trips(&deleted), json!(1), "delete");
}
