//! SQL of the mass-deactivation guard on survey eligibility (DESIGN §4). SCIM always follows
//! the IdP; the guard acts on the activation history only, which the roster reads.
//!
//! **Counting.** A history row with `loss = 1` makes an eligible employee ineligible: a
//! deactivation, or a deletion of an employee who was eligible (active, or kept eligible by a
//! hold). A create with `active: false` is no loss, nor is the deletion of an inactive employee,
//! so a deactivation followed by a deletion counts once. The guard counts the distinct employees
//! with an undecided loss (`hold IS NULL`) in the window `(now - window, now]`, against the
//! tenant's eligible employees at the window's start.
//!
//! **The eligible, carried.** Those are counted only once the window's losses reach the minimum,
//! and then on every further loss (`count`). Each count is kept on the tenant's row (migration
//! 0020) and the next one starts from it: it reads the history written between the two window
//! starts (in a burst, the few rows since the previous loss), not the tenant's, so a loss costs
//! as much at 100,000 employees as at 1,000. Migration 0020's triggers drop the kept count when
//! history at or before its time is added, changed or deleted (a request stamped earlier that
//! commits later, a purge); the next check then counts the whole history once.
//!
//! **Trip and hold.** Every write that may lose an employee ([`check`]) trips the tenant's guard
//! when the count is at least the minimum and more than the percentage, and, while a trip is
//! open, holds every undecided loss since its window's start (retroactively, and each further
//! one); a deletion that follows a held deactivation is held with it. A held deletion is not
//! purged ([`PARKED`]). The roster counts a held employee as eligible.
//!
//! **Decisions.** [`apply`] makes held losses count from their own times (and starts a held
//! deletion's retention), [`dismiss`] keeps the employees eligible ("overridden"), [`settle`]
//! ends a hold the IdP or an admin undid (a reactivation, a restore). A trip ends when nothing of
//! its tenant is held ([`end_trips`]).

use super::batch::{Columns, FromRow, Query};
use super::builder::{Scope, Sql};
use super::deletion_clock::{purge_time, PARKED};
use super::eligibility::{eligible, gone};
use super::outbox::{self, Emitter};
use super::{Row, Stmt, StoreError};
use crate::model::{EventType, TenantId, UserId};
use crate::scim::datetime::Timestamp;

/// The defaults of a tenant that did not choose (DESIGN §4).
pub const DEFAULT_PERCENT: i64 = 10;
pub const DEFAULT_MINIMUM: i64 = 20;
pub const DEFAULT_WINDOW_MINUTES: i64 = 60;
pub const DEFAULT_AUTO_APPLY_DAYS: i64 = 7;

/// The text of `at` (an SQL expression) moved by `modifier` (an SQL expression such as
/// `'-' || 60 || ' minutes'`), in the canonical form of `scim::datetime`.
fn shifted(at: &str, modifier: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', {at}, {modifier})")
}

/// A tenant's guard, as it set it (or the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub enabled: bool,
    pub percent: i64,
    pub minimum: i64,
    pub window_minutes: i64,
    /// 0: never.
    pub auto_apply_days: i64,
}

impl Settings {
    /// From the tenant row's `guard_*` columns.
    pub fn from_columns(c: &Columns<'_>) -> Result<Settings, StoreError> {
        Ok(Settings {
            enabled: c.opt_int("guard_enabled")?.unwrap_or(1) == 1,
            percent: c.opt_int("guard_percent")?.unwrap_or(DEFAULT_PERCENT),
            minimum: c.opt_int("guard_minimum")?.unwrap_or(DEFAULT_MINIMUM),
            window_minutes: c
                .opt_int("guard_window_minutes")?
                .unwrap_or(DEFAULT_WINDOW_MINUTES),
            auto_apply_days: c
                .opt_int("guard_auto_apply_days")?
                .unwrap_or(DEFAULT_AUTO_APPLY_DAYS),
        })
    }
}

/// A change of a tenant's guard; `None` keeps a field, `Some(None)` restores its default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub enabled: Option<Option<bool>>,
    pub percent: Option<Option<i64>>,
    pub minimum: Option<Option<i64>>,
    pub window_minutes: Option<Option<i64>>,
    pub auto_apply_days: Option<Option<i64>>,
}

/// Sets a tenant's guard.
pub fn update_settings(tenant: &TenantId, change: &SettingsChange) -> Stmt {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let mut set = |column: &str, value: Option<Option<i64>>| match value {
        None => format!("{column} = {column}"),
        Some(v) => format!("{column} = {}", q.bind(v)),
    };
    let sets = [
        set("guard_enabled", change.enabled.map(|v| v.map(i64::from))),
        set("guard_percent", change.percent),
        set("guard_minimum", change.minimum),
        set("guard_window_minutes", change.window_minutes),
        set("guard_auto_apply_days", change.auto_apply_days),
    ];
    q.stmt(format!(
        "UPDATE tenants SET {} WHERE id = {t}",
        sets.join(", ")
    ))
}

/// Who writes, for the guard's activity-log entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Actor<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
    pub client: Option<&'a str>,
}

impl Actor<'_> {
    fn emitter(&self) -> Emitter<'_> {
        Emitter {
            at: self.at,
            request_id: self.request_id,
        }
    }
}

/// The start of the window of a check at `at` (an SQL expression) by the guard of the tenant row
/// `tn` (its alias).
fn window_start(at: &str, tn: &str) -> String {
    shifted(
        at,
        &format!(
            "'-' || coalesce({tn}.guard_window_minutes, {DEFAULT_WINDOW_MINUTES}) || ' minutes'"
        ),
    )
}

/// 1 if the employee `user` of `tenant` (SQL expressions) was eligible at `time`, else 0: from
/// its history row of the highest seq at or before then (none: not yet an employee).
fn eligible_at(tenant: &str, user: &str, time: &str) -> String {
    let (x_gone, x_eligible) = (gone("x"), eligible("x"));
    format!(
        "coalesce((SELECT CASE WHEN NOT {x_gone} AND {x_eligible} THEN 1 ELSE 0 END FROM activation x \
         WHERE x.tenant_id = {tenant} AND x.user_id = {user} AND x.at <= {time} ORDER BY x.seq DESC LIMIT 1), 0)"
    )
}

/// The trip check's count of the tenant's employees eligible at its window's start, kept on the
/// tenant's row (`guard_counted_at`, `guard_counted`; migration 0020), and only when the check
/// needs it (the guard on, no trip open, the window's losses at the minimum): the first statement
/// of [`check`], whose trip statement reads it.
///
/// From the count kept at `w0`, the count at the window's start `w` is that count plus, for each
/// employee with a history row between the two (`at` in `(min, max]`, by the index
/// `activation_by_time`), whether it was eligible at `w` less whether it was at `w0`: every
/// other employee's latest row at or before `w` is the one at or before `w0`. So the check reads
/// the rows written between two counts (in a burst of deactivations, the few since the previous
/// one), not the tenant's history. The same sum runs backwards when `w` is earlier than `w0` (a
/// request stamped earlier that commits later). Without a count kept (never counted, or dropped
/// by migration 0020's triggers because the history at or before `w0` changed since), it counts
/// the whole history, as the roster does (`reports::roster_counts`). The kept count is a fact
/// about a time, whatever the guard's settings: changing the window, the percentage or the
/// minimum leaves it true.
fn count(scope: Scope<'_>, at: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let at = q.bind(at).to_string();
    let w = window_start(&at, "tenants");
    let w0 = "tenants.guard_counted_at";
    let (x_gone, x_eligible) = (gone("x"), eligible("x"));
    let whole = format!(
        "(SELECT count(*) FROM (SELECT s.kind AS kind, s.active AS active, s.hold AS hold, max(s.seq) \
          FROM activation s WHERE s.tenant_id = tenants.id AND s.at <= {w} GROUP BY s.user_id) x \
          WHERE NOT {x_gone} AND {x_eligible})"
    );
    let (then, before) = (
        eligible_at("tenants.id", "c.user_id", &w),
        eligible_at("tenants.id", "c.user_id", w0),
    );
    let changed = format!(
        "(SELECT coalesce(sum({then} - {before}), 0) FROM (SELECT DISTINCT s.user_id AS user_id \
          FROM activation s INDEXED BY activation_by_time WHERE s.tenant_id = tenants.id \
          AND s.at > min({w}, {w0}) AND s.at <= max({w}, {w0})) c)"
    );
    q.stmt(format!(
        "UPDATE tenants SET guard_counted_at = {w}, \
         guard_counted = CASE WHEN {w0} IS NULL THEN {whole} ELSE tenants.guard_counted + {changed} END \
         WHERE id = {tenant} AND coalesce(guard_enabled, 1) = 1 \
         AND NOT EXISTS (SELECT 1 FROM guard_trips o WHERE o.tenant_id = tenants.id AND o.ended_at IS NULL) \
         AND (SELECT count(DISTINCT a.user_id) FROM activation a INDEXED BY activation_losses \
              WHERE a.tenant_id = tenants.id AND a.loss = 1 AND a.at > {w} AND a.hold IS NULL) \
             >= coalesce(guard_minimum, {DEFAULT_MINIMUM})"
    ))
}

/// What every write that may lose an employee adds to its batch, after its history row: the
/// count of the eligible (`count`), the trip check (and its activity-log entry), then the holds
/// of an open trip (see the module doc).
pub fn check<'s>(scope: impl Into<Scope<'s>>, by: &Actor<'_>) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let counted = count(scope, by.at);
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (at, rid) = (q.bind(by.at), q.bind(by.request_id));
    let window_start = window_start(&at.to_string(), "tn");
    let auto_days = format!("coalesce(tn.guard_auto_apply_days, {DEFAULT_AUTO_APPLY_DAYS})");
    let auto_apply_at = format!(
        "CASE WHEN {auto_days} = 0 THEN NULL ELSE {} END",
        shifted(&at.to_string(), &format!("'+' || {auto_days} || ' days'"))
    );
    // The count is the one the statement before kept at this window's start; it kept none when
    // the losses are under the minimum, and then there is no trip either.
    let trip = q.stmt(format!(
        "INSERT INTO guard_trips (tenant_id, tripped_at, request_id, window_start, losses, eligible_before, \
         clients, auto_apply_at) \
         SELECT c.tenant_id, {at}, {rid}, c.window_start, c.losses, c.eligible, \
         (SELECT json_group_array(k.client) FROM (SELECT DISTINCT e.client AS client FROM activity e \
          WHERE e.at > c.window_start AND e.tenant_id = c.tenant_id AND e.client IS NOT NULL \
          AND e.operation IN ('deactivate', 'delete') AND e.status < 300) k), c.auto_apply_at \
         FROM (SELECT w.*, CASE WHEN w.counted_at = w.window_start THEN w.counted END AS eligible \
               FROM (SELECT tn.id AS tenant_id, {window_start} AS window_start, {auto_apply_at} AS auto_apply_at, \
                     tn.guard_counted_at AS counted_at, tn.guard_counted AS counted, \
                     coalesce(tn.guard_percent, {DEFAULT_PERCENT}) AS percent, \
                     coalesce(tn.guard_minimum, {DEFAULT_MINIMUM}) AS minimum, \
                     (SELECT count(DISTINCT a.user_id) FROM activation a INDEXED BY activation_losses \
                      WHERE a.tenant_id = tn.id \
                      AND a.loss = 1 AND a.at > {window_start} AND a.hold IS NULL) AS losses \
                     FROM tenants tn WHERE tn.id = {tenant} AND coalesce(tn.guard_enabled, 1) = 1 \
                     AND NOT EXISTS (SELECT 1 FROM guard_trips o WHERE o.tenant_id = tn.id AND o.ended_at IS NULL)) w \
              ) c \
         WHERE c.losses >= c.minimum AND c.losses * 100 > c.percent * c.eligible"
    ));

    // The trip's entry in the activity log, once (a write retried after a lost race runs its
    // batch again).
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let token = q.token_id(scope);
    let (at, rid, client) = (q.bind(by.at), q.bind(by.request_id), q.bind(by.client));
    let logged = q.stmt(format!(
        "INSERT INTO activity (tenant_id, at, request_id, operation, user_id, user_name, status, detail, \
         changes, client, token_id) \
         SELECT g.tenant_id, {at}, {rid}, 'guard', NULL, NULL, 200, \
         'The eligibility guard tripped: ' || g.losses || ' of the ' || g.eligible_before || \
         ' employees eligible at ' || g.window_start || ' left eligibility since then. Their changes are held \
         (they stay eligible for surveys) until an admin applies or dismisses them' || \
         CASE WHEN g.auto_apply_at IS NULL THEN '' ELSE '; they apply by themselves at ' || g.auto_apply_at END, \
         NULL, {client}, {token} \
         FROM guard_trips g WHERE g.tenant_id = {tenant} AND g.ended_at IS NULL AND g.request_id = {rid} \
         AND NOT EXISTS (SELECT 1 FROM activity e WHERE e.tenant_id = g.tenant_id AND e.operation = 'guard' \
                         AND e.request_id = {rid})"
    ));

    let open = |q: &mut Sql, column: &str| {
        let tenant = q.tenant(scope);
        format!(
            "(SELECT o.{column} FROM guard_trips o WHERE o.tenant_id = {tenant} AND o.ended_at IS NULL)"
        )
    };
    // The undecided losses since the open trip's window start: held, or cleared at once when the
    // employee was reactivated or restored since.
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let since = open(&mut q, "window_start");
    let newly_held = format!(
        "h.tenant_id = {tenant} AND h.loss = 1 AND h.hold IS NULL AND h.at > {since} \
         AND NOT EXISTS (SELECT 1 FROM activation l WHERE l.tenant_id = h.tenant_id AND l.user_id = h.user_id \
         AND l.seq > h.seq AND l.kind IN ('reactivate', 'restore'))"
    );
    let text = outbox::guard_events(
        &mut q,
        &by.emitter(),
        EventType::Held,
        &newly_held,
        true,
        true,
    );
    let held_events = q.stmt(text);
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (since, trip_id) = (open(&mut q, "window_start"), open(&mut q, "id"));
    let losses = q.stmt(format!(
        "UPDATE activation INDEXED BY activation_losses SET trip_id = {trip_id}, hold = CASE WHEN EXISTS (SELECT 1 FROM activation l \
           WHERE l.tenant_id = activation.tenant_id AND l.user_id = activation.user_id AND l.seq > activation.seq \
           AND l.kind IN ('reactivate', 'restore')) THEN 'cleared' ELSE 'held' END \
         WHERE tenant_id = {tenant} AND loss = 1 AND hold IS NULL AND at > {since}"
    ));
    // A deletion that follows a held deactivation goes with it.
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let since = open(&mut q, "window_start");
    let rows = format!(
        "h.tenant_id = {tenant} AND h.kind = 'delete' AND h.hold IS NULL AND h.at > {since} \
         AND (SELECT p.hold FROM activation p WHERE p.tenant_id = h.tenant_id \
              AND p.user_id = h.user_id AND p.seq < h.seq ORDER BY p.seq DESC LIMIT 1) = 'held'"
    );
    let text = outbox::guard_events(&mut q, &by.emitter(), EventType::Held, &rows, true, true);
    let deletion_events = q.stmt(text);
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (since, trip_id) = (open(&mut q, "window_start"), open(&mut q, "id"));
    let deletions = q.stmt(format!(
        "UPDATE activation SET hold = 'held', trip_id = {trip_id} \
         WHERE tenant_id = {tenant} AND kind = 'delete' AND hold IS NULL AND at > {since} \
         AND (SELECT p.hold FROM activation p WHERE p.tenant_id = activation.tenant_id \
              AND p.user_id = activation.user_id AND p.seq < activation.seq ORDER BY p.seq DESC LIMIT 1) = 'held'"
    ));
    // Held deletions are not purged.
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let parked = q.bind(PARKED);
    let trip_id = open(&mut q, "id");
    let parking = q.stmt(format!(
        "UPDATE deleted_users SET purge_at = {parked} WHERE {trip_id} IS NOT NULL AND tenant_id = {tenant} \
         AND purge_at <> {parked} AND id IN (SELECT h.user_id FROM activation h WHERE h.tenant_id = {tenant} \
         AND h.hold = 'held' AND h.kind = 'delete')"
    ));
    vec![
        counted,
        trip,
        logged,
        held_events,
        losses,
        deletion_events,
        deletions,
        parking,
    ]
}

/// How a hold ends without being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The IdP reactivated, or an admin restored, the employee.
    Cleared,
    /// An admin kept the employee eligible.
    Dismissed,
}

impl Settled {
    fn hold(self) -> &'static str {
        match self {
            Settled::Cleared => "cleared",
            Settled::Dismissed => "dismissed",
        }
    }
}

/// Ends the holds of one employee, only if the user row carries `write_id` (the write that
/// reactivated or restored it took effect); then [`end_trips`] belongs in the same batch.
pub fn settle<'s>(
    scope: impl Into<Scope<'s>>,
    user: &UserId,
    write_id: &crate::model::WriteId,
    how: Settled,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (user, write_id, hold) = (q.bind(user), q.bind(write_id), q.bind(how.hold()));
    q.stmt(format!(
        "UPDATE activation SET hold = {hold} WHERE tenant_id = {tenant} AND user_id = {user} AND hold = 'held' \
         AND EXISTS (SELECT 1 FROM users w WHERE w.tenant_id = {tenant} AND w.id = {user} AND w.write_id = {write_id})"
    ))
}

/// Marks the restore row a dismissal wrote (the employee restored in the state it had, perhaps
/// inactive) as dismissed: eligible, overridden.
pub fn dismissed_restore<'s>(
    scope: impl Into<Scope<'s>>,
    user: &UserId,
    write_id: &crate::model::WriteId,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (user, write_id) = (q.bind(user), q.bind(write_id));
    q.stmt(format!(
        "UPDATE activation SET hold = 'dismissed' WHERE seq = (SELECT max(a.seq) FROM activation a \
         WHERE a.tenant_id = {tenant} AND a.user_id = {user} AND a.kind = 'restore') \
         AND EXISTS (SELECT 1 FROM users w WHERE w.tenant_id = {tenant} AND w.id = {user} AND w.write_id = {write_id})"
    ))
}

/// Ends the tenant's open trip once nothing of the tenant is held.
pub fn end_trips<'s>(scope: impl Into<Scope<'s>>, at: Timestamp) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let at = q.bind(at);
    q.stmt(format!(
        "UPDATE guard_trips SET ended_at = {at} WHERE tenant_id = {tenant} AND ended_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM activation h WHERE h.tenant_id = {tenant} AND h.hold = 'held')"
    ))
}

/// Which held losses a decision takes: all of the tenant's, or those of some employees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection<'a> {
    All,
    /// A JSON array of user ids.
    Users(&'a str),
}

impl Selection<'_> {
    fn condition(&self, q: &mut Sql, user_column: &str) -> String {
        match self {
            Selection::All => String::new(),
            Selection::Users(ids) => format!(
                " AND {user_column} IN (SELECT value FROM json_each({}))",
                q.bind(*ids)
            ),
        }
    }
}

/// Held deletions are dismissed by restoring the employee (`app::admin_api::guard`), not here.
fn not_deleted(tenant: &str, column: &str) -> String {
    format!(
        " AND {column} NOT IN (SELECT d.user_id FROM activation d WHERE d.tenant_id = {tenant} \
         AND d.hold = 'held' AND d.kind = 'delete')"
    )
}

/// The activity-log entries of a decision: one per held change it takes, `operation` `apply`
/// or `dismiss`, no token; a dismissal's leave out the employees whose deletion is held.
fn decision_entries(
    tenant: &TenantId,
    selection: Selection<'_>,
    operation: &str,
    by: &Actor<'_>,
) -> Stmt {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let (at, rid, client, op) = (
        q.bind(by.at),
        q.bind(by.request_id),
        q.bind(by.client),
        q.bind(operation),
    );
    let selected = selection.condition(&mut q, "h.user_id");
    let only = if operation == "dismiss" {
        not_deleted(&t.to_string(), "h.user_id")
    } else {
        String::new()
    };
    q.stmt(format!(
        "INSERT INTO activity (tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, \
         client, token_id) \
         SELECT h.tenant_id, {at}, {rid}, {op}, h.user_id, h.user_name, 200, \
         'held ' || CASE h.kind WHEN 'delete' THEN 'deletion' ELSE 'deactivation' END || ' received ' || h.at, \
         NULL, {client}, NULL \
         FROM activation h WHERE h.tenant_id = {t} AND h.hold = 'held'{selected}{only} ORDER BY h.seq"
    ))
}

/// Applies the selected held losses: they count from the times they were received; a held
/// deletion's retention starts now. Logged (`apply`), and the trip ends if nothing is left held.
pub fn apply(tenant: &TenantId, selection: Selection<'_>, by: &Actor<'_>) -> Vec<Stmt> {
    let log = decision_entries(tenant, selection, "apply", by);
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let selected = selection.condition(&mut q, "h.user_id");
    let rows = format!("h.tenant_id = {t} AND h.hold = 'held'{selected}");
    let text = outbox::guard_events(
        &mut q,
        &by.emitter(),
        EventType::HoldApplied,
        &rows,
        false,
        false,
    );
    let events = q.stmt(text);
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let at = q.bind(by.at);
    let purge_at = purge_time(&at.to_string(), &t.to_string());
    let selected = selection.condition(&mut q, "h.user_id");
    let retention = q.stmt(format!(
        "UPDATE deleted_users SET purge_at = {purge_at} WHERE tenant_id = {t} AND id IN \
         (SELECT h.user_id FROM activation h WHERE h.tenant_id = {t} AND h.hold = 'held' AND h.kind = 'delete'{selected})"
    ));
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let selected = selection.condition(&mut q, "user_id");
    let applied = q.stmt(format!(
        "UPDATE activation SET hold = 'applied' WHERE tenant_id = {t} AND hold = 'held'{selected}"
    ));
    vec![
        log,
        events,
        retention,
        applied,
        end_trips(Scope::Tenant(tenant), by.at),
    ]
}

/// Dismisses the selected held deactivations of employees whose deletion is not held (a held
/// deletion is dismissed by restoring the employee, `app::admin_api::guard`): they stay
/// eligible, overridden. Logged (`dismiss`).
pub fn dismiss_deactivations(
    tenant: &TenantId,
    selection: Selection<'_>,
    by: &Actor<'_>,
) -> Vec<Stmt> {
    let log = decision_entries(tenant, selection, "dismiss", by);
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let selected = selection.condition(&mut q, "h.user_id");
    let only = not_deleted(&t.to_string(), "h.user_id");
    let rows = format!("h.tenant_id = {t} AND h.hold = 'held'{selected}{only}");
    let text = outbox::guard_events(
        &mut q,
        &by.emitter(),
        EventType::HoldDismissed,
        &rows,
        true,
        false,
    );
    let events = q.stmt(text);
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let selected = selection.condition(&mut q, "user_id");
    let only = not_deleted(&t.to_string(), "user_id");
    let dismissed = q.stmt(format!(
        "UPDATE activation SET hold = 'dismissed' WHERE tenant_id = {t} AND hold = 'held'{selected}{only}"
    ));
    vec![
        log,
        events,
        dismissed,
        end_trips(Scope::Tenant(tenant), by.at),
    ]
}

/// A trip of the guard.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub id: i64,
    pub tripped_at: Timestamp,
    pub request_id: String,
    pub window_start: Timestamp,
    pub losses: i64,
    pub eligible_before: i64,
    /// The IdP clients (User-Agent) behind the window's deactivations and deletions.
    pub clients: Vec<String>,
    pub auto_apply_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
}

impl FromRow for Trip {
    fn from_row(row: &Row) -> Result<Trip, StoreError> {
        let c = Columns(row);
        let clients: Vec<String> = serde_json::from_str(c.text("clients")?)
            .map_err(|e| StoreError::Internal(format!("column clients: {e}")))?;
        Ok(Trip {
            id: c.int("id")?,
            tripped_at: c.time("tripped_at")?,
            request_id: c.text("request_id")?.to_string(),
            window_start: c.time("window_start")?,
            losses: c.int("losses")?,
            eligible_before: c.int("eligible_before")?,
            clients,
            auto_apply_at: c.opt_time("auto_apply_at")?,
            ended_at: c.opt_time("ended_at")?,
        })
    }
}

const TRIP_COLUMNS: &str =
    "id, tripped_at, request_id, window_start, losses, eligible_before, clients, \
     auto_apply_at, ended_at";

/// The tenant's latest trips, newest first (the open one, if any, is the first).
pub fn trips(tenant: &TenantId, limit: i64) -> Query<Vec<Trip>> {
    let mut q = Sql::new();
    let (t, limit) = (q.bind(tenant), q.bind(limit));
    Query::all(q.stmt(format!(
        "SELECT {TRIP_COLUMNS} FROM guard_trips WHERE tenant_id = {t} ORDER BY id DESC LIMIT {limit}"
    )))
}

/// A held change.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub user_id: UserId,
    pub user_name: Option<String>,
    /// `deactivate` or `delete`.
    pub kind: String,
    /// When it was received.
    pub at: Timestamp,
}

impl FromRow for Held {
    fn from_row(row: &Row) -> Result<Held, StoreError> {
        let c = Columns(row);
        Ok(Held {
            user_id: UserId::new(c.text("user_id")?),
            user_name: c.opt_text("user_name")?.map(str::to_string),
            kind: c.text("kind")?.to_string(),
            at: c.time("at")?,
        })
    }
}

/// Up to `limit` of the tenant's held changes, in the order received.
pub fn held(tenant: &TenantId, limit: i64) -> Query<Vec<Held>> {
    let mut q = Sql::new();
    let (t, limit) = (q.bind(tenant), q.bind(limit));
    Query::all(q.stmt(format!(
        "SELECT user_id, user_name, kind, at FROM activation WHERE tenant_id = {t} AND hold = 'held' \
         ORDER BY seq LIMIT {limit}"
    )))
}

/// How many employees have a held change.
pub fn held_count(tenant: &TenantId) -> Query<i64> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    Query::count(q.stmt(format!(
        "SELECT count(DISTINCT user_id) AS n FROM activation WHERE tenant_id = {t} AND hold = 'held'"
    )))
}

/// The selected employees whose deletion is held (a dismissal restores them), at most `limit`.
pub fn held_deletions(
    tenant: &TenantId,
    selection: Selection<'_>,
    limit: i64,
) -> Query<Vec<UserId>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let selected = selection.condition(&mut q, "user_id");
    let limit = q.bind(limit);
    Query::new(
        q.stmt(format!(
            "SELECT user_id FROM activation WHERE tenant_id = {t} AND hold = 'held' AND kind = 'delete'{selected} \
             ORDER BY seq LIMIT {limit}"
        )),
        |rows| {
            rows.iter()
                .map(|r| Ok(UserId::new(Columns(r).text("user_id")?)))
                .collect()
        },
    )
}

/// Up to `limit` open trips whose held changes apply by themselves at `now`.
pub fn due_trips(now: Timestamp, limit: i64) -> Query<Vec<TenantId>> {
    let mut q = Sql::new();
    let (now, limit) = (q.bind(now), q.bind(limit));
    Query::new(
        q.stmt(format!(
            "SELECT tenant_id FROM guard_trips WHERE ended_at IS NULL AND auto_apply_at <= {now} \
             ORDER BY auto_apply_at LIMIT {limit}"
        )),
        |rows| {
            rows.iter()
                .map(|r| Ok(TenantId::new(Columns(r).text("tenant_id")?)))
                .collect()
        },
    )
}
