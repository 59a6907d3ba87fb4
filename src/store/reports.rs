//! SQL of what the product and a company's admins read (DESIGN §4, §7): the employee roster
//! at a time T, the provisioning activity log, and the log's retention.
//!
//! Admin statements name the tenant directly as `?1` (the operator's admin token reaches every
//! tenant); every one of them is scoped by `tenant_id = ?1`, so another tenant's rows never
//! appear. Times are the canonical fixed-width RFC 3339 text of `scim::datetime`, so comparing
//! the text compares the instants.
//!
//! **State at T.** An employee's state at T is their `activation` row with the highest `seq`
//! among those with `at <= T`: `seq` is commit order, so with T at or after every row this is
//! exactly the current state, even when two writes committed in the opposite order of their
//! request times. No row at or before T: not created yet. A `delete` row: gone.

use super::{Stmt, Value};

/// The latest history row of the employee `e_id` at or before `?2` (a correlated subquery,
/// answered from the index `activation_state` alone).
macro_rules! state_at {
    ($user:literal) => {
        concat!(
            "(SELECT max(a.seq) FROM activation a WHERE a.tenant_id = ?1 AND a.user_id = ",
            $user,
            " AND a.at <= ?2)"
        )
    };
}

/// One page of the roster at T (`?2`): the employees that existed at T, in the order of their
/// folded userName then id, after the key `(after_key, after_id)` (empty strings: from the
/// start), with their state at T; `eligible` keeps only the (in)eligible ones.
///
/// The employees come from two sources, each read in key order from an index and merged by
/// SQLite (`MERGE (UNION ALL)`), so a page costs `limit` index steps whatever the tenant's
/// size: the employees that still exist (`users_by_user_name`), named as they are now, and
/// those deleted after T (`activation_deletions`), named as they were when deleted. Deleted
/// employees keep their key: a deletion never moves anyone within the order.
pub fn roster_page(
    tenant_id: &str,
    at: &str,
    after: (&str, &str),
    eligible: Option<bool>,
    limit: i64,
) -> Stmt {
    Stmt::new(
        concat!(
            "SELECT u.id AS id, u.user_name AS user_name, u.email AS email, u.user_name_fold AS name_key, ",
            "s.active AS active, s.at AS changed_at ",
            "FROM users u JOIN activation s ON s.seq = ",
            state_at!("u.id"),
            " WHERE u.tenant_id = ?1 AND u.user_name_fold >= ?3 AND (u.user_name_fold > ?3 OR u.id > ?4) ",
            "AND s.kind <> 'delete' AND (?5 IS NULL OR s.active = ?5) ",
            "UNION ALL ",
            "SELECT d.user_id, d.user_name, d.email, d.user_name_fold, s.active, s.at ",
            "FROM activation d JOIN activation s ON s.seq = ",
            state_at!("d.user_id"),
            " WHERE d.tenant_id = ?1 AND d.kind = 'delete' AND d.at > ?2 ",
            "AND d.user_name_fold >= ?3 AND (d.user_name_fold > ?3 OR d.user_id > ?4) ",
            "AND s.kind <> 'delete' AND (?5 IS NULL OR s.active = ?5) ",
            "ORDER BY name_key, id LIMIT ?6"
        ),
        vec![
            tenant_id.into(),
            at.into(),
            after.0.into(),
            after.1.into(),
            eligible.into(),
            limit.into(),
        ],
    )
}

/// How many employees existed at T (`existed`) and how many of them were active (`eligible`):
/// one pass over the tenant's history in the index `activation_state`, which holds every column
/// it reads (SQLite takes the bare `kind` and `active` from the row of `max(seq)`).
pub fn roster_counts(tenant_id: &str, at: &str) -> Stmt {
    Stmt::new(
        "SELECT count(*) AS existed, coalesce(sum(active), 0) AS eligible FROM ( \
           SELECT kind, active, max(seq) FROM activation WHERE tenant_id = ?1 AND at <= ?2 GROUP BY user_id \
         ) WHERE kind <> 'delete'",
        vec![tenant_id.into(), at.into()],
    )
}

/// Which entries of the activity log to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFilter<'a> {
    /// `user=`: the value as given and its Unicode case fold.
    pub user: Option<(&'a str, String)>,
    pub operation: Option<&'a str>,
    /// `result=`: `Some(true)` failures only (status 400 and above), `Some(false)` successes.
    pub failed: Option<bool>,
}

/// A page of the activity log, newest first (in the order the entries were recorded), before the
/// entry `before` (a `seq`; `None`: from the newest).
///
/// `user` matches an entry whose `user_id` is the value, or whose `user_name` (as logged) is the
/// value, or that concerns the employee whose userName — now, or when they were deleted — equals
/// the value ignoring case: so one query shows an employee's whole history across renames, and
/// refused creates (which have a name but no id) by the name they were sent with.
///
/// Every filter has an index: `user` collects the employee's entries through `events_by_user`
/// and `events_by_user_name` (the entries are then read by rowid, and `+tenant_id` keeps SQLite
/// from walking the whole log by `events_by_tenant` instead), `operation` walks
/// `events_by_operation`, failures `events_failed`; otherwise `events_by_tenant`.
pub fn activity_page(
    tenant_id: &str,
    filter: &ActivityFilter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Stmt {
    let mut sql = String::from(
        "SELECT seq, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id \
         FROM events WHERE ",
    );
    let mut params: Vec<Value> = vec![tenant_id.into()];
    match &filter.user {
        None => sql.push_str("tenant_id = ?1"),
        Some((value, fold)) => {
            let v = bind(&mut params, (*value).into());
            let f = bind(&mut params, fold.into());
            sql.push_str(&format!(
                "+tenant_id = ?1 AND seq IN ( \
                 SELECT seq FROM events WHERE tenant_id = ?1 AND user_id = ?{v} \
                 UNION ALL SELECT seq FROM events WHERE tenant_id = ?1 AND user_name = ?{v} \
                 UNION ALL SELECT seq FROM events WHERE tenant_id = ?1 AND user_id IN \
                   (SELECT id FROM users WHERE tenant_id = ?1 AND user_name_fold = ?{f}) \
                 UNION ALL SELECT seq FROM events WHERE tenant_id = ?1 AND user_id IN \
                   (SELECT user_id FROM activation WHERE tenant_id = ?1 AND kind = 'delete' AND user_name_fold = ?{f}))"
            ));
        }
    }
    if let Some(seq) = before {
        let n = bind(&mut params, seq.into());
        sql.push_str(&format!(" AND seq < ?{n}"));
    }
    if let Some(op) = filter.operation {
        let n = bind(&mut params, op.into());
        sql.push_str(&format!(" AND operation = ?{n}"));
    }
    match filter.failed {
        Some(true) => sql.push_str(" AND status >= 400"),
        Some(false) => sql.push_str(" AND status < 400"),
        None => {}
    }
    let n = bind(&mut params, limit.into());
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{n}"));
    Stmt::new(sql, params)
}

/// Adds a parameter; returns its number.
fn bind(params: &mut Vec<Value>, value: Value) -> usize {
    params.push(value);
    params.len()
}

/// How many activity-log entries older than `cutoff` the next [`prune_events`] with the same
/// arguments removes (in the same batch, so the same rows).
pub fn prunable_events(cutoff: &str, chunk: i64) -> Stmt {
    Stmt::new(
        "SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE at < ?1 LIMIT ?2)",
        vec![cutoff.into(), chunk.into()],
    )
}

/// Removes up to `chunk` activity-log entries older than `cutoff`, of every tenant, oldest first
/// (index `events_by_time`). Only the log: the activation history is never pruned, because the
/// roster must answer for any past T (DESIGN §4).
pub fn prune_events(cutoff: &str, chunk: i64) -> Stmt {
    Stmt::new(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < ?1 ORDER BY at LIMIT ?2)",
        vec![cutoff.into(), chunk.into()],
    )
}
