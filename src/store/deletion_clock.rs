//! When a deleted employee's personal data is purged (DESIGN §4): its tenant's retention
//! (`tenants.deleted_retention_days`, default [`DEFAULT_RETENTION_DAYS`]) after the deletion, or
//! after the moment a deletion the eligibility guard held is applied; never while it is held
//! ([`PARKED`]). Shared by the deletions (`deleted`), the guard (`guard`) and the tenant rows
//! (`tenants`).

/// Days a deleted employee stays restorable when the tenant did not choose.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;
/// The longest retention a tenant may choose (0 purges at the next run of the purge cron).
pub const MAX_RETENTION_DAYS: i64 = 365;

/// The SQL expression of the time `deleted_at` (an expression) plus the retention of the
/// tenant `tenant` (an expression), in the canonical RFC 3339 text of `scim::datetime`.
pub fn purge_time(deleted_at: &str, tenant: &str) -> String {
    format!(
        "strftime('%Y-%m-%dT%H:%M:%fZ', {deleted_at}, '+' || coalesce((SELECT tn.deleted_retention_days \
         FROM tenants tn WHERE tn.id = {tenant}), {DEFAULT_RETENTION_DAYS}) || ' days')"
    )
}

/// The purge time of a held deletion: never, until the hold is decided.
pub const PARKED: &str = "9999-12-31T23:59:59.999Z";
