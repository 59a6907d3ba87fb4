//! SQL of the Users resource. Every statement takes the request's token hash as `?1` and reaches
//! rows only through [`tenant_of_token!`], so the token check travels in the same batch.
//!
//! Writes are conditional, never read-then-write races: a create inserts with
//! `ON CONFLICT DO NOTHING` (the unique index on the folded userName decides), an update applies
//! only `WHERE version = <the version read>`, and the statements after a write (emails, history,
//! activity log) apply only when the row carries this request's `write_id`. A batch therefore
//! either records a write with everything that belongs to it, or records the refusal.

use super::sql::{Order, Where};
use super::{Stmt, Value};
use crate::scim::list::CursorPos;
use crate::scim::user::Columns;
use crate::tenant_of_token;

const TENANT_USER_URN: &str = crate::scim::schema::TENANT_USER;

/// The columns a read of a user returns (names used by `app::users`), over `users u` and its
/// manager `users m`. A macro, so that statements can `concat!` it.
macro_rules! user_columns {
    () => {
        concat!(
            "u.id AS id, u.resource AS resource, u.version AS version, u.write_id AS write_id, ",
            "u.created AS created, u.last_modified AS last_modified, ",
            "m.id AS manager_id, coalesce(m.display_name, m.user_name) AS manager_name, ",
            // Employee references: attribute id -> the referenced employee's email (else
            // userName), or the value as sent while pending (DESIGN §4).
            "(SELECT json_group_object(r.attribute_id, coalesce(t.email, t.user_name, r.pending)) ",
            "FROM employee_refs r LEFT JOIN users t ON t.tenant_id = r.tenant_id AND t.id = r.target_id ",
            "WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id) AS refs "
        )
    };
}

/// The manager of `users u`, for `manager.displayName` and `$ref`.
macro_rules! manager_join {
    () => {
        "LEFT JOIN users m ON m.tenant_id = u.tenant_id AND m.id = u.manager_id "
    };
}

/// What a read of a user returns (column names used by `app::users`).
pub const USER_SELECT: &str = concat!("SELECT ", user_columns!(), "FROM users u ", manager_join!());

/// One user by id.
pub fn get_user(hash: &str, id: &str) -> Stmt {
    Stmt::new(
        format!(
            "{USER_SELECT}WHERE u.tenant_id = {} AND u.id = ?2",
            tenant_of_token!()
        ),
        vec![hash.into(), id.into()],
    )
}

/// A page of users matching `where_sql` (parameters from `?2`), in `order`.
pub fn list_users(
    hash: &str,
    where_sql: &str,
    params: Vec<Value>,
    order: &str,
    limit: i64,
    offset: i64,
) -> Stmt {
    let n = params.len() + 2;
    let sql = format!(
        "{USER_SELECT}WHERE u.tenant_id = {} AND {where_sql} ORDER BY {order} LIMIT ?{n} OFFSET ?{}",
        tenant_of_token!(),
        n + 1
    );
    let mut all = vec![Value::from(hash)];
    all.extend(params);
    all.push(Value::Int(limit));
    all.push(Value::Int(offset));
    Stmt::new(sql, all)
}

/// One page of a query (RFC 7644 §3.4.2.4, RFC 9865 §2).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The filter, its parameters numbered from `?2`.
    pub filter: &'a Where,
    pub order: &'a Order,
    /// Cursor paging: the rows after this position (in the page's direction).
    pub after: Option<&'a CursorPos>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of users matching a filter, in order, each with its sort value (`sort_key`) for
/// cursors. The page is chosen on the `users` rows alone (an index when the order and the
/// filter allow it), and only its rows are then read whole, with their managers: an OFFSET
/// skips index entries, not documents.
pub fn list_page(hash: &str, page: &Page<'_>) -> Stmt {
    let mut params = vec![Value::from(hash)];
    params.extend(page.filter.params.iter().cloned());
    let reverse = page.after.is_some_and(|p| p.backward);
    let keyset = match page.after {
        Some(pos) => {
            let k = page.order.keyset(pos, params.len() + 1);
            params.extend(k.params);
            format!(" AND {}", k.sql)
        }
        None => String::new(),
    };
    let n = params.len() + 1;
    params.push(Value::Int(page.limit));
    params.push(Value::Int(page.offset));
    // The page's ids come from the inner query, in the order's index when it can give them:
    // LIMIT and OFFSET then stop walking the index early. A selective filter's few rows are
    // found by its index (an ORDER BY there would tempt SQLite, which has no statistics and
    // guesses that a tenant has few users, to walk the order's index through the whole tenant
    // instead), and ordered and cut outside. CROSS JOIN keeps the page as the outer loop, so
    // only its users are read whole, by primary key.
    let (inner, outer) = match page.filter.selective {
        false => (
            format!(
                " ORDER BY {} LIMIT ?{n} OFFSET ?{}",
                page.order.by(reverse, false),
                n + 1
            ),
            String::new(),
        ),
        true => (String::new(), format!(" LIMIT ?{n} OFFSET ?{}", n + 1)),
    };
    let sql = format!(
        "SELECT {columns}, {value} AS sort_key FROM (SELECT u.id AS pid FROM users u WHERE u.tenant_id = {tenant} AND {filter}{keyset}{inner}) p \
         CROSS JOIN users u ON u.tenant_id = {tenant} AND u.id = p.pid {manager}ORDER BY {by}{outer}",
        columns = user_columns!().trim_end(),
        value = page.order.value_sql(),
        tenant = tenant_of_token!(),
        filter = page.filter.sql,
        by = page.order.by(reverse, true),
        manager = manager_join!(),
    );
    Stmt::new(sql, params)
}

/// How many users match `where_sql` (parameters from `?2`).
pub fn count_users(hash: &str, where_sql: &str, params: Vec<Value>) -> Stmt {
    let sql = format!(
        "SELECT count(*) AS total FROM users u WHERE u.tenant_id = {} AND {where_sql}",
        tenant_of_token!()
    );
    let mut all = vec![Value::from(hash)];
    all.extend(params);
    Stmt::new(sql, all)
}

/// Everything a write stores about a user.
#[derive(Debug, Clone)]
pub struct UserWrite<'a> {
    pub id: &'a str,
    pub write_id: &'a str,
    pub columns: &'a Columns,
    pub resource: String,
    pub folded: String,
    pub now: &'a str,
}

impl UserWrite<'_> {
    /// The product columns as parameters `?4..=?20` (after hash, id, write_id).
    fn column_params(&self) -> Vec<Value> {
        let c = self.columns;
        vec![
            Value::from(c.user_name.as_str()),
            Value::from(c.user_name_fold.as_str()),
            Value::from(c.external_id.as_deref()),
            Value::from(c.active),
            Value::from(c.email.as_deref()),
            Value::from(c.email_fold.as_deref()),
            Value::from(c.given_name.as_deref()),
            Value::from(c.family_name.as_deref()),
            Value::from(c.display_name.as_deref()),
            Value::from(c.employee_number.as_deref()),
            Value::from(c.locale.as_deref()),
            Value::from(c.preferred_language.as_deref()),
            Value::from(c.timezone.as_deref()),
            Value::from(c.department.as_deref()),
            Value::from(c.manager_id.as_deref()),
            Value::from(self.resource.as_str()),
            Value::from(self.folded.as_str()),
        ]
    }

    fn params(&self) -> Vec<Value> {
        let mut p = vec![Value::from(self.id), Value::from(self.write_id)];
        p.extend(self.column_params());
        p.push(Value::from(self.now));
        p
    }

    /// `[[value, value_fold, type_fold, primary], ...]` for `replace_emails`.
    fn emails_json(&self) -> String {
        let rows: Vec<serde_json::Value> = self
            .columns
            .emails
            .iter()
            .map(|e| serde_json::json!([e.value, e.value_fold, e.type_fold, e.primary as i64]))
            .collect();
        serde_json::Value::Array(rows).to_string()
    }
}

fn with_hash(hash: &str, mut params: Vec<Value>) -> Vec<Value> {
    params.insert(0, Value::from(hash));
    params
}

/// Inserts a new user (version 1), unless its userName is taken: then nothing happens and the
/// batch's later statements see no row with this `write_id`.
pub fn insert_user(hash: &str, w: &UserWrite<'_>) -> Stmt {
    Stmt::new(
        concat!(
            "INSERT INTO users (tenant_id, id, write_id, user_name, user_name_fold, external_id, active, ",
            "email, email_fold, given_name, family_name, display_name, employee_number, locale, ",
            "preferred_language, timezone, department, manager_id, resource, folded, version, created, last_modified) ",
            "SELECT t.tenant_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 1, ?21, ?21 ",
            "FROM (SELECT ",
            tenant_of_token!(),
            " AS tenant_id) t WHERE t.tenant_id IS NOT NULL ON CONFLICT DO NOTHING"
        ),
        with_hash(hash, w.params()),
    )
}

/// Replaces a user whose version is still `expected_version`; `UPDATE OR IGNORE` so that a
/// userName taken by another user skips the row instead of failing the batch.
pub fn update_user(hash: &str, w: &UserWrite<'_>, expected_version: i64) -> Stmt {
    let mut params = with_hash(hash, w.params());
    params.push(Value::Int(expected_version));
    Stmt::new(
        concat!(
            "UPDATE OR IGNORE users SET write_id = ?3, user_name = ?4, user_name_fold = ?5, external_id = ?6, ",
            "active = ?7, email = ?8, email_fold = ?9, given_name = ?10, family_name = ?11, display_name = ?12, ",
            "employee_number = ?13, locale = ?14, preferred_language = ?15, timezone = ?16, department = ?17, ",
            "manager_id = ?18, resource = ?19, folded = ?20, last_modified = ?21, version = version + 1 ",
            "WHERE tenant_id = ",
            tenant_of_token!(),
            " AND id = ?2 AND version = ?22"
        ),
        params,
    )
}

/// The user's `user_emails` rows, rewritten if this request's write took effect.
pub fn replace_emails(hash: &str, w: &UserWrite<'_>) -> Vec<Stmt> {
    vec![
        Stmt::new(
            concat!(
                "DELETE FROM user_emails WHERE tenant_id = ",
                tenant_of_token!(),
                " AND user_id = ?2 AND EXISTS (SELECT 1 FROM users WHERE tenant_id = ",
                tenant_of_token!(),
                " AND id = ?2 AND write_id = ?3)"
            ),
            vec![hash.into(), w.id.into(), w.write_id.into()],
        ),
        Stmt::new(
            concat!(
                "INSERT INTO user_emails (tenant_id, user_id, position, value, value_fold, type_fold, is_primary) ",
                "SELECT u.tenant_id, u.id, j.key, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), ",
                "json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]') ",
                "FROM users u, json_each(?4) j WHERE u.tenant_id = ",
                tenant_of_token!(),
                " AND u.id = ?2 AND u.write_id = ?3"
            ),
            vec![hash.into(), w.id.into(), w.write_id.into(), w.emails_json().into()],
        ),
    ]
}

/// An activation-history row (`create`, `deactivate`, `reactivate`), if this request's write
/// took effect; the user's state is read from the row just written.
pub fn record_activation(hash: &str, id: &str, write_id: &str, kind: &str, at: &str) -> Stmt {
    Stmt::new(
        concat!(
            "INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, email, user_name_fold) ",
            "SELECT u.tenant_id, u.id, ?4, ?5, u.active, u.user_name, u.email, u.user_name_fold FROM users u ",
            "WHERE u.tenant_id = ",
            tenant_of_token!(),
            " AND u.id = ?2 AND u.write_id = ?3"
        ),
        vec![hash.into(), id.into(), write_id.into(), at.into(), kind.into()],
    )
}

/// An activity-log entry (DESIGN §7).
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub at: &'a str,
    pub request_id: &'a str,
    pub operation: &'a str,
    pub user_id: Option<&'a str>,
    pub user_name: Option<&'a str>,
    pub status: u16,
    pub detail: Option<&'a str>,
    /// JSON list of changes for successful writes.
    pub changes: Option<String>,
    pub client: Option<&'a str>,
}

impl Event<'_> {
    fn params(&self, hash: &str) -> Vec<Value> {
        vec![
            hash.into(),
            self.at.into(),
            self.request_id.into(),
            self.operation.into(),
            self.user_id.into(),
            self.user_name.into(),
            Value::Int(self.status as i64),
            self.detail.into(),
            self.changes.clone().into(),
            self.client.into(),
        ]
    }
}

const EVENT_INSERT: &str = "INSERT INTO events (tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id) ";

/// When a logged event is written, relative to the batch's write.
#[derive(Debug, Clone, PartialEq)]
pub enum When<'a> {
    /// Whenever the token is valid (refusals decided before the batch).
    Always,
    /// Only if the user row carries this write id (the write took effect).
    Written { id: &'a str, write_id: &'a str },
    /// Only if no user has this id (a create that did not happen, a target that does not exist).
    Absent { id: &'a str },
    /// Only if the write did not take effect and another user holds the folded userName.
    NameTaken {
        id: &'a str,
        write_id: &'a str,
        user_name_fold: &'a str,
    },
    /// Only if a user with this id exists (before the batch deletes it).
    Exists { id: &'a str },
    /// Only if a user with this id exists at this version (a conditional delete that applies).
    AtVersion { id: &'a str, version: i64 },
    /// Only if a user with this id exists at another version (an If-Match that fails).
    NotAtVersion { id: &'a str, version: i64 },
}

/// Writes an activity-log entry under the given condition. The token id comes from the token
/// itself, so a request that fails authentication writes nothing; a missing `user_name` is taken
/// from the user row, when there is one.
pub fn log_event(hash: &str, event: &Event<'_>, when: &When<'_>) -> Stmt {
    let mut params = event.params(hash);
    let base = format!(
        "{EVENT_INSERT}SELECT t.tenant_id, ?2, ?3, ?4, ?5, \
         coalesce(?6, (SELECT user_name FROM users WHERE tenant_id = t.tenant_id AND id = ?5)), ?7, ?8, ?9, ?10, \
         (SELECT id FROM tokens WHERE hash = ?1) FROM (SELECT {} AS tenant_id) t WHERE t.tenant_id IS NOT NULL",
        tenant_of_token!()
    );
    let condition = match when {
        When::Always => String::new(),
        When::Written { id, write_id } => {
            params.push((*id).into());
            params.push((*write_id).into());
            " AND EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11 AND write_id = ?12)".into()
        }
        When::Absent { id } => {
            params.push((*id).into());
            " AND NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11)"
                .into()
        }
        When::NameTaken {
            id,
            write_id,
            user_name_fold,
        } => {
            params.push((*id).into());
            params.push((*write_id).into());
            params.push((*user_name_fold).into());
            " AND NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11 AND write_id = ?12) \
             AND EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND user_name_fold = ?13 AND id <> ?11)"
                .into()
        }
        When::Exists { id } => {
            params.push((*id).into());
            " AND EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11)".into()
        }
        When::AtVersion { id, version } => {
            params.push((*id).into());
            params.push(Value::Int(*version));
            " AND EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11 AND version = ?12)".into()
        }
        When::NotAtVersion { id, version } => {
            params.push((*id).into());
            params.push(Value::Int(*version));
            " AND EXISTS (SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = ?11 AND version <> ?12)".into()
        }
    };
    Stmt::new(format!("{base}{condition}"), params)
}

/// After a create or an update: whether this request's write took effect, and if not, whether
/// the userName was the reason.
pub fn write_outcome(hash: &str, id: &str, user_name_fold: &str) -> Stmt {
    Stmt::new(
        concat!(
            "SELECT (SELECT write_id FROM users WHERE tenant_id = ",
            tenant_of_token!(),
            " AND id = ?2) AS write_id, ",
            "EXISTS (SELECT 1 FROM users WHERE tenant_id = ",
            tenant_of_token!(),
            " AND user_name_fold = ?3 AND id <> ?2) AS name_taken"
        ),
        vec![hash.into(), id.into(), user_name_fold.into()],
    )
}

/// Deletes a user and what belongs to it, recording the deletion in the history first.
/// `version`: only if the user is still at that version (If-Match). The history row keeps the
/// user's name, email and folded name: the roster of earlier times names and orders them by it
/// (`store::reports`), so every path that deletes a user must write all three.
pub fn delete_user(hash: &str, id: &str, at: &str, version: Option<i64>) -> Vec<Stmt> {
    // The version condition, with its parameter number, and the parameters that follow ?1, ?2.
    let only_at = |n: usize| match version {
        Some(_) => format!(" AND u.version = ?{n}"),
        None => String::new(),
    };
    let version_param: Vec<Value> = version.map(Value::Int).into_iter().collect();
    let mut history_params = vec![Value::from(hash), Value::from(id), Value::from(at)];
    history_params.extend(version_param.clone());
    let mut params = vec![Value::from(hash), Value::from(id)];
    params.extend(version_param);
    // Employees whose references named this one lose them (DESIGN §4): the value leaves their
    // documents (a JSON merge patch of nulls) and their version moves on.
    let mut refs_params = vec![
        Value::from(hash),
        Value::from(id),
        Value::from(at),
        Value::from(TENANT_USER_URN),
    ];
    refs_params.extend(version.map(Value::Int));
    let mut refs_rows_params = vec![Value::from(hash), Value::from(id)];
    refs_rows_params.extend(version.map(Value::Int));
    vec![
        Stmt::new(
            format!(
                "INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, email, user_name_fold) \
                 SELECT u.tenant_id, u.id, ?3, 'delete', 0, u.user_name, u.email, u.user_name_fold FROM users u \
                 WHERE u.tenant_id = {} AND u.id = ?2{}",
                tenant_of_token!(),
                only_at(4)
            ),
            history_params,
        ),
        Stmt::new(
            format!(
                "UPDATE users SET \
                 resource = json_patch(resource, json_object(?4, json((SELECT json_group_object(r.attribute_id, NULL) \
                   FROM employee_refs r WHERE r.tenant_id = users.tenant_id AND r.user_id = users.id AND r.target_id = ?2)))), \
                 folded = json_patch(folded, json_object(?4, json((SELECT json_group_object(r.attribute_id, NULL) \
                   FROM employee_refs r WHERE r.tenant_id = users.tenant_id AND r.user_id = users.id AND r.target_id = ?2)))), \
                 version = version + 1, last_modified = ?3 \
                 WHERE tenant_id = {t} AND id <> ?2 \
                 AND id IN (SELECT user_id FROM employee_refs WHERE tenant_id = {t} AND target_id = ?2) \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = {t} AND u.id = ?2{})",
                only_at(5),
                t = tenant_of_token!()
            ),
            refs_params,
        ),
        Stmt::new(
            format!(
                "DELETE FROM employee_refs WHERE tenant_id = {t} AND (target_id = ?2 OR user_id = ?2) \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = {t} AND u.id = ?2{})",
                only_at(3),
                t = tenant_of_token!()
            ),
            refs_rows_params,
        ),
        Stmt::new(
            format!(
                "DELETE FROM user_emails WHERE tenant_id = {t} AND user_id = ?2 \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = {t} AND u.id = ?2{})",
                only_at(3),
                t = tenant_of_token!()
            ),
            params.clone(),
        ),
        Stmt::new(
            format!("DELETE FROM users AS u WHERE u.tenant_id = {} AND u.id = ?2{}", tenant_of_token!(), only_at(3)),
            params,
        ),
    ]
}

/// The employee references a write changes (DESIGN §4): `removed` (a JSON array of attribute
/// ids whose value changed or went away) are dropped, then `added` (a JSON array of
/// `[attribute id, value as sent, folded value]`) are resolved against the tenant's employees by
/// id, then userName, then any email, and stored resolved or pending. Only if this request's
/// write took effect.
pub fn set_refs(
    hash: &str,
    user_id: &str,
    write_id: &str,
    removed: &str,
    added: &str,
) -> Vec<Stmt> {
    vec![
        Stmt::new(
            concat!(
                "DELETE FROM employee_refs WHERE tenant_id = ",
                tenant_of_token!(),
                " AND user_id = ?2 AND attribute_id IN (SELECT value FROM json_each(?4)) ",
                "AND EXISTS (SELECT 1 FROM users WHERE tenant_id = ",
                tenant_of_token!(),
                " AND id = ?2 AND write_id = ?3)"
            ),
            vec![hash.into(), user_id.into(), write_id.into(), removed.into()],
        ),
        Stmt::new(
            // Each value's employee: by id, else by userName, else by any email (the earliest
            // created such employee). Correlated subqueries refer to the derived table `x`,
            // never to `json_each` directly (D1's SQLite cannot resolve that from two levels
            // down).
            concat!(
                "INSERT INTO employee_refs (tenant_id, user_id, attribute_id, target_id, pending, pending_fold) ",
                "SELECT y.tenant_id, y.user_id, y.attribute_id, y.target_id, ",
                "CASE WHEN y.target_id IS NULL THEN y.v END, CASE WHEN y.target_id IS NULL THEN y.vf END FROM (",
                "SELECT x.tenant_id AS tenant_id, x.user_id AS user_id, x.attribute_id AS attribute_id, x.v AS v, x.vf AS vf, ",
                "coalesce(",
                "(SELECT t.id FROM users t WHERE t.tenant_id = x.tenant_id AND t.id = x.v), ",
                "(SELECT t.id FROM users t WHERE t.tenant_id = x.tenant_id AND t.user_name_fold = x.vf), ",
                "(SELECT t.id FROM user_emails e JOIN users t ON t.tenant_id = e.tenant_id AND t.id = e.user_id ",
                "WHERE e.tenant_id = x.tenant_id AND e.value_fold = x.vf ORDER BY t.created, t.id LIMIT 1)",
                ") AS target_id FROM (",
                "SELECT u.tenant_id AS tenant_id, u.id AS user_id, json_extract(j.value, '$[0]') AS attribute_id, ",
                "json_extract(j.value, '$[1]') AS v, json_extract(j.value, '$[2]') AS vf ",
                "FROM users u, json_each(?4) j WHERE u.tenant_id = ",
                tenant_of_token!(),
                " AND u.id = ?2 AND u.write_id = ?3) x) y WHERE true ",
                "ON CONFLICT (tenant_id, user_id, attribute_id) DO UPDATE SET target_id = excluded.target_id, ",
                "pending = excluded.pending, pending_fold = excluded.pending_fold"
            ),
            vec![hash.into(), user_id.into(), write_id.into(), added.into()],
        ),
    ]
}

/// Resolves the pending references that name this user (by userName or any email), now that
/// the user exists or changed (Okta does not order its creates).
pub fn resolve_pending(hash: &str, user_id: &str, write_id: &str) -> Stmt {
    Stmt::new(
        concat!(
            "UPDATE employee_refs SET target_id = ?2, pending = NULL, pending_fold = NULL WHERE tenant_id = ",
            tenant_of_token!(),
            " AND target_id IS NULL AND (",
            "pending_fold IN (SELECT user_name_fold FROM users WHERE tenant_id = employee_refs.tenant_id AND id = ?2 AND write_id = ?3) ",
            "OR pending_fold IN (SELECT e.value_fold FROM user_emails e JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id ",
            "WHERE e.tenant_id = employee_refs.tenant_id AND e.user_id = ?2 AND u.write_id = ?3))"
        ),
        vec![hash.into(), user_id.into(), write_id.into()],
    )
}
