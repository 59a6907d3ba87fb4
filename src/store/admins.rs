//! SQL of company admins (DESIGN §3, §7): sign-in links, the sessions they are exchanged for,
//! and the audit log of admin actions. Credentials are stored only as their SHA-256; a link is
//! used at most once (the exchange's batch claims it and creates the session together, or
//! neither); a session is valid while unrevoked, unexpired, and its tenant exists.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{After, Row, Stmt, StoreError};
use crate::model::{TenantId, TokenHash};
use crate::scim::datetime::Timestamp;

/// A new sign-in link.
pub struct NewLink<'a> {
    pub id: &'a str,
    pub tenant: &'a TenantId,
    pub hash: &'a TokenHash,
    pub email: &'a str,
    pub created: Timestamp,
    pub expires_at: Timestamp,
}

pub fn insert_link(l: &NewLink<'_>) -> Stmt {
    let mut q = Sql::new();
    let (id, t, hash, email, created, expires) = (
        q.bind(l.id),
        q.bind(l.tenant),
        q.bind(l.hash),
        q.bind(l.email),
        q.bind(l.created),
        q.bind(l.expires_at),
    );
    q.stmt(format!(
        "INSERT INTO sign_in_links (id, tenant_id, hash, email, created, expires_at) \
         VALUES ({id}, {t}, {hash}, {email}, {created}, {expires})"
    ))
}

/// A new session, for the link of hash `link`.
pub struct Exchange<'a> {
    pub link: &'a TokenHash,
    pub session_id: &'a str,
    pub session: &'a TokenHash,
    pub now: Timestamp,
    pub expires_at: Timestamp,
}

/// The exchange of a link for a session: the session is created from the link while the link
/// is unused, unexpired and its tenant exists; then the link is marked used (only if this
/// exchange created the session). Read the session back with [`session_by_id`].
pub fn exchange(e: &Exchange<'_>) -> Vec<Stmt> {
    let mut q = Sql::new();
    let (link, sid, hash, now, expires) = (
        q.bind(e.link),
        q.bind(e.session_id),
        q.bind(e.session),
        q.bind(e.now),
        q.bind(e.expires_at),
    );
    let create = q.stmt(format!(
        "INSERT INTO admin_sessions (id, tenant_id, hash, email, created, expires_at, link_id) \
         SELECT {sid}, l.tenant_id, {hash}, l.email, {now}, {expires}, l.id FROM sign_in_links l \
         JOIN tenants tn ON tn.id = l.tenant_id \
         WHERE l.hash = {link} AND l.used_at IS NULL AND l.expires_at > {now}"
    ));
    let mut q = Sql::new();
    let (link, sid, now) = (q.bind(e.link), q.bind(e.session_id), q.bind(e.now));
    let used = q.stmt(format!(
        "UPDATE sign_in_links SET used_at = {now} WHERE hash = {link} AND used_at IS NULL \
         AND EXISTS (SELECT 1 FROM admin_sessions s WHERE s.id = {sid} AND s.link_id = sign_in_links.id)"
    ));
    vec![create, used]
}

/// Why a link was not exchanged, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Unknown,
    Used,
    Expired,
    /// Its tenant was deleted.
    Orphaned,
    Usable,
}

pub fn link_state(link: &TokenHash, now: Timestamp) -> Query<LinkState> {
    let mut q = Sql::new();
    let (link, now) = (q.bind(link), q.bind(now));
    Query::new(
        q.stmt(format!(
            "SELECT CASE WHEN l.used_at IS NOT NULL THEN 'used' WHEN l.expires_at <= {now} THEN 'expired' \
             WHEN NOT EXISTS (SELECT 1 FROM tenants tn WHERE tn.id = l.tenant_id) THEN 'orphaned' \
             ELSE 'usable' END AS state FROM sign_in_links l WHERE l.hash = {link}"
        )),
        |rows| {
            Ok(match rows.first() {
                None => LinkState::Unknown,
                Some(r) => match Columns(r).text("state")? {
                    "used" => LinkState::Used,
                    "expired" => LinkState::Expired,
                    "orphaned" => LinkState::Orphaned,
                    _ => LinkState::Usable,
                },
            })
        },
    )
}

/// A session, as its holder and the admin API see it (never its secret, which is not stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub tenant_id: TenantId,
    pub email: String,
    pub created: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl FromRow for Session {
    fn from_row(row: &Row) -> Result<Session, StoreError> {
        let c = Columns(row);
        Ok(Session {
            id: c.text("id")?.to_string(),
            tenant_id: TenantId::new(c.text("tenant_id")?),
            email: c.text("email")?.to_string(),
            created: c.time("created")?,
            expires_at: c.time("expires_at")?,
            revoked_at: c.opt_time("revoked_at")?,
        })
    }
}

const SESSION_COLUMNS: &str = "s.id AS id, s.tenant_id AS tenant_id, s.email AS email, \
     s.created AS created, s.expires_at AS expires_at, s.revoked_at AS revoked_at";

pub fn session_by_id(id: &str) -> Query<Option<Session>> {
    let mut q = Sql::new();
    let id = q.bind(id);
    Query::first(q.stmt(format!(
        "SELECT {SESSION_COLUMNS} FROM admin_sessions s WHERE s.id = {id}"
    )))
}

/// The live session of this hash: unrevoked, unexpired at `now`, its tenant existing.
pub fn live_session(hash: &TokenHash, now: Timestamp) -> Query<Option<Session>> {
    let mut q = Sql::new();
    let (hash, now) = (q.bind(hash), q.bind(now));
    Query::first(q.stmt(format!(
        "SELECT {SESSION_COLUMNS} FROM admin_sessions s JOIN tenants tn ON tn.id = s.tenant_id \
         WHERE s.hash = {hash} AND s.revoked_at IS NULL AND s.expires_at > {now}"
    )))
}

/// A tenant's sessions, newest first (`After.created` is a session's creation).
pub fn list_sessions(tenant: &TenantId, after: Option<&After>, limit: i64) -> Query<Vec<Session>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let after = match after {
        None => String::new(),
        Some(a) => format!(
            " AND (s.created, s.id) < ({}, {})",
            q.bind(a.created),
            q.bind(a.id.as_str())
        ),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT {SESSION_COLUMNS} FROM admin_sessions s WHERE s.tenant_id = {t}{after} \
         ORDER BY s.created DESC, s.id DESC LIMIT {limit}"
    )))
}

/// Revokes one of a tenant's sessions (`Some(id)`) or all of them; those already revoked keep
/// their time.
pub fn revoke_sessions(tenant: &TenantId, id: Option<&str>, now: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (t, now) = (q.bind(tenant), q.bind(now));
    let one = match id {
        Some(id) => format!(" AND id = {}", q.bind(id)),
        None => String::new(),
    };
    q.stmt(format!(
        "UPDATE admin_sessions SET revoked_at = {now} WHERE tenant_id = {t}{one} AND revoked_at IS NULL"
    ))
}

/// Revokes the session of this hash (a logout).
pub fn end_session(hash: &TokenHash, now: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (hash, now) = (q.bind(hash), q.bind(now));
    q.stmt(format!(
        "UPDATE admin_sessions SET revoked_at = {now} WHERE hash = {hash} AND revoked_at IS NULL"
    ))
}

/// An entry of the audit log of admin actions.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub request_id: String,
    pub actor: String,
    pub session_id: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

impl FromRow for AuditEntry {
    fn from_row(row: &Row) -> Result<AuditEntry, StoreError> {
        let c = Columns(row);
        let owned = |n: &str| c.opt_text(n).map(|v| v.map(str::to_string));
        Ok(AuditEntry {
            seq: c.int("seq")?,
            at: c.time("at")?,
            request_id: c.text("request_id")?.to_string(),
            actor: c.text("actor")?.to_string(),
            session_id: owned("session_id")?,
            action: c.text("action")?.to_string(),
            target: owned("target")?,
            detail: owned("detail")?,
        })
    }
}

/// Who acts, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Actor<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
    /// `operator`, or the admin's email.
    pub name: &'a str,
    pub session_id: Option<&'a str>,
}

/// What the audit log records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action<'a> {
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
    /// Only if the statement just before it in the batch changed a row (a revocation that found
    /// something to revoke), else always.
    pub if_changed: bool,
}

/// An audit-log entry, in the batch of the action it records.
pub fn audit(tenant: &TenantId, by: &Actor<'_>, a: &Action<'_>) -> Stmt {
    let mut q = Sql::new();
    let (t, at, rid, actor, sid) = (
        q.bind(tenant),
        q.bind(by.at),
        q.bind(by.request_id),
        q.bind(by.name),
        q.bind(by.session_id),
    );
    let (action, target, detail) = (q.bind(a.action), q.bind(a.target), q.bind(a.detail));
    let condition = if a.if_changed {
        " WHERE changes() > 0"
    } else {
        ""
    };
    q.stmt(format!(
        "INSERT INTO admin_audit (tenant_id, at, request_id, actor, session_id, action, target, detail) \
         SELECT {t}, {at}, {rid}, {actor}, {sid}, {action}, {target}, {detail}{condition}"
    ))
}

/// A page of a tenant's audit log, newest first, before `before` (a `seq`).
pub fn audit_page(tenant: &TenantId, before: Option<i64>, limit: i64) -> Query<Vec<AuditEntry>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    let before = match before {
        Some(b) => format!(" AND seq < {}", q.bind(b)),
        None => String::new(),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT seq, at, request_id, actor, session_id, action, target, detail FROM admin_audit \
         WHERE tenant_id = {t}{before} ORDER BY seq DESC LIMIT {limit}"
    )))
}

/// The audit entry of a sign-in: the session `session_id` created (if it was).
pub fn audit_sign_in(session_id: &str, at: Timestamp, request_id: &str) -> Stmt {
    let mut q = Sql::new();
    let (sid, at, rid) = (q.bind(session_id), q.bind(at), q.bind(request_id));
    q.stmt(format!(
        "INSERT INTO admin_audit (tenant_id, at, request_id, actor, session_id, action, target, detail) \
         SELECT s.tenant_id, {at}, {rid}, s.email, s.id, 'session.created', s.id, 'signed in with a link' \
         FROM admin_sessions s WHERE s.id = {sid}"
    ))
}
