//! scim-edge: a SCIM 2.0 service provider for employee provisioning (RFC 7643, RFC 7644),
//! running as a Cloudflare Worker on D1.
//!
//! The crate is a pure core — `scim` (the protocol), `app` (HTTP, runtime-free) and `store`
//! (SQL behind a batch primitive) — that compiles and is tested on the host, and a thin wasm32
//! edge: the `fetch` event below, which converts the request, calls [`app::handle`] and converts
//! the answer back, and `store::d1`.
#![allow(async_fn_in_trait)]

pub mod app;
pub mod model;
pub mod scim;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod edge {
    use crate::app::admin_api::export;
    use crate::app::plumbing::context::{ADMIN_TOKEN_SECRET, CREDENTIAL_SECRET};
    use crate::app::plumbing::ids::Random;
    use crate::app::plumbing::media::MAX_BODY_BYTES;
    use crate::app::{
        self, auto_apply, erasure, maintenance, purge, retention, Body, Config, Ctx, Limiter,
    };
    use crate::scim::datetime::Timestamp;
    use crate::store::{d1::D1Store, Consistency, Store};
    use http_body_util::BodyExt;
    use worker::{console_error, console_log, event, Context, Date, Env, HttpRequest};

    /// Randomness from the platform's CSPRNG (`crypto.getRandomValues`).
    struct PlatformRandom;

    impl Random for PlatformRandom {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
            getrandom::fill(buf).map_err(|e| e.to_string())
        }
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
        let (parts, body) = req.into_parts();
        let body = read_body(body).await;
        let req = http::Request::from_parts(parts, body);
        let method = req.method().clone();
        let path = req.uri().path().to_string();

        let secret = |name: &str| env.secret(name).ok().map(|s| s.to_string());
        let config = Config::new(
            secret(ADMIN_TOKEN_SECRET),
            secret(CREDENTIAL_SECRET).as_deref(),
        );
        let mut random = PlatformRandom;
        // Our own id, always; the client's id (bounded, printable) only beside it in the log.
        let request_id = app::request_id(&mut random);
        let client_id = app::client_request_id(
            req.headers()
                .get("x-request-id")
                .map(http::HeaderValue::as_bytes),
        )
        .map(|id| format!(" client-request-id={id}"))
        .unwrap_or_default();

        // DESIGN §8: the rate limiters, before the application and any D1 access; a throttled
        // request changes nothing. `SCIM_RATE_LIMIT = "off"` (a var, e.g. for benchmarks) lifts
        // the per-token limit only: failed credentials stay limited.
        let per_token_on = env
            .var("SCIM_RATE_LIMIT")
            .map(|v| v.to_string() != "off")
            .unwrap_or(true);
        for count in app::throttle_counts(&req, &config) {
            if count.limiter == Limiter::Token && !per_token_on {
                continue;
            }
            let binding = count.limiter.binding();
            match env.rate_limiter(binding) {
                Ok(limiter) => match limiter.limit(count.key.clone()).await {
                    Ok(outcome) if !outcome.success => {
                        console_log!("{request_id} {method} {path} 429 {binding}{client_id}");
                        let answer =
                            app::with_request_id(app::throttled(&req, &count), &request_id);
                        return Ok(answer.map(http_body_util::Either::Left));
                    }
                    Ok(_) => {}
                    // The limiter failing must not take the service down: serve the request.
                    Err(e) => console_error!("{request_id} rate limiter {binding}: {e}"),
                },
                Err(e) => console_error!("{request_id} rate limiter binding {binding}: {e}"),
            }
        }

        let now = Timestamp(Date::now().as_millis() as i64);
        let db = env.d1("DB")?;
        let store = D1Store::new(db, request_id.clone());
        let clock = || Timestamp(Date::now().as_millis() as i64);
        let mut ctx = Ctx::new(now, &clock, request_id.clone(), &mut random, &config);
        let response = app::handle(req, &store, &mut ctx).await;

        // One line per request: never bodies, query strings or headers (tokens, personal data),
        // but the client's own request id, bounded and printable.
        console_log!(
            "{request_id} {method} {path} {}{client_id}",
            response.status().as_u16()
        );
        for line in &ctx.log {
            console_error!("{request_id} {line}");
        }
        let deferred = std::mem::take(&mut ctx.deferred);
        let rest = D1Store::new(env.d1("DB")?, request_id.clone());
        let rest_id = request_id.clone();
        if !deferred.is_empty() {
            let db = env.d1("DB")?;
            worker_ctx.wait_until(async move {
                // A failure is logged by the store; last_used is only bookkeeping.
                let _ = D1Store::new(db, request_id)
                    .batch(Consistency::Primary, deferred)
                    .await;
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
    /// still runs its jobs; each job's failure is logged and leaves the others to run. Locally:
    /// `/cdn-cgi/handler/scheduled?cron=<schedule>`.
    #[event(scheduled)]
    async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
        let db = match env.d1("DB") {
            Ok(db) => db,
            Err(e) => {
                console_error!("scheduled: no database: {e}");
                return;
            }
        };
        let store = D1Store::new(db, "scheduled".to_string());
        let cron = event.cron();
        if cron != purge::PURGE_CRON {
            prune_activity(&event, &env, &store).await;
        }
        if cron != retention::RETENTION_CRON {
            purge_tenants(&store).await;
            erase_deleted_employees(&event, &store).await;
            apply_held_changes(&event, &store).await;
            refold(&store).await;
        }
    }

    /// Deleted employees past their tenant's retention. "Now" is the event's scheduled time, so
    /// a local run can be dated (`/cdn-cgi/handler/scheduled?time=<epoch ms>`).
    async fn erase_deleted_employees(event: &worker::ScheduledEvent, store: &D1Store) {
        let now = Timestamp(event.schedule() as i64);
        match erasure::purge_due(store, now, &mut PlatformRandom).await {
            Ok(e) => {
                if e.employees > 0 || e.more {
                    let tenants: Vec<&str> = e.tenants.iter().map(|t| t.as_str()).collect();
                    console_log!(
                        "erasure: purged {} deleted employees of [{}]{}",
                        e.employees,
                        tenants.join(", "),
                        if e.more {
                            "; more remain for the next run"
                        } else {
                            ""
                        }
                    );
                }
            }
            Err(e) => console_error!("erasure: {e}"),
        }
    }

    /// The eligibility guard's held changes past their tenant's period. "Now" is the event's
    /// scheduled time (`/cdn-cgi/handler/scheduled?time=<epoch ms>` dates a local run).
    async fn apply_held_changes(event: &worker::ScheduledEvent, store: &D1Store) {
        let now = Timestamp(event.schedule() as i64);
        match auto_apply::apply_due(store, now, &mut PlatformRandom).await {
            Ok(tenants) if !tenants.is_empty() => {
                let tenants: Vec<&str> = tenants.iter().map(|t| t.as_str()).collect();
                console_log!(
                    "guard: applied the held changes of [{}] after their period",
                    tenants.join(", ")
                );
            }
            Ok(_) => {}
            Err(e) => console_error!("guard: {e}"),
        }
    }

    /// Rows an earlier case folding left behind, a bounded step a run; users whose userNames
    /// became equal are reported on every run until one is renamed.
    async fn refold(store: &D1Store) {
        match maintenance::refold(store, &mut PlatformRandom, maintenance::MAX_REFOLD_STEPS).await {
            Ok(r) => {
                if r.users > 0 || r.more {
                    console_log!(
                        "refold: rewrote {} users{}",
                        r.users,
                        if r.more {
                            "; more remain for the next run"
                        } else {
                            ""
                        }
                    );
                }
                for c in &r.conflicts {
                    console_error!(
                        "refold: user {} ({:?}) of tenant {} has a userName equal to another user's \
                         under the current case folding; kept as it was: rename one of the two",
                        c.id,
                        c.user_name,
                        c.tenant_id
                    );
                }
            }
            Err(e) => console_error!("refold: {e}"),
        }
    }

    /// The activity log's retention. "Now" is the event's scheduled time, so a local run can be
    /// dated through wrangler's `/cdn-cgi/handler/scheduled?time=<epoch ms>`. A bad
    /// `ACTIVITY_RETENTION_DAYS` removes nothing and says why in the log.
    async fn prune_activity(event: &worker::ScheduledEvent, env: &Env, store: &D1Store) {
        let var = env
            .var(retention::RETENTION_VAR)
            .ok()
            .map(|v| v.to_string());
        let days = match retention::retention_days(var.as_deref()) {
            Ok(days) => days,
            Err(e) => {
                console_error!("retention: {e}; nothing removed");
                return;
            }
        };
        let now = Timestamp(event.schedule() as i64);
        match retention::prune_activity(store, now, days).await {
            Ok(p) => console_log!(
                "retention: removed {} activity-log entries older than {days} days{}",
                p.removed,
                if p.more {
                    "; more remain for the next run"
                } else {
                    ""
                }
            ),
            Err(e) => console_error!("retention: {e}"),
        }
    }

    /// Resumes the purge of deleted tenants, as far as one run's budget allows.
    async fn purge_tenants(store: &D1Store) {
        let clock = || Timestamp(Date::now().as_millis() as i64);
        let mut budget = purge::Budget::new(purge::PER_RUN, clock());
        let p = purge::resume(store, &clock, &mut budget).await;
        if p.steps > 0 {
            let finished: Vec<&str> = p.finished.iter().map(|t| t.as_str()).collect();
            console_log!(
                "purge: {} steps, {} rows deleted; finished: [{}]{}",
                p.steps,
                p.rows,
                finished.join(", "),
                if p.pending {
                    "; more remain for the next run"
                } else {
                    ""
                }
            );
        }
        if let Some(e) = p.error {
            console_error!("purge: {e}; the next run resumes");
        }
    }
}
