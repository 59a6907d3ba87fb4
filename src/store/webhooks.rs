//! SQL of webhook delivery (issue 19): a tenant's endpoints, what is still to be delivered to
//! each (`webhook_deliveries`, one row per endpoint and event, gone once delivered), and the
//! delivery log (`webhook_attempts`). What the rows mean to a delivery (when to send, retry,
//! give up) is `app::webhooks`; the events themselves are `store::outbox`.
//!
//! **Fan-out.** An endpoint's `fanned_seq` is the last event of its tenant that has its
//! delivery row; [`sweep`] gives every later event its row and moves `fanned_seq`, in one
//! batch (a transaction: seq order is commit order, `store::outbox`), so no event is skipped
//! or fanned twice. A new endpoint starts after the tenant's latest event.
//!
//! **Per-employee order.** Of an endpoint's rows for one employee, only the lowest seq is ever
//! handed out ([`HEAD`]): a later event waits until the earlier one is delivered (its row gone),
//! however long it is retried; other employees' events go on.
//!
//! **Leases.** A row handed to the queue or being sent carries `leased_until`; it is not handed
//! again before then, so a lost queue message (a local queue does not survive a restart) only
//! delays the delivery until a later sweep. A consumer takes the row it was handed only while
//! the lease it was handed is still the row's, so a duplicated message sends nothing twice.

use super::batch::{Columns, FromRow, Query};
use super::builder::Sql;
use super::{Row, Stmt, StoreError};
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;

/// An endpoint's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    /// By an admin: nothing is sent until re-enabled.
    Disabled,
    /// A delivery kept failing for the whole retry schedule: nothing is sent until re-enabled.
    Failing,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Disabled => "disabled",
            State::Failing => "failing",
        }
    }

    fn parse(s: &str) -> Option<State> {
        [State::Active, State::Disabled, State::Failing]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An endpoint, as stored (its secrets sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub tenant_id: TenantId,
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// `None`: every type.
    pub event_types: Option<Vec<String>>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<Timestamp>,
    pub state: State,
    pub created: Timestamp,
    pub state_changed: Timestamp,
    /// Events still to be delivered (read by the admin API's list; 0 elsewhere).
    pub undelivered: i64,
}

impl FromRow for Endpoint {
    fn from_row(row: &Row) -> Result<Endpoint, StoreError> {
        let c = Columns(row);
        let owned = |name: &str| c.opt_text(name).map(|v| v.map(str::to_string));
        Ok(Endpoint {
            tenant_id: TenantId::new(c.text("tenant_id")?),
            id: c.text("id")?.to_string(),
            url: c.text("url")?.to_string(),
            description: owned("description")?,
            event_types: c.json("event_types")?,
            secret: c.text("secret")?.to_string(),
            previous_secret: owned("previous_secret")?,
            previous_until: c.opt_time("previous_until")?,
            state: State::parse(c.text("state")?)
                .ok_or_else(|| StoreError::Internal("column state: unknown value".into()))?,
            created: c.time("created")?,
            state_changed: c.time("state_changed")?,
            undelivered: c.opt_int("undelivered")?.unwrap_or(0),
        })
    }
}

const ENDPOINT_COLUMNS: &str = "w.tenant_id, w.id, w.url, w.description, w.event_types, w.secret, \
     w.previous_secret, w.previous_until, w.state, w.created, w.state_changed";

/// A new endpoint of `tenant` (while it exists), starting after the tenant's latest event.
pub fn create_endpoint(e: &Endpoint) -> Stmt {
    let mut q = Sql::new();
    let t = q.bind(&e.tenant_id);
    let (id, url, description) = (
        q.bind(e.id.as_str()),
        q.bind(e.url.as_str()),
        q.bind(e.description.as_deref()),
    );
    let types = q.bind(
        e.event_types
            .as_ref()
            .map(|t| serde_json::Value::from(t.clone()).to_string()),
    );
    let (secret, state, created) = (
        q.bind(e.secret.as_str()),
        q.bind(e.state.as_str()),
        q.bind(e.created),
    );
    q.stmt(format!(
        "INSERT INTO webhook_endpoints (tenant_id, id, url, description, event_types, secret, state, created, \
         state_changed, fanned_seq) \
         SELECT tn.id, {id}, {url}, {description}, {types}, {secret}, {state}, {created}, {created}, \
         coalesce((SELECT max(seq) FROM employee_events WHERE tenant_id = tn.id), 0) \
         FROM tenants tn WHERE tn.id = {t}"
    ))
}

/// The tenant's endpoints, oldest first, with their undelivered counts.
pub fn list_endpoints(tenant: &TenantId) -> Query<Vec<Endpoint>> {
    let mut q = Sql::new();
    let t = q.bind(tenant);
    Query::all(q.stmt(format!(
        "SELECT {ENDPOINT_COLUMNS}, (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = w.id) \
         AS undelivered FROM webhook_endpoints w WHERE w.tenant_id = {t} ORDER BY w.created, w.id LIMIT 1000"
    )))
}

/// One endpoint of the tenant.
pub fn get_endpoint(tenant: &TenantId, id: &str) -> Query<Option<Endpoint>> {
    let mut q = Sql::new();
    let (t, id) = (q.bind(tenant), q.bind(id));
    Query::first(q.stmt(format!(
        "SELECT {ENDPOINT_COLUMNS}, (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = w.id) \
         AS undelivered FROM webhook_endpoints w WHERE w.tenant_id = {t} AND w.id = {id}"
    )))
}

/// A change an admin makes to an endpoint (`None` keeps a field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Option<Vec<String>>>,
    pub state: Option<State>,
}

/// Changes an endpoint. Re-enabling one (to `active` from another state) resumes its
/// deliveries at once, from each employee's oldest undelivered event, with a new retry schedule.
pub fn update_endpoint(
    tenant: &TenantId,
    id: &str,
    change: &EndpointChange,
    now: Timestamp,
) -> Vec<Stmt> {
    let mut stmts = Vec::new();
    let mut q = Sql::new();
    let (t, id_p) = (q.bind(tenant), q.bind(id));
    let mut sets = vec!["state = state".to_string()];
    if let Some(url) = &change.url {
        sets.push(format!("url = {}", q.bind(url.as_str())));
    }
    if let Some(d) = &change.description {
        sets.push(format!("description = {}", q.bind(d.as_deref())));
    }
    if let Some(types) = &change.event_types {
        let text = types
            .as_ref()
            .map(|t| serde_json::Value::from(t.clone()).to_string());
        sets.push(format!("event_types = {}", q.bind(text)));
    }
    if let Some(state) = change.state {
        let (s, now_p) = (q.bind(state.as_str()), q.bind(now));
        sets.push(format!(
            "state_changed = CASE WHEN state = {s} THEN state_changed ELSE {now_p} END, state = {s}"
        ));
        if state == State::Active {
            // Before the state changes (the condition reads the old one).
            let mut r = Sql::new();
            let (t, id, now) = (r.bind(tenant), r.bind(id), r.bind(now));
            stmts.push(r.stmt(format!(
                "UPDATE webhook_deliveries SET next_attempt = {now}, first_attempt = NULL, leased_until = NULL \
                 WHERE tenant_id = {t} AND endpoint_id = {id} AND EXISTS (SELECT 1 FROM webhook_endpoints w \
                 WHERE w.tenant_id = {t} AND w.id = {id} AND w.state <> 'active')"
            )));
        }
    }
    stmts.push(q.stmt(format!(
        "UPDATE webhook_endpoints SET {} WHERE tenant_id = {t} AND id = {id_p}",
        sets.join(", ")
    )));
    stmts
}

/// A new secret for an endpoint; the current one keeps signing (beside it) until `until`.
pub fn rotate_secret(tenant: &TenantId, id: &str, sealed: &str, until: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (t, id, sealed, until) = (q.bind(tenant), q.bind(id), q.bind(sealed), q.bind(until));
    q.stmt(format!(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = {until}, secret = {sealed} \
         WHERE tenant_id = {t} AND id = {id}"
    ))
}

/// A delivery handed out: which event for which endpoint, under which lease.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handed {
    #[serde(rename = "e")]
    pub endpoint_id: String,
    #[serde(rename = "s")]
    pub seq: i64,
    /// The lease the row carries, as text (the consumer takes the row only under it).
    #[serde(rename = "l")]
    pub lease: String,
    /// Not before this (the delay of a retry).
    #[serde(rename = "n")]
    pub next_attempt: String,
    /// The shard whose database holds the delivery (`store::shards`): set by the queue
    /// producer of that shard; messages from before shards have none, and are shard 0's.
    #[serde(rename = "d", default)]
    pub shard: u16,
}

impl FromRow for Handed {
    fn from_row(row: &Row) -> Result<Handed, StoreError> {
        let c = Columns(row);
        Ok(Handed {
            endpoint_id: c.text("endpoint_id")?.to_string(),
            seq: c.int("seq")?,
            lease: c.text("leased_until")?.to_string(),
            next_attempt: c.text("next_attempt")?.to_string(),
            shard: 0,
        })
    }
}

/// Whether the delivery row `d` is the oldest undelivered event of its employee at its endpoint.
pub const HEAD: &str = "d.seq = (SELECT min(h.seq) FROM webhook_deliveries h \
     WHERE h.endpoint_id = d.endpoint_id AND h.user_id = d.user_id)";

/// The sweep: fans every endpoint's new events out into delivery rows, then hands out up to
/// `limit` due deliveries of active endpoints, each the head of its employee, leased until
/// `now + lease_ms` (answered: what to put on the queue).
pub fn sweep(now: Timestamp, lease_ms: i64, limit: i64) -> (Vec<Stmt>, Query<Vec<Handed>>) {
    let mut q = Sql::new();
    let now_p = q.bind(now);
    let fan_out = q.stmt(format!(
        "INSERT OR IGNORE INTO webhook_deliveries (tenant_id, endpoint_id, seq, user_id, next_attempt) \
         SELECT e.tenant_id, w.id, e.seq, e.user_id, {now_p} FROM webhook_endpoints w \
         JOIN employee_events e ON e.tenant_id = w.tenant_id AND e.seq > w.fanned_seq \
         WHERE w.event_types IS NULL OR e.type IN (SELECT value FROM json_each(w.event_types))"
    ));
    let fanned = Stmt::new(
        "UPDATE webhook_endpoints SET fanned_seq = (SELECT max(e.seq) FROM employee_events e \
         WHERE e.tenant_id = webhook_endpoints.tenant_id) \
         WHERE fanned_seq < (SELECT max(e.seq) FROM employee_events e WHERE e.tenant_id = webhook_endpoints.tenant_id)",
        vec![],
    );
    (vec![fan_out, fanned], hand_out(now, lease_ms, limit, None))
}

/// Hands out up to `limit` due head deliveries of active endpoints (of one employee's, when
/// `only` names an endpoint and a user id), leased until `now + lease_ms`.
pub fn hand_out(
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
    only: Option<(&str, &str)>,
) -> Query<Vec<Handed>> {
    let mut q = Sql::new();
    let (now_p, lease, limit) = (
        q.bind(now),
        q.bind(Timestamp(now.0 + lease_ms)),
        q.bind(limit),
    );
    let only = match only {
        None => String::new(),
        Some((endpoint, user)) => format!(
            " AND d.endpoint_id = {} AND d.user_id = {}",
            q.bind(endpoint),
            q.bind(user)
        ),
    };
    Query::all(q.stmt(format!(
        "UPDATE webhook_deliveries SET leased_until = {lease} WHERE rowid IN (SELECT d.rowid FROM webhook_deliveries d \
         JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.state = 'active' \
         WHERE d.next_attempt <= {now_p} AND (d.leased_until IS NULL OR d.leased_until <= {now_p}){only} AND {HEAD} \
         ORDER BY d.seq LIMIT {limit}) \
         RETURNING endpoint_id, seq, leased_until, next_attempt"
    )))
}

/// What a consumer needs to send a delivery it was handed.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    pub user_id: String,
    pub attempts: i64,
    pub first_attempt: Timestamp,
}

impl FromRow for Taken {
    fn from_row(row: &Row) -> Result<Taken, StoreError> {
        let c = Columns(row);
        Ok(Taken {
            user_id: c.text("user_id")?.to_string(),
            attempts: c.int("attempts")?,
            first_attempt: c.time("first_attempt")?,
        })
    }
}

/// Takes a handed delivery to send it now: only while the row still carries the lease it was
/// handed under, is due, is its employee's head and its endpoint is active; counts the attempt
/// and leases the row for the send (`sending_ms`).
pub fn take(h: &Handed, now: Timestamp, sending_ms: i64) -> Query<Option<Taken>> {
    let mut q = Sql::new();
    let (e, s, l) = (
        q.bind(h.endpoint_id.as_str()),
        q.bind(h.seq),
        q.bind(h.lease.as_str()),
    );
    let (now_p, until) = (q.bind(now), q.bind(Timestamp(now.0 + sending_ms)));
    Query::first(q.stmt(format!(
        "UPDATE webhook_deliveries AS d SET leased_until = {until}, attempts = attempts + 1, \
         first_attempt = coalesce(first_attempt, {now_p}) \
         WHERE d.endpoint_id = {e} AND d.seq = {s} AND d.leased_until = {l} AND d.next_attempt <= {now_p} \
         AND {HEAD} AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.state = 'active') \
         RETURNING user_id, attempts, first_attempt"
    )))
}

/// The endpoint of a delivery (by id alone: the queue message names no tenant).
pub fn endpoint_by_id(id: &str) -> Query<Option<Endpoint>> {
    let mut q = Sql::new();
    let id = q.bind(id);
    Query::first(q.stmt(format!(
        "SELECT {ENDPOINT_COLUMNS}, 0 AS undelivered FROM webhook_endpoints w WHERE w.id = {id}"
    )))
}

/// An attempt's outcome, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<'a> {
    pub tenant_id: &'a TenantId,
    pub endpoint_id: &'a str,
    pub seq: i64,
    pub attempt: i64,
    pub at: Timestamp,
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
}

/// The attempt in the delivery log.
pub fn log_attempt(a: &Attempt<'_>) -> Stmt {
    let mut q = Sql::new();
    let (t, e, seq, n, at) = (
        q.bind(a.tenant_id),
        q.bind(a.endpoint_id),
        q.bind(a.seq),
        q.bind(a.attempt),
        q.bind(a.at),
    );
    let (status, latency, error) = (
        q.bind(a.status.map(i64::from)),
        q.bind(a.latency_ms),
        q.bind(a.error),
    );
    let id = q.bind(super::outbox::event_id(a.seq));
    q.stmt(format!(
        "INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, event_seq, attempt, at, status, latency_ms, error) \
         VALUES ({t}, {e}, {id}, {seq}, {n}, {at}, {status}, {latency}, {error})"
    ))
}

/// A delivered event: its row goes.
pub fn delivered(endpoint_id: &str, seq: i64) -> Stmt {
    let mut q = Sql::new();
    let (e, s) = (q.bind(endpoint_id), q.bind(seq));
    q.stmt(format!(
        "DELETE FROM webhook_deliveries WHERE endpoint_id = {e} AND seq = {s}"
    ))
}

/// A failed attempt to retry at `next`: the row is leased until `lease_until` (the retry's
/// queue message carries that lease).
pub fn retry_at(endpoint_id: &str, seq: i64, next: Timestamp, lease_until: Timestamp) -> Stmt {
    let mut q = Sql::new();
    let (e, s, n, l) = (
        q.bind(endpoint_id),
        q.bind(seq),
        q.bind(next),
        q.bind(lease_until),
    );
    q.stmt(format!(
        "UPDATE webhook_deliveries SET next_attempt = {n}, leased_until = {l} WHERE endpoint_id = {e} AND seq = {s}"
    ))
}

/// The schedule is spent: the endpoint is marked failing (nothing more is sent until an admin
/// re-enables it), and the delivery waits, due, for that.
pub fn give_up(endpoint_id: &str, seq: i64, now: Timestamp) -> Vec<Stmt> {
    let mut q = Sql::new();
    let (e, now_p) = (q.bind(endpoint_id), q.bind(now));
    let endpoint = q.stmt(format!(
        "UPDATE webhook_endpoints SET state = 'failing', state_changed = {now_p} WHERE id = {e} AND state = 'active'"
    ));
    let mut q = Sql::new();
    let (e, s, now_p) = (q.bind(endpoint_id), q.bind(seq), q.bind(now));
    let row = q.stmt(format!(
        "UPDATE webhook_deliveries SET next_attempt = {now_p}, leased_until = NULL WHERE endpoint_id = {e} AND seq = {s}"
    ));
    vec![endpoint, row]
}

/// An entry of an endpoint's delivery log.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedAttempt {
    pub seq: i64,
    pub event_id: String,
    pub attempt: i64,
    pub at: Timestamp,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

impl FromRow for LoggedAttempt {
    fn from_row(row: &Row) -> Result<LoggedAttempt, StoreError> {
        let c = Columns(row);
        Ok(LoggedAttempt {
            seq: c.int("seq")?,
            event_id: c.text("event_id")?.to_string(),
            attempt: c.int("attempt")?,
            at: c.time("at")?,
            status: c.opt_int("status")?,
            latency_ms: c.int("latency_ms")?,
            error: c.opt_text("error")?.map(str::to_string),
        })
    }
}

/// Up to `limit` of an endpoint's latest attempts before the log's seq `before`, newest first.
pub fn attempts(
    tenant: &TenantId,
    endpoint_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Query<Vec<LoggedAttempt>> {
    let mut q = Sql::new();
    let (t, e) = (q.bind(tenant), q.bind(endpoint_id));
    let before = match before {
        Some(b) => format!(" AND seq < {}", q.bind(b)),
        None => String::new(),
    };
    let limit = q.bind(limit);
    Query::all(q.stmt(format!(
        "SELECT seq, event_id, attempt, at, status, latency_ms, error FROM webhook_attempts \
         WHERE tenant_id = {t} AND endpoint_id = {e}{before} ORDER BY seq DESC LIMIT {limit}"
    )))
}
