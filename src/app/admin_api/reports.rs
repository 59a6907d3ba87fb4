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
//! a mutable key. `q=` searches the roster: each word must begin a word of the employee's
//! names, userName or emails, ignoring case and accents (`store::reports::RosterFilter`). The
//! cursor also keeps the `eligible` filter, the search and `total`,
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
//! **Freshness.** Both reports read the primary, not a replica (see [`TenantBatch`]).
//!
//! The log's retention, which the Cron Trigger runs, is `app::retention`.

use super::error::AdminError;
use super::request::limit;
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::{base64url, base64url_decode};
use crate::app::plumbing::query;
use crate::app::plumbing::Response;
use crate::model::{Operation, TenantId};
use crate::scim::datetime::Timestamp;
use crate::scim::fold::{fold, search_key};
use crate::store::reports::{
    self as sql, ActivityEntry, ActivityFilter, RosterAfter, RosterFilter,
};
use crate::store::Store;
use serde_json::{json, Value};

fn bad(detail: impl Into<String>) -> AdminError {
    AdminError::BadRequest(detail.into())
}

fn bad_cursor() -> AdminError {
    bad("\"cursor\" is not valid")
}

/// A query parameter; an empty value counts as absent (an empty form field).
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query::get(params, name).filter(|v| !v.is_empty())
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
    /// The search (`q=`) as given, `None` without one.
    q: Option<String>,
}

impl RosterCursor {
    fn encode(&self) -> String {
        encode_cursor(json!([
            "employees",
            self.at.to_rfc3339(),
            self.eligible,
            self.total,
            self.key,
            self.id,
            self.q
        ]))
    }

    fn decode(cursor: &str) -> Option<RosterCursor> {
        let mut parts = decode_cursor(cursor, "employees")?;
        // The search, last (cursors issued before it existed have none).
        let q = match parts.len() {
            6 => match parts.pop()? {
                Value::Null => None,
                Value::String(q) => Some(q),
                _ => return None,
            },
            _ => None,
        };
        match parts.as_slice() {
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
                    q,
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

/// `eligible=`: `true` or `false`, in any case; absent or empty for everyone.
pub(super) fn eligible_param(params: &[(String, String)]) -> Result<Option<bool>, AdminError> {
    match param(params, "eligible") {
        None => Ok(None),
        Some(v) => match choice(v, &["true", "false"]) {
            Some(c) => Ok(Some(c == "true")),
            None => Err(bad("\"eligible\" must be true or false")),
        },
    }
}

/// `at=`: the roster's time, if given.
pub(super) fn at_param(params: &[(String, String)]) -> Result<Option<Timestamp>, AdminError> {
    param(params, "at")
        .map(|v| {
            parse_at(v).ok_or_else(|| {
                bad("\"at\" must be an RFC 3339 date-time with an offset, e.g. 2026-01-02T03:04:05Z")
            })
        })
        .transpose()
}

/// Longest search (`q=`), in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// `q=`: the search as given (trimmed; `None` when empty) and its words as the roster compares
/// them (`scim::fold::search_key`): each must begin one of an employee's words (names, userName,
/// emails), ignoring case and accents.
pub(super) fn search_param(
    params: &[(String, String)],
) -> Result<(Option<String>, Vec<String>), AdminError> {
    let Some(q) = param(params, "q").map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok((None, Vec::new()));
    };
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(bad(format!(
            "\"q\" may be at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    let words = search_words(q);
    if words.len() > sql::MAX_SEARCH_WORDS {
        return Err(bad(format!(
            "\"q\" may hold at most {} words",
            sql::MAX_SEARCH_WORDS
        )));
    }
    Ok((Some(q.to_string()), words))
}

/// The words of a search, as the roster's `search` column holds them.
fn search_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in q.split_whitespace().map(search_key) {
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// `GET /admin/v1/tenants/{tenant}/employees?eligible=&at=&q=&limit=&cursor=` (DESIGN §7).
pub async fn employees<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let limit = limit(params)?;
    let eligible = eligible_param(params)?;
    let asked = at_param(params)?;
    let (q, words) = search_param(params)?;
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
        if c.q != q {
            return Err(bad("\"cursor\" belongs to a listing with another \"q\""));
        }
    }
    let at = cursor.as_ref().map(|c| c.at).or(asked).unwrap_or(ctx.now);
    let after = cursor
        .as_ref()
        .map_or(RosterAfter { key: "", id: "" }, |c| RosterAfter {
            key: &c.key,
            id: &c.id,
        });
    let filter = RosterFilter {
        eligible,
        words: &words,
    };
    let mut batch = TenantBatch::new(tenant);
    let page = batch.read(sql::roster_page(tenant, at, after, &filter, limit + 1));
    let counts = cursor.is_none().then(|| {
        batch.read(if words.is_empty() {
            sql::roster_counts(tenant, at)
        } else {
            sql::roster_search_counts(tenant, at, &filter)
        })
    });
    let (_, mut results) = batch.run_primary(store).await?;
    let total = match (&cursor, counts) {
        (Some(c), _) => c.total,
        (None, Some(counts)) => {
            let counts = results.take(counts)?;
            match eligible {
                None => counts.existed,
                Some(true) => counts.eligible,
                Some(false) => counts.existed - counts.eligible,
            }
        }
        (None, None) => 0,
    };
    let mut rows = results.take(page)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Value::String(
            RosterCursor {
                at,
                eligible,
                total,
                key: last.name_key.clone(),
                id: last.id.to_string(),
                q: q.clone(),
            }
            .encode(),
        ),
        _ => Value::Null,
    };
    let employees: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id.as_str(),
                // null once a deleted employee is purged: a "deleted employee" without a name.
                "userName": r.user_name,
                "purged": r.user_name.is_none(),
                "email": r.email,
                "active": r.active,
                // Listed means existed at T; eligible is then being active at T, or kept
                // eligible by the eligibility guard (DESIGN §4).
                "eligible": r.eligible,
                "held": r.held,
                "overridden": r.overridden,
                "changed_at": r.changed_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(json(
        200,
        &json!({ "employees": employees, "total": total, "next_cursor": next_cursor, "at": at.to_rfc3339() }),
    ))
}

/// `GET /admin/v1/tenants/{tenant}/activity?user=&operation=&result=&limit=&cursor=` (DESIGN §7).
pub async fn activity<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let limit = limit(params)?;
    let user = param(params, "user").map(|u| (u, fold(u)));
    let operation = match param(params, "operation") {
        None => None,
        Some(v) => Some(Operation::parse(v).ok_or_else(|| {
            let all: Vec<&str> = Operation::ALL.iter().map(|o| o.as_str()).collect();
            bad(format!("\"operation\" must be one of {}", all.join(", ")))
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
    let mut batch = TenantBatch::new(tenant);
    let page = batch.read(sql::activity_page(tenant, &filter, before, limit + 1));
    let (_, mut results) = batch.run(store).await?;
    let mut rows = results.take(page)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Value::String(activity_cursor(last.seq)),
        _ => Value::Null,
    };
    let entries: Vec<Value> = rows.iter().map(|r| entry_json(r, ctx)).collect();
    Ok(json(
        200,
        &json!({ "entries": entries, "next_cursor": next_cursor }),
    ))
}

/// One activity-log entry as the contract shows it. `changes` is stored as JSON text; one that
/// does not parse (it cannot, short of a bug) is shown as null and reported in the worker's log
/// rather than failing the admin's whole page.
fn entry_json(e: &ActivityEntry, ctx: &mut Ctx<'_>) -> Value {
    let changes = match &e.changes {
        None => Value::Null,
        Some(c) => serde_json::from_str(c).unwrap_or_else(|_| {
            ctx.log
                .push(format!("activity: entry {} has unreadable changes", e.seq));
            Value::Null
        }),
    };
    json!({
        "at": e.at.to_rfc3339(),
        "request_id": e.request_id,
        "operation": e.operation.as_str(),
        "user_id": e.user_id,
        "user_name": e.user_name,
        "status": e.status,
        "detail": e.detail,
        "changes": changes,
        "client": e.client,
        "token_id": e.token_id,
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
            q: None,
        };
        assert_eq!(RosterCursor::decode(&c.encode()), Some(c.clone()));
        let c = RosterCursor {
            eligible: Some(false),
            q: Some("José n".into()),
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
            q: None,
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
}
