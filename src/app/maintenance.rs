//! The refold job, which the Cron Trigger runs: when a migration changes case folding (0006
//! added NFC normalisation before folding), the rows folded before it are marked stale and
//! rewritten here in bounded steps, with the folding every write now uses (`scim::fold`,
//! `scim::user::folded`): each user's folded document and userName, roster search words, email
//! rows and pending employee references. Migration 0016 marks every user so, to fill the new
//! search words (`users.search`) of rows written before it.
//!
//! Two users whose userNames fold apart under the old folding and equal under the new one are
//! not merged: the one met second keeps its old folds, is marked, and is reported in the
//! worker's log on every run until an admin renames one of them (a SCIM write folds afresh).
//!
//! Leaves out: the activation history's snapshots and the attribute names' folds, which order
//! the roster and guard attribute names; an NFC difference there changes an order or lets two
//! spellings of one attribute name coexist, and both mend as the rows are written again.

use crate::app::plumbing::ids::{hex, Random};
use crate::model::WriteId;
use crate::scim::columns;
use crate::scim::fold::fold;
use crate::scim::user::folded;
use crate::store::maintenance::{self as sql, FoldConflict, Refold};
use crate::store::users::email_rows_json;
use crate::store::{attributes, Batch, Consistency, Store, StoreError};
use serde_json::Value;

/// Users rewritten per batch: five statements each batch, whatever the chunk.
pub const REFOLD_CHUNK: i64 = 200;
/// Steps per run: two batches for reading (one, then two statements) and one of five for
/// writing each.
pub const MAX_REFOLD_STEPS: usize = 10;
/// The statements of a run at most: its steps and the closing report.
pub const STATEMENTS_PER_RUN: usize = MAX_REFOLD_STEPS * 8 + 1;
/// Conflicts reported per run.
const MAX_REPORTED: i64 = 50;

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Refolded {
    pub users: usize,
    /// Users left with their old folds because of another user's userName (all of them, up to
    /// a bound, not only those of this run).
    pub conflicts: Vec<FoldConflict>,
    /// Users remain to refold: the next run continues.
    pub more: bool,
}

/// Runs up to `steps` steps of the refold.
pub async fn refold<S: Store>(
    store: &S,
    random: &mut dyn Random,
    steps: usize,
) -> Result<Refolded, StoreError> {
    let mut users = 0;
    let mut more = true;
    for _ in 0..steps {
        let mut batch = Batch::new();
        let tenant = batch.read(sql::stale_tenant());
        let Some(tenant) = batch.run(store, Consistency::Primary).await?.take(tenant)? else {
            more = false;
            break;
        };
        let mut batch = Batch::new();
        let schema = batch.read(attributes::definitions_of(&tenant));
        let stale = batch.read(sql::stale_users(&tenant, REFOLD_CHUNK));
        let mut results = batch.run(store, Consistency::Primary).await?;
        let (schema, stale) = (results.take(schema)?, results.take(stale)?);
        let chunk: Vec<Refold> = stale
            .iter()
            .map(|u| Refold {
                id: u.id.to_string(),
                version: u.version,
                folded: Value::Object(folded(&u.doc, &schema)).to_string(),
                user_name_fold: fold(columns::text_at(&u.doc, &["userName"]).unwrap_or_default()),
                search: columns::search_words(&u.doc),
                emails: email_rows_json(&u.doc),
                pending: u
                    .pending
                    .iter()
                    .map(|(attribute, value)| serde_json::json!([attribute, fold(value)]))
                    .collect(),
            })
            .collect();
        let mut id = [0u8; 8];
        random.fill(&mut id).map_err(StoreError::Internal)?;
        let mut batch = Batch::new();
        batch.write_all(sql::refold(&tenant, &WriteId::new(hex(&id)), &chunk));
        batch.run(store, Consistency::Primary).await?;
        users += chunk.len();
    }
    let mut batch = Batch::new();
    let conflicts = batch.read(sql::fold_conflicts(MAX_REPORTED));
    let conflicts = batch
        .run(store, Consistency::Primary)
        .await?
        .take(conflicts)?;
    Ok(Refolded {
        users,
        conflicts,
        more,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;
    use crate::store::sqlite::SqliteStore;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the host store never waits"),
        }
    }

    /// Rows as an earlier folding left them: folded copies and userName folds that differ
    /// from what the current folding makes, marked stale.
    fn stale_rows(store: &SqliteStore) {
        store.with_conn(|c| {
            c.execute_batch(
                r#"INSERT INTO tenants (id, name, active, created) VALUES ('t1', 'T', 1, '2026-01-01T00:00:00.000Z');
                INSERT INTO users (tenant_id, id, user_name, user_name_fold, active, version, write_id, created, last_modified, resource, folded, fold_stale)
                VALUES
                  ('t1', 'u1', 'Ada@X', 'OLD-ada', 1, 3, 'w', 'c', 'c', '{"userName":"Ada@X","emails":[{"value":"Ada@X","type":"Work"}]}', '{}', 1),
                  ('t1', 'u2', 'ADA@x', 'OLD-ADA', 1, 1, 'w', 'c', 'c', '{"userName":"ADA@x"}', '{}', 1),
                  ('t1', 'u3', 'Bob', 'bob', 1, 1, 'w', 'c', 'c', '{"userName":"Bob"}', '{"userName":"bob"}', 0);
                INSERT INTO employee_refs (tenant_id, user_id, attribute_id, target_id, pending, pending_fold)
                VALUES ('t1', 'u1', 'att_1', NULL, 'Carol@X', 'OLD');"#,
            )
            .unwrap()
        });
    }

    fn rows(store: &SqliteStore, sql: &str) -> Vec<String> {
        store.with_conn(|c| {
            let mut st = c.prepare(sql).unwrap();
            st.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        })
    }

    #[test]
    fn stale_rows_are_refolded_and_a_new_duplicate_is_reported_not_merged() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        stale_rows(&store);
        let report = block_on(refold(&store, &mut SeededRandom(1), 5)).unwrap();
        assert_eq!(report.users, 2);
        assert!(!report.more);
        // u1 is refolded; u2's userName now folds equal to u1's: kept as it was, reported.
        assert_eq!(
            rows(
                &store,
                "SELECT id || ' ' || user_name_fold || ' ' || fold_stale FROM users ORDER BY id"
            ),
            ["u1 ada@x 0", "u2 OLD-ADA 2", "u3 bob 0"]
        );
        assert_eq!(
            rows(&store, "SELECT folded FROM users WHERE id = 'u1'"),
            [r#"{"emails":[{"type":"work","value":"ada@x"}],"userName":"ada@x"}"#]
        );
        assert_eq!(
            rows(
                &store,
                "SELECT value_fold || ' ' || type_fold FROM user_emails WHERE user_id = 'u1'"
            ),
            ["ada@x work"]
        );
        assert_eq!(
            rows(
                &store,
                "SELECT pending_fold FROM employee_refs WHERE user_id = 'u1'"
            ),
            ["carol@x"]
        );
        assert_eq!(report.conflicts.len(), 1);
        assert_eq!(report.conflicts[0].user_name, "ADA@x");
        // A second run finds nothing to do and reports the conflict again.
        let again = block_on(refold(&store, &mut SeededRandom(2), 5)).unwrap();
        assert_eq!(
            (again.users, again.more, again.conflicts.len()),
            (0, false, 1)
        );
    }

    #[test]
    fn a_run_stops_after_its_steps_and_says_more_remain() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        stale_rows(&store);
        store.with_conn(|c| {
            c.execute_batch(
                "INSERT INTO tenants (id, name, active, created) VALUES ('t2', 'T2', 1, 'c'); \
                 INSERT INTO users (tenant_id, id, user_name, user_name_fold, active, version, write_id, created, last_modified, resource, folded, fold_stale) \
                 VALUES ('t2', 'v1', 'Zed', 'OLD', 1, 1, 'w', 'c', 'c', '{\"userName\":\"Zed\"}', '{}', 1);",
            )
            .unwrap()
        });
        let first = block_on(refold(&store, &mut SeededRandom(1), 1)).unwrap();
        assert!(first.more);
        let second = block_on(refold(&store, &mut SeededRandom(2), 5)).unwrap();
        assert_eq!(first.users + second.users, 3);
        assert!(!second.more);
        // The other tenant's user folded alone: no conflict across tenants.
        assert_eq!(
            rows(&store, "SELECT user_name_fold FROM users WHERE id = 'v1'"),
            ["zed"]
        );
    }
}
