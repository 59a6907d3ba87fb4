//! D1's failures, sorted by their messages (DESIGN §8). The D1 binding reports every failure as
//! an `Error` whose message is `D1_ERROR: <cause>` (the `worker` crate shows the cause), with no
//! code to go by, so the messages Cloudflare documents are the contract:
//!
//! - the "List of D1_ERRORs" of *Debug D1* (developers.cloudflare.com/d1/observability/debug-d1):
//!   resets, lost connections and overload, each with the recommended action "retry", and the
//!   storage limits (`Exceeded maximum DB size`, the account's storage);
//! - the *Limits* page (…/d1/platform/limits): 2 MB per string, BLOB or row, 100 KB per
//!   statement, 100 bound parameters, 50 bytes per LIKE pattern, which D1 reports in SQLite's
//!   words (`string or blob too big: SQLITE_TOOBIG`, `statement too long: SQLITE_TOOBIG`,
//!   `too many SQL variables`, `LIKE or GLOB pattern too complex`);
//! - SQLite's constraint messages, which D1 passes on with the extended code
//!   (`UNIQUE constraint failed: users.tenant_id, users.user_name_fold: SQLITE_CONSTRAINT
//!   (extended: SQLITE_CONSTRAINT_UNIQUE)`).
//!
//! What each becomes, and why:
//!
//! - a reset, a lost connection, overload → [`StoreError::Unavailable`]: the batch did not run,
//!   and the same batch later will. One second for a reset or a lost connection; five when D1
//!   says it is overloaded or had to reset under load (a memory or CPU reset rejects every
//!   pending request, not only the one that caused it), so that retries do not add to the load;
//! - a string, BLOB or row too large → [`StoreError::TooLarge`], answered 413: the request
//!   carries more than one row may hold, and the same request fails again;
//! - a statement too long, too many parameters, a LIKE pattern or an answer too large →
//!   [`StoreError::TooComplex`], answered 400: only a request's own shape (a filter's terms)
//!   makes a statement grow, so it asked for more than one statement can say;
//! - a full database or account → [`StoreError::Full`], answered 413: nothing is written until
//!   an operator makes room, so a 5xx would only make identity providers retry (and Entra
//!   quarantine the endpoint);
//! - a unique index → [`StoreError::Duplicate`] (409 `uniqueness`); any other constraint (CHECK,
//!   NOT NULL, FOREIGN KEY) is a statement of ours that broke the schema's rules →
//!   [`StoreError::Internal`];
//! - anything else (SQL that does not compile, a type D1 does not take, a message no
//!   documentation names) → [`StoreError::Internal`], answered 500 with the cause in the log.
//!
//! The host store (`sqlite.rs`) sorts SQLite's result codes into the same variants; a host test
//! provokes each failure there and checks that it reads as D1's message for it does.

use super::StoreError;

/// `Retry-After` for a failure that the next attempt will most likely not meet.
pub const RETRY_SOON: u32 = 1;
/// `Retry-After` when D1 says it is overloaded: long enough for the queue to drain.
pub const RETRY_LATER: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sort {
    Duplicate,
    TooLarge,
    TooComplex,
    Full,
    Retry(u32),
    Internal,
}

/// What a message says, by the first of these (lower-case) phrases it contains. The order
/// matters only where phrases overlap: constraints first, then SQLite's limits, storage, and
/// the transient failures.
const PHRASES: &[(&str, Sort)] = &[
    // Constraints. The extended code names the kind; `UNIQUE constraint failed` is SQLite's
    // message for both UNIQUE and PRIMARY KEY indexes.
    ("sqlite_constraint_unique", Sort::Duplicate),
    ("sqlite_constraint_primarykey", Sort::Duplicate),
    ("unique constraint failed", Sort::Duplicate),
    ("constraint failed", Sort::Internal),
    // SQLite's limits, as D1 sets them (Limits page).
    ("string or blob too big", Sort::TooLarge),
    ("statement too long", Sort::TooComplex),
    ("sqlite_toobig", Sort::TooLarge),
    ("too many sql variables", Sort::TooComplex),
    ("variable number must be between", Sort::TooComplex),
    ("like or glob pattern too complex", Sort::TooComplex),
    // workerd, when an answer is larger than it will read into memory.
    ("memory limit would be exceeded", Sort::TooComplex),
    // Storage (Debug D1; SQLite's SQLITE_FULL, which a local D1 reports).
    ("exceeded maximum db size", Sort::Full),
    ("maximum account storage", Sort::Full),
    ("database or disk is full", Sort::Full),
    // Transient (Debug D1: "Retry the operation", or load the database had to shed).
    ("d1 db is overloaded", Sort::Retry(RETRY_LATER)),
    (
        "exceeded timeout which caused object to be reset",
        Sort::Retry(RETRY_LATER),
    ),
    (
        "exceeded its memory limit and was reset",
        Sort::Retry(RETRY_LATER),
    ),
    (
        "exceeded its cpu time limit and was reset",
        Sort::Retry(RETRY_LATER),
    ),
    (
        "reset because its code was updated",
        Sort::Retry(RETRY_SOON),
    ),
    ("storage caused object to be reset", Sort::Retry(RETRY_SOON)),
    ("network connection lost", Sort::Retry(RETRY_SOON)),
    ("transient issue on remote node", Sort::Retry(RETRY_SOON)),
    ("because client disconnected", Sort::Retry(RETRY_SOON)),
    // SQLITE_BUSY / SQLITE_LOCKED.
    ("database is locked", Sort::Retry(RETRY_SOON)),
    ("database table is locked", Sort::Retry(RETRY_SOON)),
];

/// Sorts a D1 failure by its message (see the module documentation).
pub fn classify(message: &str) -> StoreError {
    let lower = message.to_ascii_lowercase();
    let sort = PHRASES
        .iter()
        .find(|(phrase, _)| lower.contains(phrase))
        .map_or(Sort::Internal, |(_, sort)| *sort);
    let cause = message.to_string();
    match sort {
        Sort::Duplicate => StoreError::Duplicate(cause),
        Sort::TooLarge => StoreError::TooLarge(cause),
        Sort::TooComplex => StoreError::TooComplex(cause),
        Sort::Full => StoreError::Full(cause),
        Sort::Retry(retry_after) => StoreError::Unavailable { retry_after, cause },
        Sort::Internal => StoreError::Internal(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a variant is, without its message.
    fn sort(e: &StoreError) -> Sort {
        match e {
            StoreError::Duplicate(_) => Sort::Duplicate,
            StoreError::TooLarge(_) => Sort::TooLarge,
            StoreError::TooComplex(_) => Sort::TooComplex,
            StoreError::Full(_) => Sort::Full,
            StoreError::Unavailable { retry_after, .. } => Sort::Retry(*retry_after),
            StoreError::Internal(_) => Sort::Internal,
        }
    }

    /// Every message Cloudflare documents for D1 (and SQLite's words for D1's documented
    /// limits, as a local D1 reports them), one line each, as the binding delivers it.
    #[test]
    fn the_documented_messages_are_sorted_by_what_they_mean() {
        let soon = Sort::Retry(RETRY_SOON);
        let later = Sort::Retry(RETRY_LATER);
        let table: &[(&str, Sort)] = &[
            // Debug D1, "List of D1_ERRORs".
            ("D1_ERROR: D1 DB reset because its code was updated.", soon),
            (
                "D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.",
                soon,
            ),
            ("D1_ERROR: Network connection lost.", soon),
            (
                "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
                soon,
            ),
            (
                "D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.",
                soon,
            ),
            (
                "D1_ERROR: Can't read from request stream because client disconnected.",
                soon,
            ),
            (
                "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.",
                later,
            ),
            ("D1_ERROR: D1 DB is overloaded. Requests queued for too long.", later),
            ("D1_ERROR: D1 DB is overloaded. Too many requests queued.", later),
            (
                "D1_ERROR: D1 DB's isolate exceeded its memory limit and was reset.",
                later,
            ),
            ("D1_ERROR: D1 DB exceeded its CPU time limit and was reset.", later),
            ("D1_ERROR: Exceeded maximum DB size", Sort::Full),
            (
                "D1_ERROR: Exceeded maximum account storage limit of 1 TB",
                Sort::Full,
            ),
            (
                "D1_ERROR: Your account has exceeded D1's maximum account storage limit, please contact Cloudflare to raise your limit",
                Sort::Full,
            ),
            ("D1_ERROR: No SQL statements detected.", Sort::Internal),
            // Debug D1, the error constants.
            (
                "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
                Sort::Internal,
            ),
            ("D1_COLUMN_NOTFOUND: Column not found (x)", Sort::Internal),
            (
                "D1_EXEC_ERROR: Error in line 1: INSERTZ INTO t VALUES (): sql error: near \"INSERTZ\": syntax error in INSERTZ INTO t VALUES () at offset 0",
                Sort::Internal,
            ),
            ("D1_SESSION_ERROR: invalid bookmark or constraint", Sort::Internal),
            // Limits page, in the words D1 reports them.
            (
                "D1_ERROR: string or blob too big: SQLITE_TOOBIG",
                Sort::TooLarge,
            ),
            ("D1_ERROR: SQLITE_TOOBIG", Sort::TooLarge),
            (
                "D1_ERROR: statement too long: SQLITE_TOOBIG",
                Sort::TooComplex,
            ),
            (
                "D1_ERROR: too many SQL variables at offset 207: SQLITE_ERROR",
                Sort::TooComplex,
            ),
            (
                "D1_ERROR: variable number must be between ?1 and ?100 at offset 399: SQLITE_ERROR",
                Sort::TooComplex,
            ),
            (
                "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR",
                Sort::TooComplex,
            ),
            (
                "D1_ERROR: Memory limit would be exceeded by this operation.",
                Sort::TooComplex,
            ),
            (
                "D1_ERROR: too many columns on users: SQLITE_ERROR",
                Sort::Internal,
            ),
            // Constraints, as D1 reports them.
            (
                "D1_ERROR: UNIQUE constraint failed: users.tenant_id, users.user_name_fold: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)",
                Sort::Duplicate,
            ),
            (
                "D1_ERROR: UNIQUE constraint failed: attribute_names.tenant_id, attribute_names.name_fold: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)",
                Sort::Duplicate,
            ),
            (
                "D1_ERROR: UNIQUE constraint failed: tokens.hash: SQLITE_CONSTRAINT [code: 7500]",
                Sort::Duplicate,
            ),
            (
                "D1_ERROR: NOT NULL constraint failed: users.resource: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)",
                Sort::Internal,
            ),
            (
                "D1_ERROR: CHECK constraint failed: active IN (0, 1): SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)",
                Sort::Internal,
            ),
            (
                "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)",
                Sort::Internal,
            ),
            // SQLite's other failures: our SQL, or the engine.
            (
                "D1_ERROR: near \"SELEC\": syntax error at offset 0: SQLITE_ERROR",
                Sort::Internal,
            ),
            ("D1_ERROR: no such table: nope: SQLITE_ERROR", Sort::Internal),
            ("D1_ERROR: no such column: x: SQLITE_ERROR", Sort::Internal),
            (
                "D1_ERROR: database or disk is full: SQLITE_FULL",
                Sort::Full,
            ),
            ("D1_ERROR: database is locked: SQLITE_BUSY", soon),
            // Nothing documented.
            (
                "D1_ERROR: internal error; reference = 0u3odos5iotccpol68ppc0eg",
                Sort::Internal,
            ),
            ("", Sort::Internal),
        ];
        for (message, expected) in table {
            let e = classify(message);
            assert_eq!(sort(&e), *expected, "{message}");
            assert_eq!(e.cause(), *message, "the cause is kept for the log");
        }
    }

    /// The `worker` crate shows a D1 failure as its cause (`D1: D1Error { cause: ... }`), or as
    /// the JavaScript error's message: both read the same.
    #[test]
    fn the_shapes_the_binding_delivers_read_alike() {
        let cause = "Network connection lost.";
        for shown in [
            format!("D1_ERROR: {cause}"),
            format!("D1: D1Error {{ cause: JsValue(Error: {cause}\nError: {cause}\n    at D1Database._sendOrThrow) }}"),
            format!("Error: D1_ERROR: {cause} [code: 7500]"),
            cause.to_string(),
            cause.to_uppercase(),
        ] {
            assert_eq!(sort(&classify(&shown)), Sort::Retry(RETRY_SOON), "{shown}");
        }
    }
}
