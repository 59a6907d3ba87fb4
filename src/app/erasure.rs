//! The purge of deleted employees past their tenant's retention (DESIGN §4), which the purge
//! Cron Trigger runs (`lib.rs`, every five minutes): tenant by tenant, the employees due are
//! erased (`store::deleted::purge`) in batches of [`CHUNK`], within one run's statement budget
//! ([`STATEMENTS_PER_RUN`]); a backlog beyond it is finished by the next runs. Each purge is in
//! the tenant's activity log, as `purge` with client [`RETENTION_CLIENT`] and no token.
//!
//! Then, in every run, the substring index's compaction (`app::compaction`) if a purge owes it:
//! this run's, a deleted tenant's (`app::purge`, earlier in the same Cron Trigger run), or an
//! admin's purge of one employee since the last run.

use crate::app::compaction;
use crate::app::plumbing::context::request_id;
use crate::app::plumbing::ids::Random;
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::store::deleted::{self as sql, Purger, Purging};
use crate::store::{Batch, Consistency, Store, StoreError};

/// The `client` of the activity-log entries of this job's purges.
pub const RETENTION_CLIENT: &str = "retention";
/// Employees erased per batch: each of the batch's statements reads them again by the index
/// `deleted_users_due_by_tenant`, so a batch stays far from D1's 30 s.
pub const CHUNK: i64 = 200;
/// Tenants read per run.
const TENANTS_PER_RUN: i64 = 50;
/// Purge batches per run.
pub const MAX_BATCHES: usize = 12;
/// Statements of one purge batch: the count, then `store::deleted::purge`'s.
const STATEMENTS_PER_BATCH: usize = 1 + sql::PURGE_STATEMENTS;
/// The statements of a run at most: the tenants' read, its batches, the compaction.
pub const STATEMENTS_PER_RUN: usize =
    1 + MAX_BATCHES * STATEMENTS_PER_BATCH + compaction::STATEMENTS;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Erased {
    pub employees: i64,
    pub tenants: Vec<TenantId>,
    /// Employees due remain (more than one run's worth): the next run continues.
    pub more: bool,
    /// The substring index was compacted (a purge owed it).
    pub compacted: bool,
}

/// Purges the deleted employees due at `now` (the run's scheduled time), as far as one run's
/// budget goes, then compacts the substring index if a purge owes it. A failed batch stops the
/// run; what it did not erase stays due for the next, and a compaction owed stays owed.
pub async fn purge_due<S: Store>(
    store: &S,
    now: Timestamp,
    random: &mut dyn Random,
) -> Result<Erased, StoreError> {
    let mut erased = erase_due(store, now, random).await?;
    erased.compacted = compaction::compact(store).await?;
    Ok(erased)
}

async fn erase_due<S: Store>(
    store: &S,
    now: Timestamp,
    random: &mut dyn Random,
) -> Result<Erased, StoreError> {
    let run = request_id(random);
    let by = Purger {
        at: now,
        request_id: &run,
        client: RETENTION_CLIENT,
    };
    let mut batch = Batch::new();
    let due = batch.read(sql::tenants_due(now, TENANTS_PER_RUN));
    let tenants = batch.run(store, Consistency::Primary).await?.take(due)?;
    let mut erased = Erased::default();
    let mut batches = 0;
    for tenant in &tenants {
        loop {
            if batches == MAX_BATCHES {
                erased.more = true;
                return Ok(erased);
            }
            batches += 1;
            let selection = Purging::Due { now, limit: CHUNK };
            let mut batch = Batch::new();
            let count = batch.read(sql::purge_count(tenant, selection));
            batch.write_all(sql::purge(tenant, selection, &by));
            let n = batch.run(store, Consistency::Primary).await?.take(count)?;
            erased.employees += n;
            if n > 0 && !erased.tenants.contains(tenant) {
                erased.tenants.push(tenant.clone());
            }
            if n < CHUNK {
                break;
            }
        }
    }
    erased.more = tenants.len() as i64 == TENANTS_PER_RUN;
    Ok(erased)
}
