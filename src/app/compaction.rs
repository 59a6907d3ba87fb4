//! The substring index's compaction (`store::substrings`): what purged employees left in the
//! index goes. FTS5 deletes a row by adding a deletion marker, and the row's trigrams stay in
//! the index's older segments until a merge meets both; a purge (a deleted employee's,
//! `store::deleted::purge`, or a deleted tenant's employees, `app::purge`) therefore records in
//! its own batch that the index owes a compaction. This job pays it: FTS5's `optimize` merges
//! every segment into one, which holds the employees that exist and nothing else, and the debt
//! is cleared in the same batch. The erasure job runs it at the end of every purge Cron
//! Trigger run (`app::erasure`), after the tenants' purges and the deleted employees' erasure,
//! so a purge run leaves nothing of whom it purged in the index.
//!
//! One batch of [`STATEMENTS`] statements, atomic: a merge interrupted by other writes would
//! start over. It rewrites the whole index (about 150 bytes an employee of the shard: some 15 MB
//! at 100,000 employees, about a second on a busy host), and runs only in a run that owes it.

use crate::store::substrings as sql;
use crate::store::{Batch, Consistency, Store, StoreError};

/// Statements of the compaction's batch: whether it is owed, the merge, the debt's removal.
pub const STATEMENTS: usize = 3;

/// Compacts the index if a purge owes it; whether it did.
pub async fn compact<S: Store>(store: &S) -> Result<bool, StoreError> {
    let mut batch = Batch::new();
    let owed = batch.read(sql::compaction_owed());
    batch.write(sql::compaction());
    batch.write(sql::finish_compaction());
    let owed = batch.run(store, Consistency::Primary).await?.take(owed)?;
    Ok(owed > 0)
}
