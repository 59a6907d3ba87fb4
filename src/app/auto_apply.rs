//! The automatic application of the eligibility guard's held changes (DESIGN §4), which the
//! purge Cron Trigger runs (`lib.rs`, every five minutes): a trip nobody decided applies by
//! itself at its `auto_apply_at` (the tenant's period after the trip, default 7 days), so that
//! nobody stays in surveys for ever through neglect. Logged as `apply` with client
//! [`AUTO_CLIENT`] and no token.

use crate::app::plumbing::context::request_id;
use crate::app::plumbing::ids::Random;
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::store::guard::{self as sql, Actor, Selection};
use crate::store::{Batch, Consistency, Store, StoreError};

/// The `client` of the activity-log entries of this job.
pub const AUTO_CLIENT: &str = "guard";
/// Trips applied per run (one batch each); more wait for the next run.
pub const MAX_TRIPS: i64 = 20;
/// The statements of a run at most: the read, then each trip's `store::guard::apply`.
pub const STATEMENTS_PER_RUN: usize = 1 + MAX_TRIPS as usize * 4;

/// Applies the held changes of every trip due at `now` (the run's scheduled time); the tenants
/// whose trips it applied.
pub async fn apply_due<S: Store>(
    store: &S,
    now: Timestamp,
    random: &mut dyn Random,
) -> Result<Vec<TenantId>, StoreError> {
    let run = request_id(random);
    let by = Actor {
        at: now,
        request_id: &run,
        client: Some(AUTO_CLIENT),
    };
    let mut batch = Batch::new();
    let due = batch.read(sql::due_trips(now, MAX_TRIPS));
    let tenants = batch.run(store, Consistency::Primary).await?.take(due)?;
    for tenant in &tenants {
        let mut batch = Batch::new();
        batch.write_all(sql::apply(tenant, Selection::All, &by));
        batch.run(store, Consistency::Primary).await?;
    }
    Ok(tenants)
}
