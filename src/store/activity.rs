//! SQL that writes the activity log (DESIGN §7): one entry per SCIM write request, successful
//! or refused, written in the batch of the write it records, under a condition that the batch
//! itself decides (the write took effect, the user was absent, the userName was taken, ...).
//! So an entry and its write commit together or not at all. Reading the log is
//! `store::reports`; which entries a request writes is `app::scim_api::activity`.

use super::builder::{Scope, Sql};
use super::users::{first_refusal, Claim, Refusal};
use super::Stmt;
use crate::model::{Operation, UserId, WriteId};
use crate::scim::datetime::Timestamp;

/// An activity-log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub at: Timestamp,
    pub request_id: &'a str,
    pub operation: Operation,
    pub user_id: Option<&'a UserId>,
    /// `None`: the user row's userName, when there is one.
    pub user_name: Option<&'a str>,
    pub status: u16,
    pub detail: Option<&'a str>,
    /// JSON list of `{"path", "old", "new"}` for successful writes.
    pub changes: Option<String>,
    pub client: Option<&'a str>,
}

/// When a logged event is written, relative to the batch's write.
#[derive(Debug, Clone, PartialEq)]
pub enum When<'a> {
    /// Whenever the token is valid (refusals decided before the batch).
    Always,
    /// Only if the user row carries this write id (the write took effect).
    Written {
        id: &'a UserId,
        write_id: &'a WriteId,
    },
    /// Only if no user has this id (a create that did not happen, a target that does not exist).
    Absent { id: &'a UserId },
    /// Only if the write did not take effect (no user `claim.id`; for an update, none written
    /// by `write_id`) for one of the `outcomes`' reasons (`store::users::first_refusal`); the
    /// entry's status and detail are that outcome's, whatever the event says.
    Refused {
        write_id: Option<&'a WriteId>,
        claim: &'a Claim<'a>,
        outcomes: &'a [Outcome],
        /// The version of the attribute definitions the write was computed with: a write that
        /// did not happen because they changed is computed again, not refused.
        definitions: Option<i64>,
    },
    /// Only if a user with this id exists (before the batch deletes it).
    Exists { id: &'a UserId },
    /// Only if a user with this id exists at this version (a conditional delete that applies).
    AtVersion { id: &'a UserId, version: i64 },
    /// Only if a user with this id exists at another version (an If-Match that fails).
    NotAtVersion { id: &'a UserId, version: i64 },
    /// Only if a user with this id exists at this version and the tenant's attribute
    /// definitions are at `definitions` (a write found to change nothing, by what it read).
    Unchanged {
        id: &'a UserId,
        version: i64,
        definitions: i64,
    },
}

/// How the log records a write refused for `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub reason: Refusal,
    pub status: u16,
    pub detail: String,
}

/// Writes an activity-log entry under the given condition. The token id comes from the token
/// itself, so a request that fails authentication writes nothing; a missing `user_name` is taken
/// from the user row, when there is one.
pub fn log_event<'s>(scope: impl Into<Scope<'s>>, event: &Event<'_>, when: &When<'_>) -> Stmt {
    log_one_of(scope, &[(event, when)])
}

/// Writes the entry of each of `entries` whose condition holds, in one statement: for the
/// outcomes of one write, whose conditions exclude one another (it took effect, or it was
/// refused), so that a write's batch carries one statement for its log rather than one per
/// outcome (each statement costs D1 a fixed overhead, issue 22).
pub fn log_one_of<'s>(scope: impl Into<Scope<'s>>, entries: &[(&Event<'_>, &When<'_>)]) -> Stmt {
    debug_assert!(!entries.is_empty(), "an INSERT needs at least one entry");
    let scope: Scope<'s> = scope.into();
    let mut q = Sql::new();
    let selects: Vec<String> = entries
        .iter()
        .map(|(event, when)| entry_select(&mut q, scope, event, when))
        .collect();
    q.stmt(format!(
        "INSERT INTO activity (tenant_id, at, request_id, operation, user_id, user_name, status, \
         detail, changes, client, token_id) {}",
        selects.join(" UNION ALL ")
    ))
}

/// The row of one entry, as a SELECT that yields it when `when` holds (and the scope's tenant
/// exists), with its values bound in `q`.
fn entry_select(q: &mut Sql, scope: Scope<'_>, event: &Event<'_>, when: &When<'_>) -> String {
    let tenant = q.tenant(scope);
    let token = q.token_id(scope);
    let at = q.bind(event.at);
    let request_id = q.bind(event.request_id);
    let operation = q.bind(event.operation.as_str());
    let user_id = q.bind(event.user_id);
    let user_name = q.bind(event.user_name);
    // The event's own status and detail, unless the condition decides them (bound only if
    // used: SQLite refuses a value the text does not name).
    let mut decided: Option<(String, String)> = None;
    let changes = q.bind(event.changes.as_deref());
    let client = q.bind(event.client);
    let user = |q: &mut Sql, id: &UserId| {
        format!(
            "SELECT 1 FROM users WHERE tenant_id = t.tenant_id AND id = {}",
            q.bind(id)
        )
    };
    let mut from = format!("(SELECT {tenant} AS tenant_id) t");
    let condition = match when {
        When::Always => String::new(),
        When::Written { id, write_id } => format!(
            " AND EXISTS ({} AND write_id = {})",
            user(q, id),
            q.bind(*write_id)
        ),
        When::Absent { id } => format!(" AND NOT EXISTS ({})", user(q, id)),
        When::Refused {
            write_id,
            claim,
            outcomes,
            definitions,
        } => {
            let not_written = match write_id {
                None => user(q, claim.id),
                Some(w) => format!("{} AND write_id = {}", user(q, claim.id), q.bind(*w)),
            };
            // Which outcome the batch finds, decided once (each refusal's condition once) in a
            // subquery that OFFSET keeps from being flattened into the entry, which names it
            // three times: in the condition, the status and the detail.
            let mut bound = claim.bind();
            let which = first_refusal(q, "x.tenant_id", &mut bound, |r| {
                outcomes
                    .iter()
                    .position(|o| o.reason == r)
                    .map_or_else(|| "NULL".to_string(), |k| k.to_string())
            });
            from = format!(
                "(SELECT x.tenant_id AS tenant_id, {which} AS refusal \
                 FROM (SELECT {tenant} AS tenant_id) x LIMIT -1 OFFSET 0) t"
            );
            let (mut statuses, mut details) = (Vec::new(), Vec::new());
            for (k, o) in outcomes.iter().enumerate() {
                statuses.push(format!("WHEN {k} THEN {}", q.bind(o.status)));
                details.push(format!("WHEN {k} THEN {}", q.bind(o.detail.as_str())));
            }
            decided = Some((
                format!("CASE t.refusal {} END", statuses.join(" ")),
                format!("CASE t.refusal {} END", details.join(" ")),
            ));
            let definitions = match definitions {
                None => String::new(),
                Some(v) => format!(" AND {}", definitions_at(q, *v)),
            };
            format!(" AND t.refusal IS NOT NULL AND NOT EXISTS ({not_written}){definitions}")
        }
        When::Exists { id } => format!(" AND EXISTS ({})", user(q, id)),
        When::AtVersion { id, version } => format!(
            " AND EXISTS ({} AND version = {})",
            user(q, id),
            q.bind(*version)
        ),
        When::NotAtVersion { id, version } => format!(
            " AND EXISTS ({} AND version <> {})",
            user(q, id),
            q.bind(*version)
        ),
        When::Unchanged {
            id,
            version,
            definitions,
        } => format!(
            " AND EXISTS ({} AND version = {}) AND {}",
            user(q, id),
            q.bind(*version),
            definitions_at(q, *definitions)
        ),
    };
    let (status, detail) = match decided {
        Some(d) => d,
        None => (
            q.bind(event.status).to_string(),
            q.bind(event.detail).to_string(),
        ),
    };
    format!(
        "SELECT t.tenant_id, {at}, {request_id}, {operation}, {user_id}, \
         coalesce({user_name}, (SELECT user_name FROM users WHERE tenant_id = t.tenant_id AND id = {user_id})), \
         {status}, {detail}, {changes}, {client}, {token} \
         FROM {from} WHERE t.tenant_id IS NOT NULL{condition}"
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    /// The `activity` table accepts exactly the operations `model::Operation` names.
    #[test]
    fn the_operations_are_the_ones_the_schema_accepts() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let create: String = store.with_conn(|c| {
            c.query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'activity'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        });
        let quoted: Vec<String> = Operation::ALL
            .iter()
            .map(|o| format!("'{}'", o.as_str()))
            .collect();
        let check = format!("CHECK (operation IN ({}))", quoted.join(", "));
        assert!(create.contains(&check), "{check} not in {create}");
    }
}

/// The tenant `t.tenant_id`'s attribute definitions are at `version`.
fn definitions_at(q: &mut Sql, version: i64) -> String {
    format!(
        "(SELECT attributes_version FROM tenants WHERE id = t.tenant_id) = {}",
        q.bind(version)
    )
}
