//! The retentions the worker's daily Cron Trigger runs (`lib.rs`, `wrangler.toml`): activity-log
//! entries older than `ACTIVITY_RETENTION_DAYS` days (default 90), and the change feed's events
//! older than `EVENTS_RETENTION_DAYS` (default 30; with what was still to be delivered of them
//! and the delivery log of that age) are removed, oldest first, in bounded chunks. The
//! activation history is never pruned: the roster must answer for any past T (DESIGN §4).

use crate::scim::datetime::Timestamp;
use crate::store::outbox;
use crate::store::reports as sql;
use crate::store::{Batch, Consistency, Store, StoreError};

/// The retention Cron Trigger's schedule (`[triggers] crons` in `wrangler.toml`; a host test
/// checks that it is there).
pub const RETENTION_CRON: &str = "17 3 * * *";
/// The deployment variable that sets the activity log's retention, in days.
pub const RETENTION_VAR: &str = "ACTIVITY_RETENTION_DAYS";
/// Retention when the variable is not set.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The deployment variable that sets the change feed's retention, in days.
pub const EVENTS_RETENTION_VAR: &str = "EVENTS_RETENTION_DAYS";
/// The change feed's retention when its variable is not set.
pub const DEFAULT_EVENTS_RETENTION_DAYS: u32 = 30;
/// Longest retention accepted (a hundred years; beyond is surely a typo).
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// Entries removed per batch: small enough for one D1 batch to stay far from its 30 s limit.
pub const PRUNE_CHUNK: i64 = 5_000;
/// Batches per run: 2 statements each stays far below D1's 1,000 queries per invocation. A
/// larger backlog is finished by the next runs.
pub const MAX_PRUNE_BATCHES: usize = 100;

const MS_PER_DAY: i64 = 86_400_000;

/// The retention in days from the deployment variable: unset means [`DEFAULT_RETENTION_DAYS`];
/// anything but a whole number of days from 1 to [`MAX_RETENTION_DAYS`] is an error, and the run
/// then removes nothing (a typo must not empty the log).
pub fn retention_days(var: Option<&str>) -> Result<u32, String> {
    days_of(var, RETENTION_VAR, DEFAULT_RETENTION_DAYS)
}

/// The change feed's retention in days (`EVENTS_RETENTION_DAYS`), read as [`retention_days`].
pub fn events_retention_days(var: Option<&str>) -> Result<u32, String> {
    days_of(var, EVENTS_RETENTION_VAR, DEFAULT_EVENTS_RETENTION_DAYS)
}

fn days_of(var: Option<&str>, name: &str, default: u32) -> Result<u32, String> {
    let Some(raw) = var else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "{name} must be a whole number of days from 1 to {MAX_RETENTION_DAYS}, not {raw:?}"
        )),
    }
}

/// The oldest time kept: entries recorded before it are removed.
pub fn retention_cutoff(now: Timestamp, days: u32) -> Timestamp {
    now.add_millis(-(i64::from(days) * MS_PER_DAY))
}

/// What one retention run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: i64,
    /// Older entries remain (more than one run's worth): the next run continues.
    pub more: bool,
}

/// Removes the activity-log entries of every tenant recorded more than `days` days before
/// `now`, in chunks of [`PRUNE_CHUNK`], at most [`MAX_PRUNE_BATCHES`] of them.
pub async fn prune_activity<S: Store>(
    store: &S,
    now: Timestamp,
    days: u32,
) -> Result<Pruned, StoreError> {
    prune(
        store,
        retention_cutoff(now, days),
        PRUNE_CHUNK,
        MAX_PRUNE_BATCHES,
    )
    .await
}

/// Removes the change feed's events of every tenant recorded more than `days` days before
/// `now` (with their undelivered deliveries and the delivery log of that age), as
/// [`prune_activity`] does.
pub async fn prune_employee_events<S: Store>(
    store: &S,
    now: Timestamp,
    days: u32,
) -> Result<Pruned, StoreError> {
    let cutoff = retention_cutoff(now, days);
    let mut removed = 0;
    for _ in 0..MAX_PRUNE_BATCHES {
        let mut batch = Batch::new();
        let n = batch.read(outbox::prunable(cutoff, PRUNE_CHUNK));
        batch.write_all(outbox::prune(cutoff, PRUNE_CHUNK));
        let n = batch.run(store, Consistency::Primary).await?.take(n)?;
        removed += n;
        if n < PRUNE_CHUNK {
            return Ok(Pruned {
                removed,
                more: false,
            });
        }
    }
    Ok(Pruned {
        removed,
        more: true,
    })
}

/// Removes entries recorded before `cutoff`, `chunk` per batch, in at most `batches` batches.
async fn prune<S: Store>(
    store: &S,
    cutoff: Timestamp,
    chunk: i64,
    batches: usize,
) -> Result<Pruned, StoreError> {
    let mut removed = 0;
    for _ in 0..batches {
        let mut batch = Batch::new();
        let n = batch.read(sql::prunable_events(cutoff, chunk));
        batch.write(sql::prune_events(cutoff, chunk));
        let n = batch.run(store, Consistency::Primary).await?.take(n)?;
        removed += n;
        if n < chunk {
            return Ok(Pruned {
                removed,
                more: false,
            });
        }
    }
    Ok(Pruned {
        removed,
        more: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_days_default_to_90_and_refuse_nonsense() {
        let table: [(Option<&str>, Result<u32, ()>); 8] = [
            (None, Ok(90)),
            (Some("30"), Ok(30)),
            (Some(" 7 "), Ok(7)),
            (Some("36500"), Ok(36_500)),
            (Some("0"), Err(())),
            (Some("-1"), Err(())),
            (Some("36501"), Err(())),
            (Some("ninety"), Err(())),
        ];
        for (var, expected) in table {
            assert_eq!(retention_days(var).map_err(|_| ()), expected, "{var:?}");
        }
        assert!(retention_days(Some(""))
            .unwrap_err()
            .contains(RETENTION_VAR));
    }

    #[test]
    fn the_cutoff_is_whole_days_before_now() {
        let now = Timestamp::parse_rfc3339("2026-04-01T03:17:00.250Z").unwrap();
        assert_eq!(
            retention_cutoff(now, 90).to_rfc3339(),
            "2026-01-01T03:17:00.250Z"
        );
        assert_eq!(
            retention_cutoff(now, 1).to_rfc3339(),
            "2026-03-31T03:17:00.250Z"
        );
        assert_eq!(retention_cutoff(Timestamp::MIN, 90), Timestamp::MIN);
    }

    /// Runs a future of the host store, which never waits.
    #[cfg(not(target_arch = "wasm32"))]
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..1000 {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("the host store never waits");
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn pruning_goes_in_chunks_and_says_when_more_remain() {
        use crate::store::sqlite::SqliteStore;
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let insert = |at: &str| {
            store.with_conn(|c| {
                c.execute(
                    "INSERT INTO activity (tenant_id, at, request_id, operation, status) VALUES ('tnt_a', ?1, 'r', 'create', 201)",
                    [at],
                )
                .unwrap()
            });
        };
        for day in 1..=7 {
            insert(&format!("2026-01-0{day}T00:00:00.000Z"));
        }
        insert("2026-02-01T00:00:00.000Z");
        let cutoff = Timestamp::parse_rfc3339("2026-01-31T00:00:00.000Z").unwrap();
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 6,
                more: true
            })
        );
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 1,
                more: false
            })
        );
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 0,
                more: false
            })
        );
        let left: Vec<String> = store.with_conn(|c| {
            let mut st = c.prepare("SELECT at FROM activity").unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        });
        assert_eq!(left, ["2026-02-01T00:00:00.000Z"]);
    }
}
