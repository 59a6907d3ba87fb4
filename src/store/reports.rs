//! SQL of what the product and a company's admins read (DESIGN §4, §7): the employee roster
//! at a time T, the provisioning activity log, and the log's retention.
//!
//! Admin statements name the tenant directly (the operator's admin token reaches every tenant);
//! every one of them is scoped by `tenant_id`, so another tenant's rows never appear. Times are
//! the canonical fixed-width RFC 3339 text of `scim::datetime`, so comparing the text compares
//! the instants.
//!
//! **State at T.** An employee's state at T is their `activation` row with the highest `seq`
//! among those with `at <= T`: `seq` is commit order, so with T at or after every row this is
//! exactly the current state, even when two writes committed in the opposite order of their
//! request times. No row at or before T: not created yet. A `delete` row: gone, unless the
//! eligibility guard keeps the employee eligible (`store::guard`: held, dismissed or cleared).

use super::batch::{Columns, FromRow, Query};
use super::builder::{Param, Sql};
use super::eligibility;
use super::{Row, Stmt, StoreError};
use crate::model::{Operation, TenantId, UserId};
use crate::scim::datetime::Timestamp;

/// The latest history row of the employee `user` (a column) at or before `at` (a correlated
/// subquery, answered from the index `activation_state` alone).
fn state_at(user: &str, tenant: Param, at: Param) -> String {
    format!(
        "(SELECT max(a.seq) FROM activation a WHERE a.tenant_id = {tenant} AND a.user_id = {user} \
         AND a.at <= {at})"
    )
}

/// An employee of the roster at T.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub id: UserId,
    /// The latest known userName and email (now, or when deleted); `None` once the deleted
    /// employee's personal data is purged (the roster then counts a "deleted employee").
    pub user_name: Option<String>,
    pub email: Option<String>,
    /// The folded userName: the roster's order, and its cursor.
    pub name_key: String,
    /// Active as the IdP says, at T.
    pub active: bool,
    /// In surveys at T: active, or kept eligible by the eligibility guard (`store::guard`).
    pub eligible: bool,
    /// Kept eligible at T by a change the guard holds, waiting for a decision.
    pub held: bool,
    /// Kept eligible at T although the IdP says inactive, because an admin dismissed the change.
    pub overridden: bool,
    /// The last creation or activation change at or before T.
    pub changed_at: Timestamp,
}

impl FromRow for RosterRow {
    fn from_row(row: &Row) -> Result<RosterRow, StoreError> {
        let c = Columns(row);
        Ok(RosterRow {
            id: UserId::new(c.text("id")?),
            user_name: c.opt_text("user_name")?.map(str::to_string),
            email: c.opt_text("email")?.map(str::to_string),
            name_key: c.text("name_key")?.to_string(),
            active: c.flag("active")?,
            eligible: c.flag("eligible")?,
            held: c.flag("held")?,
            overridden: c.flag("overridden")?,
            changed_at: c.time("changed_at")?,
        })
    }
}

/// Where a roster page starts: after this `(name_key, id)`; empty strings start at the top.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RosterAfter<'a> {
    pub key: &'a str,
    pub id: &'a str,
}

/// Which employees of the roster at T a listing keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RosterFilter<'a> {
    /// Only the eligible (`Some(true)`) or ineligible (`Some(false)`) ones.
    pub eligible: Option<bool>,
    /// `q=`: each word (already `scim::fold::search_key`-ed) must begin a word the employee is
    /// found by (`users.search`, kept with a deletion in `activation.search`).
    pub words: &'a [String],
}

/// Most words of one search (`q=`); more are refused by the admin API.
pub const MAX_SEARCH_WORDS: usize = 4;

/// The two sources of the roster at T (see [`roster_page`]), as one `UNION ALL` without order or
/// limit: `after` starts after a `(name_key, id)`; `live` and `gone` are further columns read
/// from `users u` and from `activation d` joined with `deleted_users dl` (the deleted row, until
/// its purge).
fn roster_union(
    q: &mut Sql,
    tenant: &TenantId,
    at: Timestamp,
    after: Option<RosterAfter<'_>>,
    filter: &RosterFilter<'_>,
    (live_extra, gone_extra): (&str, &str),
) -> String {
    let t = q.bind(tenant);
    let at = q.bind(at);
    let (after_live, after_gone) = match after {
        None => (String::new(), String::new()),
        Some(a) => {
            let (key, id) = (q.bind(a.key), q.bind(a.id));
            (
                format!(" AND u.user_name_fold >= {key} AND (u.user_name_fold > {key} OR u.id > {id})"),
                format!(" AND d.user_name_fold >= {key} AND (d.user_name_fold > {key} OR d.user_id > {id})"),
            )
        }
    };
    let eligible = q.bind(filter.eligible);
    let (mut search_live, mut search_gone) = (String::new(), String::new());
    for w in filter.words {
        let w = q.bind(w.as_str());
        search_live.push_str(&format!(" AND instr(u.search, ' ' || {w}) > 0"));
        search_gone.push_str(&format!(" AND instr(d.search, ' ' || {w}) > 0"));
    }
    let (live, deleted) = (state_at("u.id", t, at), state_at("d.user_id", t, at));
    let (s_gone, s_eligible) = (eligibility::gone("s"), eligibility::eligible("s"));
    // What both sources read of the state row.
    let state = format!(
        "s.active AS active, {s_eligible} AS eligible, coalesce(s.hold = 'held', 0) AS held, \
         coalesce(s.hold = 'dismissed' AND s.active = 0, 0) AS overridden, s.at AS changed_at"
    );
    let keeps = eligibility::KEEPS;
    format!(
        "SELECT u.id AS id, u.user_name AS user_name, u.email AS email, u.user_name_fold AS name_key, {state}{live_extra} \
         FROM users u JOIN activation s ON s.seq = {live} \
         WHERE u.tenant_id = {t}{after_live}{search_live} \
         AND NOT {s_gone} AND ({eligible} IS NULL OR {s_eligible} = {eligible}) \
         UNION ALL \
         SELECT d.user_id, d.user_name, d.email, d.user_name_fold, {state}{gone_extra} \
         FROM activation d JOIN activation s ON s.seq = {deleted} \
         LEFT JOIN deleted_users dl ON dl.tenant_id = d.tenant_id AND dl.id = d.user_id \
         WHERE d.tenant_id = {t} AND d.kind = 'delete' AND (d.at > {at} OR coalesce(d.hold, '') IN {keeps}) \
         {after_gone}{search_gone} \
         AND NOT EXISTS (SELECT 1 FROM users x WHERE x.tenant_id = {t} AND x.id = d.user_id) \
         AND NOT EXISTS (SELECT 1 FROM activation l WHERE l.tenant_id = {t} AND l.user_id = d.user_id \
                         AND l.kind = 'delete' AND l.seq > d.seq) \
         AND NOT {s_gone} AND ({eligible} IS NULL OR {s_eligible} = {eligible})"
    )
}

/// One page of the roster at `at`: the employees that existed at T, in the order of their
/// folded userName then id, after `after`, with their state at T, as `filter` keeps them.
///
/// The employees come from two sources, each read in key order from an index and merged by
/// SQLite (`MERGE (UNION ALL)`), so a page costs `limit` index steps whatever the tenant's
/// size: the employees that still exist (`users_by_user_name`), named as they are now, and
/// those deleted after T (`activation_deletions`), named as they were when deleted. Deleted
/// employees keep their key: a deletion never moves anyone within the order. An employee deleted
/// and restored is in `users` again, so only the second source's employees still deleted count
/// there, by their last deletion; a purged one has no name left and sorts first (key `''`).
///
/// A search (`filter.words`) walks the same order and skips the rows whose words do not match:
/// no index serves a prefix of any word, so a page of a rare name costs a walk of the tenant
/// (a few tens of milliseconds at 100,000 employees), which an admin's search can afford.
pub fn roster_page(
    tenant: &TenantId,
    at: Timestamp,
    after: RosterAfter<'_>,
    filter: &RosterFilter<'_>,
    limit: i64,
) -> Query<Vec<RosterRow>> {
    let mut q = Sql::new();
    let union = roster_union(&mut q, tenant, at, Some(after), filter, ("", ""));
    let limit = q.bind(limit);
    Query::all(q.stmt(format!("{union} ORDER BY name_key, id LIMIT {limit}")))
}

/// An employee of the roster at T with what the CSV export adds: the given and family names
/// and the tenant extension as stored, with the employee references as shown (attribute id →
/// the referenced employee's email, or the value as sent while pending). Current values, also
/// for an employee deleted since (their document as deleted); `None` once purged.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub roster: RosterRow,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub extension: Option<serde_json::Value>,
    pub refs: serde_json::Map<String, serde_json::Value>,
}

impl FromRow for ExportRow {
    fn from_row(row: &Row) -> Result<ExportRow, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        Ok(ExportRow {
            roster: RosterRow::from_row(row)?,
            given_name: owned("given_name")?,
            family_name: owned("family_name")?,
            extension: c.json("extension")?,
            refs: c.json("refs")?.unwrap_or_default(),
        })
    }
}

/// A page of the roster at `at` for the CSV export: [`roster_page`]'s rows and order, with the
/// columns of [`ExportRow`].
pub fn export_page(
    tenant: &TenantId,
    at: Timestamp,
    after: RosterAfter<'_>,
    filter: &RosterFilter<'_>,
    limit: i64,
) -> Query<Vec<ExportRow>> {
    let mut q = Sql::new();
    let urn = q.bind(format!("$.\"{}\"", crate::scim::schema::TENANT_USER));
    let refs = |holder: &str| {
        format!(
            "(SELECT json_group_object(r.attribute_id, coalesce(tu.email, tu.user_name, r.pending)) \
             FROM employee_refs r LEFT JOIN users tu ON tu.tenant_id = r.tenant_id AND tu.id = r.target_id \
             WHERE r.tenant_id = {holder}.tenant_id AND r.user_id = {holder}.id) AS refs"
        )
    };
    let extra = |doc: &str, holder: &str| {
        format!(
            ", json_extract({doc}, '$.name.givenName') AS given_name, \
             json_extract({doc}, '$.name.familyName') AS family_name, \
             json_extract({doc}, {urn}) AS extension, {}",
            refs(holder)
        )
    };
    let (live, gone) = (extra("u.resource", "u"), extra("dl.resource", "dl"));
    let union = roster_union(&mut q, tenant, at, Some(after), filter, (&live, &gone));
    let limit = q.bind(limit);
    Query::all(q.stmt(format!("{union} ORDER BY name_key, id LIMIT {limit}")))
}

/// The counts of the roster at `at` among the employees a search finds (`filter.words`): one
/// walk of both sources (the search has no index; see [`roster_page`]).
pub fn roster_search_counts(
    tenant: &TenantId,
    at: Timestamp,
    filter: &RosterFilter<'_>,
) -> Query<RosterCounts> {
    let mut q = Sql::new();
    let all = RosterFilter {
        eligible: None,
        words: filter.words,
    };
    let union = roster_union(&mut q, tenant, at, None, &all, ("", ""));
    Query::new(
        q.stmt(format!(
            "SELECT count(*) AS existed, coalesce(sum(eligible), 0) AS eligible FROM ({union})"
        )),
        |rows| match rows.first() {
            Some(row) => RosterCounts::from_row(row),
            None => Err(StoreError::Internal(
                "the roster count answered no row".into(),
            )),
        },
    )
}

/// How many employees existed at T, and how many of them were active (eligible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterCounts {
    pub existed: i64,
    pub eligible: i64,
}

impl FromRow for RosterCounts {
    fn from_row(row: &Row) -> Result<RosterCounts, StoreError> {
        let c = Columns(row);
        Ok(RosterCounts {
            existed: c.int("existed")?,
            eligible: c.int("eligible")?,
        })
    }
}

/// The counts of the roster at `at`: one pass over the tenant's history in the index
/// `activation_state`, which holds every column it reads (SQLite takes the bare `kind` and
/// `active` from the row of `max(seq)`).
pub fn roster_counts(tenant: &TenantId, at: Timestamp) -> Query<RosterCounts> {
    let mut q = Sql::new();
    let (t, at) = (q.bind(tenant), q.bind(at));
    Query::new(
        q.stmt(format!(
            "SELECT count(*) AS existed, coalesce(sum({x_eligible}), 0) AS eligible FROM ( \
               SELECT kind, active, hold, max(seq) FROM activation WHERE tenant_id = {t} AND at <= {at} \
               GROUP BY user_id \
             ) x WHERE NOT {x_gone}",
            x_eligible = eligibility::eligible("x"),
            x_gone = eligibility::gone("x")
        )),
        |rows| match rows.first() {
            Some(row) => RosterCounts::from_row(row),
            None => Err(StoreError::Internal(
                "the roster count answered no row".into(),
            )),
        },
    )
}

/// Which entries of the activity log to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFilter<'a> {
    /// `user=`: the value as given and its Unicode case fold.
    pub user: Option<(&'a str, String)>,
    pub operation: Option<Operation>,
    /// `result=`: `Some(true)` failures only (status 400 and above), `Some(false)` successes.
    pub failed: Option<bool>,
}

/// One activity-log entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub request_id: String,
    pub operation: Operation,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub status: i64,
    pub detail: Option<String>,
    /// The JSON text of the changes (`[{"path", "old", "new"}]`), as written.
    pub changes: Option<String>,
    pub client: Option<String>,
    pub token_id: Option<String>,
}

impl FromRow for ActivityEntry {
    fn from_row(row: &Row) -> Result<ActivityEntry, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        let operation = c.text("operation")?;
        Ok(ActivityEntry {
            seq: c.int("seq")?,
            at: c.time("at")?,
            request_id: c.text("request_id")?.to_string(),
            operation: Operation::parse(operation)
                .ok_or_else(|| StoreError::Internal(format!("operation {operation:?}")))?,
            user_id: owned("user_id")?,
            user_name: owned("user_name")?,
            status: c.int("status")?,
            detail: owned("detail")?,
            changes: owned("changes")?,
            client: owned("client")?,
            token_id: owned("token_id")?,
        })
    }
}

/// A page of the activity log, newest first (in the order the entries were recorded), before the
/// entry `before` (a `seq`; `None`: from the newest).
///
/// `user` matches an entry whose `user_id` is the value, or whose `user_name` (as logged) is the
/// value, or that concerns the employee whose userName — now, or when they were deleted — equals
/// the value ignoring case: so one query shows an employee's whole history across renames, and
/// refused creates (which have a name but no id) by the name they were sent with.
///
/// Every filter has an index: `user` collects the employee's entries through `activity_by_user`
/// and `activity_by_user_name` (the entries are then read by rowid, and `+tenant_id` keeps SQLite
/// from walking the whole log by `activity_by_tenant` instead), `operation` walks
/// `activity_by_operation`, failures `activity_failed`; otherwise `activity_by_tenant`.
pub fn activity_page(
    tenant: &TenantId,
    filter: &ActivityFilter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Query<Vec<ActivityEntry>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let mut sql = String::from(
        "SELECT seq, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id \
         FROM activity WHERE ",
    );
    match &filter.user {
        None => sql.push_str(&format!("tenant_id = {t}")),
        Some((value, fold)) => {
            let (v, f) = (q.bind(*value), q.bind(fold.as_str()));
            sql.push_str(&format!(
                "+tenant_id = {t} AND seq IN ( \
                 SELECT seq FROM activity WHERE tenant_id = {t} AND user_id = {v} \
                 UNION ALL SELECT seq FROM activity WHERE tenant_id = {t} AND user_name = {v} \
                 UNION ALL SELECT seq FROM activity WHERE tenant_id = {t} AND user_id IN \
                   (SELECT id FROM users WHERE tenant_id = {t} AND user_name_fold = {f}) \
                 UNION ALL SELECT seq FROM activity WHERE tenant_id = {t} AND user_id IN \
                   (SELECT user_id FROM activation WHERE tenant_id = {t} AND kind = 'delete' AND user_name_fold = {f}))"
            ));
        }
    }
    if let Some(seq) = before {
        sql.push_str(&format!(" AND seq < {}", q.bind(seq)));
    }
    if let Some(op) = filter.operation {
        sql.push_str(&format!(" AND operation = {}", q.bind(op.as_str())));
    }
    match filter.failed {
        Some(true) => sql.push_str(" AND status >= 400"),
        Some(false) => sql.push_str(" AND status < 400"),
        None => {}
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", q.bind(limit)));
    Query::all(q.stmt(sql))
}

/// How many activity-log entries older than `cutoff` the next [`prune_events`] with the same
/// arguments removes (in the same batch, so the same rows).
pub fn prunable_events(cutoff: Timestamp, chunk: i64) -> Query<i64> {
    let mut q = Sql::new();
    let (cutoff, chunk) = (q.bind(cutoff), q.bind(chunk));
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM activity WHERE at < {cutoff} LIMIT {chunk})"
    )))
}

/// Removes up to `chunk` activity-log entries older than `cutoff`, of every tenant, oldest first
/// (index `activity_by_time`). Only the log: the activation history is never pruned, because the
/// roster must answer for any past T (DESIGN §4).
pub fn prune_events(cutoff: Timestamp, chunk: i64) -> Stmt {
    let mut q = Sql::new();
    let (cutoff, chunk) = (q.bind(cutoff), q.bind(chunk));
    q.stmt(format!(
        "DELETE FROM activity WHERE seq IN (SELECT seq FROM activity WHERE at < {cutoff} ORDER BY at LIMIT {chunk})"
    ))
}
