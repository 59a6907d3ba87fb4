//! Races that only the real worker can run: many requests at once against one D1.

use crate::common::scenarios::users::okta_user;
use crate::common::{unique, Client};
use crate::http_client::worker;

#[test]
fn concurrent_creates_of_one_user_name_make_exactly_one_user() {
    let w = worker();
    let t = w.new_tenant(&unique("Race "));
    let name = format!("{}@example.com", unique("race."));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (t, name) = (&t, &name);
                s.spawn(move || {
                    // Vary the case: the unique index is on the folded userName.
                    let n = if i % 2 == 0 {
                        name.clone()
                    } else {
                        name.to_uppercase()
                    };
                    w.scim(&t.token, "POST", "/Users", Some(okta_user(&n)))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    let list = w.scim(&t.token, "GET", "/Users", None).json();
    assert_eq!(list["totalResults"], serde_json::json!(1));
}
