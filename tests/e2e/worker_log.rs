//! The worker's own log, as `wrangler dev` writes it (`SCIM_EDGE_WORKER_LOG`): the one JSON line
//! each request leaves (`app::plumbing::log`), found by the request's `X-Request-Id`.

use crate::common::Reply;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The worker's log line of the request `r` answered (by its `X-Request-Id`), waiting up to 10 s
/// for wrangler to write it.
pub fn log_line(r: &Reply) -> Value {
    let id = r.header("x-request-id").expect("a request id").to_string();
    let path = std::env::var("SCIM_EDGE_WORKER_LOG").expect("SCIM_EDGE_WORKER_LOG");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        let found = log
            .lines()
            .filter_map(|l| l.find('{').map(|i| &l[i..]))
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["request_id"] == json!(id));
        if let Some(line) = found {
            return line;
        }
        assert!(Instant::now() < deadline, "no log line for request {id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
