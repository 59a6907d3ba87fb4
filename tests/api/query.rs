//! Queries of Users on the host: what only the host can see, the query plans SQLite chooses for
//! the statements the handlers send. (The scenarios both suites run are in
//! `common::scenarios::query`.)

use crate::common::Client;
use crate::helpers::TestApp;
use scim_edge::app::scim_api::list;
use scim_edge::model::TokenHash;
use scim_edge::scim::list::ListParams;
use scim_edge::scim::tenant::TenantSchema;
use scim_edge::store::{Stmt, Value};

/// The statements `GET /Users?<query>` sends (the count, then the page).
fn statements(query: &str) -> Vec<Stmt> {
    let params = ListParams::from_query(&scim_edge::app::plumbing::query::pairs(Some(query)))
        .expect("valid parameters");
    let filter = list::parse(&params).expect("a valid filter");
    let hash = TokenHash::of("scim_token");
    let plan =
        list::plan(&params, filter.as_ref(), &TenantSchema::default(), &hash).expect("a plan");
    let mut stmts: Vec<Stmt> = match &plan.total {
        list::Total::Count(q) => vec![q.stmt().clone()],
        list::Total::Known(_) => Vec::new(),
    };
    stmts.extend(plan.page.as_ref().map(|p| p.stmt().clone()));
    stmts
}

/// Whether a plan line walks every user of the tenant (a scan of `users`, or of one of its
/// indexes constrained by the tenant alone).
fn walks_the_tenant(line: &str) -> bool {
    line.starts_with("SCAN u")
        || (line.starts_with("SEARCH u USING") && line.ends_with("(tenant_id=?)"))
}

/// Whether a plan line walks one of the orders' indexes of the tenant's users.
fn walks_an_order(line: &str) -> bool {
    (line.starts_with("SEARCH u USING INDEX users_by_")
        || line.starts_with("SEARCH u USING COVERING INDEX users_by_"))
        && line.ends_with("(tenant_id=?)")
}

/// The lookups IdPs make → the index that must answer them, in the count and in the page.
#[test]
fn idp_lookups_are_answered_from_indexes() {
    let app = TestApp::new();
    let table = [
        (
            "filter=userName eq \"bjensen@example.com\"",
            "INDEX users_by_user_name (tenant_id=? AND user_name_fold=?)",
        ),
        (
            "filter=externalId eq \"00ujl29u0le5T6Aj10h7\"",
            "INDEX users_by_external_id (tenant_id=? AND external_id=?)",
        ),
        (
            "filter=id eq \"2819c223-7f76-453a-919d-413861904646\"",
            "INDEX sqlite_autoindex_users_1 (tenant_id=? AND id=?)",
        ),
        (
            "filter=emails[type eq \"work\"].value eq \"bjensen@example.com\"",
            "SEARCH ue USING INDEX user_emails_by_value (tenant_id=? AND value_fold=?)",
        ),
        (
            "filter=emails.value eq \"bjensen@example.com\"",
            "SEARCH ue USING INDEX user_emails_by_value (tenant_id=? AND value_fold=?)",
        ),
        (
            "filter=userName eq \"a\" or userName eq \"b\"",
            "INDEX users_by_user_name (tenant_id=? AND user_name_fold=?)",
        ),
        (
            "filter=externalId eq \"x\" and displayName co \"y\"&startIndex=1&count=100",
            "users_by_external_id (tenant_id=? AND external_id=?)",
        ),
        (
            "filter=userName eq \"x\"&cursor=",
            "users_by_user_name (tenant_id=? AND user_name_fold=?)",
        ),
        // The generated columns of the column table (scim/columns.rs, migrations/0005).
        (
            "filter=name.familyName eq \"Jensen\"",
            "INDEX users_by_family_name (tenant_id=? AND family_name_fold=?)",
        ),
        (
            "filter=name.givenName eq \"Barbara\"",
            "INDEX users_by_given_name (tenant_id=? AND given_name_fold=?)",
        ),
        (
            "filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"701984\"",
            "INDEX users_by_employee_number (tenant_id=? AND employee_number_fold=?)",
        ),
        (
            "filter=employeeNumber eq \"701984\"",
            "INDEX users_by_employee_number (tenant_id=? AND employee_number_fold=?)",
        ),
        (
            "filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Tour Operations\"",
            "INDEX users_by_department (tenant_id=? AND department_fold=?)",
        ),
        (
            "filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"",
            "INDEX users_by_manager (tenant_id=? AND manager_fold=?)",
        ),
    ];
    for (query, index) in table {
        let stmts = statements(query);
        assert_eq!(stmts.len(), 2, "{query}");
        for stmt in &stmts {
            let plan = app.plan(stmt);
            assert!(
                plan.iter().any(|l| l.contains(index)),
                "{query}: no {index} in {plan:#?}"
            );
            assert!(
                !plan.iter().any(|l| walks_the_tenant(l)),
                "{query}: walks the tenant: {plan:#?}"
            );
        }
    }
}

/// Substring filters of three characters or more on the attributes the substring index covers
/// find their candidates in it (`store::substrings`), in the count and in the page: the FTS5
/// table's MATCH drives, each candidate's row is read by rowid (and kept if it is the
/// tenant's); nothing walks the tenant. Shorter patterns, other attributes and `not` are
/// answered as before the index, without it.
#[test]
fn substring_filters_are_answered_from_the_substring_index() {
    let app = TestApp::new();
    // The FTS5 table's MATCH (idxNum 0, or 64 when the union wants rowids in order).
    let lookup = "SCAN f VIRTUAL TABLE INDEX ";
    let by_rowid = "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)";
    for query in [
        "filter=name.familyName co \"berg\"",
        "filter=name.familyName sw \"Öbe\"&count=10",
        "filter=name.givenName ew \"nna\"&sortBy=userName",
        "filter=userName co \"@example\"&cursor=",
        "filter=emails co \"@example.com\"",
        "filter=emails[type eq \"work\" and value ew \".org\"]",
        "filter=displayName co \"Straße\" or name.formatted co \"lund\"",
        "filter=employeeNumber sw \"E-10\" and active eq true",
    ] {
        let stmts = statements(query);
        assert_eq!(stmts.len(), 2, "{query}");
        for (i, stmt) in stmts.iter().enumerate() {
            let plan = app.plan(stmt);
            assert!(
                plan.iter().any(|l| l.starts_with(lookup)),
                "{query}: no lookup in {plan:#?}"
            );
            assert!(plan.iter().any(|l| l == by_rowid), "{query}: {plan:#?}");
            // A first or cursor page may walk the order's index first, a bounded number of
            // rows (`store::users::WALK_PER_ROW`): `walk_first_then_look_up` below.
            let page = i == 1 && !query.contains("startIndex");
            assert!(
                !plan
                    .iter()
                    .any(|l| walks_the_tenant(l) && !(page && walks_an_order(l))),
                "{query}: walks the tenant: {plan:#?}"
            );
        }
    }
    for query in [
        "filter=name.familyName co \"be\"",
        "filter=title co \"engineer\"",
        "filter=not (name.familyName co \"berg\")",
        "filter=name.familyName co \"berg\" or title co \"engineer\"",
    ] {
        for stmt in &statements(query) {
            let plan = app.plan(stmt);
            assert!(
                !plan.iter().any(|l| l.starts_with(lookup)),
                "{query}: {plan:#?}"
            );
        }
    }
}

/// Pages without a selective filter walk the order's index and stop after the page: the page
/// is chosen on the index alone, and only its users are read, by primary key.
#[test]
fn pages_walk_the_order_index_and_read_only_their_users() {
    let app = TestApp::new();
    let table = [
        (
            "startIndex=99901&count=100",
            "SEARCH u USING COVERING INDEX users_by_created (tenant_id=?)",
        ),
        (
            "sortBy=userName&sortOrder=descending",
            "SEARCH u USING INDEX users_by_user_name (tenant_id=?)",
        ),
        (
            "cursor=&count=100",
            "SEARCH u USING COVERING INDEX users_by_created (tenant_id=?)",
        ),
    ];
    for (query, walk) in table {
        let page = app.plan(&statements(query)[1]);
        assert!(page.iter().any(|l| l == walk), "{query}: {page:#?}");
        assert!(
            page.iter().any(
                |l| l == "SEARCH u USING INDEX sqlite_autoindex_users_1 (tenant_id=? AND id=?)"
            ),
            "{query}: {page:#?}"
        );
        assert!(
            !page.iter().any(|l| l.starts_with("SCAN u")),
            "{query}: {page:#?}"
        );
    }
}

/// A cursor page starts in the index at the cursor's position, without OFFSET.
#[test]
fn cursor_pages_seek_the_index_to_their_position() {
    let app = TestApp::new();
    let t = app.new_tenant("Plans");
    for i in 0..3 {
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(serde_json::json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("u{i}") })),
        )
        .expect(201);
    }
    for (sort, seek) in [
        (
            "",
            "SEARCH u USING COVERING INDEX users_by_created (tenant_id=? AND (created,id)>(?,?))",
        ),
        // The userName index is unique: the value alone is the position.
        (
            "&sortBy=userName",
            "SEARCH u USING INDEX users_by_user_name (tenant_id=? AND user_name_fold>?)",
        ),
    ] {
        let first = app
            .scim(
                &t.token,
                "GET",
                &format!("/Users?cursor=&count=1{sort}"),
                None,
            )
            .json();
        let next = first["nextCursor"]
            .as_str()
            .expect("a next cursor")
            .to_string();
        let stmts = statements(&format!("cursor={next}&count=1{sort}"));
        // The cursor carries the total its first page counted: the page is the one statement.
        assert_eq!(stmts.len(), 1, "{sort}: no count on a later cursor page");
        assert!(
            stmts[0].sql.contains("OFFSET"),
            "the statement keeps its shape"
        );
        assert_eq!(
            stmts[0].params.last(),
            Some(&Value::Int(0)),
            "the offset is 0"
        );
        let page = app.plan(&stmts[0]);
        assert!(page.iter().any(|l| l == seek), "{sort}: {page:#?}");
    }
}

/// A page of a filter whose candidates the substring index names (which may be most of the
/// tenant) is chosen on the candidates' ids alone: sorted and cut inside the page's inner
/// query, where SQLite keeps a top-N of ids while it compares the candidates, and only then are
/// the page's users read whole (by primary key, with their managers and references) and
/// ordered again. Before, every match was read whole and sorted, and a filter most employees
/// match (`emails co "example"`) cost three times reading them all. (Equalities keep their
/// plans: `idp_lookups_are_answered_from_indexes`.)
#[test]
fn substring_pages_are_cut_before_their_users_are_read_whole() {
    let app = TestApp::new();
    let sort = "USE TEMP B-TREE FOR ORDER BY";
    let read_whole = "SEARCH u USING INDEX sqlite_autoindex_users_1 (tenant_id=? AND id=?)";
    // Pages at an offset (first and cursor pages: `walk_first_then_look_up`).
    for query in [
        "filter=emails co \"example\"&count=100&startIndex=501",
        "filter=emails co \"example\"&sortBy=userName&sortOrder=descending&startIndex=2",
        "filter=name.familyName sw \"fam\"&sortBy=title&startIndex=3",
        "filter=emails[type eq \"work\" and value ew \".org\"]&startIndex=11&count=10",
    ] {
        let stmts = statements(query);
        let page = app.plan(stmts.last().expect("a page"));
        let at = |line: &str| page.iter().position(|l| l == line);
        let sorts: Vec<usize> = (0..page.len()).filter(|&i| page[i] == sort).collect();
        let read = at(read_whole).unwrap_or_else(|| panic!("{query}: {page:#?}"));
        // The inner query's sort (its top-N), before the page's users are read; the page's
        // own sort after.
        assert_eq!(sorts.len(), 2, "{query}: {page:#?}");
        assert!(sorts[0] < read && read < sorts[1], "{query}: {page:#?}");
        assert!(
            !page.iter().any(|l| walks_the_tenant(l)),
            "{query}: walks the tenant: {page:#?}"
        );
    }
}

/// A first or cursor page of a substring filter walks the order's index first, as far as
/// `store::users::WALK_PER_ROW` rows a row of the page, and takes its page from there when the
/// page is among those rows (or they are the tenant's last); else it looks the candidates up in
/// the substring index. Both are one statement, and the answers are the same either way: here a
/// value half the employees match (found by the walk) and one that two match, 36 rows apart
/// (the first found by the walk, the second by the lookup), paged by cursor one, two and three
/// at a time, in both directions of userName, against the order this test knows.
#[test]
fn walk_first_then_look_up() {
    let app = TestApp::new();
    let plan = app.plan(
        statements("filter=name.familyName co \"berg\"&cursor=&count=10")
            .last()
            .expect("a page"),
    );
    assert!(
        plan.iter().any(|l| walks_an_order(l)),
        "no walk of the order's index: {plan:#?}"
    );
    assert!(
        plan.iter()
            .any(|l| l.starts_with("SCAN f VIRTUAL TABLE INDEX ")),
        "no lookup in the substring index: {plan:#?}"
    );

    let t = app.new_tenant("Walks");
    let family = |i: usize| match i {
        7 | 43 => "Rareberg",
        i if i % 2 == 0 => "Lindqvist",
        _ => "Olsson",
    };
    for i in 0..60 {
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("u{i:02}@example.com"),
                "name": { "familyName": family(i) },
            })),
        )
        .expect(201);
    }
    for (pattern, matches) in [("dqv", "Lindqvist"), ("reber", "Rareberg")] {
        for (order, descending) in [("ascending", false), ("descending", true)] {
            let mut expected: Vec<String> = (0..60)
                .filter(|&i| family(i) == matches)
                .map(|i| format!("u{i:02}@example.com"))
                .collect();
            if descending {
                expected.reverse();
            }
            for count in [1, 2, 3] {
                let mut seen = Vec::new();
                let mut cursor = String::new();
                for _ in 0..=expected.len() {
                    let response = app.scim(
                            &t.token,
                            "GET",
                            &format!(
                                "/Users?filter=name.familyName+co+%22{pattern}%22&sortBy=userName\
                                 &sortOrder={order}&count={count}&cursor={cursor}&attributes=userName"
                            ),
                            None,
                        );
                    let body = response.expect(200).json();
                    seen.extend(
                        body["Resources"]
                            .as_array()
                            .expect("Resources")
                            .iter()
                            .map(|u| u["userName"].as_str().expect("a userName").to_string()),
                    );
                    match body["nextCursor"].as_str() {
                        Some(next) => cursor = next.to_string(),
                        None => break,
                    }
                }
                assert_eq!(seen, expected, "co \"{pattern}\", {order}, {count} a page");
            }
        }
    }
}

/// A first page of about the largest substring filter the parser accepts (40 terms, 4,096
/// characters) fits in one statement of D1's size (the host store has D1's limits), although
/// that page writes the filter's condition three times (a walk, then a lookup:
/// `walk_first_then_look_up`; `store::users::WALK_MAX_FILTER_BYTES` sends larger conditions
/// straight to the lookup).
#[test]
fn a_large_substring_filter_pages_within_the_statement_size() {
    let app = TestApp::new();
    let t = app.new_tenant("Large filters");
    for name in ["anna.berg@example.com", "olle.lind@example.com"] {
        app.scim(
            &t.token,
            "POST",
            "/Users",
            Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name,
            })),
        )
        .expect(201);
    }
    // Terms that match nobody, long enough that the filter's SQL is far above a quarter of
    // its bound, and one that matches Anna.
    let mut terms: Vec<String> = (0..TERMS)
        .map(|i| format!("userName co \"{}{i}\"", "q".repeat(LONG)))
        .collect();
    terms.push("userName co \"berg\"".into());
    let filter = crate::common::scenarios::query::enc(&terms.join(" or "));
    let first = app.scim(
        &t.token,
        "GET",
        &format!("/Users?filter={filter}&cursor=&count=1&attributes=userName"),
        None,
    );
    let body = first.expect(200).json();
    assert_eq!(
        body["Resources"][0]["userName"], "anna.berg@example.com",
        "{body}"
    );
    assert!(body["nextCursor"].is_null(), "{body}");
}
/// Terms and their length: the parser refuses a 41st term and a filter above 4,096 characters.
const TERMS: usize = 39;
const LONG: usize = 60;
