//! The database check of `GET /healthz` (`app::health`): one statement that reaches the
//! database and proves the schema is there, reading at most one row whatever the data.

use super::batch::Query;
use super::Stmt;

/// Whether any tenant exists (0 or 1). What matters is that it runs: it fails when the
/// database does not answer or the `tenants` table is missing (migrations not applied), and
/// it reads at most one row.
pub fn probe() -> Query<i64> {
    Query::count(Stmt::new(
        "SELECT count(*) AS n FROM (SELECT 1 FROM tenants LIMIT 1)",
        vec![],
    ))
}
