//! Runs of the worker's Cron Triggers dated in the future (`/cdn-cgi/handler/scheduled` with
//! `time`): such a run acts on every tenant of the shared database (a retention, a period), so
//! the tests that date runs take turns ([`dated_runs`]) and never see each other's; so do the
//! tests whose undated runs act on every tenant (the purge's, the retention's).

use crate::common::Client;
use std::sync::{Mutex, MutexGuard};

/// Held by a test for as long as it relies on what a dated run did or did not do.
pub fn dated_runs() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the Cron Trigger of `schedule` as if at `time` (ms since the epoch); asserts that the
/// handler ran without an exception.
pub fn run_at(c: &impl Client, schedule: &str, time: i64) {
    let r = c.send(
        "GET",
        &format!(
            "/cdn-cgi/handler/scheduled?cron={}&time={time}",
            schedule.replace(' ', "+")
        ),
        &[],
        None,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "ok"),
        "the scheduled run at {time} raised"
    );
}
