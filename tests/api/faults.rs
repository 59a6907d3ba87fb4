//! The database failing, on the host: a store that fails the batches a test picks with the
//! error D1 would report, and what the client reads and the activity log keeps (DESIGN §7, §8).
//! Every refused write of a known tenant is logged, once, in a batch of its own, with a detail
//! that never holds the database's words; when that batch fails too, the answer stays.

use crate::common::scenarios::users::{okta_user, PATCH_OP};
use crate::common::{Client, Reply, Tenant};
use crate::helpers::TestApp;
use scim_edge::store::classify::classify;
use scim_edge::store::sqlite::SqliteStore;
use scim_edge::store::{Consistency, Row, Stmt, Store, StoreError};
use serde_json::{json, Value};

/// The app's store, failing every batch `fails` picks with the error `classify` makes of a D1
/// message; `before` runs before each batch that goes through (to lose a race on purpose).
struct Faulty<'a> {
    inner: &'a SqliteStore,
    fails: Pick<'a>,
    message: &'static str,
    before: Before<'a>,
}

/// Which batches fail.
type Pick<'a> = Box<dyn Fn(&[Stmt]) -> bool + 'a>;
/// What happens to the database before a batch that goes through.
type Before<'a> = Box<dyn Fn(&SqliteStore, &[Stmt]) + 'a>;

impl<'a> Faulty<'a> {
    fn new(app: &'a TestApp, message: &'static str, fails: impl Fn(&[Stmt]) -> bool + 'a) -> Self {
        Faulty {
            inner: &app.store,
            fails: Box::new(fails),
            message,
            before: Box::new(|_, _| {}),
        }
    }
}

impl Store for Faulty<'_> {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        if (self.fails)(&stmts) {
            return Err(classify(self.message));
        }
        (self.before)(self.inner, &stmts);
        self.inner.batch(consistency, stmts).await
    }
}

/// Whether a batch holds a statement that starts with `sql`.
fn has(stmts: &[Stmt], sql: &str) -> bool {
    stmts.iter().any(|s| s.sql.starts_with(sql))
}

fn scim(
    app: &TestApp,
    store: &impl Store,
    t: &Tenant,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let auth = format!("Bearer {}", t.token);
    let body = body.map(|b| b.to_string());
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("User-Agent", "Okta SCIM Client 1.0.0"),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    app.send_via(
        store,
        method,
        &format!("/scim/v2{path}"),
        &headers,
        body.as_deref().map(str::as_bytes),
    )
}

/// An activity-log entry, as far as these tests read it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    operation: String,
    status: i64,
    user_id: Option<String>,
    user_name: Option<String>,
    detail: Option<String>,
    changes: Option<String>,
}

/// The tenant's activity-log entries, oldest first.
fn entries(app: &TestApp, t: &Tenant) -> Vec<Entry> {
    app.store.with_conn(|c| {
        let mut st = c
            .prepare(
                "SELECT operation, status, user_id, user_name, detail, changes FROM activity \
                 WHERE tenant_id = ?1 ORDER BY seq",
            )
            .unwrap();
        st.query_map([&t.id], |r| {
            Ok(Entry {
                operation: r.get(0)?,
                status: r.get(1)?,
                user_id: r.get(2)?,
                user_name: r.get(3)?,
                detail: r.get(4)?,
                changes: r.get(5)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    })
}

fn user_count(app: &TestApp, t: &Tenant) -> i64 {
    app.store.with_conn(|c| {
        c.query_row(
            "SELECT count(*) FROM users WHERE tenant_id = ?1",
            [&t.id],
            |r| r.get(0),
        )
        .unwrap()
    })
}

const NETWORK: &str = "D1_ERROR: Network connection lost.";

/// A create whose batch fails is answered as the failure means, and logged once, in a batch of
/// its own, with the status and a detail the client could read.
#[test]
fn a_create_refused_by_the_database_is_logged_with_its_status() {
    let cases: &[(&str, u16, Option<&str>)] = &[
        (NETWORK, 503, None),
        ("D1_ERROR: D1 DB is overloaded. Too many requests queued.", 503, None),
        ("D1_ERROR: string or blob too big: SQLITE_TOOBIG", 413, None),
        ("D1_ERROR: Exceeded maximum DB size", 413, None),
        (
            "D1_ERROR: UNIQUE constraint failed: users.tenant_id, users.user_name_fold: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)",
            409,
            Some("uniqueness"),
        ),
        (
            "D1_ERROR: CHECK constraint failed: active IN (0, 1): SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)",
            500,
            None,
        ),
        ("D1_ERROR: internal error; reference = 0u3odos5", 500, None),
    ];
    for (message, status, scim_type) in cases {
        let app = TestApp::new();
        let t = app.new_tenant("Acme");
        let faulty = Faulty::new(&app, message, |s| has(s, "INSERT INTO users"));
        let name = "ada@example.com";
        let r = scim(&app, &faulty, &t, "POST", "/Users", Some(okta_user(name)));
        let body = r.expect_scim_error(*status, *scim_type);
        assert!(
            !r.body.contains("D1") && !r.body.contains("SQLITE"),
            "{message}: {}",
            r.body
        );
        assert_eq!(
            r.header("retry-after").is_some(),
            *status == 503,
            "{message}"
        );
        assert_eq!(user_count(&app, &t), 0, "{message}: nothing was written");
        let logged = entries(&app, &t);
        assert_eq!(logged.len(), 1, "{message}: {logged:?}");
        let Entry {
            operation,
            status: logged_status,
            user_id,
            user_name,
            detail,
            changes,
        } = &logged[0];
        assert_eq!(operation, "create");
        assert_eq!(*logged_status, i64::from(*status), "{message}");
        assert_eq!(
            (user_id.as_deref(), user_name.as_deref()),
            (None, Some(name))
        );
        assert_eq!(
            detail.as_deref(),
            body["detail"].as_str(),
            "the detail the client read"
        );
        assert_eq!(changes, &None);
    }
}

/// A replace, an update and a delete whose write batch fails are logged under the user.
#[test]
fn writes_of_an_existing_user_refused_by_the_database_are_logged() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let created = app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user("bo@example.com")),
    );
    created.expect(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let path = format!("/Users/{id}");
    let before = app.scim(&t.token, "GET", &path, None).json();
    let renamed = {
        let mut u = okta_user("bo@example.com");
        u["displayName"] = json!("Bo Renamed");
        u
    };
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Bo"}]});
    let cases: [(&str, Option<Value>, &str, &str, &str); 3] = [
        (
            "PUT",
            Some(renamed),
            "UPDATE OR IGNORE users",
            "replace",
            NETWORK,
        ),
        (
            "PATCH",
            Some(patch),
            "UPDATE OR IGNORE users",
            "update",
            "D1_ERROR: no such column: x: SQLITE_ERROR",
        ),
        ("DELETE", None, "DELETE FROM users", "delete", NETWORK),
    ];
    for (method, body, fails, operation, message) in cases {
        let faulty = Faulty::new(&app, message, move |s| has(s, fails));
        let r = scim(&app, &faulty, &t, method, &path, body);
        let status = if message == NETWORK { 503 } else { 500 };
        r.expect_scim_error(status, None);
        let last = entries(&app, &t).pop().unwrap();
        assert_eq!(
            (
                last.operation.as_str(),
                last.status,
                last.user_id.as_deref(),
                last.user_name.as_deref()
            ),
            (
                operation,
                i64::from(status),
                Some(id.as_str()),
                Some("bo@example.com")
            ),
            "{method}"
        );
        assert!(!last.detail.unwrap().contains("SQLITE"));
    }
    assert_eq!(
        app.scim(&t.token, "GET", &path, None).json(),
        before,
        "nothing changed"
    );
    assert_eq!(
        entries(&app, &t).len(),
        4,
        "the create and one entry per refused write"
    );
}

/// When the log's own batch fails too, the answer is the first failure's and nothing is logged
/// (the worker's log has both causes).
#[test]
fn a_refusal_whose_log_fails_too_is_answered_all_the_same() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let faulty = Faulty::new(&app, NETWORK, |s| has(s, "INSERT INTO activity"));
    let r = scim(
        &app,
        &faulty,
        &t,
        "POST",
        "/Users",
        Some(okta_user("cy@example.com")),
    );
    r.expect_scim_error(503, None);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(entries(&app, &t).is_empty());
}

/// A token that is not valid is a 401 even when the write's batch failed: the refusal's own
/// batch finds it out, and nothing reaches any tenant's log.
#[test]
fn a_failed_write_with_a_token_that_is_not_valid_is_a_401() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let stranger = Tenant {
        token: format!("scim_{}", "A".repeat(43)),
        ..t.clone()
    };
    let faulty = Faulty::new(&app, NETWORK, |s| has(s, "INSERT INTO users"));
    let r = scim(
        &app,
        &faulty,
        &stranger,
        "POST",
        "/Users",
        Some(okta_user("dee@example.com")),
    );
    r.expect_scim_error(401, None);
    let n: i64 = app.store.with_conn(|c| {
        c.query_row("SELECT count(*) FROM activity", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(n, 0);
}

/// A write that keeps losing races answers 503 once its attempts are spent: logged too.
#[test]
fn a_write_that_kept_losing_races_is_logged_as_its_503() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let created = app.scim(
        &t.token,
        "POST",
        "/Users",
        Some(okta_user("eve@example.com")),
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    let mut faulty = Faulty::new(&app, NETWORK, |_| false);
    // Another writer gets there before every write batch of this request.
    faulty.before = Box::new(|store, stmts| {
        if has(stmts, "UPDATE OR IGNORE users") {
            store.with_conn(|c| {
                c.execute(
                    "UPDATE users SET version = version + 1, write_id = 'other'",
                    [],
                )
                .unwrap()
            });
        }
    });
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Eve"}]});
    let r = scim(
        &app,
        &faulty,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch),
    );
    r.expect_scim_error(503, None);
    let logged = entries(&app, &t);
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(
        (logged[1].operation.as_str(), logged[1].status),
        ("update", 503)
    );
    assert_eq!(logged[1].user_id.as_deref(), Some(id.as_str()));
}

/// Reads are not logged, failed or not.
#[test]
fn a_failed_read_is_not_logged() {
    let app = TestApp::new();
    let t = app.new_tenant("Acme");
    let faulty = Faulty::new(&app, NETWORK, |s| has(s, "SELECT"));
    scim(&app, &faulty, &t, "GET", "/Users", None).expect_scim_error(503, None);
    assert!(entries(&app, &t).is_empty());
}
