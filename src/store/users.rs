//! SQL of the Users resource, and the decoding of a stored user. Every statement reaches rows
//! only through the token's tenant ([`Sql::tenant_of_token`]), so the token check travels in the
//! same batch.
//!
//! The INSERT and UPDATE are written from the column table (`scim::columns`): one column list,
//! its values computed from the document.
//!
//! Writes are conditional, never read-then-write races: a create inserts with
//! `ON CONFLICT DO NOTHING` (the unique index on the folded userName decides), an update applies
//! only `WHERE version = <the version read>`, and the statements after a write (emails, history,
//! activity log) apply only when the row carries this request's write id. A batch therefore
//! either records a write with everything that belongs to it, or records the refusal.

use super::batch::{Columns, FromRow, Query};
use super::builder::{Param, Scope, Sql};
use super::deleted::still_deleted;
use super::list_sql::{employee_named, optional_filter_sql, Order, FILTER_MAX_SQL_BYTES};
use super::tenants::{DEFAULT_MAX_BYTES, DEFAULT_MAX_EMPLOYEES};
use super::{Row, Stmt, StoreError, Value};
use crate::model::{TokenHash, UserId, WriteId};
use crate::scim::columns::{self, Fill, USER_COLUMNS};
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::filter::resolve::Resolved;
use crate::scim::fold::fold;
use crate::scim::list::CursorPos;
use crate::scim::user::{Doc, ManagerInfo, Meta};
use serde_json::Map;

/// What a read of a user returns, over `users u` and its manager `users m`.
const USER_COLUMNS_READ: &str = "u.id AS id, u.resource AS resource, u.version AS version, \
     u.write_id AS write_id, u.size AS size, u.created AS created, u.last_modified AS last_modified, \
     m.id AS manager_id, coalesce(m.display_name, m.user_name) AS manager_name, \
     (SELECT json_group_object(r.attribute_id, coalesce(t.email, t.user_name, r.pending)) \
     FROM employee_refs r LEFT JOIN users t ON t.tenant_id = r.tenant_id AND t.id = r.target_id \
     WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id) AS refs";

/// The manager of `users u`, for `manager.displayName` and `$ref`.
const MANAGER_JOIN: &str = "LEFT JOIN users m ON m.tenant_id = u.tenant_id AND m.id = u.manager_id";

/// A user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    pub doc: Doc,
    pub meta: Meta,
    /// The employee `manager.value` names, when it is one of the tenant's.
    pub manager: Option<ManagerInfo>,
    /// What the user's employee references show: attribute id → the referenced employee's
    /// email (else userName), or the value as sent while pending (DESIGN §4).
    pub refs: Map<String, serde_json::Value>,
    /// The write that produced this row.
    pub write_id: WriteId,
    /// The bytes the row's documents take, as its write measured them (the tenant's quota).
    pub size: i64,
}

impl FromRow for StoredUser {
    fn from_row(row: &Row) -> Result<StoredUser, StoreError> {
        let c = Columns(row);
        let doc: Doc = c
            .json("resource")?
            .ok_or_else(|| StoreError::Internal("column resource: NULL".into()))?;
        let manager = c.opt_text("manager_id")?.map(|id| ManagerInfo {
            id: UserId::new(id),
            display_name: c
                .opt_text("manager_name")
                .ok()
                .flatten()
                .unwrap_or(id)
                .to_string(),
        });
        Ok(StoredUser {
            doc,
            meta: Meta {
                id: UserId::new(c.text("id")?),
                created: c.time("created")?,
                last_modified: c.time("last_modified")?,
                version: c.int("version")?,
            },
            manager,
            refs: c.json("refs")?.unwrap_or_default(),
            write_id: WriteId::new(c.text("write_id")?),
            size: c.int("size")?,
        })
    }
}

/// A user of a page, with its sort value for cursors (RFC 9865).
#[derive(Debug, Clone, PartialEq)]
pub struct ListedUser {
    pub user: StoredUser,
    pub sort_key: serde_json::Value,
}

impl FromRow for ListedUser {
    fn from_row(row: &Row) -> Result<ListedUser, StoreError> {
        Ok(ListedUser {
            user: StoredUser::from_row(row)?,
            sort_key: Columns(row).raw("sort_key"),
        })
    }
}

/// One user by id.
pub fn get_user<'s>(scope: impl Into<Scope<'s>>, id: &UserId) -> Query<Option<StoredUser>> {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let id = q.bind(id);
    Query::first(q.stmt(format!(
        "SELECT {USER_COLUMNS_READ} FROM users u {MANAGER_JOIN} \
         WHERE u.tenant_id = {tenant} AND u.id = {id}"
    )))
}

/// How far a first or cursor page of a substring filter walks the order's index, in rows per
/// row of the page, before it looks its candidates up in the substring index instead. A value
/// that many employees match (`name.familyName co "ly1"`: one in nine) finds its page in the
/// next few rows of the order, where reading every candidate costs as many as match (11,100 of
/// 100,000 employees: 21.9 ms a cursor page under `wrangler dev`, 8.5 ms by the walk, README
/// "By tenant size"); a rare
/// one finds nothing there and looks up its few candidates. Both are cut at the page: the wrong
/// guess costs the walk of this many rows a row of the page, whatever the tenant's size. Both
/// branches are in the page's one statement, the one not taken cut to `LIMIT 0`, which SQLite
/// checks before its loop (the candidates are not even read from the index then).
const WALK_PER_ROW: i64 = 20;

/// The largest filter whose pages walk first: the walking page's statement holds its
/// condition three times (the decision, the walk, the lookup), and stays within D1's statement
/// size as the filter's own bound ([`FILTER_MAX_SQL_BYTES`]) keeps a statement that holds it
/// once. A larger filter's pages look their candidates up at once.
const WALK_MAX_FILTER_BYTES: usize = FILTER_MAX_SQL_BYTES / 4;

/// One page of a query (RFC 7644 §3.4.2.4, RFC 9865 §2).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The filter; `None`: every user.
    pub filter: Option<&'a Resolved>,
    pub order: &'a Order,
    /// Cursor paging: the rows after this position (in the page's direction).
    pub after: Option<&'a CursorPos>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of users matching a filter, in order, each with its sort value. The page is chosen
/// on the `users` rows alone (an index when the order and the filter allow it), and only its
/// rows are then read whole, with their managers: an OFFSET skips index entries, not documents.
pub fn list_page(hash: &TokenHash, page: &Page<'_>) -> Result<Query<Vec<ListedUser>>, ScimError> {
    let mut q = Sql::new();
    let tenant = q.tenant_of_token(hash);
    let filter = optional_filter_sql(page.filter, &mut q, hash)?;
    let reverse = page.after.is_some_and(|p| p.backward);
    let keyset = match page.after {
        Some(pos) => format!(" AND {}", page.order.keyset(pos, &mut q)),
        None => String::new(),
    };
    let limit = q.bind(page.limit);
    // The page's ids come from the inner query; CROSS JOIN keeps the page as the outer loop,
    // so only its users are then read whole (by primary key, with their managers and
    // references) and ordered. Without a selective filter, the inner query walks the order's
    // index, and LIMIT and OFFSET stop it early. An equality's few rows are found by its index
    // and ordered and cut outside (an ORDER BY inside would tempt SQLite, which has no
    // statistics and guesses that a tenant has few users, to walk the order's index, or a
    // covering one, through the whole tenant instead). The substring index's candidates, which
    // may be most of the tenant, are ordered and cut inside, by expressions no index provides
    // (`+u.created`, [`Order::by`]'s `sorted`; the candidates' `+u.tenant_id` leaves SQLite no
    // index to walk): SQLite keeps a top-N of ids while it compares the candidates, rather
    // than reading every match whole into the sort (for a filter most employees match, the
    // page statement takes 2.3 times less at 100,000: README "Substring filters and their
    // index"). A first or cursor page of theirs first tries the order's index ([`WALK_PER_ROW`]).
    let cut = |q: &mut Sql| format!("LIMIT {limit} OFFSET {}", q.bind(page.offset));
    let by_index = page.order.by(reverse, false);
    let by_sorted = page.order.by(reverse, true);
    let scope = filter.tenant(&tenant);
    let ids = |scope: &str, filter: &str, tail: &str| {
        format!("SELECT u.id AS pid FROM users u WHERE {scope} AND {filter}{keyset}{tail}")
    };
    let (inner, outer) = match (filter.selective, filter.decides(), page.offset) {
        (false, _, _) => (
            ids(
                &scope,
                &filter.sql,
                &format!(" ORDER BY {by_index} {}", cut(&mut q)),
            ),
            String::new(),
        ),
        // A first or cursor page of a substring filter: the order's index walked, when the
        // page is among its next rows, else the index's candidates (see `WALK_PER_ROW`).
        (true, Some(decides), 0) if decides.len() <= WALK_MAX_FILTER_BYTES => {
            let walked = q.bind(page.limit.saturating_mul(WALK_PER_ROW));
            let walk_scope = format!("u.tenant_id = {tenant}");
            let window = format!(
                "SELECT ({decides}) AS m FROM users u WHERE {walk_scope}{keyset} ORDER BY {by_index} LIMIT {walked}"
            );
            let rows = format!(
                "SELECT 1 FROM users u WHERE {walk_scope}{keyset} ORDER BY {by_index} LIMIT {walked}"
            );
            let walks = format!(
                "((SELECT count(*) FROM (SELECT 1 FROM ({window}) WHERE m LIMIT {limit})) = {limit} \
                 OR (SELECT count(*) FROM ({rows})) < {walked})"
            );
            // Decided once (a CTE used twice), before either way's loop.
            let walked_enough = "(SELECT v FROM walks)";
            (
                format!(
                    "WITH walks(v) AS MATERIALIZED (SELECT {walks}) \
                     SELECT pid FROM ({}) UNION ALL SELECT pid FROM ({})",
                    ids(
                        &walk_scope,
                        decides,
                        &format!(
                            " ORDER BY {by_index} LIMIT CASE WHEN {walked_enough} THEN {limit} ELSE 0 END"
                        )
                    ),
                    ids(
                        &scope,
                        &filter.sql,
                        &format!(
                            " ORDER BY {by_sorted} LIMIT CASE WHEN {walked_enough} THEN 0 ELSE {limit} END"
                        )
                    ),
                ),
                String::new(),
            )
        }
        (true, Some(_), _) => (
            ids(
                &scope,
                &filter.sql,
                &format!(" ORDER BY {by_sorted} {}", cut(&mut q)),
            ),
            String::new(),
        ),
        (true, None, _) => (ids(&scope, &filter.sql, ""), format!(" {}", cut(&mut q))),
    };
    Ok(Query::all(q.stmt(format!(
        "SELECT {USER_COLUMNS_READ}, {value} AS sort_key \
         FROM ({inner}) p \
         CROSS JOIN users u ON u.tenant_id = {tenant} AND u.id = p.pid {MANAGER_JOIN} \
         ORDER BY {by_sorted}{outer}",
        value = page.order.value_sql(),
    ))))
}

/// How many users match the filter (`None`: every user of the tenant).
pub fn count_users(hash: &TokenHash, filter: Option<&Resolved>) -> Result<Query<i64>, ScimError> {
    let mut q = Sql::new();
    let tenant = q.tenant_of_token(hash);
    let filter = optional_filter_sql(filter, &mut q, hash)?;
    Ok(Query::count(q.stmt(format!(
        "SELECT count(*) AS n FROM users u WHERE {} AND {}",
        filter.tenant(&tenant),
        filter.sql
    ))))
}

/// Everything a write stores about a user: the canonical document and its folded copy (which
/// filters read), as the JSON text the row keeps, and what the store adds.
#[derive(Debug, Clone)]
pub struct UserWrite<'a> {
    pub id: &'a UserId,
    pub write_id: &'a WriteId,
    pub doc: &'a Doc,
    resource: String,
    folded: String,
    pub now: Timestamp,
    /// A restore's: the version the deleted row had, and the creation time it keeps.
    restoring: Option<(i64, Timestamp)>,
    /// The version of the tenant's attribute definitions the document was computed with: the
    /// write happens only while they are still at it (`tenants.attributes_version`).
    definitions: Option<i64>,
}

impl<'a> UserWrite<'a> {
    pub fn new(
        id: &'a UserId,
        write_id: &'a WriteId,
        doc: &'a Doc,
        folded: &Doc,
        now: Timestamp,
    ) -> UserWrite<'a> {
        UserWrite {
            id,
            write_id,
            doc,
            resource: json_text(doc),
            folded: json_text(folded),
            now,
            restoring: None,
            definitions: None,
        }
    }

    /// The same write, computed with the tenant's attribute definitions at `version`: it takes
    /// effect only while they are still at that version (a write made with definitions that
    /// changed meanwhile does nothing, like one that lost a race).
    pub fn under_definitions(self, version: i64) -> UserWrite<'a> {
        UserWrite {
            definitions: Some(version),
            ..self
        }
    }

    /// `AND` the definitions are still at the version this write was computed with, or nothing.
    fn definitions_unchanged(&self, q: &mut Sql, tenant: &str) -> String {
        match self.definitions {
            None => String::new(),
            Some(version) => format!(
                " AND (SELECT attributes_version FROM tenants WHERE id = {tenant}) = {}",
                q.bind(version)
            ),
        }
    }

    /// The same write as the restore of a deleted user (`store::deleted`) that had `version`
    /// and was created at `created`: the row comes back at the next version with its creation
    /// time, and only while the deleted row is still there at that version.
    pub fn restoring(self, version: i64, created: Timestamp) -> UserWrite<'a> {
        UserWrite {
            restoring: Some((version, created)),
            ..self
        }
    }

    /// The bytes the row's two documents take (what the tenant's byte quota counts).
    pub fn size(&self) -> i64 {
        (self.resource.len() + self.folded.len()) as i64
    }

    /// The value a written column takes; `None` for the columns the statement itself computes
    /// (the tenant, the version) or SQLite generates.
    fn value(&self, fill: Fill) -> Option<Value> {
        let doc = self.doc;
        Some(match fill {
            Fill::Id => self.id.into(),
            Fill::WriteId => self.write_id.into(),
            Fill::Created => self.restoring.map_or(self.now, |(_, c)| c).into(),
            Fill::LastModified => self.now.into(),
            Fill::Resource => self.resource.as_str().into(),
            Fill::Folded => self.folded.as_str().into(),
            Fill::Text(path) => columns::text_at(doc, path).into(),
            Fill::Fold(path) => columns::text_at(doc, path).map(fold).into(),
            Fill::Active => columns::is_active(doc).into(),
            Fill::Email => columns::employee_email(doc).into(),
            Fill::Size => self.size().into(),
            Fill::FoldFresh => Value::Int(0),
            Fill::Search => columns::search_words(doc).into(),
            Fill::Tenant | Fill::Version | Fill::Generated(_) => return None,
        })
    }

    /// The email rows, for `replace_emails`.
    fn emails_json(&self) -> String {
        email_rows_json(self.doc).to_string()
    }
}

/// A user's `user_emails` rows as the statements that write them take them:
/// `[[value, value_fold, type_fold, primary], ...]`.
pub fn email_rows_json(doc: &Doc) -> serde_json::Value {
    columns::email_rows(doc)
        .iter()
        .map(|e| serde_json::json!([e.value, e.value_fold, e.type_fold, e.primary as i64]))
        .collect()
}

fn json_text(doc: &Doc) -> String {
    serde_json::to_string(doc).unwrap_or_else(|_| "{}".into())
}

/// Binds a written column's value, once per distinct time (created and lastModified share it).
fn bind_column(
    q: &mut Sql,
    w: &UserWrite<'_>,
    fill: Fill,
    now: &mut Option<Param>,
) -> Option<Param> {
    // The write's time, bound once for both columns (a restore keeps its creation time).
    let restored_created = matches!(fill, Fill::Created) && w.restoring.is_some();
    if matches!(fill, Fill::Created | Fill::LastModified) && !restored_created {
        return Some(*now.get_or_insert_with(|| q.bind(w.now)));
    }
    w.value(fill).map(|v| q.bind(v))
}

/// What a write claims from its tenant: its unique values, and room under the quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim<'a> {
    pub id: &'a UserId,
    pub user_name_fold: &'a str,
    pub external_id: Option<&'a str>,
    /// Employees the write adds: 1 for a create, 0 for an update.
    pub employees: i64,
    /// Bytes the write adds to the tenant's stored bytes (negative when it shrinks the user).
    pub bytes: i64,
}

/// Why a write of a user did not take effect, other than a lost race or a missing user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another user of the tenant has the folded userName.
    UserNameTaken,
    /// Another user of the tenant has the externalId.
    ExternalIdTaken,
    /// The tenant has its maximum of employees.
    EmployeeQuota,
    /// The tenant's stored bytes would pass its quota.
    ByteQuota,
}

impl Refusal {
    /// In the order they are checked: a write refused for several reasons is refused for the
    /// first.
    pub const ALL: [Refusal; 4] = [
        Refusal::UserNameTaken,
        Refusal::ExternalIdTaken,
        Refusal::EmployeeQuota,
        Refusal::ByteQuota,
    ];

    fn code(self) -> &'static str {
        match self {
            Refusal::UserNameTaken => "user_name",
            Refusal::ExternalIdTaken => "external_id",
            Refusal::EmployeeQuota => "employees",
            Refusal::ByteQuota => "bytes",
        }
    }

    /// The condition, over the tenant `tenant` (a SQL expression), that holds when this reason
    /// applies to the claim.
    fn holds(self, q: &mut Sql, tenant: &str, c: &mut BoundClaim<'_>) -> String {
        match self {
            Refusal::UserNameTaken => format!(
                "EXISTS (SELECT 1 FROM users o WHERE o.tenant_id = {tenant} \
                 AND o.user_name_fold = {} AND o.id <> {})",
                c.user_name_fold(q),
                c.id(q)
            ),
            Refusal::ExternalIdTaken => match c.claim.external_id {
                None => "0".to_string(),
                Some(_) => format!(
                    "EXISTS (SELECT 1 FROM users o WHERE o.tenant_id = {tenant} \
                     AND o.external_id = {} AND o.id <> {})",
                    c.external_id(q),
                    c.id(q)
                ),
            },
            Refusal::EmployeeQuota => match c.claim.employees > 0 {
                false => "0".to_string(),
                true => format!(
                    "EXISTS (SELECT 1 FROM tenants tq WHERE tq.id = {tenant} \
                     AND tq.employees + {} > coalesce(tq.max_employees, {}))",
                    c.employees(q),
                    c.max_employees(q)
                ),
            },
            Refusal::ByteQuota => match c.claim.bytes > 0 {
                false => "0".to_string(),
                true => format!(
                    "EXISTS (SELECT 1 FROM tenants tq WHERE tq.id = {tenant} \
                     AND tq.stored_bytes + {} > coalesce(tq.max_bytes, {}))",
                    c.bytes(q),
                    c.max_bytes(q)
                ),
            },
        }
    }
}

/// A claim's values as one statement binds them: each once, when a condition first names it
/// (a bound value no condition names would be an error).
pub struct BoundClaim<'c> {
    claim: &'c Claim<'c>,
    params: [Option<Param>; 7],
}

macro_rules! claim_params {
    ($($name:ident = $index:literal: |$c:ident| $value:expr;)*) => {
        impl BoundClaim<'_> {
            $(fn $name(&mut self, q: &mut Sql) -> Param {
                let $c = self.claim;
                *self.params[$index].get_or_insert_with(|| q.bind($value))
            })*
        }
    };
}

claim_params! {
    id = 0: |c| c.id;
    user_name_fold = 1: |c| c.user_name_fold;
    external_id = 2: |c| c.external_id;
    employees = 3: |c| c.employees;
    bytes = 4: |c| c.bytes;
    max_employees = 5: |_c| DEFAULT_MAX_EMPLOYEES;
    max_bytes = 6: |_c| DEFAULT_MAX_BYTES;
}

impl<'c> Claim<'c> {
    pub fn bind(&'c self) -> BoundClaim<'c> {
        BoundClaim {
            claim: self,
            params: [None; 7],
        }
    }
}

/// `CASE WHEN <a refusal holds> THEN <its value> ... END`, over [`Refusal::ALL`] in order: the
/// value of the first refusal that holds for `claim` (a write refused for several reasons is
/// refused for the first), NULL when none does. Each refusal's condition is in it once.
pub fn first_refusal(
    q: &mut Sql,
    tenant: &str,
    claim: &mut BoundClaim<'_>,
    value: impl Fn(Refusal) -> String,
) -> String {
    let cases: Vec<String> = Refusal::ALL
        .iter()
        .map(|r| format!("WHEN {} THEN {}", r.holds(q, tenant, claim), value(*r)))
        .collect();
    format!("CASE {} END", cases.join(" "))
}

/// The quota's room for the claim (the unique values are the unique indexes' to keep).
fn has_room(q: &mut Sql, tenant: &str, claim: &Claim<'_>) -> String {
    let mut c = claim.bind();
    format!(
        "NOT {} AND NOT {}",
        Refusal::EmployeeQuota.holds(q, tenant, &mut c),
        Refusal::ByteQuota.holds(q, tenant, &mut c)
    )
}

/// Why `claim` was refused, if one of the [`Refusal`]s explains it (read after the write).
pub fn refusal<'s>(scope: impl Into<Scope<'s>>, claim: &Claim<'_>) -> Query<Option<Refusal>> {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let mut bound = claim.bind();
    let reason = first_refusal(&mut q, &tenant, &mut bound, |r| format!("'{}'", r.code()));
    Query::new(q.stmt(format!("SELECT {reason} AS reason")), |rows| {
        let reason = match rows.first() {
            Some(row) => Columns(row).opt_text("reason")?.map(str::to_string),
            None => None,
        };
        Ok(reason.and_then(|r| Refusal::ALL.into_iter().find(|x| x.code() == r)))
    })
}

/// The user `id` as a write's batch leaves it, and the [`Refusal`] that explains a write that
/// did not take effect (as [`refusal`] reads it), in one statement: the last read of a PUT's
/// or PATCH's batch, which needs the second only when its write lost (one statement fewer for
/// every update, issue 22). `None` for the user when there is none.
pub fn user_and_refusal<'s>(
    scope: impl Into<Scope<'s>>,
    id: &UserId,
    claim: &Claim<'_>,
) -> Query<(Option<StoredUser>, Option<Refusal>)> {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let mut bound = claim.bind();
    let reason = first_refusal(&mut q, &tenant, &mut bound, |r| format!("'{}'", r.code()));
    let id = q.bind(id);
    Query::new(
        q.stmt(format!(
            "SELECT r.reason AS refusal_reason, x.* \
             FROM (SELECT {reason} AS reason) r \
             LEFT JOIN (SELECT {USER_COLUMNS_READ} FROM users u {MANAGER_JOIN} \
                        WHERE u.tenant_id = {tenant} AND u.id = {id}) x ON 1"
        )),
        |rows| {
            let Some(row) = rows.first() else {
                return Err(StoreError::Internal(
                    "the user and refusal read: no row".into(),
                ));
            };
            let c = Columns(row);
            let reason = c.opt_text("refusal_reason")?;
            let refusal = reason.and_then(|r| Refusal::ALL.into_iter().find(|x| x.code() == r));
            let user = match c.opt_text("id")? {
                Some(_) => Some(StoredUser::from_row(row)?),
                None => None,
            };
            Ok((user, refusal))
        },
    )
}

/// Inserts a new user (version 1), unless its userName or externalId is taken or the tenant's
/// quota has no room for it: then nothing happens and the batch's later statements see no row
/// with this write id.
pub fn insert_user<'s>(scope: impl Into<Scope<'s>>, w: &UserWrite<'_>, claim: &Claim<'_>) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let mut now = None;
    let (mut names, mut values) = (Vec::new(), Vec::new());
    for c in USER_COLUMNS.iter().filter(|c| c.is_written()) {
        let value = match c.fill {
            Fill::Tenant => "t.tenant_id".to_string(),
            Fill::Version => match w.restoring {
                None => "1".to_string(),
                Some((version, _)) => q.bind(version + 1).to_string(),
            },
            fill => match bind_column(&mut q, w, fill, &mut now) {
                Some(p) => p.to_string(),
                None => continue,
            },
        };
        names.push(c.name);
        values.push(value);
    }
    let room = has_room(&mut q, "t.tenant_id", claim);
    let restorable = match w.restoring {
        None => String::new(),
        Some((version, _)) => format!(
            " AND {}",
            still_deleted(&mut q, "t.tenant_id", w.id, version)
        ),
    };
    let definitions = w.definitions_unchanged(&mut q, "t.tenant_id");
    q.stmt(format!(
        "INSERT INTO users ({}) SELECT {} FROM (SELECT {tenant} AS tenant_id) t \
         WHERE t.tenant_id IS NOT NULL AND {room}{restorable}{definitions} ON CONFLICT DO NOTHING",
        names.join(", "),
        values.join(", ")
    ))
}

/// Replaces a user whose version is still `expected_version`, if the quota has room for what it
/// grows; `UPDATE OR IGNORE` so that a userName or externalId taken by another user skips the
/// row instead of failing the batch.
pub fn update_user<'s>(
    scope: impl Into<Scope<'s>>,
    w: &UserWrite<'_>,
    expected_version: i64,
    claim: &Claim<'_>,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let mut now = None;
    let mut sets = Vec::new();
    for c in USER_COLUMNS.iter().filter(|c| c.is_written()) {
        match c.fill {
            // The row's identity and creation never change.
            Fill::Tenant | Fill::Id | Fill::Created => {}
            Fill::Version => sets.push("version = version + 1".to_string()),
            fill => {
                if let Some(p) = bind_column(&mut q, w, fill, &mut now) {
                    sets.push(format!("{} = {p}", c.name));
                }
            }
        }
    }
    let (id, version) = (q.bind(w.id), q.bind(expected_version));
    let room = has_room(&mut q, &tenant, claim);
    let definitions = w.definitions_unchanged(&mut q, &tenant);
    q.stmt(format!(
        "UPDATE OR IGNORE users SET {} WHERE tenant_id = {tenant} AND id = {id} \
         AND version = {version} AND {room}{definitions}",
        sets.join(", ")
    ))
}

/// Keeps the tenant's usage right after a write that took effect: `claim`'s employees and
/// bytes are added (so `stored_bytes` stays the sum of the users' sizes).
pub fn count_usage<'s>(scope: impl Into<Scope<'s>>, w: &UserWrite<'_>, claim: &Claim<'_>) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (employees, bytes) = (q.bind(claim.employees), q.bind(claim.bytes));
    let written_by = written(&mut q, scope, w.id, w.write_id);
    q.stmt(format!(
        "UPDATE tenants SET employees = employees + {employees}, stored_bytes = stored_bytes + {bytes} \
         WHERE id = {tenant} AND {written_by}"
    ))
}

/// `EXISTS` the user row `id` written by `write_id`: the condition of every statement that
/// belongs to a write.
fn written(q: &mut Sql, scope: Scope<'_>, id: &UserId, write_id: &WriteId) -> String {
    let tenant = q.tenant(scope);
    format!(
        "EXISTS (SELECT 1 FROM users WHERE tenant_id = {tenant} AND id = {} AND write_id = {})",
        q.bind(id),
        q.bind(write_id)
    )
}

/// The user's `user_emails` rows, rewritten if this request's write took effect and changed
/// them: nothing when the write keeps the emails of `old` (the document it replaces, as of the
/// version the write is conditional on), no delete when `old` had none (a create, a restore:
/// a deleted user's rows went with it).
pub fn replace_emails<'s>(scope: impl Into<Scope<'s>>, w: &UserWrite<'_>, old: &Doc) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let old_rows = email_rows_json(old);
    if old_rows == email_rows_json(w.doc) {
        return Vec::new();
    }
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let id = q.bind(w.id);
    let written_by = written(&mut q, scope, w.id, w.write_id);
    let delete = q.stmt(format!(
        "DELETE FROM user_emails WHERE tenant_id = {tenant} AND user_id = {id} AND {written_by}"
    ));
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (id, write_id, emails) = (q.bind(w.id), q.bind(w.write_id), q.bind(w.emails_json()));
    let insert = q.stmt(format!(
        "INSERT INTO user_emails (tenant_id, user_id, position, value, value_fold, type_fold, is_primary) \
         SELECT u.tenant_id, u.id, j.key, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), \
         json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]') \
         FROM users u, json_each({emails}) j \
         WHERE u.tenant_id = {tenant} AND u.id = {id} AND u.write_id = {write_id}"
    ));
    match old_rows.as_array().is_none_or(Vec::is_empty) {
        true => vec![insert],
        false => vec![delete, insert],
    }
}

/// The activation changes a write records (DESIGN §4); a deletion is recorded by
/// `store::deleted::delete_user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Create,
    Deactivate,
    Reactivate,
    /// A deleted employee brought back, in the state it had (`store::deleted`).
    Restore,
}

impl Activation {
    fn kind(self) -> &'static str {
        match self {
            Activation::Create => "create",
            Activation::Deactivate => "deactivate",
            Activation::Reactivate => "reactivate",
            Activation::Restore => "restore",
        }
    }
}

/// An activation-history row, if this request's write took effect; the user's state is read
/// from the row just written.
pub fn record_activation<'s>(
    scope: impl Into<Scope<'s>>,
    id: &UserId,
    write_id: &WriteId,
    change: Activation,
    at: Timestamp,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (id, write_id, at, kind) = (
        q.bind(id),
        q.bind(write_id),
        q.bind(at),
        q.bind(change.kind()),
    );
    // A deactivation is what the eligibility guard counts (`store::guard`).
    let loss = q.bind(change == Activation::Deactivate);
    q.stmt(format!(
        "INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, email, user_name_fold, loss) \
         SELECT u.tenant_id, u.id, {at}, {kind}, u.active, u.user_name, u.email, u.user_name_fold, {loss} \
         FROM users u WHERE u.tenant_id = {tenant} AND u.id = {id} AND u.write_id = {write_id}"
    ))
}

/// The employee references a write changes (DESIGN §4): `removed` (a JSON array of attribute
/// ids whose value changed or went away) are dropped, then `added` (a JSON array of
/// `[attribute id, value as sent, folded value]`) are resolved against the tenant's employees by
/// id, then userName, then any email, and stored resolved or pending. Only if this request's
/// write took effect.
pub fn set_refs<'s>(
    scope: impl Into<Scope<'s>>,
    user_id: &UserId,
    write_id: &WriteId,
    removed: &str,
    added: &str,
) -> Vec<Stmt> {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (id, removed) = (q.bind(user_id), q.bind(removed));
    let written_by = written(&mut q, scope, user_id, write_id);
    let drop = q.stmt(format!(
        "DELETE FROM employee_refs WHERE tenant_id = {tenant} AND user_id = {id} \
         AND attribute_id IN (SELECT value FROM json_each({removed})) AND {written_by}"
    ));
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (id, write_id, added) = (q.bind(user_id), q.bind(write_id), q.bind(added));
    // Each value's employee: by id, else by userName, else by any email (the earliest created
    // such employee), as filters read it. Correlated subqueries refer to the derived table `x`,
    // never to `json_each` directly (D1's SQLite cannot resolve that from two levels down).
    let named = employee_named("x.tenant_id", "x.v", "x.vf");
    let add = q.stmt(format!(
        "INSERT INTO employee_refs (tenant_id, user_id, attribute_id, target_id, pending, pending_fold) \
         SELECT y.tenant_id, y.user_id, y.attribute_id, y.target_id, \
         CASE WHEN y.target_id IS NULL THEN y.v END, CASE WHEN y.target_id IS NULL THEN y.vf END FROM (\
         SELECT x.tenant_id AS tenant_id, x.user_id AS user_id, x.attribute_id AS attribute_id, x.v AS v, x.vf AS vf, \
         {named} AS target_id FROM (\
         SELECT u.tenant_id AS tenant_id, u.id AS user_id, json_extract(j.value, '$[0]') AS attribute_id, \
         json_extract(j.value, '$[1]') AS v, json_extract(j.value, '$[2]') AS vf \
         FROM users u, json_each({added}) j WHERE u.tenant_id = {tenant} AND u.id = {id} AND u.write_id = {write_id}\
         ) x) y WHERE true \
         ON CONFLICT (tenant_id, user_id, attribute_id) DO UPDATE SET target_id = excluded.target_id, \
         pending = excluded.pending, pending_fold = excluded.pending_fold, held = NULL, held_fold = NULL"
    ));
    vec![drop, add]
}

/// Resolves the pending references that name this user (by userName or any email), now that
/// the user exists or changed (Okta does not order its creates).
pub fn resolve_pending<'s>(
    scope: impl Into<Scope<'s>>,
    user_id: &UserId,
    write_id: &WriteId,
) -> Stmt {
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let tenant = q.tenant(scope);
    let (id, write_id) = (q.bind(user_id), q.bind(write_id));
    q.stmt(format!(
        "UPDATE employee_refs SET target_id = {id}, pending = NULL, pending_fold = NULL \
         WHERE tenant_id = {tenant} AND target_id IS NULL AND (\
         pending_fold IN (SELECT user_name_fold FROM users WHERE tenant_id = employee_refs.tenant_id \
         AND id = {id} AND write_id = {write_id}) \
         OR pending_fold IN (SELECT e.value_fold FROM user_emails e JOIN users u \
         ON u.tenant_id = e.tenant_id AND u.id = e.user_id \
         WHERE e.tenant_id = employee_refs.tenant_id AND e.user_id = {id} AND u.write_id = {write_id}))"
    ))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::scim::columns::Column;
    use crate::store::list_sql::json_path;
    use crate::store::sqlite::SqliteStore;

    fn migrated() -> SqliteStore {
        SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap()
    }

    fn strings(store: &SqliteStore, sql: &str) -> Vec<Vec<String>> {
        store.with_conn(|c| {
            let mut st = c.prepare(sql).unwrap();
            let n = st.column_count();
            st.query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Text(t) => {
                                String::from_utf8_lossy(t).into_owned()
                            }
                            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                            _ => String::new(),
                        })
                    })
                    .collect::<Result<Vec<String>, _>>()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        })
    }

    /// The column table and the migrated `users` table agree: names, order, types, NOT NULL,
    /// which columns SQLite generates and from what, and every index.
    #[test]
    fn the_column_table_is_the_migrated_schema() {
        let store = migrated();
        let info = strings(
            &store,
            "SELECT name, type, \"notnull\", hidden FROM pragma_table_xinfo('users')",
        );
        let expected: Vec<Vec<String>> = USER_COLUMNS
            .iter()
            .map(|c: &Column| {
                vec![
                    c.name.to_string(),
                    c.ty.as_str().to_string(),
                    u8::from(c.not_null).to_string(),
                    // 2: a VIRTUAL generated column.
                    if c.is_written() { "0" } else { "2" }.to_string(),
                ]
            })
            .collect();
        assert_eq!(info, expected);

        let create = &strings(&store, "SELECT sql FROM sqlite_schema WHERE name = 'users'")[0][0];
        for c in USER_COLUMNS {
            if let Fill::Generated(path) = c.fill {
                let keys: Vec<String> = path.iter().map(|k| k.to_string()).collect();
                let expr = format!(
                    "{} TEXT GENERATED ALWAYS AS (json_extract(folded, '{}')) VIRTUAL",
                    c.name,
                    json_path(&keys).unwrap()
                );
                assert!(create.contains(&expr), "{expr} not in {create}");
            }
        }

        // Every index on users is the table's (besides the primary key's), on (tenant_id, the
        // column, ...); the userName's is unique.
        let indexes = strings(
            &store,
            "SELECT name, \"unique\", origin FROM pragma_index_list('users') ORDER BY name",
        );
        let declared: Vec<&Column> = USER_COLUMNS.iter().filter(|c| c.index.is_some()).collect();
        let mut names: Vec<&str> = indexes
            .iter()
            .filter(|i| i[2] != "pk")
            .map(|i| i[0].as_str())
            .collect();
        names.sort();
        let mut expected: Vec<&str> = declared.iter().filter_map(|c| c.index).collect();
        expected.sort();
        assert_eq!(names, expected);
        for c in declared {
            let index = c.index.unwrap();
            let columns: Vec<String> = strings(
                &store,
                &format!("SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"),
            )
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
            assert_eq!(&columns[..2], ["tenant_id", c.name], "{index}");
            let unique = indexes.iter().any(|i| i[0] == index && i[1] == "1");
            assert_eq!(
                unique,
                c.readers
                    .contains(&crate::scim::columns::Reader::Uniqueness),
                "{index}"
            );
        }
    }

    /// Every column the table says is read outside filters and sorting (which name columns
    /// through the table) is named by some statement of the store.
    #[test]
    fn every_column_is_named_by_a_statement_that_reads_it() {
        // The statements of the files that read users: each file's code before its tests.
        let code: String = [
            "users.rs",
            "reports.rs",
            "activity.rs",
            "list_sql.rs",
            "maintenance.rs",
        ]
        .iter()
        .map(|f| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/store")
                .join(f);
            let text = std::fs::read_to_string(path).unwrap();
            text.split("\nmod tests {")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
        for c in USER_COLUMNS.iter().filter(|c| c.serves.is_none()) {
            let named = [".", " ", "("]
                .iter()
                .any(|before| code.contains(&format!("{before}{}", c.name)));
            assert!(named, "no statement reads users.{}", c.name);
        }
    }
}
