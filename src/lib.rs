//! scim-edge: a SCIM 2.0 service provider for employee provisioning (RFC 7643, RFC 7644),
//! running as a Cloudflare Worker on D1.
//!
//! The crate is a pure core — `scim` (the protocol), `app` (HTTP, runtime-free) and `store`
//! (SQL behind a batch primitive) — that compiles and is tested on the host, and a thin wasm32
//! edge: the `fetch` event below, which converts the request, calls [`app::handle`] and converts
//! the answer back, the Cron Triggers and the webhook queue's consumer; `store::d1` and
//! `outbound` (the queue producer and outbound fetch).
#![allow(async_fn_in_trait)]

pub mod app;
pub mod model;
#[cfg(target_arch = "wasm32")]
mod outbound;
pub mod scim;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod edge {
    use crate::app::admin_api::export;
    use crate::app::plumbing::context::{ADMIN_TOKEN_SECRET, CREDENTIAL_SECRET};
    use crate::app::plumbing::ids::Random;
    use crate::app::plumbing::media::MAX_BODY_BYTES;
    use crate::app::plumbing::throttle::RATE_LIMIT_VAR;
    use crate::app::recent::RecentCache;
    use crate::app::webhooks::delivery;
    use crate::app::{
        self, auto_apply, erasure, maintenance, purge, retention, Body, Config, Ctx, HealthCache,
        Limiter, Reach, RequestLine,
    };
    use crate::outbound::{webhook_config, Fetcher, QueueProducer};
    use crate::scim::datetime::Timestamp;
    use crate::store::shards::{self, Shards};
    use crate::store::webhooks::Handed;
    use crate::store::{d1::D1Store, Consistency, Store, Usage};
    use http_body_util::BodyExt;
    use std::cell::Cell;
    use std::rc::Rc;
    use worker::{console_error, console_log, event, Context, Date, Env, HttpRequest, MessageExt};

    // Every binding, var and secret this edge reads is named by a constant or a literal at the
    // `env.` call (`env.secret(ADMIN_TOKEN_SECRET)`, `env.d1(name)` of `shards::binding`, ...), so that
    // scripts/config_check.py can find each one and check that every environment of
    // wrangler.toml declares it; it refuses a name it cannot resolve.

    thread_local! {
        /// The isolate's last health check (`app::health`), reused for a few seconds.
        static HEALTH: HealthCache = const { Cell::new(None) };
        /// The isolate's recent users and definitions (`app::recent`), shared by the requests
        /// it serves.
        static RECENT: Rc<RecentCache> = Rc::new(RecentCache::default());
    }

    /// Writes a request's log line: one JSON object, at error level when it needs reading.
    fn log_line(line: &RequestLine<'_>) {
        if line.is_error() {
            console_error!("{}", line.to_json());
        } else {
            console_log!("{}", line.to_json());
        }
    }

    /// Randomness from the platform's CSPRNG (`crypto.getRandomValues`).
    struct PlatformRandom;

    impl Random for PlatformRandom {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
            getrandom::fill(buf).map_err(|e| e.to_string())
        }
    }

    /// Shard `shard`'s database (`store::shards`: which binding serves it), for one request or
    /// run; nothing is sent until its first batch.
    fn open(env: &Env, shard: u16, request_id: &str) -> worker::Result<D1Store> {
        let name = shards::binding(shard)
            .ok_or_else(|| worker::Error::RustError(format!("no D1 binding for shard {shard}")))?;
        Ok(D1Store::new(env.d1(name)?, request_id.to_string()))
    }

    /// The databases a request reaches (`app::reach`): its shard's, or every shard's.
    fn open_reached(env: &Env, reach: Reach, request_id: &str) -> worker::Result<Shards<D1Store>> {
        Ok(match reach {
            Reach::Shard(n) => Shards::only(shards::count(), n, open(env, n, request_id)?),
            Reach::Every => Shards::all(
                (0..shards::count())
                    .map(|n| open(env, n, request_id))
                    .collect::<worker::Result<_>>()?,
            ),
        })
    }

    #[event(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    /// Reads the whole body, keeping at most `MAX_BODY_BYTES`: a larger one is `TooLarge`. The
    /// rest is read and dropped rather than left unread, because the local runtime does not
    /// deliver an answer to a request whose body is still pending.
    async fn read_body(mut body: worker::Body) -> Body {
        let mut kept: Vec<u8> = Vec::new();
        let mut too_large = false;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                // The client went away mid-body: what arrived is all there is (and it will not
                // parse as a complete JSON document).
                break;
            };
            if let Ok(data) = frame.into_data() {
                if too_large {
                    continue;
                }
                if kept.len() + data.len() > MAX_BODY_BYTES {
                    too_large = true;
                    kept = Vec::new();
                } else {
                    kept.extend_from_slice(&data);
                }
            }
        }
        if too_large {
            Body::TooLarge
        } else {
            Body::Complete(kept)
        }
    }

    /// An answer's body: whole, or the CSV export's pages pulled one at a time from the
    /// application as the client reads (`app::admin_api::export`).
    type EdgeBody = http_body_util::Either<
        String,
        http_body_util::StreamBody<
            std::pin::Pin<
                Box<
                    dyn futures_util::Stream<
                        Item = Result<http_body::Frame<bytes::Bytes>, std::io::Error>,
                    >,
                >,
            >,
        >,
    >;

    /// The answer as the runtime takes it: an export's remaining pages streamed, each one D1
    /// batch when the client has read the previous one, so the whole file is never in memory.
    /// A page that fails ends the stream with an error (the client sees a failed download).
    fn stream_rest(
        response: app::Response,
        store: D1Store,
        request_id: String,
    ) -> http::Response<EdgeBody> {
        use futures_util::StreamExt;
        let (mut parts, body) = response.into_parts();
        let Some(export) = parts.extensions.remove::<export::Export>() else {
            return http::Response::from_parts(parts, http_body_util::Either::Left(body));
        };
        let frame = |s: String| Ok(http_body::Frame::data(bytes::Bytes::from(s)));
        let first = futures_util::stream::once(async move { frame(body) });
        let rest = futures_util::stream::unfold(Some((export, store)), move |state| {
            let request_id = request_id.clone();
            async move {
                let (mut export, store) = state?;
                match export.next_chunk(&store).await {
                    Ok(Some(chunk)) => Some((frame(chunk), Some((export, store)))),
                    Ok(None) => None,
                    Err(e) => {
                        console_error!("{request_id} export: {e}; the download ends here");
                        Some((Err(std::io::Error::other("export failed")), None))
                    }
                }
            }
        });
        let stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>> =
            Box::pin(first.chain(rest));
        http::Response::from_parts(
            parts,
            http_body_util::Either::Right(http_body_util::StreamBody::new(stream)),
        )
    }

    #[event(fetch)]
    async fn fetch(
        req: HttpRequest,
        env: Env,
        worker_ctx: Context,
    ) -> worker::Result<http::Response<EdgeBody>> {
        let started = Date::now().as_millis() as i64;
        let (parts, body) = req.into_parts();
        let body = read_body(body).await;
        let req = http::Request::from_parts(parts, body);
        // The operation from fixed names: the path and query string never reach the log.
        let operation = app::operation(req.method(), req.uri().path());

        let config = Config::new(
            env.secret(ADMIN_TOKEN_SECRET).ok().map(|s| s.to_string()),
            env.secret(CREDENTIAL_SECRET)
                .ok()
                .map(|s| s.to_string())
                .as_deref(),
        )
        .with_webhooks(webhook_config(&env))
        .with_shards(shards::count());
        let mut random = PlatformRandom;
        // Our own id, always; the client's id (bounded, printable) only beside it in the log.
        let request_id = app::request_id(&mut random);
        let client_id = app::client_request_id(
            req.headers()
                .get("x-request-id")
                .map(http::HeaderValue::as_bytes),
        );
        let elapsed = || Date::now().as_millis() as i64 - started;

        let now = Timestamp(Date::now().as_millis() as i64);
        // DESIGN §9: the request's shard, read off the request (its credential or tenant id);
        // only that database is opened (every shard's for what spans them all).
        let reach = app::reach(&req, &config);
        let shard = match reach {
            Reach::Shard(n) => n,
            Reach::Every => 0,
        };
        let opened = open_reached(&env, reach, &request_id)?;
        let store = opened
            .get(shard)
            .ok_or_else(|| worker::Error::RustError(format!("shard {shard} not opened")))?;
        let usage = || {
            opened
                .iter()
                .fold(Usage::default(), |u, (_, s)| u.plus(s.usage()))
        };
        let clock = || Timestamp(Date::now().as_millis() as i64);
        // The isolate's health cache, copied in and out: requests of one isolate interleave
        // at their awaits, and the last check written wins, which is all a cache needs.
        let health = HealthCache::new(HEALTH.with(Cell::get));
        let recent = RECENT.with(Rc::clone);
        let mut ctx = Ctx::new(now, &clock, request_id.clone(), &mut random, &config);
        ctx.health_cache = Some(&health);
        ctx.recent = Some(&recent);

        // DESIGN §8: the rate limiters, before the application and any D1 access (but the one
        // activity-log entry of a Bulk request refused whole); a throttled request changes
        // nothing. `SCIM_RATE_LIMIT = "off"` (a var, e.g. for benchmarks) lifts
        // the per-token limit only: failed credentials stay limited. A request may take several
        // units at once (each operation of a Bulk request counts), all before it runs; the
        // binding counts one per call, so each unit is a call, and the first refused one
        // refuses the request whole (the units taken before it stay taken).
        let per_token_on = env
            .var(RATE_LIMIT_VAR)
            .map(|v| v.to_string() != "off")
            .unwrap_or(true);
        let mut notes = Vec::new();
        for count in app::throttle_counts(&req, &config) {
            if count.limiter == Limiter::Token && !per_token_on {
                continue;
            }
            let binding = count.limiter.binding();
            let limiter = match env.rate_limiter(binding) {
                Ok(limiter) => limiter,
                Err(e) => {
                    notes.push(format!("rate limiter binding {binding}: {e}"));
                    continue;
                }
            };
            let mut refused = false;
            for _ in 0..app::throttle_units(&req, count.limiter) {
                match limiter.limit(count.key.clone()).await {
                    Ok(outcome) if !outcome.success => {
                        refused = true;
                        break;
                    }
                    Ok(_) => {}
                    // The limiter failing must not take the service down: serve the request.
                    Err(e) => {
                        notes.push(format!("rate limiter {binding}: {e}"));
                        break;
                    }
                }
            }
            if refused {
                let response = app::throttled_logged(&req, &count, store, &mut ctx).await;
                notes.append(&mut ctx.log);
                log_line(&RequestLine {
                    request_id: &request_id,
                    client_request_id: client_id.as_deref(),
                    operation: &operation,
                    tenant: ctx.tenant.as_ref(),
                    status: response.status().as_u16(),
                    duration_ms: elapsed(),
                    usage: usage(),
                    throttled_by: Some(binding),
                    notes: &notes,
                });
                return Ok(response.map(http_body_util::Either::Left));
            }
        }

        let method = req.method().clone();
        let response = app::handle(req, &opened, &mut ctx).await;
        if let Some(check) = health.get() {
            HEALTH.with(|c| c.set(Some(check)));
        }

        // One line per request (app::plumbing::log): fixed names and numbers, never bodies,
        // query strings, headers, tokens or personal data.
        notes.append(&mut ctx.log);
        log_line(&RequestLine {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            operation: &operation,
            tenant: ctx.tenant.as_ref(),
            status: response.status().as_u16(),
            duration_ms: elapsed(),
            usage: usage(),
            throttled_by: None,
            notes: &notes,
        });

        // A write that may have committed events: the webhook sweep, after the answer (a
        // change's events reach the queue at once; the Cron Trigger's sweep catches whatever
        // this misses).
        // Not for a SCIM write of a tenant without an active endpoint (its batch said so): no
        // event of it is for a receiver, and the sweep would be a D1 round trip per write.
        let wrote = matches!(
            method,
            http::Method::POST | http::Method::PUT | http::Method::PATCH | http::Method::DELETE
        ) && response.status().as_u16() < 400
            && ctx.webhooks != Some(false);
        if wrote {
            let store = open(&env, shard, &request_id)?;
            let schedule = config.webhooks.schedule;
            if let Some(queue) = QueueProducer::of(&env, shard) {
                let request_id = request_id.clone();
                worker_ctx.wait_until(async move {
                    let now = Timestamp(Date::now().as_millis() as i64);
                    if let Err(e) = delivery::sweep(&store, &queue, now, &schedule).await {
                        console_error!("{request_id} webhooks: sweep: {e}");
                    }
                });
            }
        }
        let deferred = std::mem::take(&mut ctx.deferred);
        // An export's later pages, on the request's shard.
        let rest = open(&env, shard, &request_id)?;
        let rest_id = request_id.clone();
        if !deferred.is_empty() {
            let store = open(&env, shard, &request_id)?;
            worker_ctx.wait_until(async move {
                // A failure is logged by the store; last_used is only bookkeeping.
                let _ = store.batch(Consistency::Primary, deferred).await;
            });
        }
        Ok(stream_rest(response, rest, rest_id))
    }

    /// The Cron Triggers (`[triggers] crons` in wrangler.toml): the activity log's retention
    /// (`retention::RETENTION_CRON`, daily), and every five minutes (`purge::PURGE_CRON`) the
    /// purge of deleted tenants' data, the erasure of deleted employees past their tenant's
    /// retention (`app::erasure`), the guard's held changes past their period
    /// (`app::auto_apply`) and a step of the refold (`app::maintenance`). A schedule
    /// this code does not know runs them all, so that a schedule changed in wrangler.toml alone
    /// still runs its jobs; each job's failure is logged and leaves the others to run. Every
    /// shard, one after the other, each its own budget (each is its own database). Locally:
    /// `/cdn-cgi/handler/scheduled?cron=<schedule>`.
    #[event(scheduled)]
    async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
        for shard in 0..shards::count() {
            match open(&env, shard, &format!("scheduled shard {shard}")) {
                Ok(store) => scheduled_shard(&event, &env, &store, shard).await,
                Err(e) => console_error!("scheduled: shard {shard}: no database: {e}"),
            }
        }
    }

    /// The scheduled jobs on one shard; each log line names it.
    async fn scheduled_shard(
        event: &worker::ScheduledEvent,
        env: &Env,
        store: &D1Store,
        shard: u16,
    ) {
        let cron = event.cron();
        if cron != purge::PURGE_CRON {
            prune_activity(event, env, store, shard).await;
            prune_employee_events(event, env, store, shard).await;
        }
        // Every run: undelivered events go (back) to the queue, so that a lost queue message
        // or a worker that died after a commit only delays a delivery.
        sweep_webhooks(env, store, shard).await;
        if cron != retention::RETENTION_CRON {
            purge_tenants(store, shard).await;
            erase_deleted_employees(event, store, shard).await;
            apply_held_changes(event, store, shard).await;
            refold(store, shard).await;
        }
    }

    /// The webhook sweep: new events fanned out, due deliveries handed to the queue.
    async fn sweep_webhooks(env: &Env, store: &D1Store, shard: u16) {
        let Some(queue) = QueueProducer::of(env, shard) else {
            return;
        };
        let schedule = webhook_config(env).schedule;
        let now = Timestamp(Date::now().as_millis() as i64);
        match delivery::sweep(store, &queue, now, &schedule).await {
            Ok(n) if n > 0 => {
                console_log!("shard {shard}: webhooks: handed {n} deliveries to the queue")
            }
            Ok(_) => {}
            Err(e) => console_error!("shard {shard}: webhooks: sweep: {e}"),
        }
    }

    /// The webhook queue's consumer (`[[queues.consumers]]` in wrangler.toml): each message is
    /// one delivery to send, if it is still this message's to send (`app::webhooks::delivery`).
    /// Every message is acknowledged: a failed send is retried through D1 (a new message with
    /// its delay), and one this consumer could not even record is handed out again by a later
    /// sweep once its lease runs out.
    #[event(queue)]
    async fn queue(
        batch: worker::MessageBatch<Handed>,
        env: Env,
        _ctx: Context,
    ) -> worker::Result<()> {
        let stores = open_reached(&env, Reach::Every, "queue")?;
        let config = webhook_config(&env);
        let clock = || Timestamp(Date::now().as_millis() as i64);
        let mut random = PlatformRandom;
        for message in batch.messages()? {
            let handed = message.body();
            // The delivery's shard (a message of an unknown shard is acknowledged and logged).
            let (Some(store), Some(producer)) = (
                stores.get(handed.shard),
                QueueProducer::of(&env, handed.shard),
            ) else {
                console_error!("webhooks: a delivery of unknown shard {}", handed.shard);
                message.ack();
                continue;
            };
            match delivery::deliver(
                store,
                &Fetcher,
                &producer,
                handed,
                &clock,
                &mut random,
                &config,
            )
            .await
            {
                Ok(delivery::Delivery::GaveUp { error }) => console_error!(
                    "webhooks: endpoint {} is now failing (event seq {}): {error}",
                    handed.endpoint_id,
                    handed.seq
                ),
                Ok(_) => {}
                Err(e) => console_error!(
                    "webhooks: delivery of seq {} to {}: {e}",
                    handed.seq,
                    handed.endpoint_id
                ),
            }
            message.ack();
        }
        Ok(())
    }

    /// What a Cron Trigger job's log line adds when its run left work for the next one.
    fn more_remain(more: bool) -> &'static str {
        if more {
            "; more remain for the next run"
        } else {
            ""
        }
    }

    /// The change feed's retention (`EVENTS_RETENTION_DAYS`, default 30), as the activity log's.
    async fn prune_employee_events(
        event: &worker::ScheduledEvent,
        env: &Env,
        store: &D1Store,
        shard: u16,
    ) {
        let var = env
            .var(retention::EVENTS_RETENTION_VAR)
            .ok()
            .map(|v| v.to_string());
        let days = match retention::events_retention_days(var.as_deref()) {
            Ok(days) => days,
            Err(e) => {
                console_error!("shard {shard}: retention: {e}; no event removed");
                return;
            }
        };
        let now = Timestamp(event.schedule() as i64);
        match retention::prune_employee_events(store, now, days).await {
            Ok(p) => console_log!(
                "shard {shard}: retention: removed {} events older than {days} days{}",
                p.removed,
                more_remain(p.more)
            ),
            Err(e) => console_error!("shard {shard}: retention: events: {e}"),
        }
    }

    /// Deleted employees past their tenant's retention. "Now" is the event's scheduled time, so
    /// a local run can be dated (`/cdn-cgi/handler/scheduled?time=<epoch ms>`).
    async fn erase_deleted_employees(event: &worker::ScheduledEvent, store: &D1Store, shard: u16) {
        let now = Timestamp(event.schedule() as i64);
        match erasure::purge_due(store, now, &mut PlatformRandom).await {
            Ok(e) => {
                if e.employees > 0 || e.more {
                    let tenants: Vec<&str> = e.tenants.iter().map(|t| t.as_str()).collect();
                    console_log!(
                        "shard {shard}: erasure: purged {} deleted employees of [{}]{}",
                        e.employees,
                        tenants.join(", "),
                        more_remain(e.more)
                    );
                }
            }
            Err(e) => console_error!("shard {shard}: erasure: {e}"),
        }
    }

    /// The eligibility guard's held changes past their tenant's period. "Now" is the event's
    /// scheduled time (`/cdn-cgi/handler/scheduled?time=<epoch ms>` dates a local run).
    async fn apply_held_changes(event: &worker::ScheduledEvent, store: &D1Store, shard: u16) {
        let now = Timestamp(event.schedule() as i64);
        match auto_apply::apply_due(store, now, &mut PlatformRandom).await {
            Ok(tenants) if !tenants.is_empty() => {
                let tenants: Vec<&str> = tenants.iter().map(|t| t.as_str()).collect();
                console_log!(
                    "shard {shard}: guard: applied the held changes of [{}] after their period",
                    tenants.join(", ")
                );
            }
            Ok(_) => {}
            Err(e) => console_error!("shard {shard}: guard: {e}"),
        }
    }

    /// Rows an earlier case folding left behind, a bounded step a run; users whose userNames
    /// became equal are reported on every run until one is renamed.
    async fn refold(store: &D1Store, shard: u16) {
        match maintenance::refold(store, &mut PlatformRandom, maintenance::MAX_REFOLD_STEPS).await {
            Ok(r) => {
                if r.users > 0 || r.more {
                    console_log!(
                        "shard {shard}: refold: rewrote {} users{}",
                        r.users,
                        more_remain(r.more)
                    );
                }
                // The user's id and tenant, never the userName (the admin API shows it).
                for c in &r.conflicts {
                    console_error!(
                        "shard {shard}: refold: user {} of tenant {} has a userName equal to another user's \
                         under the current case folding; kept as it was: rename one of the two",
                        c.id,
                        c.tenant_id
                    );
                }
            }
            Err(e) => console_error!("shard {shard}: refold: {e}"),
        }
    }

    /// The activity log's retention. "Now" is the event's scheduled time, so a local run can be
    /// dated through wrangler's `/cdn-cgi/handler/scheduled?time=<epoch ms>`. A bad
    /// `ACTIVITY_RETENTION_DAYS` removes nothing and says why in the log.
    async fn prune_activity(
        event: &worker::ScheduledEvent,
        env: &Env,
        store: &D1Store,
        shard: u16,
    ) {
        let var = env
            .var(retention::RETENTION_VAR)
            .ok()
            .map(|v| v.to_string());
        let days = match retention::retention_days(var.as_deref()) {
            Ok(days) => days,
            Err(e) => {
                console_error!("shard {shard}: retention: {e}; nothing removed");
                return;
            }
        };
        let now = Timestamp(event.schedule() as i64);
        match retention::prune_activity(store, now, days).await {
            Ok(p) => console_log!(
                "shard {shard}: retention: removed {} activity-log entries older than {days} days{}",
                p.removed,
                more_remain(p.more)
            ),
            Err(e) => console_error!("shard {shard}: retention: {e}"),
        }
    }

    /// Resumes the purge of deleted tenants, as far as one run's budget allows.
    async fn purge_tenants(store: &D1Store, shard: u16) {
        let clock = || Timestamp(Date::now().as_millis() as i64);
        let mut budget = purge::Budget::new(purge::PER_RUN, clock());
        let p = purge::resume(store, &clock, &mut budget).await;
        if p.steps > 0 {
            let finished: Vec<&str> = p.finished.iter().map(|t| t.as_str()).collect();
            console_log!(
                "shard {shard}: purge: {} steps, {} rows deleted; finished: [{}]{}",
                p.steps,
                p.rows,
                finished.join(", "),
                more_remain(p.pending)
            );
        }
        if let Some(e) = p.error {
            console_error!("shard {shard}: purge: {e}; the next run resumes");
        }
    }
}
