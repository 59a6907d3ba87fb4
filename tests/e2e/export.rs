//! The CSV export streamed by the worker (`lib.rs`): a roster longer than a page arrives whole,
//! each employee once, in order, across the pages the edge pulls after the answer started.
//! (The export's content is checked in `common::scenarios::console`, which both suites run.)

use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::http_client::worker;
use scim_edge::app::admin_api::export::PAGE;

#[test]
fn an_export_longer_than_a_page_streams_whole() {
    let c = worker();
    let t = c.new_tenant(&unique("Stream "));
    let n = PAGE as usize + 20;
    for i in 0..n {
        c.scim(
            &t.token,
            "POST",
            "/Users",
            Some(okta_user(&format!("s{i:04}@example.com"))),
        )
        .expect(201);
    }
    let r = c.admin("GET", &format!("/tenants/{}/employees.csv", t.id), None);
    r.expect(200);
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + n);
    for (i, line) in lines[1..].iter().enumerate() {
        let user = format!("s{i:04}@example.com");
        assert!(line.contains(&format!(",{user},{user},")), "{i}: {line}");
    }
}
