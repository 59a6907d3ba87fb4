//! Bulk requests against the real worker, what only it can show: the per-token rate limit
//! (the Workers Rate Limiting binding that `wrangler dev` runs) taking one unit per operation
//! and refusing a Bulk request whole, with one activity-log entry; and the time a request of
//! `maxOperations` takes (printed, never asserted: speed belongs in a benchmark).

use crate::common::scenarios::bulk::{bulk, bulk_request, post, statuses, user, MAX_OPERATIONS};
use crate::common::scenarios::reports::activity;
use crate::common::scenarios::users::ENTERPRISE;
use crate::common::{unique, Client};
use crate::http_client::worker;
use crate::throttle::{own_address, spend_budget};

#[test]
fn a_bulk_request_past_the_rate_limit_is_refused_whole_with_one_log_entry() {
    let w = worker();
    let t = w.new_tenant(&unique("Bulk throttled "));
    let ip = own_address();
    let p = unique("thr");
    let ops: Vec<_> = (0..3)
        .map(|i| post(&format!("u{i}"), user(&format!("{p}.{i}@example.com"))))
        .collect();
    let body = bulk_request(ops, None).to_string();
    let auth = format!("Bearer {}", t.token);
    let mut refused = None;
    for _ in 0..5 {
        spend_budget(&ip, &t.token);
        let r = w.send(
            "POST",
            "/scim/v2/Bulk",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/scim+json"),
                ("CF-Connecting-IP", &ip),
            ],
            Some(body.as_bytes()),
        );
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        // The window turned over between the flood and the request: it ran; try again with
        // the same names (they are taken now, so a later run would be 409s, never new users).
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = refused.expect("a throttled Bulk request");
    r.expect_scim_error(429, None);
    let retry: u32 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let request_id = r.header("x-request-id").unwrap().to_string();
    // One entry, the refusal's; no operation of it ran.
    let log = activity(w, &t.id, &[("limit", "1000")]);
    let entries: Vec<_> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["request_id"] == request_id.as_str())
        .collect();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["operation"], "bulk");
    assert_eq!(entries[0]["status"], 429);
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(detail.contains("3 operations"), "{detail}");
}

/// The time of one request of `maxOperations` creates, printed (run with `--nocapture`).
#[test]
fn a_request_of_max_operations_is_timed() {
    let w = worker();
    let t = w.new_tenant(&unique("Bulk timed "));
    let p = unique("time");
    let ops: Vec<_> = (0..MAX_OPERATIONS)
        .map(|i| post(&format!("u{i}"), user(&format!("{p}.{i}@example.com"))))
        .collect();
    let started = std::time::Instant::now();
    let answer = bulk(w, &t, bulk_request(ops, None));
    let elapsed = started.elapsed();
    assert_eq!(statuses(&answer), vec!["201"; MAX_OPERATIONS]);
    eprintln!(
        "a Bulk request of {MAX_OPERATIONS} creates took {} ms under wrangler dev",
        elapsed.as_millis()
    );
    // The costliest operations: creates that name themselves as manager (create, then set).
    let ops: Vec<_> = (0..MAX_OPERATIONS)
        .map(|i| {
            let mut data = user(&format!("{p}.self{i}@example.com"));
            data[ENTERPRISE] = serde_json::json!({"manager": {"value": format!("bulkId:s{i}")}});
            post(&format!("s{i}"), data)
        })
        .collect();
    let started = std::time::Instant::now();
    let answer = bulk(w, &t, bulk_request(ops, None));
    let elapsed = started.elapsed();
    assert_eq!(statuses(&answer), vec!["201"; MAX_OPERATIONS]);
    eprintln!(
        "a Bulk request of {MAX_OPERATIONS} self-referring creates took {} ms under wrangler dev",
        elapsed.as_millis()
    );
}
