//! SQL of recoverable deletes (DESIGN §4): a SCIM DELETE moves the employee out of `users` into
//! `deleted_users` and holds the references other employees had to it; a restore (a write of
//! the user row through `store::users`, plus what this room adds) brings both back; the purge
//! erases what is personal for good. Also the admin's list of deleted employees.
//!
//! **References.** An employee-type attribute of X that names the deleted D keeps its
//! `employee_refs` row (target D), and its value leaves X's documents into the row's `held`
//! columns: X shows nothing for it and no filter finds it. A restore puts the held values back;
//! the purge drops the rows. X's version moves on at each of these changes. D's own references
//! stay as they were, in its kept document and its rows.
//!
//! **Purge.** The resource, its emails and the references go; the activation history keeps the
//! id and the times (so the roster of a past time still counts the employee) with the names and
//! emails erased; the activity log keeps its entries with the names and changes erased, plus one
//! `purge` entry. A purge takes a *selection*: one employee, or up to a number of a tenant's
//! employees due (past their `purge_at`); every statement of its batch reads the same selection.
//! A held deletion (`store::guard`) is never due; purged by an admin, its hold counts as applied.

use super::batch::{Columns, FromRow, Query};
use super::builder::{Param, Scope, Sql};
use super::deletion_clock::purge_time;
use super::eligibility;
use super::guard;
use super::outbox::{self, Emitter};
use super::substrings;
use super::{After, Row, Stmt, StoreError};
use crate::model::{TenantId, UserId, WriteId};
use crate::scim::datetime::Timestamp;
use crate::scim::schema::TENANT_USER;

/// Who deleted, when, and under which condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deletion<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
    pub client: Option<&'a str>,
    /// Only if the user is still at this version (If-Match).
    pub version: Option<i64>,
}

/// The JSON path of the tenant attribute `attribute` (an SQL expression) in a user document.
fn tenant_attribute_path(q: &mut Sql, attribute: &str) -> String {
    let prefix = q.bind(format!("$.\"{TENANT_USER}\".\""));
    format!("{prefix} || {attribute} || '\"'")
}

/// Deletes a user for SCIM (DESIGN §4): records the deletion in the history, holds the
/// references to it, drops its emails and its share of the tenant's usage, and moves the row to
/// `deleted_users` with who deleted it and when it will be purged. Every statement applies only
/// while the user exists (at `d.version`, if given), so the batch is the delete or nothing.
/// The history row keeps the user's name, email and folded name: the roster of earlier times
/// names and orders them by it (`store::reports`).
pub fn delete_user<'s>(scope: impl Into<Scope<'s>>, id: &UserId, d: &Deletion<'_>) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    // Each statement: its builder, the tenant, the id, and the version condition on `u`.
    let start = || {
        let mut q = Sql::new();
        let tenant = q.tenant(scope);
        let id_param = q.bind(id);
        let only_at = match d.version {
            Some(v) => format!(" AND u.version = {}", q.bind(v)),
            None => String::new(),
        };
        (q, tenant, id_param, only_at)
    };
    let exists = |tenant: &str, id: Param, only_at: &str| {
        format!(
            "EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = {tenant} AND u.id = {id}{only_at})"
        )
    };
    let (mut q, tenant, id_p, only_at) = start();
    let at_p = q.bind(d.at);
    let history = q.stmt(format!(
        "INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, email, user_name_fold, search, loss) \
         SELECT u.tenant_id, u.id, {at_p}, 'delete', 0, u.user_name, u.email, u.user_name_fold, u.search, {} FROM users u \
         WHERE u.tenant_id = {tenant} AND u.id = {id_p}{only_at}",
        eligibility::deletion_loss("u")
    ));
    // The values that named it, held (as sent, and folded) before they leave the documents.
    let (mut q, tenant, id_p, only_at) = start();
    let path = tenant_attribute_path(&mut q, "employee_refs.attribute_id");
    let of_holder =
        "FROM users x WHERE x.tenant_id = employee_refs.tenant_id AND x.id = employee_refs.user_id";
    let hold = q.stmt(format!(
        "UPDATE employee_refs SET \
         held = (SELECT json_extract(x.resource, {path}) {of_holder}), \
         held_fold = (SELECT json_extract(x.folded, {path}) {of_holder}) \
         WHERE tenant_id = {tenant} AND target_id = {id_p} AND user_id <> {id_p} AND {}",
        exists(&tenant, id_p, &only_at)
    ));
    // Their holders' events (`employee.updated`: the value left), while the values are held.
    let (mut q, tenant, id_p, only_at) = start();
    let by = Emitter {
        at: d.at,
        request_id: d.request_id,
    };
    let condition = exists(&tenant, id_p, &only_at);
    let text = outbox::reference_events(&mut q, &by, &tenant, id_p, true, &condition);
    let holders_events = q.stmt(text);
    // ... and leave them (a JSON merge patch of nulls); their version moves on.
    let (mut q, tenant, id_p, only_at) = start();
    let (at_p, urn) = (q.bind(d.at), q.bind(TENANT_USER));
    let nulls = format!(
        "json((SELECT json_group_object(r.attribute_id, NULL) FROM employee_refs r \
         WHERE r.tenant_id = users.tenant_id AND r.user_id = users.id AND r.target_id = {id_p}))"
    );
    let references = q.stmt(format!(
        "UPDATE users SET \
         resource = json_patch(resource, json_object({urn}, {nulls})), \
         folded = json_patch(folded, json_object({urn}, {nulls})), \
         version = version + 1, last_modified = {at_p} \
         WHERE tenant_id = {tenant} AND id <> {id_p} \
         AND id IN (SELECT user_id FROM employee_refs WHERE tenant_id = {tenant} AND target_id = {id_p}) \
         AND {}",
        exists(&tenant, id_p, &only_at)
    ));
    let (q, tenant, id_p, only_at) = start();
    let emails = q.stmt(format!(
        "DELETE FROM user_emails WHERE tenant_id = {tenant} AND user_id = {id_p} AND {}",
        exists(&tenant, id_p, &only_at)
    ));
    let (q, tenant, id_p, only_at) = start();
    let usage = q.stmt(format!(
        "UPDATE tenants SET employees = employees - 1, stored_bytes = stored_bytes - \
         (SELECT u.size FROM users u WHERE u.tenant_id = {tenant} AND u.id = {id_p}) \
         WHERE id = {tenant} AND {}",
        exists(&tenant, id_p, &only_at)
    ));
    let (mut q, tenant, id_p, only_at) = start();
    let (at_p, request_id, client) = (q.bind(d.at), q.bind(d.request_id), q.bind(d.client));
    let token = q.token_id(scope);
    let purge_at = purge_time(&at_p.to_string(), "u.tenant_id");
    let keep = q.stmt(format!(
        "INSERT OR REPLACE INTO deleted_users (tenant_id, id, resource, version, created, user_name, email, \
         active, deleted_at, purge_at, request_id, token_id, client) \
         SELECT u.tenant_id, u.id, u.resource, u.version, u.created, u.user_name, u.email, u.active, \
         {at_p}, {purge_at}, {request_id}, {token}, {client} \
         FROM users u WHERE u.tenant_id = {tenant} AND u.id = {id_p}{only_at}"
    ));
    let (q, tenant, id_p, only_at) = start();
    let user = q.stmt(format!(
        "DELETE FROM users AS u WHERE u.tenant_id = {tenant} AND u.id = {id_p}{only_at}"
    ));
    vec![
        history,
        hold,
        holders_events,
        references,
        emails,
        usage,
        keep,
        user,
    ]
}

/// A deleted employee, as the admin API lists it and a restore reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedUser {
    pub id: UserId,
    /// The canonical document, as it was when deleted.
    pub resource: serde_json::Value,
    pub version: i64,
    pub created: Timestamp,
    pub user_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub deleted_at: Timestamp,
    pub purge_at: Timestamp,
    /// The request that deleted it, and the token and client it came with.
    pub request_id: String,
    pub token_id: Option<String>,
    pub client: Option<String>,
}

impl FromRow for DeletedUser {
    fn from_row(row: &Row) -> Result<DeletedUser, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        Ok(DeletedUser {
            id: UserId::new(c.text("id")?),
            resource: c
                .json("resource")?
                .ok_or_else(|| StoreError::Internal("column resource: NULL".into()))?,
            version: c.int("version")?,
            created: c.time("created")?,
            user_name: c.text("user_name")?.to_string(),
            email: owned("email")?,
            active: c.flag("active")?,
            deleted_at: c.time("deleted_at")?,
            purge_at: c.time("purge_at")?,
            request_id: c.text("request_id")?.to_string(),
            token_id: owned("token_id")?,
            client: owned("client")?,
        })
    }
}

const DELETED_COLUMNS: &str =
    "id, resource, version, created, user_name, email, active, deleted_at, \
     purge_at, request_id, token_id, client";

/// One deleted employee of `tenant`, if it is still kept.
pub fn get_deleted(tenant: &TenantId, id: &UserId) -> Query<Option<DeletedUser>> {
    let mut q = Sql::new();
    let (t, id) = (q.bind(tenant), q.bind(id));
    Query::first(q.stmt(format!(
        "SELECT {DELETED_COLUMNS} FROM deleted_users WHERE tenant_id = {t} AND id = {id}"
    )))
}

/// A page of `tenant`'s deleted employees, the latest deleted first (index
/// `deleted_users_by_time`, walked backwards), after `after` (its `created` is a `deleted_at`).
pub fn list_deleted(
    tenant: &TenantId,
    after: Option<&After>,
    limit: i64,
) -> Query<Vec<DeletedUser>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let after = match after {
        None => String::new(),
        Some(a) => {
            let (at, id) = (q.bind(a.created), q.bind(a.id.as_str()));
            format!(" AND (deleted_at < {at} OR (deleted_at = {at} AND id < {id}))")
        }
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT {DELETED_COLUMNS} FROM deleted_users WHERE tenant_id = {t}{after} \
         ORDER BY deleted_at DESC, id DESC LIMIT {limit}"
    )))
}

/// The tenant's count of deleted employees kept now.
pub fn count_deleted(tenant: &TenantId) -> Query<i64> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM deleted_users WHERE tenant_id = {t}"
    )))
}

/// What a restore adds to the write that puts the user row back (`store::users::insert_user`
/// with `UserWrite::restoring`), each only if that write took effect: the references other
/// employees had to it come back into their documents (their version moves on, and each
/// holder has an `employee.updated` event), and the deleted row goes.
pub fn restore_follow_up<'s>(
    scope: impl Into<Scope<'s>>,
    id: &UserId,
    write_id: &WriteId,
    by: &Emitter<'_>,
) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let at = by.at;
    let start = || {
        let mut q = Sql::new();
        let tenant = q.tenant(scope);
        let (id_p, write_p) = (q.bind(id), q.bind(write_id));
        let written = format!(
            "EXISTS (SELECT 1 FROM users w WHERE w.tenant_id = {tenant} AND w.id = {id_p} AND w.write_id = {write_p})"
        );
        (q, tenant, id_p, written)
    };
    let (mut q, tenant, id_p, written) = start();
    let (at_p, urn) = (q.bind(at), q.bind(TENANT_USER));
    let held = |column: &str| {
        format!(
            "(SELECT json_group_object(r.attribute_id, r.{column}) FROM employee_refs r \
             WHERE r.tenant_id = users.tenant_id AND r.user_id = users.id AND r.target_id = {id_p} \
             AND r.held IS NOT NULL)"
        )
    };
    let references = q.stmt(format!(
        "UPDATE users SET \
         resource = json_patch(resource, json_object({urn}, json({}))), \
         folded = json_patch(folded, json_object({urn}, json({}))), \
         version = version + 1, last_modified = {at_p} \
         WHERE tenant_id = {tenant} AND id <> {id_p} \
         AND id IN (SELECT user_id FROM employee_refs WHERE tenant_id = {tenant} AND target_id = {id_p} \
         AND held IS NOT NULL) AND {written}",
        held("held"),
        held("held_fold"),
    ));
    // Their holders' events (`employee.updated`: the value came back), while still held.
    let (mut q, tenant, id_p, written) = start();
    let text = outbox::reference_events(&mut q, by, &tenant, id_p, false, &written);
    let holders_events = q.stmt(text);
    let (q, tenant, id_p, written) = start();
    let released = q.stmt(format!(
        "UPDATE employee_refs SET held = NULL, held_fold = NULL \
         WHERE tenant_id = {tenant} AND target_id = {id_p} AND held IS NOT NULL AND {written}"
    ));
    let (q, tenant, id_p, written) = start();
    let kept = q.stmt(format!(
        "DELETE FROM deleted_users WHERE tenant_id = {tenant} AND id = {id_p} AND {written}"
    ));
    vec![references, holders_events, released, kept]
}

/// The condition `insert_user` adds to a restore: the deleted row is still there at the
/// version the restore read (not restored or purged meanwhile).
pub fn still_deleted(q: &mut Sql, tenant: &str, id: &UserId, version: i64) -> String {
    format!(
        "EXISTS (SELECT 1 FROM deleted_users d WHERE d.tenant_id = {tenant} AND d.id = {} AND d.version = {})",
        q.bind(id),
        q.bind(version)
    )
}

/// Which deleted employees a purge erases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Purging<'a> {
    /// This one (an admin's "purge now").
    One(&'a UserId),
    /// Up to `limit` of the tenant's whose `purge_at` is at or before `now`, the earliest due
    /// first (index `deleted_users_due_by_tenant`).
    Due { now: Timestamp, limit: i64 },
}

impl Purging<'_> {
    /// The selection's ids, as a subquery.
    fn ids(&self, q: &mut Sql, tenant: &str) -> String {
        match *self {
            Purging::One(id) => format!(
                "SELECT id FROM deleted_users WHERE tenant_id = {tenant} AND id = {}",
                q.bind(id)
            ),
            Purging::Due { now, limit } => format!(
                "SELECT id FROM deleted_users WHERE tenant_id = {tenant} AND purge_at <= {} \
                 ORDER BY purge_at, id LIMIT {}",
                q.bind(now),
                q.bind(limit)
            ),
        }
    }
}

/// Who purges: for the activity log's `purge` entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Purger<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
    /// `"retention"` for the Cron Trigger.
    pub client: &'a str,
}

/// How many deleted employees the purge of `selection` erases (read in its batch, before it).
pub fn purge_count(tenant: &TenantId, selection: Purging<'_>) -> Query<i64> {
    let mut q = Sql::new();
    let t = q.tenant(Scope::Tenant(tenant));
    let ids = selection.ids(&mut q, &t);
    Query::count(q.stmt(format!("SELECT count(*) AS n FROM ({ids})")))
}

/// Erases the selected deleted employees of `tenant` for good (DESIGN §4): see the module doc.
/// One `purge` entry each in the activity log (no token; status 200), written first, and one
/// `employee.purged` event each (naming nobody; their earlier events' names are erased too).
pub fn purge(tenant: &TenantId, selection: Purging<'_>, by: &Purger<'_>) -> Vec<Stmt> {
    let scope = Scope::Tenant(tenant);
    let start = || {
        let mut q = Sql::new();
        let t = q.tenant(scope);
        let ids = selection.ids(&mut q, &t);
        (q, t, ids)
    };
    let (mut q, t, ids) = start();
    let (at, request_id, client) = (q.bind(by.at), q.bind(by.request_id), q.bind(by.client));
    let log = q.stmt(format!(
        "INSERT INTO activity (tenant_id, at, request_id, operation, user_id, user_name, status, detail, \
         changes, client, token_id) \
         SELECT d.tenant_id, {at}, {request_id}, 'purge', d.id, NULL, 200, \
         'deleted ' || d.deleted_at || '; personal data erased', NULL, {client}, NULL \
         FROM deleted_users d WHERE d.tenant_id = {t} AND d.id IN ({ids})"
    ));
    let emitter = Emitter {
        at: by.at,
        request_id: by.request_id,
    };
    let (mut q, t, ids) = start();
    let text = outbox::purge_events(&mut q, &emitter, &t, &ids);
    let purged_events = q.stmt(text);
    let (q, t, ids) = start();
    let erased_events = q.stmt(outbox::erase_events(&t, &ids));
    let (mut q, t, ids) = start();
    let at = q.bind(by.at);
    let holders = q.stmt(format!(
        "UPDATE users SET version = version + 1, last_modified = {at} WHERE tenant_id = {t} AND id IN \
         (SELECT user_id FROM employee_refs WHERE tenant_id = {t} AND target_id IN ({ids}) AND held IS NOT NULL)"
    ));
    let (q, t, ids) = start();
    let references = q.stmt(format!(
        "DELETE FROM employee_refs WHERE tenant_id = {t} AND (target_id IN ({ids}) OR user_id IN ({ids}))"
    ));
    let (q, t, ids) = start();
    let history = q.stmt(format!(
        "UPDATE activation SET user_name = NULL, email = NULL, user_name_fold = '', search = NULL, \
         hold = CASE hold WHEN 'held' THEN 'applied' ELSE hold END \
         WHERE tenant_id = {t} AND user_id IN ({ids})"
    ));
    let (q, t, ids) = start();
    let log_entries = q.stmt(format!(
        "UPDATE activity SET user_name = NULL, detail = NULL, changes = NULL \
         WHERE tenant_id = {t} AND user_id IN ({ids}) AND operation <> 'purge'"
    ));
    // What the employees left in the substring index goes at its next compaction.
    let (q, t, ids) = start();
    let compaction = substrings::owe_compaction_if(
        q,
        &format!("EXISTS (SELECT 1 FROM deleted_users WHERE tenant_id = {t} AND id IN ({ids}))"),
        by.at,
    );
    let (q, t, ids) = start();
    let row = q.stmt(format!(
        "DELETE FROM deleted_users WHERE tenant_id = {t} AND id IN ({ids})"
    ));
    // A held deletion purged by an admin is decided: the guard's trip may end.
    let trips = guard::end_trips(scope, by.at);
    vec![
        log,
        purged_events,
        erased_events,
        holders,
        references,
        history,
        log_entries,
        compaction,
        row,
        trips,
    ]
}

/// The statements [`purge`] returns.
pub const PURGE_STATEMENTS: usize = 10;

/// Up to `limit` tenants with a deleted employee due at `now` (index `deleted_users_due`).
pub fn tenants_due(now: Timestamp, limit: i64) -> Query<Vec<TenantId>> {
    let mut q = Sql::new();
    let (now, limit) = (q.bind(now), q.bind(limit));
    Query::new(
        q.stmt(format!(
            "SELECT DISTINCT tenant_id FROM (SELECT tenant_id FROM deleted_users WHERE purge_at <= {now} \
             ORDER BY purge_at LIMIT 1000) LIMIT {limit}"
        )),
        |rows| {
            rows.iter()
                .map(|r| Ok(TenantId::new(Columns(r).text("tenant_id")?)))
                .collect()
        },
    )
}

/// Moves the purge time of `tenant`'s deleted employees to their deletion plus its retention
/// now (in the batch that changes the retention, after that change).
pub fn reschedule(tenant: &TenantId) -> Stmt {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let purge_at = purge_time("deleted_at", &t.to_string());
    q.stmt(format!(
        "UPDATE deleted_users SET purge_at = {purge_at} WHERE tenant_id = {t}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The erasure job budgets its statements by [`PURGE_STATEMENTS`] (D1's 1,000 a run).
    #[test]
    fn purge_returns_as_many_statements_as_it_says() {
        let tenant = TenantId::new("tnt_a");
        let by = Purger {
            at: Timestamp(0),
            request_id: "r",
            client: "c",
        };
        let id = UserId::new("u");
        for selection in [
            Purging::One(&id),
            Purging::Due {
                now: Timestamp(0),
                limit: 5,
            },
        ] {
            assert_eq!(purge(&tenant, selection, &by).len(), PURGE_STATEMENTS);
        }
    }
}
