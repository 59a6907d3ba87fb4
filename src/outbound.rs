//! The wasm32 edge of webhook delivery (issue 19): the Cloudflare Queue producer and the
//! outbound HTTP client that `app::webhooks` is given (its [`Queue`] and [`Outbound`]), and the
//! deployment's webhook settings read from the Worker's secrets and vars. Only this file and
//! `lib.rs` (and `store::d1`) touch `worker` types.

use crate::app::webhooks::backoff::{Schedule, SCHEDULE_VAR};
use crate::app::webhooks::seal::{SealKey, WEBHOOK_SECRET_KEY};
use crate::app::webhooks::{Outbound, Queue, WebhookConfig, LOOPBACK_VAR, SEND_TIMEOUT_MS};
use crate::store::webhooks::Handed;
use worker::{
    console_error, AbortSignal, BatchMessageBuilder, Env, Fetch, Headers, MessageBuilder, Method,
    Request, RequestInit,
};

/// The queue binding (`[[queues.producers]]` in wrangler.toml).
pub const QUEUE_BINDING: &str = "WEBHOOKS";
/// The longest delay a queue message may have (Cloudflare Queues: 12 hours).
const MAX_DELAY_SECONDS: u32 = 43_200;

/// The webhook settings of this deployment; an invalid schedule is logged and the default used.
pub fn webhook_config(env: &Env) -> WebhookConfig {
    let secret = env.secret(WEBHOOK_SECRET_KEY).ok().map(|s| s.to_string());
    // Each name at its `env.` call, for scripts/config_check.py.
    let schedule_var = env.var(SCHEDULE_VAR).ok().map(|v| v.to_string());
    let loopback_var = env.var(LOOPBACK_VAR).ok().map(|v| v.to_string());
    let schedule = Schedule::parse(schedule_var.as_deref()).unwrap_or_else(|e| {
        console_error!("webhooks: {e}; the default schedule applies");
        Schedule::default()
    });
    WebhookConfig {
        seal_key: SealKey::from_secret(secret.as_deref()),
        loopback_http: loopback_var.as_deref() == Some("on"),
        schedule,
    }
}

/// The queue producer, for the deliveries of one shard: each message says which
/// (`Handed::shard`), so that the consumer records it in that shard's database.
pub struct QueueProducer(pub worker::Queue, pub u16);

impl QueueProducer {
    pub fn of(env: &Env, shard: u16) -> Option<QueueProducer> {
        match env.queue(QUEUE_BINDING) {
            Ok(q) => Some(QueueProducer(q, shard)),
            Err(e) => {
                console_error!("webhooks: no queue binding {QUEUE_BINDING}: {e}");
                None
            }
        }
    }
}

impl Queue for QueueProducer {
    async fn send(&self, messages: &[(Handed, u32)]) -> Result<(), String> {
        // At most 100 messages per batch (Cloudflare Queues' limit).
        for chunk in messages.chunks(100) {
            let batch = BatchMessageBuilder::new()
                .messages(chunk.iter().map(|(h, delay)| {
                    MessageBuilder::new(Handed {
                        shard: self.1,
                        ..h.clone()
                    })
                    .delay_seconds((*delay).min(MAX_DELAY_SECONDS))
                    .build()
                }))
                .build();
            self.0
                .send_batch(batch)
                .await
                .map_err(|e| format!("queue: {e}"))?;
        }
        Ok(())
    }
}

/// Outbound POSTs with `fetch`, aborted after [`SEND_TIMEOUT_MS`] (connection, answer and
/// body together).
pub struct Fetcher;

impl Outbound for Fetcher {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        let h = Headers::new();
        for (k, v) in headers {
            h.set(k, v).map_err(|e| format!("header {k}: {e}"))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(h)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init).map_err(|e| format!("request: {e}"))?;
        let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(
            SEND_TIMEOUT_MS as u32,
        ));
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| {
                if signal.aborted() {
                    format!("no answer within {} s", SEND_TIMEOUT_MS / 1_000)
                } else {
                    format!("fetch failed: {e}")
                }
            })?;
        let status = response.status_code();
        // Read (and drop) the answer, under the same bound, so the connection is released.
        let _ = response.text().await;
        Ok(status)
    }
}
