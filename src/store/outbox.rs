//! SQL of the change feed (DESIGN §7, issue 19): the transactional outbox `employee_events`.
//! Every committed change to an employee writes its event in the batch of the change, under the
//! condition that makes the change happen, so a committed change always has its event and a
//! refused one never has one. The statements that make an event are here; which changes call
//! them is in each writer (the SCIM writes in `app::scim_api`, restore and purge in
//! `store::deleted`, the guard's hold, apply and dismiss in `store::guard`).
//!
//! **Order.** `seq` is an AUTOINCREMENT key assigned inside the batch; D1 runs one write
//! transaction at a time, so seq order is commit order and a page read after seq N never
//! misses a smaller seq committed later ([`list`]).
//!
//! **State after.** An event carries the employee's `active`, `eligible` and `held` after the
//! change, read in SQL at the point of the batch where the event is written (after the change,
//! before anything the batch does later): eligibility as the roster counts it (the employee's
//! last activation-history row, `store::eligibility::eligible`), unless the writer knows it (the
//! guard's events, written just before the hold they announce).
//!
//! Leaves out: delivery to webhook endpoints (`store::webhooks`, `app::webhooks`).

use super::batch::{Columns, FromRow, Query};
use super::builder::{Param, Scope, Sql};
use super::eligibility;
use super::{Row, Stmt, StoreError};
use crate::model::{EventType, TenantId, UserId, WriteId};
use crate::scim::datetime::Timestamp;

/// Who makes an event, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emitter<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
}

/// The columns a source of events must answer: `tenant_id`, `user_id`, `type`, `changes` (JSON
/// text or NULL), `eligible` and `held` (0 or 1, or NULL: read from the history now), `erase`
/// (1: the event names nobody, the employee's personal data being erased), and `ord` (the
/// order of the source's events in the feed).
///
/// The statement that inserts one event per row of `source` (a SELECT over those columns).
pub(super) fn insert_from(q: &mut Sql, by: &Emitter<'_>, source: &str) -> String {
    let (at, rid) = (q.bind(by.at), q.bind(by.request_id));
    let last = "FROM activation x WHERE x.tenant_id = s.tenant_id AND x.user_id = s.user_id \
                ORDER BY x.seq DESC LIMIT 1";
    let (gone, eligible) = (eligibility::gone("x"), eligibility::eligible("x"));
    format!(
        "INSERT INTO employee_events (tenant_id, at, type, user_id, user_name, email, active, eligible, \
         held, changes, request_id) \
         SELECT s.tenant_id, {at}, s.type, s.user_id, \
         CASE WHEN s.erase = 1 THEN NULL ELSE coalesce(u.user_name, d.user_name) END, \
         CASE WHEN s.erase = 1 THEN NULL ELSE coalesce(u.email, d.email) END, \
         coalesce(u.active, 0), \
         coalesce(s.eligible, (SELECT CASE WHEN {gone} THEN 0 WHEN {eligible} THEN 1 ELSE 0 END {last}), \
                  coalesce(u.active, 0)), \
         coalesce(s.held, (SELECT CASE WHEN x.hold = 'held' THEN 1 ELSE 0 END {last}), 0), \
         s.changes, {rid} \
         FROM ({source}) s \
         LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
         LEFT JOIN deleted_users d ON d.tenant_id = s.tenant_id AND d.id = s.user_id ORDER BY s.ord"
    )
}

/// When a single employee's event is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum If<'a> {
    /// The user row carries this write id (the write took effect).
    Written(&'a WriteId),
    /// The employee was deleted by this request (its `deleted_users` row says so).
    DeletedBy(&'a str),
}

/// One employee's event of type `kind`, with `changes` (JSON text), written only `when`.
pub fn emit<'s>(
    scope: impl Into<Scope<'s>>,
    by: &Emitter<'_>,
    kind: EventType,
    user: &UserId,
    changes: Option<&str>,
    when: If<'_>,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (user_p, kind_p, changes_p) = (q.bind(user), q.bind(kind.as_str()), q.bind(changes));
    let condition = match when {
        If::Written(write_id) => format!(
            "EXISTS (SELECT 1 FROM users w WHERE w.tenant_id = t.tenant_id AND w.id = {user_p} \
             AND w.write_id = {})",
            q.bind(write_id)
        ),
        If::DeletedBy(request_id) => format!(
            "EXISTS (SELECT 1 FROM deleted_users w WHERE w.tenant_id = t.tenant_id AND w.id = {user_p} \
             AND w.request_id = {})",
            q.bind(request_id)
        ),
    };
    let source = format!(
        "SELECT t.tenant_id AS tenant_id, {user_p} AS user_id, {kind_p} AS type, {changes_p} AS changes, \
         NULL AS eligible, NULL AS held, 0 AS erase, 0 AS ord \
         FROM (SELECT {tenant} AS tenant_id) t WHERE t.tenant_id IS NOT NULL AND {condition}"
    );
    let text = insert_from(&mut q, by, &source);
    q.stmt(text)
}

/// The events of a guard decision or hold: one per employee of the activation rows `rows` (a
/// condition on the alias `h`, whose `tenant_id` is `tenant`), with the eligibility the
/// decision leaves. Written just before the statement that changes those rows.
pub(super) fn guard_events(
    q: &mut Sql,
    by: &Emitter<'_>,
    kind: EventType,
    rows: &str,
    eligible: bool,
    held: bool,
) -> String {
    let kind_p = q.bind(kind.as_str());
    let source = format!(
        "SELECT h.tenant_id AS tenant_id, h.user_id AS user_id, {kind_p} AS type, NULL AS changes, \
         {} AS eligible, {} AS held, 0 AS erase, min(h.seq) AS ord \
         FROM activation h WHERE {rows} GROUP BY +h.user_id",
        i64::from(eligible),
        i64::from(held)
    );
    insert_from(q, by, &source)
}

/// The `employee.updated` events of the employees whose references to `target` a deletion
/// removes or a restore brings back: `removed` (the value leaves: old = the held value) or not
/// (it comes back: new = the held value), one change per attribute, by its SCIM path. `holders`
/// is the condition on `employee_refs r` the writer's own statement uses.
pub(super) fn reference_events(
    q: &mut Sql,
    by: &Emitter<'_>,
    tenant: &str,
    target: Param,
    removed: bool,
    condition: &str,
) -> String {
    let kind_p = q.bind(EventType::Updated.as_str());
    let urn = q.bind(format!("{}:", crate::scim::schema::TENANT_USER));
    let (old, new) = if removed {
        ("r.held", "NULL")
    } else {
        ("NULL", "r.held")
    };
    let source = format!(
        "SELECT r.tenant_id AS tenant_id, r.user_id AS user_id, {kind_p} AS type, \
         json_group_array(json_object('path', {urn} || coalesce(a.scim_name, r.attribute_id), \
           'old', {old}, 'new', {new})) AS changes, NULL AS eligible, NULL AS held, 0 AS erase, \
         r.user_id AS ord FROM employee_refs r LEFT JOIN attributes a ON a.tenant_id = r.tenant_id AND a.id = r.attribute_id \
         WHERE r.tenant_id = {tenant} AND r.target_id = {target} AND r.user_id <> {target} \
         AND r.held IS NOT NULL AND {condition} GROUP BY r.tenant_id, r.user_id"
    );
    insert_from(q, by, &source)
}

/// The events of a purge: one `employee.purged` per selected employee (`ids`, a subquery of
/// `tenant`'s deleted ones), naming nobody; and the statement that erases the names, emails and
/// changes of their earlier events, as the purge does in the activity log.
pub(super) fn purge_events(q: &mut Sql, by: &Emitter<'_>, tenant: &str, ids: &str) -> String {
    let kind_p = q.bind(EventType::Purged.as_str());
    let source = format!(
        "SELECT d.tenant_id AS tenant_id, d.id AS user_id, {kind_p} AS type, NULL AS changes, \
         0 AS eligible, 0 AS held, 1 AS erase, d.id AS ord \
         FROM deleted_users d WHERE d.tenant_id = {tenant} AND d.id IN ({ids})"
    );
    insert_from(q, by, &source)
}

/// Erases the personal data of the events of `ids` (a subquery of `tenant`'s employees).
pub(super) fn erase_events(tenant: &str, ids: &str) -> String {
    format!(
        "UPDATE employee_events SET user_name = NULL, email = NULL, changes = NULL \
         WHERE tenant_id = {tenant} AND user_id IN ({ids}) AND type <> 'employee.purged'"
    )
}

/// An event as the events API and the webhooks show it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeEvent {
    /// The feed's order; the event's id is [`EmployeeEvent::id`].
    pub seq: i64,
    pub tenant_id: TenantId,
    pub at: Timestamp,
    pub kind: String,
    pub user_id: UserId,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub eligible: bool,
    pub held: bool,
    /// JSON text, or `None`.
    pub changes: Option<String>,
}

impl FromRow for EmployeeEvent {
    fn from_row(row: &Row) -> Result<EmployeeEvent, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        Ok(EmployeeEvent {
            seq: c.int("seq")?,
            tenant_id: TenantId::new(c.text("tenant_id")?),
            at: c.time("at")?,
            kind: c.text("type")?.to_string(),
            user_id: UserId::new(c.text("user_id")?),
            user_name: owned("user_name")?,
            email: owned("email")?,
            active: c.flag("active")?,
            eligible: c.flag("eligible")?,
            held: c.flag("held")?,
            changes: owned("changes")?,
        })
    }
}

impl EmployeeEvent {
    /// The event's id: unique (seq is never reused), the webhook-id of its every delivery.
    pub fn id(&self) -> String {
        event_id(self.seq)
    }
}

/// The id of the event `seq`.
pub fn event_id(seq: i64) -> String {
    format!("evt_{seq}")
}

pub const EVENT_COLUMNS: &str =
    "seq, tenant_id, at, type, user_id, user_name, email, active, eligible, held, changes";

/// Up to `limit` of `tenant`'s events after seq `after`, in seq order (index
/// `employee_events_by_tenant`).
pub fn list(tenant: &TenantId, after: i64, limit: i64) -> Query<Vec<EmployeeEvent>> {
    let mut q = Sql::new();
    let (t, after, limit) = (q.bind(tenant), q.bind(after), q.bind(limit));
    Query::all(q.stmt(format!(
        "SELECT {EVENT_COLUMNS} FROM employee_events WHERE tenant_id = {t} AND seq > {after} \
         ORDER BY seq LIMIT {limit}"
    )))
}

/// The event `seq`, if it is still kept.
pub fn get(seq: i64) -> Query<Option<EmployeeEvent>> {
    let mut q = Sql::new();
    let seq = q.bind(seq);
    Query::first(q.stmt(format!(
        "SELECT {EVENT_COLUMNS} FROM employee_events WHERE seq = {seq}"
    )))
}

/// How many events older than `cutoff` the next [`prune`] with the same arguments removes.
pub fn prunable(cutoff: Timestamp, chunk: i64) -> Query<i64> {
    let mut q = Sql::new();
    let (cutoff, chunk) = (q.bind(cutoff), q.bind(chunk));
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM employee_events WHERE at < {cutoff} LIMIT {chunk})"
    )))
}

/// Removes up to `chunk` events older than `cutoff`, of every tenant, oldest first (index
/// `employee_events_by_time`), with what was still to be delivered of them (an endpoint that
/// failed for longer than the retention loses those) and the delivery log of that age.
pub fn prune(cutoff: Timestamp, chunk: i64) -> Vec<Stmt> {
    let mut q = Sql::new();
    let (cutoff_p, chunk_p) = (q.bind(cutoff), q.bind(chunk));
    let deliveries = q.stmt(format!(
        "DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM employee_events WHERE at < {cutoff_p} \
         ORDER BY at LIMIT {chunk_p})"
    ));
    let mut q = Sql::new();
    let (cutoff_p, chunk_p) = (q.bind(cutoff), q.bind(chunk));
    let events = q.stmt(format!(
        "DELETE FROM employee_events WHERE seq IN (SELECT seq FROM employee_events WHERE at < {cutoff_p} \
         ORDER BY at LIMIT {chunk_p})"
    ));
    let mut q = Sql::new();
    let (cutoff_p, chunk_p) = (q.bind(cutoff), q.bind(chunk));
    let attempts = q.stmt(format!(
        "DELETE FROM webhook_attempts WHERE seq IN (SELECT seq FROM webhook_attempts WHERE at < {cutoff_p} \
         ORDER BY at LIMIT {chunk_p})"
    ));
    vec![deliveries, events, attempts]
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    /// The `employee_events` table accepts exactly the types `model::EventType` names.
    #[test]
    fn the_types_are_the_ones_the_schema_accepts() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let create: String = store.with_conn(|c| {
            c.query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'employee_events'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        });
        let squeezed: String = create.split_whitespace().collect::<Vec<_>>().join(" ");
        let quoted: Vec<String> = EventType::ALL
            .iter()
            .map(|t| format!("'{}'", t.as_str()))
            .collect();
        let check = format!("CHECK (type IN ({}))", quoted.join(", "));
        assert!(squeezed.contains(&check), "{check} not in {squeezed}");
    }
}
