//! The purge of deleted tenants' data (DESIGN §3), at any size.
//!
//! Deleting a tenant (`admin_api::tenants::delete`) removes its row and records it in
//! `tenant_purges`, in one batch: from the next request on its tokens fail (the token check
//! joins `tenants`) and the admin API answers 404. Its data goes here, in **steps**: one step is
//! one D1 batch that counts and deletes up to a table's chunk of the tenant's rows
//! (`store::tenants::TENANT_TABLES`), far inside D1's limits: two bound parameters and a few
//! hundred bytes per statement, and a batch well under a second against D1's 30 s. A run stops
//! at its [`Budget`] (statements, against D1's 1,000 queries per invocation, and wall time) and
//! leaves the rest to the next run: the deleting request runs the first steps ([`IN_REQUEST`]:
//! all of them for most tenants), and the purge Cron Trigger ([`PURGE_CRON`]; `lib.rs`,
//! `wrangler.toml`) resumes every pending purge ([`PER_RUN`]) until the last step removes the
//! tenant's entry, in the statement that checks that none of its rows is left.
//!
//! Any step may be the last of a run, or fail: each is a whole batch that deletes rows of its
//! tenant only and is right whatever ran before it, so an interrupted purge resumes where it
//! stands, and a purge run twice (or by two runs at once) deletes each row once and fails
//! nothing.

use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::store::tenants::{self as sql, TENANT_TABLES};
use crate::store::{Batch, Consistency, Store, StoreError};

/// The purge Cron Trigger's schedule (`[triggers] crons` in `wrangler.toml`; a host test checks
/// that it is there).
pub const PURGE_CRON: &str = "*/5 * * * *";

/// How much one run may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Statements (D1 counts each statement of a batch against its 1,000 queries per
    /// invocation; a step is two, three for `users`).
    pub statements: usize,
    /// Wall time, from the run's start: no step starts after it.
    pub millis: i64,
}

/// Within the deleting request, before it answers: enough for a tenant of a few thousand
/// employees, short enough that the answer does not wait long.
pub const IN_REQUEST: Limits = Limits {
    statements: 100,
    millis: 2_000,
};

/// One Cron Trigger run: 250 steps at most (500 statements: below D1's 1,000 per invocation
/// even when one run also does the retention's 200, the refold's, the erasure's of deleted
/// employees and the guard's automatic application, as a schedule the worker does not know does) and 20 s, so that a long purge takes at most 20 s of the shared database's time (one
/// query at a time, for every tenant) in every five minutes.
pub const PER_RUN: Limits = Limits {
    statements: 500,
    millis: 20_000,
};

// D1 allows 1,000 queries per invocation: a scheduled run that does every job (the retention's
// batches of two statements, the purge, the refold, the erasure, the automatic application) and
// the deleting request (its own batch,
// then its steps) stay below.
const _: () = assert!(
    2 * crate::app::retention::MAX_PRUNE_BATCHES
        + PER_RUN.statements
        + crate::app::maintenance::STATEMENTS_PER_RUN
        + crate::app::erasure::STATEMENTS_PER_RUN
        + crate::app::auto_apply::STATEMENTS_PER_RUN
        < 1_000
        && 3 + IN_REQUEST.statements < 1_000
);

/// What a run may still spend.
#[derive(Debug, Clone)]
pub struct Budget {
    statements: usize,
    deadline: Timestamp,
    /// Rows per step at most (tests take small steps); `TENANT_TABLES` says otherwise.
    max_chunk: i64,
}

impl Budget {
    pub fn new(limits: Limits, now: Timestamp) -> Budget {
        Budget {
            statements: limits.statements,
            deadline: now.add_millis(limits.millis),
            max_chunk: i64::MAX,
        }
    }

    /// The same, in steps of at most `rows` rows.
    pub fn with_max_chunk(self, rows: i64) -> Budget {
        Budget {
            max_chunk: rows.max(1),
            ..self
        }
    }

    /// Spends `statements` if they are left and the deadline has not passed.
    fn take(&mut self, statements: usize, now: Timestamp) -> bool {
        if self.statements < statements || now >= self.deadline {
            return false;
        }
        self.statements -= statements;
        true
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Batches run.
    pub steps: usize,
    /// Rows deleted.
    pub rows: i64,
    /// Tenants whose purge ended.
    pub finished: Vec<TenantId>,
    /// Purges are left for the next run (the budget ran out, or a step failed).
    pub pending: bool,
    /// The failure that ended the run, if one did (the next run resumes).
    pub error: Option<StoreError>,
}

/// How the purge of one tenant ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Every row and the entry are gone.
    Finished,
    /// The budget ran out first.
    OutOfBudget,
    /// Rows came back after their table was emptied (a write that committed just before the
    /// deletion, seen late): the next round purges them.
    RowsLeft,
}

/// Purges `tenant` as far as `budget` allows, adding what it did to `progress`; `Ok(true)` when
/// its purge is over (also when there was none).
pub async fn purge_tenant<S: Store>(
    store: &S,
    clock: &dyn Fn() -> Timestamp,
    budget: &mut Budget,
    tenant: &TenantId,
    progress: &mut Progress,
) -> Result<bool, StoreError> {
    Ok(purge_one(store, clock, budget, tenant, progress).await? == Ended::Finished)
}

async fn purge_one<S: Store>(
    store: &S,
    clock: &dyn Fn() -> Timestamp,
    budget: &mut Budget,
    tenant: &TenantId,
    progress: &mut Progress,
) -> Result<Ended, StoreError> {
    for table in TENANT_TABLES {
        let chunk = table.chunk.min(budget.max_chunk);
        loop {
            let now = clock();
            if !budget.take(sql::purge_step_statements(table), now) {
                return Ok(Ended::OutOfBudget);
            }
            let mut batch = Batch::new();
            let n = batch.read(sql::purge_count(table, tenant, chunk));
            if let Some(owe) = sql::purge_owes_compaction(table, tenant, now) {
                batch.write(owe);
            }
            batch.write(sql::purge_step(table, tenant, chunk));
            let n = batch.run(store, Consistency::Primary).await?.take(n)?;
            progress.steps += 1;
            progress.rows += n;
            if n < chunk {
                break;
            }
        }
    }
    if !budget.take(2, clock()) {
        return Ok(Ended::OutOfBudget);
    }
    let mut batch = Batch::new();
    batch.write(sql::finish_purge(tenant));
    let purging = batch.read(sql::purging(tenant));
    let purging = batch
        .run(store, Consistency::Primary)
        .await?
        .take(purging)?;
    progress.steps += 1;
    if purging {
        return Ok(Ended::RowsLeft);
    }
    progress.finished.push(tenant.clone());
    Ok(Ended::Finished)
}

/// Pending purges read at once.
const PENDING_PAGE: i64 = 10;

/// Resumes every pending purge, oldest request first, as far as `budget` allows (the purge
/// Cron Trigger's job). A failure ends the run and is in the answer; the next run resumes.
pub async fn resume<S: Store>(
    store: &S,
    clock: &dyn Fn() -> Timestamp,
    budget: &mut Budget,
) -> Progress {
    let mut progress = Progress::default();
    if let Err(e) = resume_into(store, clock, budget, &mut progress).await {
        progress.pending = true;
        progress.error = Some(e);
    }
    progress
}

async fn resume_into<S: Store>(
    store: &S,
    clock: &dyn Fn() -> Timestamp,
    budget: &mut Budget,
    progress: &mut Progress,
) -> Result<(), StoreError> {
    loop {
        if !budget.take(1, clock()) {
            progress.pending = true;
            return Ok(());
        }
        let mut batch = Batch::new();
        let pending = batch.read(sql::pending_purges(PENDING_PAGE));
        let pending = batch
            .run(store, Consistency::Primary)
            .await?
            .take(pending)?;
        if pending.is_empty() {
            return Ok(());
        }
        let finished_before = progress.finished.len();
        for purge in &pending {
            match purge_one(store, clock, budget, &purge.tenant, progress).await? {
                Ended::Finished | Ended::RowsLeft => {}
                Ended::OutOfBudget => {
                    progress.pending = true;
                    return Ok(());
                }
            }
        }
        if progress.finished.len() == finished_before {
            // Every purge of this page had rows come back: the next run takes them.
            progress.pending = true;
            return Ok(());
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::tenants::{delete_tenant, TenantTable};
    use crate::store::Stmt;

    /// Runs a future of the host store, which never waits.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..1_000_000 {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("the host store never waits");
    }

    fn clock() -> Timestamp {
        Timestamp(1_767_323_045_000)
    }

    /// Rows of one tenant in a table, `n` of them, by the table's own columns (a table added to
    /// `TENANT_TABLES` needs a line here, or the tests stop).
    fn seed_sql(table: &TenantTable) -> &'static str {
        match table.name {
            "tokens" => "INSERT INTO tokens (id, tenant_id, hash, prefix, created) \
                         SELECT ?1 || '-tok-' || i, ?1, ?1 || '-hash-' || i, 'scim_x', '2026-01-01T00:00:00.000Z' FROM n",
            "activity" => "INSERT INTO activity (tenant_id, at, request_id, operation, status) \
                         SELECT ?1, '2026-01-01T00:00:00.000Z', 'r' || i, 'create', 201 FROM n",
            "activation" => "INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, user_name_fold) \
                             SELECT ?1, 'u' || i, '2026-01-01T00:00:00.000Z', 'create', 1, 'u' || i, 'u' || i FROM n",
            "employee_refs" => "INSERT INTO employee_refs (tenant_id, user_id, attribute_id, target_id) \
                                SELECT ?1, 'u' || i, 'a1', 'u1' FROM n",
            "user_emails" => "INSERT INTO user_emails (tenant_id, user_id, position, value, value_fold, is_primary) \
                              SELECT ?1, 'u' || i, 0, 'u' || i || '@x.test', 'u' || i || '@x.test', 1 FROM n",
            "users" => "INSERT INTO users (tenant_id, id, user_name, user_name_fold, active, version, write_id, \
                        created, last_modified, resource, folded) \
                        SELECT ?1, 'u' || i, 'u' || i, 'u' || i, 1, 1, 'w', '2026-01-01T00:00:00.000Z', \
                        '2026-01-01T00:00:00.000Z', '{\"userName\":\"u' || i || '\"}', '{\"userName\":\"u' || i || '\"}' FROM n",
            "attribute_names" => "INSERT INTO attribute_names (tenant_id, name_fold, attribute_id) \
                                  SELECT ?1, 'name' || i, 'a' || i FROM n",
            "deleted_users" => "INSERT INTO deleted_users (tenant_id, id, resource, version, created, user_name, \
                                active, deleted_at, purge_at, request_id) \
                                SELECT ?1, 'd' || i, '{}', 2, '2026-01-01T00:00:00.000Z', 'd' || i, 1, \
                                '2026-01-02T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 'r' || i FROM n",
            "guard_trips" => "INSERT INTO guard_trips (tenant_id, tripped_at, request_id, window_start, losses, \
                              eligible_before, clients, ended_at) \
                              SELECT ?1, '2026-01-01T00:00:00.000Z', 'r' || i, '2025-12-31T23:00:00.000Z', 30, 100, '[]', \
                              '2026-01-02T00:00:00.000Z' FROM n",
            "sign_in_links" => "INSERT INTO sign_in_links (id, tenant_id, hash, email, created, expires_at) \
                                SELECT ?1 || '-l-' || i, ?1, ?1 || '-lh-' || i, 'a@x.test', '2026-01-01T00:00:00.000Z', \
                                '2026-01-01T00:15:00.000Z' FROM n",
            "admin_sessions" => "INSERT INTO admin_sessions (id, tenant_id, hash, email, created, expires_at, link_id) \
                                 SELECT ?1 || '-s-' || i, ?1, ?1 || '-sh-' || i, 'a@x.test', '2026-01-01T00:00:00.000Z', \
                                 '2026-01-01T08:00:00.000Z', 'l' FROM n",
            "admin_audit" => "INSERT INTO admin_audit (tenant_id, at, request_id, actor, action) \
                              SELECT ?1, '2026-01-01T00:00:00.000Z', 'r' || i, 'operator', 'token.issued' FROM n",
            "attributes" => "INSERT INTO attributes (tenant_id, id, name, scim_name, type, created) \
                             SELECT ?1, 'a' || i, 'A' || i, 'A' || i, 'text', '2026-01-01T00:00:00.000Z' FROM n",
            "employee_events" => "INSERT INTO employee_events (tenant_id, at, type, user_id, active, eligible, \
                                  held, request_id) \
                                  SELECT ?1, '2026-01-01T00:00:00.000Z', 'employee.created', 'u' || i, \
                                  1, 1, 0, 'r' || i FROM n",
            "webhook_endpoints" => "INSERT INTO webhook_endpoints (tenant_id, id, url, secret, state, created, \
                                    state_changed, fanned_seq) \
                                    SELECT ?1, ?1 || '-whe-' || i, 'https://x.test/h', 'sealed', 'active', \
                                    '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0 FROM n",
            "webhook_deliveries" => "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, seq, user_id, next_attempt) \
                                     SELECT ?1, ?1 || '-whe-1', i, 'u' || i, '2026-01-01T00:00:00.000Z' FROM n",
            "webhook_attempts" => "INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, event_seq, attempt, \
                                   at, status, latency_ms) \
                                   SELECT ?1, ?1 || '-whe-1', 'e' || i, i, 1, '2026-01-01T00:00:00.000Z', 200, 5 FROM n",
            "attribute_misses" => "INSERT INTO attribute_misses (tenant_id, name_fold, name, count, first_seen, \
                                   last_seen) SELECT ?1, 'm' || i, 'M' || i, 1, '2026-01-01T00:00:00.000Z', \
                                   '2026-01-01T00:00:00.000Z' FROM n",
            other => panic!("no seed for the tenant table {other}: add one"),
        }
    }

    /// A tenant with `n` rows in every table that holds tenants' rows.
    fn seed(store: &SqliteStore, tenant: &str, n: i64) {
        store.with_conn(|c| {
            c.execute(
                "INSERT INTO tenants (id, name, active, created) VALUES (?1, ?1, 1, '2026-01-01T00:00:00.000Z')",
                [tenant],
            )
            .unwrap();
            for table in TENANT_TABLES {
                let sql = format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) {}",
                    seed_sql(table)
                );
                let added = c.execute(&sql, rusqlite::params![tenant, n]).unwrap();
                assert_eq!(added as i64, n, "{}", table.name);
            }
        });
    }

    /// Everything of a tenant in the database: its row, its rows in every tenant table (each as
    /// text), and its purge entry.
    fn snapshot(store: &SqliteStore, tenant: &str) -> Vec<String> {
        store.with_conn(|c| {
            let mut out = Vec::new();
            let tables = TENANT_TABLES.iter().map(|t| (t.name, "tenant_id"));
            for (table, column) in [("tenants", "id"), ("tenant_purges", "id")]
                .into_iter()
                .chain(tables)
            {
                let mut st = c
                    .prepare(&format!(
                        "SELECT * FROM {table} WHERE {column} = ?1 ORDER BY rowid"
                    ))
                    .unwrap();
                let columns = st.column_count();
                let rows = st
                    .query_map([tenant], |r| {
                        let values: Vec<String> = (0..columns)
                            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                            .collect();
                        Ok(format!("{table}: {}", values.join(" | ")))
                    })
                    .unwrap();
                out.extend(rows.map(Result::unwrap));
            }
            out
        })
    }

    fn delete(store: &SqliteStore, tenant: &str) {
        let stmts: Vec<Stmt> = delete_tenant(&TenantId::new(tenant), clock());
        block_on(store.batch(Consistency::Primary, stmts)).unwrap();
    }

    fn unlimited() -> Budget {
        Budget::new(
            Limits {
                statements: usize::MAX,
                millis: 1,
            },
            clock(),
        )
    }

    /// Steps of at most 3 rows over 7 rows a table: 3 steps a table, and one to finish.
    const ROWS: i64 = 7;
    const CHUNK: i64 = 3;
    const STEPS: usize = 3 * TENANT_TABLES.len() + 1;

    /// The statements of the first `k` steps: two each, three for `users` (the substring
    /// index's compaction owed), two to finish.
    fn statements_of_steps(k: usize) -> usize {
        let mut per_step: Vec<usize> = Vec::new();
        for table in TENANT_TABLES {
            let n = if table.name == "users" { 3 } else { 2 };
            per_step.extend([n; 3]);
        }
        per_step.push(2);
        per_step[..k].iter().sum()
    }

    #[test]
    fn a_purge_removes_every_row_of_its_tenant_and_none_of_another() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        seed(&store, "tnt_a", ROWS);
        seed(&store, "tnt_b", ROWS);
        let b = snapshot(&store, "tnt_b");
        assert_eq!(b.len(), 1 + TENANT_TABLES.len() * ROWS as usize);
        delete(&store, "tnt_a");
        assert!(snapshot(&store, "tnt_a")[0].starts_with("tenant_purges: "));

        let p = block_on(resume(
            &store,
            &clock,
            &mut unlimited().with_max_chunk(CHUNK),
        ));
        assert_eq!(p.error, None);
        assert_eq!(p.finished, [TenantId::new("tnt_a")]);
        assert_eq!(
            (p.steps, p.rows, p.pending),
            (STEPS, ROWS * TENANT_TABLES.len() as i64, false)
        );
        assert!(
            snapshot(&store, "tnt_a").is_empty(),
            "{:?}",
            snapshot(&store, "tnt_a")
        );
        assert_eq!(
            snapshot(&store, "tnt_b"),
            b,
            "the other tenant is untouched"
        );

        // Run again: nothing to do, nothing fails.
        let again = block_on(resume(&store, &clock, &mut unlimited()));
        assert_eq!(again, Progress::default());
        let mut progress = Progress::default();
        let done = block_on(purge_tenant(
            &store,
            &clock,
            &mut unlimited(),
            &TenantId::new("tnt_a"),
            &mut progress,
        ));
        assert_eq!(done, Ok(true));
        assert_eq!(snapshot(&store, "tnt_b"), b);
    }

    /// Stopped by its budget after any number of steps, a purge finishes on the next run, and
    /// reports that more remained until it does.
    #[test]
    fn a_purge_interrupted_after_any_step_finishes_on_the_next_run() {
        for k in 0..=STEPS {
            let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
            seed(&store, "tnt_a", ROWS);
            seed(&store, "tnt_b", ROWS);
            let b = snapshot(&store, "tnt_b");
            delete(&store, "tnt_a");
            let tenant = TenantId::new("tnt_a");

            // The request's run, stopped after k steps.
            let limits = Limits {
                statements: statements_of_steps(k),
                millis: 1,
            };
            let mut budget = Budget::new(limits, clock()).with_max_chunk(CHUNK);
            let mut first = Progress::default();
            let done = block_on(purge_tenant(
                &store,
                &clock,
                &mut budget,
                &tenant,
                &mut first,
            ))
            .unwrap();
            assert_eq!(first.steps, k, "k = {k}");
            assert_eq!(done, k == STEPS, "k = {k}");
            assert_eq!(snapshot(&store, "tnt_a").is_empty(), done, "k = {k}");

            // The next run: one more statement lists the pending purges.
            let mut budget = unlimited().with_max_chunk(CHUNK);
            let next = block_on(resume(&store, &clock, &mut budget));
            assert_eq!(next.error, None, "k = {k}");
            assert!(!next.pending, "k = {k}");
            assert_eq!(next.finished.len(), usize::from(!done), "k = {k}");
            assert!(snapshot(&store, "tnt_a").is_empty(), "k = {k}");
            assert_eq!(snapshot(&store, "tnt_b"), b, "k = {k}");
        }
    }

    /// A run stops at its deadline, before its next step.
    #[test]
    fn a_run_stops_at_its_deadline() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        seed(&store, "tnt_a", ROWS);
        delete(&store, "tnt_a");
        let now = std::cell::Cell::new(clock());
        let ticking = || {
            now.set(now.get().add_millis(10));
            now.get()
        };
        let limits = Limits {
            statements: usize::MAX,
            millis: 35,
        };
        let mut budget = Budget::new(limits, clock()).with_max_chunk(CHUNK);
        let p = block_on(resume(&store, &ticking, &mut budget));
        // The listing at +10 ms, steps at +20 and +30 ms; +40 ms is past the deadline.
        assert_eq!((p.steps, p.pending), (2, true));
        let p = block_on(resume(
            &store,
            &clock,
            &mut unlimited().with_max_chunk(CHUNK),
        ));
        assert_eq!(p.finished.len(), 1);
    }

    /// The store, with a row of the tenant arriving late: just before the first attempt to
    /// finish the purge (a write that committed before the deletion, seen by the purge after it
    /// emptied that table).
    struct LateRow<'a> {
        inner: &'a SqliteStore,
        arrived: std::cell::Cell<bool>,
    }

    impl Store for LateRow<'_> {
        async fn batch(
            &self,
            consistency: Consistency,
            stmts: Vec<Stmt>,
        ) -> Result<Vec<Vec<crate::store::Row>>, StoreError> {
            if !self.arrived.get() && stmts[0].sql.starts_with("DELETE FROM tenant_purges") {
                self.arrived.set(true);
                self.inner.with_conn(|c| {
                    c.execute(
                        "INSERT INTO tokens (id, tenant_id, hash, prefix, created) \
                         VALUES ('late', 'tnt_a', 'late', 'p', '2026-01-01T00:00:00.000Z')",
                        [],
                    )
                    .unwrap()
                });
            }
            self.inner.batch(consistency, stmts).await
        }
    }

    /// A row that comes back after its table was emptied keeps the purge's entry, and a later
    /// round purges it before the purge ends.
    #[test]
    fn rows_that_come_back_are_purged_before_the_purge_ends() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        seed(&store, "tnt_a", ROWS);
        delete(&store, "tnt_a");
        let late = LateRow {
            inner: &store,
            arrived: std::cell::Cell::new(false),
        };
        let p = block_on(resume(
            &late,
            &clock,
            &mut unlimited().with_max_chunk(CHUNK),
        ));
        assert!(late.arrived.get());
        assert_eq!((p.finished.len(), p.pending, p.error), (0, true, None));
        assert_eq!(
            snapshot(&store, "tnt_a").len(),
            2,
            "the entry and the late row"
        );
        let p = block_on(resume(
            &late,
            &clock,
            &mut unlimited().with_max_chunk(CHUNK),
        ));
        assert_eq!((p.finished.len(), p.pending), (1, false));
        assert!(snapshot(&store, "tnt_a").is_empty());
    }

    /// Every purge statement finds its rows through an index that starts with `tenant_id`
    /// (never a scan of the table), and stays far inside D1's limits per statement.
    #[test]
    fn purge_statements_use_the_tenant_index_and_stay_small() {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations()).unwrap();
        let tenant = TenantId::new("tnt_a");
        let mut stmts: Vec<Stmt> = Vec::new();
        for table in TENANT_TABLES {
            stmts.push(sql::purge_count(table, &tenant, table.chunk).stmt().clone());
            stmts.push(sql::purge_step(table, &tenant, table.chunk));
        }
        stmts.push(sql::finish_purge(&tenant));
        stmts.push(sql::purging(&tenant).stmt().clone());
        stmts.push(sql::pending_purges(10).stmt().clone());
        stmts.extend(delete_tenant(&tenant, clock()));
        for stmt in &stmts {
            assert!(stmt.params.len() <= 2, "{}", stmt.sql);
            assert!(stmt.sql.len() < 2_000, "{}", stmt.sql);
            let plan: Vec<String> = store.with_conn(|c| {
                let mut st = c
                    .prepare(&format!("EXPLAIN QUERY PLAN {}", stmt.sql))
                    .unwrap();
                for (i, p) in stmt.params.iter().enumerate() {
                    let v = match p {
                        crate::store::Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
                        crate::store::Value::Int(n) => rusqlite::types::Value::Integer(*n),
                        other => panic!("{other:?}"),
                    };
                    st.raw_bind_parameter(i + 1, v).unwrap();
                }
                let mut rows = st.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().unwrap() {
                    out.push(r.get::<_, String>(3).unwrap());
                }
                out
            });
            for step in &plan {
                // A scan is allowed of a subquery's own rows, of a constant row, and of the
                // (small) queue of purges in the order of its index.
                let scan = step.starts_with("SCAN ")
                    && !step.starts_with("SCAN (subquery")
                    && step != "SCAN CONSTANT ROW"
                    && !step.starts_with("SCAN tenant_purges USING COVERING INDEX");
                assert!(!scan, "{}: {plan:?}", stmt.sql);
            }
        }
    }

    /// The schedules the code knows are the ones wrangler.toml gives the Cron Triggers.
    #[test]
    fn the_cron_schedules_are_the_ones_wrangler_toml_sets() {
        let toml =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml")).unwrap();
        let crons = toml
            .lines()
            .find(|l| l.starts_with("crons = "))
            .expect("a crons line");
        for schedule in [PURGE_CRON, crate::app::retention::RETENTION_CRON] {
            assert!(
                crons.contains(&format!("\"{schedule}\"")),
                "{schedule} not in {crons}"
            );
        }
    }
}
