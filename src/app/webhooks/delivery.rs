//! Delivery: the sweep that fans new events out and hands due deliveries to the queue, and
//! the consumer's send of one handed delivery, with its retry or its giving up. The rows, the
//! per-employee order and the leases are `store::webhooks`; this room decides what to do with
//! an attempt's outcome.
//!
//! At least once: a delivery's row goes only after a 2xx answer, so a worker that dies at any
//! point (before the send, during it, before recording it) leaves the row, whose lease runs out
//! and a later sweep hands it out again; the receiver then sees the same `webhook-id` twice.

use super::backoff::Schedule;
use super::sign::{secret_key, signature_header};
use super::{payload, Outbound, Queue, WebhookConfig, SEND_TIMEOUT_MS};
use crate::app::plumbing::ids::Random;
use crate::scim::datetime::Timestamp;
use crate::store::outbox::{self, EmployeeEvent};
use crate::store::webhooks::{self as sql, Attempt, Endpoint, Handed};
use crate::store::{Batch, Consistency, Store};

/// Most deliveries one sweep hands out (a queue batch's worth; the next sweep takes the rest).
pub const SWEEP_LIMIT: i64 = 100;
/// How long a delivery being sent stays leased: the send's bound and a margin to record it.
pub const SENDING_LEASE_MS: i64 = SEND_TIMEOUT_MS + 20_000;
/// Most characters of an error kept in the delivery log.
const MAX_ERROR_CHARS: usize = 200;

/// Whole seconds from `now` until `at` (RFC 3339 text), 0 when due.
fn delay_seconds(at: &str, now: Timestamp) -> u32 {
    let Some(at) = Timestamp::parse_rfc3339(at) else {
        return 0;
    };
    let ms = (at.0 - now.0).max(0);
    u32::try_from((ms + 999) / 1_000).unwrap_or(u32::MAX)
}

async fn enqueue<Q: Queue>(queue: &Q, handed: Vec<Handed>, now: Timestamp) -> Result<(), String> {
    if handed.is_empty() {
        return Ok(());
    }
    let messages: Vec<(Handed, u32)> = handed
        .into_iter()
        .map(|h| {
            let delay = delay_seconds(&h.next_attempt, now);
            (h, delay)
        })
        .collect();
    queue.send(&messages).await
}

/// Fans new events out to every endpoint and hands up to [`SWEEP_LIMIT`] due deliveries to the
/// queue; how many. A queue that refuses them loses nothing: their leases run out and a later
/// sweep hands them out again.
pub async fn sweep<S: Store, Q: Queue>(
    store: &S,
    queue: &Q,
    now: Timestamp,
    schedule: &Schedule,
) -> Result<usize, String> {
    let (stmts, hand_out) = sql::sweep(now, schedule.lease, SWEEP_LIMIT);
    let mut batch = Batch::new();
    batch.write_all(stmts);
    let handed = batch.read(hand_out);
    let mut results = batch
        .run(store, Consistency::Primary)
        .await
        .map_err(|e| e.to_string())?;
    let handed = results.take(handed).map_err(|e| e.to_string())?;
    let n = handed.len();
    enqueue(queue, handed, now).await?;
    Ok(n)
}

/// What became of a handed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not sent: already delivered, taken by another consumer, not its employee's turn, not
    /// due, or its endpoint is not active.
    Skipped,
    /// Answered 2xx.
    Delivered { status: u16 },
    /// Failed; retried after `delay_ms`.
    Retry { delay_ms: i64, error: String },
    /// Failed past the schedule: the endpoint is now failing.
    GaveUp { error: String },
}

/// The HMAC keys that sign for `endpoint` at `now`: its secret, and the previous one while its
/// rotation's overlap lasts.
fn signing_keys(
    endpoint: &Endpoint,
    config: &WebhookConfig,
    now: Timestamp,
) -> Result<Vec<Vec<u8>>, String> {
    let seal = config
        .seal_key
        .as_ref()
        .map_err(|p| p.describe(super::seal::WEBHOOK_SECRET_KEY) + ": no webhook can be signed")?;
    let open = |sealed: &str| {
        seal.open(&endpoint.id, sealed)
            .and_then(|s| secret_key(&s))
            .ok_or_else(|| {
                "the endpoint's secret does not open under WEBHOOK_SECRET_KEY (rotate it)"
                    .to_string()
            })
    };
    let mut keys = Vec::new();
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_until) {
        if until.0 > now.0 {
            keys.push(open(previous)?);
        }
    }
    keys.push(open(&endpoint.secret)?);
    Ok(keys)
}

/// The request of a delivery: its headers and body.
pub fn request(
    event: &EmployeeEvent,
    keys: &[Vec<u8>],
    now: Timestamp,
) -> (Vec<(&'static str, String)>, String) {
    let body = payload(event);
    let id = event.id();
    let timestamp = now.0.div_euclid(1_000);
    let signature = signature_header(keys, &id, timestamp, &body);
    let headers = vec![
        ("content-type", "application/json".to_string()),
        ("user-agent", "scim-edge-webhooks/1".to_string()),
        ("webhook-id", id),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    (headers, body)
}

/// Sends the handed delivery if it is still this consumer's to send, records the attempt, and
/// hands out what follows: the employee's next event after a success, the retry after a
/// failure (or, past the schedule, marks the endpoint failing).
pub async fn deliver<S: Store, O: Outbound, Q: Queue>(
    store: &S,
    outbound: &O,
    queue: &Q,
    handed: &Handed,
    clock: &dyn Fn() -> Timestamp,
    random: &mut dyn Random,
    config: &WebhookConfig,
) -> Result<Delivery, String> {
    let fail = |e: crate::store::StoreError| e.to_string();
    let now = clock();
    let mut batch = Batch::new();
    let taken = batch.read(sql::take(handed, now, SENDING_LEASE_MS));
    let endpoint = batch.read(sql::endpoint_by_id(&handed.endpoint_id));
    let event = batch.read(outbox::get(handed.seq));
    let mut results = batch.run(store, Consistency::Primary).await.map_err(fail)?;
    let (taken, endpoint, event) = (
        results.take(taken).map_err(fail)?,
        results.take(endpoint).map_err(fail)?,
        results.take(event).map_err(fail)?,
    );
    let (Some(taken), Some(endpoint)) = (taken, endpoint) else {
        return Ok(Delivery::Skipped);
    };
    let Some(event) = event else {
        // Past the events' retention: nothing left to send.
        let mut batch = Batch::new();
        batch.write(sql::delivered(&handed.endpoint_id, handed.seq));
        batch.run(store, Consistency::Primary).await.map_err(fail)?;
        return Ok(Delivery::Skipped);
    };

    let started = clock();
    let outcome = match signing_keys(&endpoint, config, started) {
        Ok(keys) => {
            let (headers, body) = request(&event, &keys, started);
            let headers: Vec<(&str, String)> = headers.into_iter().collect();
            outbound.post(&endpoint.url, &headers, &body).await
        }
        Err(e) => Err(e),
    };
    let finished = clock();
    let latency_ms = (finished.0 - started.0).max(0);
    let (status, error) = match &outcome {
        Ok(s) if (200..300).contains(s) => (Some(*s), None),
        Ok(s) => (Some(*s), Some(format!("answered HTTP {s}"))),
        Err(e) => (
            None,
            Some(e.chars().take(MAX_ERROR_CHARS).collect::<String>()),
        ),
    };
    let mut batch = Batch::new();
    batch.write(sql::log_attempt(&Attempt {
        tenant_id: &endpoint.tenant_id,
        endpoint_id: &endpoint.id,
        seq: handed.seq,
        attempt: taken.attempts,
        at: started,
        status,
        latency_ms,
        error: error.as_deref(),
    }));
    let schedule = &config.schedule;
    let delivery = match error {
        None => {
            batch.write(sql::delivered(&endpoint.id, handed.seq));
            let next = batch.read(sql::hand_out(
                finished,
                schedule.lease,
                1,
                Some((&endpoint.id, &taken.user_id)),
            ));
            let mut results = batch.run(store, Consistency::Primary).await.map_err(fail)?;
            let next = results.take(next).map_err(fail)?;
            enqueue(queue, next, finished).await?;
            return Ok(Delivery::Delivered {
                status: status.unwrap_or(200),
            });
        }
        Some(error) if schedule.gives_up(taken.first_attempt.0, finished.0) => {
            batch.write_all(sql::give_up(&endpoint.id, handed.seq, finished));
            batch.run(store, Consistency::Primary).await.map_err(fail)?;
            Delivery::GaveUp { error }
        }
        Some(error) => {
            let mut jitter = [0u8; 4];
            random.fill(&mut jitter)?;
            let delay_ms = schedule.delay(taken.attempts, u32::from_le_bytes(jitter));
            let next = Timestamp(finished.0 + delay_ms);
            let lease = Timestamp(next.0 + schedule.lease);
            batch.write(sql::retry_at(&endpoint.id, handed.seq, next, lease));
            batch.run(store, Consistency::Primary).await.map_err(fail)?;
            let retry = Handed {
                endpoint_id: endpoint.id.clone(),
                seq: handed.seq,
                lease: lease.to_rfc3339(),
                next_attempt: next.to_rfc3339(),
                shard: handed.shard,
            };
            enqueue(queue, vec![retry], finished).await?;
            Delivery::Retry { delay_ms, error }
        }
    };
    Ok(delivery)
}
