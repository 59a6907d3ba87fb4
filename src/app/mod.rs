//! The HTTP application, runtime-free: [`handle`] takes an `http::Request`, a [`Store`] and the
//! request's context (time, request id, randomness, configuration) and returns the
//! `http::Response`. The wasm edge (`lib.rs`) and the host tests call the very same function.
//!
//! Three rooms: `plumbing` (the HTTP plumbing both APIs use: context, credentials, media
//! types, query strings, answers, ids, the URL space), `scim_api` (the SCIM service under
//! `/scim/v2`) and `admin_api` (the operator's admin API under `/admin/v1`), plus the jobs the
//! Cron Triggers run: `retention` (the activity log's), `purge` (deleted tenants' data, which
//! a tenant's deletion starts) and `maintenance` (the refold). The two APIs share nothing but
//! `plumbing`.
//!
//! Nothing here reads a clock, draws randomness or touches `worker` types.

pub mod admin_api;
pub mod maintenance;
pub mod plumbing;
pub mod purge;
pub mod retention;
pub mod scim_api;

pub use plumbing::context::{request_id, with_request_id, Config, Ctx};
pub use plumbing::{Body, Request, Response};

use crate::store::Store;
use plumbing::routes::{self, Route};

/// The application: routes the request and answers it. Every answer carries `X-Request-Id`.
pub async fn handle<S: Store>(req: Request, store: &S, ctx: &mut Ctx<'_>) -> Response {
    let response = match routes::route(req.uri().path()) {
        Route::Scim(endpoint) => scim_api::handle(endpoint, req, store, ctx).await,
        Route::Admin(endpoint) => admin_api::handle(endpoint, req, store, ctx).await,
        Route::NotFound => scim_api::no_such_service(),
    };
    with_request_id(response, &ctx.request_id)
}
