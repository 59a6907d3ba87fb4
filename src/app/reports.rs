//! What the product and a company's admins read (DESIGN §4, §7): the employee **roster** with
//! survey eligibility at any time T (`GET /admin/v1/tenants/{tenant}/employees`), the
//! provisioning **activity log** (`GET /admin/v1/tenants/{tenant}/activity`), and the log's
//! **retention**, which the worker's Cron Trigger runs (`lib.rs`, `wrangler.toml`).
//!
//! Both lists are keyset-paged with opaque cursors, so a page costs the same at any depth, and
//! both are scoped to the tenant in the URL (404 when it does not exist). The SQL is in
//! `store::reports`.
//!
//! **The roster at T.** An employee is listed when they existed at T (created at or before T,
//! not deleted at or before T), with `active` as of T, `eligible` (existed and active at T,
//! DESIGN §4: for a listed employee the same as `active`) and `changed_at`, the time of their
//! last creation or activation change at or before T. The first page pins T (the request's time
//! when `at` is not given) into the cursor, so every page describes the same moment: writes made
//! while an admin pages through have later times and change nothing, and no employee is skipped
//! or repeated. Two exceptions, both narrow: a write in flight at T (its time is its request's,
//! before T, but it commits just after the first page) shows on the pages not yet read; and a
//! rename during the paging can move an employee across the cursor, as in any keyset paging over
//! a mutable key. The cursor also keeps the `eligible` filter and `total`,
//! counted on the first page only: the page itself costs `limit` index steps, the count one pass
//! over the tenant's history.
//!
//! **Which userName and email.** The history records who an employee was at each activation
//! change, not at each rename, so the roster names everyone by their latest known identity: the
//! userName and email they have now, or, for an employee deleted since, the ones they had when
//! deleted. The id is the stable key; the latest name and email are what a survey sender (or an
//! admin looking for someone) needs; and a name that does not depend on T lets an index serve the
//! userName order at every T. Past names stay visible in the activity log's `changes`.
//!
//! **Freshness.** Both reports read the primary, not a replica (see `read`).
//!
//! **Retention.** Activity-log entries older than `ACTIVITY_RETENTION_DAYS` days (default 90) are
//! removed, oldest first, in bounded chunks. The activation history is never pruned: the roster
//! must answer for any past T.

use super::admin;
use super::ids::{base64url, base64url_decode};
use super::query;
use super::respond::admin_json;
use super::tenancy::store_error;
use super::{Ctx, Response};
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::store::reports::{self as sql, ActivityFilter};
use crate::store::{admin as admin_sql, Consistency, Row, Stmt, Store, StoreError};
use serde_json::{json, Value};

/// The operations an activity-log entry can have (DESIGN §7).
pub const OPERATIONS: [&str; 6] = [
    "create",
    "replace",
    "update",
    "deactivate",
    "reactivate",
    "delete",
];

/// The deployment variable that sets the activity log's retention, in days.
pub const RETENTION_VAR: &str = "ACTIVITY_RETENTION_DAYS";
/// Retention when the variable is not set.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Longest retention accepted (a hundred years; beyond is surely a typo).
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// Entries removed per batch: small enough for one D1 batch to stay far from its 30 s limit.
pub const PRUNE_CHUNK: i64 = 5_000;
/// Batches per run: 2 statements each stays far below D1's 1,000 queries per invocation. A
/// larger backlog is finished by the next runs.
pub const MAX_PRUNE_BATCHES: usize = 100;

const MS_PER_DAY: i64 = 86_400_000;

fn bad(detail: impl Into<String>) -> ScimError {
    ScimError::BadRequest(detail.into())
}

fn bad_cursor() -> ScimError {
    bad("\"cursor\" is not valid")
}

/// A query parameter; an empty value counts as absent (an empty form field).
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query::get(params, name).filter(|v| !v.is_empty())
}

/// `limit` (default 100, at most 1,000), validated as for every admin list.
fn limit(params: &[(String, String)]) -> Result<i64, ScimError> {
    // The reports' cursors have their own form; only the limit is read by the shared helper.
    let only_limit: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("limit"))
        .cloned()
        .collect();
    Ok(admin::paging(&only_limit)?.0)
}

/// One of `choices`, in any letter case.
fn choice(value: &str, choices: &[&'static str]) -> Option<&'static str> {
    choices
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(value))
}

/// `at=`: an RFC 3339 date-time with its offset. A `+` written unescaped in a URL arrives as a
/// space (form encoding), so `…T10:00:00 02:00` is read as `…T10:00:00+02:00`.
fn parse_at(value: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(value).or_else(|| {
        let (head, offset) = value.rsplit_once(' ')?;
        let b = offset.as_bytes();
        let is_offset = b.len() == 5
            && b[2] == b':'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit());
        if is_offset {
            Timestamp::parse_rfc3339(&format!("{head}+{offset}"))
        } else {
            None
        }
    })
}

/// Cursors are opaque to clients: base64url of a JSON array whose first element names the list.
fn encode_cursor(parts: Value) -> String {
    base64url(parts.to_string().as_bytes())
}

fn decode_cursor(cursor: &str, list: &str) -> Option<Vec<Value>> {
    let bytes = base64url_decode(cursor)?;
    let Value::Array(mut parts) = serde_json::from_slice::<Value>(&bytes).ok()? else {
        return None;
    };
    if parts.first().and_then(Value::as_str) != Some(list) {
        return None;
    }
    parts.remove(0);
    Some(parts)
}

/// Where the next roster page starts, and what stays the same on every page of one listing: the
/// pinned time, the `eligible` filter, and the total (counted once, on the first page: at a
/// pinned time it cannot change, and counting is the one part of a page whose cost grows with
/// the tenant).
#[derive(Debug, Clone, PartialEq)]
struct RosterCursor {
    at: Timestamp,
    eligible: Option<bool>,
    total: i64,
    key: String,
    id: String,
}

impl RosterCursor {
    fn encode(&self) -> String {
        encode_cursor(json!([
            "employees",
            self.at.to_rfc3339(),
            self.eligible,
            self.total,
            self.key,
            self.id
        ]))
    }

    fn decode(cursor: &str) -> Option<RosterCursor> {
        match decode_cursor(cursor, "employees")?.as_slice() {
            [Value::String(at), eligible, total, Value::String(key), Value::String(id)] => {
                Some(RosterCursor {
                    at: Timestamp::parse_rfc3339(at)?,
                    eligible: match eligible {
                        Value::Null => None,
                        Value::Bool(b) => Some(*b),
                        _ => return None,
                    },
                    total: total.as_i64().filter(|t| *t >= 0)?,
                    key: key.clone(),
                    id: id.clone(),
                })
            }
            _ => None,
        }
    }
}

fn activity_cursor(seq: i64) -> String {
    encode_cursor(json!(["activity", seq]))
}

fn decode_activity_cursor(cursor: &str) -> Option<i64> {
    match decode_cursor(cursor, "activity")?.as_slice() {
        [seq] => seq.as_i64(),
        _ => None,
    }
}

/// Runs `stmts` behind the check that the tenant exists, in one batch (one round trip), and
/// returns their results.
///
/// On the primary, not a replica (`Consistency::Any`), for three reasons: the roster decides who
/// receives the next survey, so a deactivation must count from the moment its request was
/// answered; an admin who just watched their IdP act expects to find it in the log; and the next
/// page of a list must not come from a replica older than the one that served the previous page
/// (a D1 session, which would prevent that, does not outlive a request). Admin reads are rare
/// next to provisioning traffic, so the primary can afford them.
async fn read<S: Store>(
    store: &S,
    tenant_id: &str,
    stmts: Vec<Stmt>,
) -> Result<Vec<Vec<Row>>, ScimError> {
    let mut all = vec![admin_sql::get_tenant(tenant_id)];
    all.extend(stmts);
    let mut results = store
        .batch(Consistency::Primary, all)
        .await
        .map_err(store_error)?;
    if results.first().is_none_or(Vec::is_empty) {
        return Err(ScimError::NotFound("No such tenant".into()));
    }
    results.remove(0);
    Ok(results)
}

fn text(row: &Row, key: &str) -> Value {
    row.get(key)
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or(Value::Null)
}

fn int(row: &Row, key: &str) -> i64 {
    row.get(key).and_then(Value::as_i64).unwrap_or_default()
}

/// `GET /admin/v1/tenants/{tenant}/employees?eligible=&at=&limit=&cursor=` (DESIGN §7).
pub async fn employees<S: Store>(
    tenant_id: &str,
    params: &[(String, String)],
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    let limit = limit(params)?;
    let eligible = match param(params, "eligible") {
        None => None,
        Some(v) => match choice(v, &["true", "false"]) {
            Some(c) => Some(c == "true"),
            None => return Err(bad("\"eligible\" must be true or false")),
        },
    };
    let asked = match param(params, "at") {
        None => None,
        Some(v) => Some(parse_at(v).ok_or_else(|| {
            bad("\"at\" must be an RFC 3339 date-time with an offset, e.g. 2026-01-02T03:04:05Z")
        })?),
    };
    let cursor = param(params, "cursor")
        .map(|c| RosterCursor::decode(c).ok_or_else(bad_cursor))
        .transpose()?;
    if let Some(c) = &cursor {
        // A cursor continues the listing it came from.
        if asked.is_some_and(|a| a != c.at) {
            return Err(bad(
                "\"cursor\" belongs to the roster at another time than \"at\"",
            ));
        }
        if c.eligible != eligible {
            return Err(bad(
                "\"cursor\" belongs to a listing with another \"eligible\"",
            ));
        }
    }
    let at = cursor.as_ref().map(|c| c.at).or(asked).unwrap_or(ctx.now);
    let at_text = at.to_rfc3339();
    let after = cursor
        .as_ref()
        .map_or(("", ""), |c| (c.key.as_str(), c.id.as_str()));
    let mut stmts = vec![sql::roster_page(
        tenant_id,
        &at_text,
        after,
        eligible,
        limit + 1,
    )];
    if cursor.is_none() {
        stmts.push(sql::roster_counts(tenant_id, &at_text));
    }
    let mut results = read(store, tenant_id, stmts).await?;
    let total = match &cursor {
        Some(c) => c.total,
        None => {
            let counts = results
                .pop()
                .and_then(|rows| rows.into_iter().next())
                .unwrap_or_default();
            let (existed, active) = (int(&counts, "existed"), int(&counts, "eligible"));
            match eligible {
                None => existed,
                Some(true) => active,
                Some(false) => existed - active,
            }
        }
    };
    let mut rows = results.pop().unwrap_or_default();
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Value::String(
            RosterCursor {
                at,
                eligible,
                total,
                key: last
                    .get("name_key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                id: last
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            }
            .encode(),
        ),
        _ => Value::Null,
    };
    let employees: Vec<Value> = rows
        .iter()
        .map(|r| {
            let active = int(r, "active") == 1;
            json!({
                "id": text(r, "id"),
                "userName": text(r, "user_name"),
                "email": text(r, "email"),
                "active": active,
                // Listed means existed at T; eligible is then being active at T (DESIGN §4).
                "eligible": active,
                "changed_at": text(r, "changed_at"),
            })
        })
        .collect();
    Ok(admin_json(
        200,
        &json!({ "employees": employees, "total": total, "next_cursor": next_cursor, "at": at_text }),
    ))
}

/// `GET /admin/v1/tenants/{tenant}/activity?user=&operation=&result=&limit=&cursor=` (DESIGN §7).
pub async fn activity<S: Store>(
    tenant_id: &str,
    params: &[(String, String)],
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    let limit = limit(params)?;
    let user = param(params, "user").map(|u| (u, fold(u)));
    let operation = match param(params, "operation") {
        None => None,
        Some(v) => Some(choice(v, &OPERATIONS).ok_or_else(|| {
            bad(format!(
                "\"operation\" must be one of {}",
                OPERATIONS.join(", ")
            ))
        })?),
    };
    let failed = match param(params, "result") {
        None => None,
        Some(v) => match choice(v, &["success", "failure"]) {
            Some(c) => Some(c == "failure"),
            None => return Err(bad("\"result\" must be success or failure")),
        },
    };
    let before = param(params, "cursor")
        .map(|c| decode_activity_cursor(c).ok_or_else(bad_cursor))
        .transpose()?;
    let filter = ActivityFilter {
        user,
        operation,
        failed,
    };
    let mut results = read(
        store,
        tenant_id,
        vec![sql::activity_page(tenant_id, &filter, before, limit + 1)],
    )
    .await?;
    let mut rows = results.pop().unwrap_or_default();
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Value::String(activity_cursor(int(last, "seq"))),
        _ => Value::Null,
    };
    let entries: Vec<Value> = rows.iter().map(|r| entry_json(r, ctx)).collect();
    Ok(admin_json(
        200,
        &json!({ "entries": entries, "next_cursor": next_cursor }),
    ))
}

/// One activity-log entry as the contract shows it. `changes` is stored as JSON text; one that
/// does not parse (it cannot, short of a bug) is shown as null and reported in the worker's log
/// rather than failing the admin's whole page.
fn entry_json(r: &Row, ctx: &mut Ctx<'_>) -> Value {
    let changes = match r.get("changes").and_then(Value::as_str) {
        None => Value::Null,
        Some(c) => serde_json::from_str(c).unwrap_or_else(|_| {
            ctx.log.push(format!(
                "activity: entry {} has unreadable changes",
                int(r, "seq")
            ));
            Value::Null
        }),
    };
    json!({
        "at": text(r, "at"),
        "request_id": text(r, "request_id"),
        "operation": text(r, "operation"),
        "user_id": text(r, "user_id"),
        "user_name": text(r, "user_name"),
        "status": int(r, "status"),
        "detail": text(r, "detail"),
        "changes": changes,
        "client": text(r, "client"),
        "token_id": text(r, "token_id"),
    })
}

/// The retention in days from the deployment variable: unset means [`DEFAULT_RETENTION_DAYS`];
/// anything but a whole number of days from 1 to [`MAX_RETENTION_DAYS`] is an error, and the run
/// then removes nothing (a typo must not empty the log).
pub fn retention_days(var: Option<&str>) -> Result<u32, String> {
    let Some(raw) = var else {
        return Ok(DEFAULT_RETENTION_DAYS);
    };
    match raw.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "{RETENTION_VAR} must be a whole number of days from 1 to {MAX_RETENTION_DAYS}, not {raw:?}"
        )),
    }
}

/// The oldest time kept: entries recorded before it are removed.
pub fn retention_cutoff(now: Timestamp, days: u32) -> Timestamp {
    now.add_millis(-(i64::from(days) * MS_PER_DAY))
}

/// What one retention run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: i64,
    /// Older entries remain (more than one run's worth): the next run continues.
    pub more: bool,
}

/// Removes the activity-log entries of every tenant recorded more than `days` days before
/// `now`, in chunks of [`PRUNE_CHUNK`], at most [`MAX_PRUNE_BATCHES`] of them.
pub async fn prune_activity<S: Store>(
    store: &S,
    now: Timestamp,
    days: u32,
) -> Result<Pruned, StoreError> {
    let cutoff = retention_cutoff(now, days).to_rfc3339();
    prune(store, &cutoff, PRUNE_CHUNK, MAX_PRUNE_BATCHES).await
}

/// Removes entries recorded before `cutoff`, `chunk` per batch, in at most `batches` batches.
async fn prune<S: Store>(
    store: &S,
    cutoff: &str,
    chunk: i64,
    batches: usize,
) -> Result<Pruned, StoreError> {
    let mut removed = 0;
    for _ in 0..batches {
        let stmts = vec![
            sql::prunable_events(cutoff, chunk),
            sql::prune_events(cutoff, chunk),
        ];
        let results = store.batch(Consistency::Primary, stmts).await?;
        let n = results
            .first()
            .and_then(|rows| rows.first())
            .map_or(0, |r| int(r, "n"));
        removed += n;
        if n < chunk {
            return Ok(Pruned {
                removed,
                more: false,
            });
        }
    }
    Ok(Pruned {
        removed,
        more: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_cursors_round_trip_and_refuse_anything_else() {
        let c = RosterCursor {
            at: Timestamp(1_767_323_045_000),
            eligible: None,
            total: 7,
            key: "åsa\n\"x\"".into(),
            id: "u-1".into(),
        };
        assert_eq!(RosterCursor::decode(&c.encode()), Some(c.clone()));
        let c = RosterCursor {
            eligible: Some(false),
            ..c
        };
        assert_eq!(RosterCursor::decode(&c.encode()), Some(c));
        let bad_ones = [
            br#"[]"#.as_slice(),
            br#"{}"#,
            br#"["employees","yesterday",null,1,"k","i"]"#,
            br#"["employees","2026-01-01T00:00:00.000Z","no",1,"k","i"]"#,
            br#"["employees","2026-01-01T00:00:00.000Z",null,-1,"k","i"]"#,
            br#"["employees","2026-01-01T00:00:00.000Z",null,1,"k"]"#,
            br#"["activity","2026-01-01T00:00:00.000Z",null,1,"k","i"]"#,
        ];
        let encoded: Vec<String> = bad_ones.iter().map(|b| base64url(b)).collect();
        for bad in ["", "!!", &activity_cursor(5)]
            .into_iter()
            .chain(encoded.iter().map(String::as_str))
        {
            assert_eq!(RosterCursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn activity_cursors_round_trip_and_refuse_anything_else() {
        assert_eq!(decode_activity_cursor(&activity_cursor(42)), Some(42));
        let roster = RosterCursor {
            at: Timestamp(0),
            eligible: None,
            total: 1,
            key: "k".into(),
            id: "i".into(),
        }
        .encode();
        for bad in [
            "",
            "!!",
            &roster,
            &base64url(br#"["activity","42"]"#),
            &base64url(br#"["activity",1.5]"#),
        ] {
            assert_eq!(decode_activity_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn at_is_rfc3339_with_an_offset_and_survives_an_unescaped_plus() {
        let utc = Timestamp::parse_rfc3339("2026-01-02T01:04:05Z");
        let table = [
            ("2026-01-02T01:04:05Z", utc),
            ("2026-01-02T03:04:05+02:00", utc),
            ("2026-01-02T03:04:05 02:00", utc),
            ("2026-01-01T23:04:05-02:00", utc),
            ("2026-01-02", None),
            ("2026-01-02T01:04:05", None),
            ("yesterday", None),
            ("2026-01-02 03:04:05 02:00", utc),
            ("2026-01-02 01:04:05 02", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_at(input), expected, "{input}");
        }
    }

    #[test]
    fn retention_days_default_to_90_and_refuse_nonsense() {
        let table: [(Option<&str>, Result<u32, ()>); 8] = [
            (None, Ok(90)),
            (Some("30"), Ok(30)),
            (Some(" 7 "), Ok(7)),
            (Some("36500"), Ok(36_500)),
            (Some("0"), Err(())),
            (Some("-1"), Err(())),
            (Some("36501"), Err(())),
            (Some("ninety"), Err(())),
        ];
        for (var, expected) in table {
            assert_eq!(retention_days(var).map_err(|_| ()), expected, "{var:?}");
        }
        assert!(retention_days(Some(""))
            .unwrap_err()
            .contains(RETENTION_VAR));
    }

    #[test]
    fn the_cutoff_is_whole_days_before_now() {
        let now = Timestamp::parse_rfc3339("2026-04-01T03:17:00.250Z").unwrap();
        assert_eq!(
            retention_cutoff(now, 90).to_rfc3339(),
            "2026-01-01T03:17:00.250Z"
        );
        assert_eq!(
            retention_cutoff(now, 1).to_rfc3339(),
            "2026-03-31T03:17:00.250Z"
        );
        assert_eq!(retention_cutoff(Timestamp::MIN, 90), Timestamp::MIN);
    }

    /// Runs a future of the host store, which never waits.
    #[cfg(not(target_arch = "wasm32"))]
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..1000 {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("the host store never waits");
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn pruning_goes_in_chunks_and_says_when_more_remain() {
        use crate::store::sqlite::SqliteStore;
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let insert = |at: &str| {
            store.with_conn(|c| {
                c.execute(
                    "INSERT INTO events (tenant_id, at, request_id, operation, status) VALUES ('tnt_a', ?1, 'r', 'create', 201)",
                    [at],
                )
                .unwrap()
            });
        };
        for day in 1..=7 {
            insert(&format!("2026-01-0{day}T00:00:00.000Z"));
        }
        insert("2026-02-01T00:00:00.000Z");
        let cutoff = "2026-01-31T00:00:00.000Z";
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 6,
                more: true
            })
        );
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 1,
                more: false
            })
        );
        assert_eq!(
            block_on(prune(&store, cutoff, 2, 3)),
            Ok(Pruned {
                removed: 0,
                more: false
            })
        );
        let left: Vec<String> = store.with_conn(|c| {
            let mut st = c.prepare("SELECT at FROM events").unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        });
        assert_eq!(left, ["2026-02-01T00:00:00.000Z"]);
    }
}
