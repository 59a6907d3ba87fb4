//! The events API and webhook delivery on the host (issue 19), with a queue and an HTTP client
//! that the tests play: the feed in seq order with cursor paging; endpoints through the admin
//! API (loopback http only where allowed, secrets shown once and sealed); per-employee order
//! while an earlier event is retried; retries on the schedule, then the endpoint failing, and
//! re-enabling resuming in order; both signatures during a rotation; another tenant's endpoint
//! receives nothing; and the delivery log.

use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::{Client, Tenant};
use crate::helpers::{block_on, TestApp, ADMIN_TOKEN, CREDENTIAL_SECRET};
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::webhooks::backoff::Schedule;
use scim_edge::app::webhooks::delivery::{self, Delivery};
use scim_edge::app::webhooks::seal::SealKey;
use scim_edge::app::webhooks::{Outbound, Queue, WebhookConfig};
use scim_edge::app::Config;
use scim_edge::store::webhooks::Handed;
use serde_json::{json, Value};
use std::cell::RefCell;

const SEAL: &str = "host-tests-webhook-secret-key-0123456789";

fn schedule() -> Schedule {
    Schedule::parse(Some("1s 4s 20s 3s")).unwrap()
}

fn app() -> TestApp {
    let config = Config::new(Some(ADMIN_TOKEN.into()), Some(CREDENTIAL_SECRET)).with_webhooks(
        WebhookConfig {
            seal_key: SealKey::from_secret(Some(SEAL)),
            loopback_http: true,
            schedule: schedule(),
        },
    );
    TestApp::with_config(config)
}

#[derive(Default)]
struct FakeQueue(RefCell<Vec<(Handed, u32)>>);

impl Queue for FakeQueue {
    async fn send(&self, messages: &[(Handed, u32)]) -> Result<(), String> {
        self.0.borrow_mut().extend_from_slice(messages);
        Ok(())
    }
}

impl FakeQueue {
    fn take(&self) -> Vec<(Handed, u32)> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// A request a receiver was sent: URL, headers, body.
type Sent = (String, Vec<(String, String)>, Value);

/// A receiver: what it was sent, and its answers in turn (then 200).
#[derive(Default)]
struct Receiver {
    sent: RefCell<Vec<Sent>>,
    answers: RefCell<Vec<Result<u16, String>>>,
}

impl Outbound for Receiver {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        self.sent.borrow_mut().push((
            url.to_string(),
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            serde_json::from_str(body).unwrap(),
        ));
        let mut answers = self.answers.borrow_mut();
        if answers.is_empty() {
            Ok(200)
        } else {
            answers.remove(0)
        }
    }
}

impl Receiver {
    /// (type, employee id) of what it received, in order.
    fn received(&self) -> Vec<(String, String)> {
        self.sent
            .borrow()
            .iter()
            .map(|(_, _, b)| {
                (
                    b["type"].as_str().unwrap().to_string(),
                    b["data"]["employee"]["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn endpoint(app: &TestApp, t: &Tenant, url: &str) -> Value {
    let r = app.admin(
        "POST",
        &format!("/tenants/{}/webhooks", t.id),
        Some(json!({ "url": url })),
    );
    r.expect(201);
    r.json()
}

fn create(app: &TestApp, t: &Tenant, name: &str) -> String {
    let r = app.scim(&t.token, "POST", "/Users", Some(okta_user(name)));
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_string()
}

fn set_active(app: &TestApp, t: &Tenant, id: &str, active: bool) {
    let body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] });
    app.scim(&t.token, "PATCH", &format!("/Users/{id}"), Some(body))
        .expect(200);
}

fn sweep(app: &TestApp, queue: &FakeQueue) -> usize {
    block_on(delivery::sweep(&app.store, queue, app.now(), &schedule())).unwrap()
}

/// Delivers every message on the queue that is due now (later ones stay), until none is left
/// that is due; the outcomes.
fn drain(app: &TestApp, queue: &FakeQueue, receiver: &Receiver) -> Vec<Delivery> {
    let mut outcomes = Vec::new();
    let mut random = SeededRandom(5);
    loop {
        let now = app.now();
        let (due, later): (Vec<_>, Vec<_>) = queue.take().into_iter().partition(|(h, _)| {
            scim_edge::scim::datetime::Timestamp::parse_rfc3339(&h.next_attempt)
                .unwrap()
                .0
                <= now.0
        });
        queue.0.borrow_mut().extend(later);
        if due.is_empty() {
            return outcomes;
        }
        for (h, _) in due {
            let clock = || app.now();
            outcomes.push(
                block_on(delivery::deliver(
                    &app.store,
                    receiver,
                    queue,
                    &h,
                    &clock,
                    &mut random,
                    &app.config.webhooks,
                ))
                .unwrap(),
            );
        }
    }
}

#[test]
fn the_events_api_pages_in_seq_order_without_skipping_or_repeating() {
    let app = app();
    let t = app.new_tenant("Feed");
    let other = app.new_tenant("Other");
    let a = create(&app, &t, "a@example.com");
    create(&app, &other, "x@example.com");
    set_active(&app, &t, &a, false);
    let b = create(&app, &t, "b@example.com");
    set_active(&app, &t, &a, true);
    let page = |after: &str| {
        let r = app.admin(
            "GET",
            &format!("/tenants/{}/events?limit=2&after={after}", t.id),
            None,
        );
        r.expect(200);
        r.json()
    };
    let first = page("");
    let second = page(first["next_cursor"].as_str().unwrap());
    assert_eq!(second["next_cursor"], Value::Null, "the last page for now");
    let all: Vec<Value> = [first, second]
        .iter()
        .flat_map(|p| p["events"].as_array().unwrap().clone())
        .collect();
    let seen: Vec<(&str, &str)> = all
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["employee"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("employee.created", a.as_str()),
            ("employee.deactivated", a.as_str()),
            ("employee.created", b.as_str()),
            ("employee.reactivated", a.as_str()),
        ]
    );
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(all[1]["employee"]["eligible"], json!(false));
    assert_eq!(all[1]["id"], json!(format!("evt_{}", seqs[1])));
    // After the last: nothing, and a bad cursor is a 400.
    let last = seqs[3].to_string();
    assert_eq!(page(&last)["events"], json!([]));
    app.admin("GET", &format!("/tenants/{}/events?after=x", t.id), None)
        .expect(400);
}

#[test]
fn endpoints_take_https_or_allowed_loopback_and_show_their_secret_once() {
    let app = app();
    let t = app.new_tenant("Hooks");
    let created = endpoint(&app, &t, "http://127.0.0.1:9/hook");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["id"].as_str().unwrap();
    let listed = app.admin("GET", &format!("/tenants/{}/webhooks", t.id), None);
    assert!(
        !listed.body.contains(secret) && !listed.body.contains("secret\":"),
        "{}",
        listed.body
    );
    // Sealed in the database, never in the clear.
    let stored: String = app.store.with_conn(|c| {
        c.query_row(
            "SELECT secret FROM webhook_endpoints WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert!(!stored.contains(&secret[6..]), "{stored}");
    for bad in ["http://hooks.example.com/x", "ftp://x.example/", "nope"] {
        app.admin(
            "POST",
            &format!("/tenants/{}/webhooks", t.id),
            Some(json!({ "url": bad })),
        )
        .expect(400);
    }
    app.admin(
        "POST",
        &format!("/tenants/{}/webhooks", t.id),
        Some(json!({ "url": "https://h.example/x", "event_types": ["employee.fired"] })),
    )
    .expect(400);
    // Without the loopback var, loopback http is refused too.
    let strict = TestApp::with_config(
        Config::new(Some(ADMIN_TOKEN.into()), Some(CREDENTIAL_SECRET)).with_webhooks(
            WebhookConfig {
                seal_key: SealKey::from_secret(Some(SEAL)),
                loopback_http: false,
                schedule: schedule(),
            },
        ),
    );
    let s = strict.new_tenant("Strict");
    strict
        .admin(
            "POST",
            &format!("/tenants/{}/webhooks", s.id),
            Some(json!({ "url": "http://127.0.0.1:9/hook" })),
        )
        .expect(400);
    // Without the secret key, no endpoint is created (503 not_configured).
    let unkeyed = TestApp::new();
    let u = unkeyed.new_tenant("Unkeyed");
    unkeyed
        .admin(
            "POST",
            &format!("/tenants/{}/webhooks", u.id),
            Some(json!({ "url": "https://h.example/x" })),
        )
        .expect(503);
}

#[test]
fn an_employees_later_events_wait_behind_an_earlier_one_being_retried() {
    let app = app();
    let t = app.new_tenant("Order");
    endpoint(&app, &t, "http://127.0.0.1:9/hook");
    let queue = FakeQueue::default();
    let receiver = Receiver::default();
    let a = create(&app, &t, "a@example.com");
    set_active(&app, &t, &a, false);
    set_active(&app, &t, &a, true);
    let b = create(&app, &t, "b@example.com");
    // The first attempt at a's creation fails; b's goes through.
    receiver.answers.borrow_mut().push(Ok(500));
    assert_eq!(sweep(&app, &queue), 2, "each employee's oldest event only");
    let outcomes = drain(&app, &queue, &receiver);
    assert!(
        matches!(outcomes[0], Delivery::Retry { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], Delivery::Delivered { status: 200 });
    // While a's creation waits for its retry, sweeps hand out none of a's later events.
    app.advance(100);
    assert_eq!(sweep(&app, &queue), 0);
    // The retry is due within the schedule's first delay (1 s, half of it random).
    app.advance(1_000);
    drain(&app, &queue, &receiver);
    assert_eq!(
        receiver.received(),
        [
            ("employee.created".to_string(), a.clone()),
            ("employee.created".to_string(), b.clone()),
            ("employee.created".to_string(), a.clone()),
            ("employee.deactivated".to_string(), a.clone()),
            ("employee.reactivated".to_string(), a.clone()),
        ]
    );
    // The retried delivery kept its webhook-id; every delivery is gone.
    let ids: Vec<String> = receiver
        .sent
        .borrow()
        .iter()
        .map(|(_, h, _)| h.iter().find(|(k, _)| k == "webhook-id").unwrap().1.clone())
        .collect();
    assert_eq!(ids[0], ids[2]);
    let left: i64 = app.store.with_conn(|c| {
        c.query_row("SELECT count(*) FROM webhook_deliveries", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(left, 0);
}

#[test]
fn past_the_schedule_the_endpoint_fails_and_re_enabling_resumes_in_order() {
    let app = app();
    let t = app.new_tenant("Failing");
    let id = endpoint(&app, &t, "http://127.0.0.1:9/hook")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let queue = FakeQueue::default();
    let receiver = Receiver::default();
    let a = create(&app, &t, "a@example.com");
    set_active(&app, &t, &a, false);
    *receiver.answers.borrow_mut() = (0..100).map(|_| Err("connection refused".into())).collect();
    sweep(&app, &queue);
    // Retry for the 20 s of the schedule: 1 s doubling to 4 s, with jitter.
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        outcomes.extend(drain(&app, &queue, &receiver));
        app.advance(1_000);
    }
    assert!(
        matches!(outcomes.last(), Some(Delivery::GaveUp { .. })),
        "{outcomes:?}"
    );
    let retries = outcomes
        .iter()
        .filter(|o| matches!(o, Delivery::Retry { .. }))
        .count();
    assert!((5..=12).contains(&retries), "{retries} retries in 20 s");
    let state = |app: &TestApp| {
        app.admin("GET", &format!("/tenants/{}/webhooks/{id}", t.id), None)
            .json()
    };
    assert_eq!(state(&app)["state"], json!("failing"));
    assert_eq!(state(&app)["undelivered"], json!(2));
    // Failing: sweeps hand nothing out.
    assert_eq!(sweep(&app, &queue), 0);
    // The delivery log: every attempt, its error, no secret.
    let log = app.admin(
        "GET",
        &format!("/tenants/{}/webhooks/{id}/deliveries?limit=1000", t.id),
        None,
    );
    let attempts = log.json()["attempts"].as_array().unwrap().clone();
    assert_eq!(attempts.len(), retries + 1);
    assert_eq!(attempts[0]["error"], json!("connection refused"));
    assert!(!log.body.contains("whsec_"));
    // Re-enabled, with the receiver back: a's events arrive, in order.
    receiver.answers.borrow_mut().clear();
    receiver.sent.borrow_mut().clear();
    app.admin(
        "PATCH",
        &format!("/tenants/{}/webhooks/{id}", t.id),
        Some(json!({ "active": true })),
    )
    .expect(200);
    sweep(&app, &queue);
    drain(&app, &queue, &receiver);
    assert_eq!(
        receiver.received(),
        [
            ("employee.created".to_string(), a.clone()),
            ("employee.deactivated".to_string(), a.clone()),
        ]
    );
    assert_eq!(state(&app)["state"], json!("active"));
    assert_eq!(state(&app)["undelivered"], json!(0));
}

#[test]
fn a_rotation_signs_with_both_secrets_for_a_day_and_other_tenants_get_nothing() {
    let app = app();
    let t = app.new_tenant("Rotating");
    let other = app.new_tenant("Other");
    let created = endpoint(&app, &t, "http://127.0.0.1:9/mine");
    endpoint(&app, &other, "http://127.0.0.1:9/theirs");
    let id = created["id"].as_str().unwrap();
    let old = created["secret"].as_str().unwrap().to_string();
    let rotated = app.admin(
        "POST",
        &format!("/tenants/{}/webhooks/{id}/rotate", t.id),
        None,
    );
    rotated.expect(200);
    let new = rotated.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    let queue = FakeQueue::default();
    let receiver = Receiver::default();
    create(&app, &t, "a@example.com");
    sweep(&app, &queue);
    drain(&app, &queue, &receiver);
    app.advance(24 * 3_600_000);
    create(&app, &t, "b@example.com");
    sweep(&app, &queue);
    drain(&app, &queue, &receiver);
    let sent = receiver.sent.borrow();
    assert_eq!(
        sent.len(),
        2,
        "the other tenant's endpoint received nothing"
    );
    assert!(sent.iter().all(|(url, _, _)| url.ends_with("/mine")));
    // Verified by an HMAC written here from the specification, not by the code under test.
    let verify = |secret: &str, headers: &[(String, String)], body: &Value| -> bool {
        use hmac::{KeyInit, Mac};
        let h = |name: &str| headers.iter().find(|(k, _)| k == name).unwrap().1.clone();
        let key = decode_base64(&secret["whsec_".len()..]);
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", h("webhook-id"), h("webhook-timestamp"), body).as_bytes());
        let expected = format!("v1,{}", encode_base64(&mac.finalize().into_bytes()));
        h("webhook-signature").split(' ').any(|s| s == expected)
    };
    let (_, first_headers, first_body) = &sent[0];
    assert!(verify(&new, first_headers, first_body));
    assert!(
        verify(&old, first_headers, first_body),
        "both during the day after"
    );
    let (_, later_headers, later_body) = &sent[1];
    assert!(verify(&new, later_headers, later_body));
    assert!(
        !verify(&old, later_headers, later_body),
        "the old one no more after 24 h"
    );
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn decode_base64(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | B64.iter().position(|&x| x == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_feeds_retention_removes_old_events_with_their_pending_deliveries() {
    let app = app();
    let t = app.new_tenant("Retention");
    endpoint(&app, &t, "http://127.0.0.1:9/hook");
    let queue = FakeQueue::default();
    create(&app, &t, "old@example.com");
    sweep(&app, &queue);
    // 31 days later, a newer event; the old one's delivery is still pending.
    app.advance(31 * 86_400_000);
    create(&app, &t, "new@example.com");
    let pruned = block_on(scim_edge::app::retention::prune_employee_events(
        &app.store,
        app.now(),
        30,
    ))
    .unwrap();
    assert_eq!((pruned.removed, pruned.more), (1, false));
    let (events, deliveries): (i64, i64) = app.store.with_conn(|c| {
        c.query_row(
            "SELECT (SELECT count(*) FROM employee_events), (SELECT count(*) FROM webhook_deliveries)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    });
    assert_eq!(
        (events, deliveries),
        (1, 0),
        "the new event is kept, the old delivery gone"
    );
}
