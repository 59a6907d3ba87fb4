//! Queries of Users (RFC 7644 §3.4.2–§3.4.3, §3.9; RFC 9865): filters of every operator family,
//! sorting, projection, search and both paging methods, as both suites see them.

use super::APART_MS;
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

pub const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Percent-encodes a query parameter's value (everything but RFC 3986 unreserved characters).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A tenant with five users made for queries, created in this order (index = position).
pub struct People {
    pub t: Tenant,
    pub users: Vec<Value>,
}

impl People {
    pub fn id(&self, i: usize) -> String {
        self.users[i]["id"].as_str().unwrap().to_string()
    }
    /// The positions of the users an answer lists, in its order.
    pub fn positions(&self, list: &Value) -> Vec<usize> {
        list["Resources"]
            .as_array()
            .unwrap_or_else(|| panic!("not a ListResponse: {list}"))
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                self.users
                    .iter()
                    .position(|u| u["id"] == id)
                    .unwrap_or_else(|| panic!("unknown user {id}"))
            })
            .collect()
    }
    /// `positions`, ordered by id: the order among users with the same sort value.
    pub fn by_id(&self, mut positions: Vec<usize>) -> Vec<usize> {
        positions.sort_by_key(|&i| self.id(i));
        positions
    }
}

pub fn people(c: &impl Client) -> People {
    let t = c.new_tenant(&unique("Query "));
    let bodies = [
        json!({
            "schemas": [CORE, ENTERPRISE], "userName": "bjensen@example.com", "externalId": "ext-0",
            "name": { "givenName": "Barbara", "familyName": "Jensen" }, "displayName": "Babs Jensen", "title": "Tour Guide",
            "emails": [{ "value": "bjensen@example.com", "type": "work", "primary": true }, { "value": "babs@jensen.org", "type": "home" }],
            ENTERPRISE: { "department": "Tour Operations", "employeeNumber": "701984" }
        }),
        json!({
            "schemas": [CORE], "userName": "ÅSA.Lund@Example.com", "externalId": "ext-1", "active": false,
            "name": { "givenName": "Åsa", "familyName": "Lund" }, "displayName": "Åsa Lund", "title": "100% _Sales_",
            "emails": [{ "value": "asa@example.org", "type": "work" }]
        }),
        json!({
            "schemas": [CORE, ENTERPRISE], "userName": "jsmith", "externalId": "EXT-2",
            "name": { "familyName": "O'Malley" }, "displayName": "Straße",
            ENTERPRISE: { "department": "R&D" }
        }),
        json!({
            "schemas": [CORE, ENTERPRISE], "userName": "mjones", "name": { "givenName": "Mary" },
            "emails": [{ "value": "mary@example.com", "type": "other" }, { "value": "MJ@Work.example.com", "type": "work", "primary": true }],
            ENTERPRISE: { "department": "tour operations" }
        }),
        json!({ "schemas": [CORE], "userName": "zed", "displayName": "Zed", "emails": [{ "value": "zed@example.com" }] }),
    ];
    let mut users = Vec::new();
    for body in bodies {
        let r = c.scim(&t.token, "POST", "/Users", Some(body));
        r.expect(201);
        users.push(r.json());
        // Distinct creation times (milliseconds), so that creation order is this order.
        c.tick(APART_MS);
    }
    People { t, users }
}

fn get(c: &impl Client, t: &Tenant, path: &str) -> Reply {
    c.scim(&t.token, "GET", path, None)
}

fn list(c: &impl Client, t: &Tenant, query: &str) -> Value {
    let r = get(c, t, &format!("/Users?{query}"));
    r.expect(200);
    r.json()
}

pub fn every_operator_family_filters(c: &impl Client) {
    let p = people(c);
    let created2 = p.users[2]["meta"]["created"].as_str().unwrap().to_string();
    // The same instant, written differently: lower-case separators, an offset, a 4th digit.
    let created2_other = format!(
        "{}0+00:00",
        created2.trim_end_matches('Z').replace('T', "t")
    );
    let e = ENTERPRISE;
    let table: Vec<(String, Vec<usize>)> = vec![
        // eq, with the schema's case rules: userName and displayName fold (Unicode), externalId not.
        (r#"userName eq "BJENSEN@example.com""#.into(), vec![0]),
        (r#"userName eq "åsa.lund@example.com""#.into(), vec![1]),
        (r#"displayName eq "STRASSE""#.into(), vec![2]),
        (r#"externalId eq "ext-2""#.into(), vec![]),
        (r#"externalId eq "EXT-2""#.into(), vec![2]),
        (format!(r#"id eq "{}""#, p.id(3)), vec![3]),
        // ne: a user without the attribute is not equal to it.
        (r#"externalId ne "ext-0""#.into(), vec![1, 2, 3, 4]),
        // co, sw, ew: % and _ are literal.
        (r#"title co "%""#.into(), vec![1]),
        (r#"title co "_s""#.into(), vec![1]),
        (r#"title co "a_b""#.into(), vec![]),
        (r#"displayName co "JEN""#.into(), vec![0]),
        (r#"emails co "example.org""#.into(), vec![1]),
        (r#"userName sw "J""#.into(), vec![2]),
        (r#"name.familyName sw "o'""#.into(), vec![2]),
        (r#"emails.value ew "@EXAMPLE.com""#.into(), vec![0, 3, 4]),
        (r#"displayName ew "sse""#.into(), vec![2]),
        // gt, ge, lt, le: strings by folded code points ("å" sorts after "z").
        (r#"userName gt "m""#.into(), vec![1, 3, 4]),
        (r#"userName ge "MJONES""#.into(), vec![1, 3, 4]),
        (r#"userName lt "jsmith""#.into(), vec![0]),
        (r#"userName le "JSmith""#.into(), vec![0, 2]),
        // dateTime compares as instants.
        (format!(r#"meta.created gt "{created2}""#), vec![3, 4]),
        (
            format!(r#"meta.created le "{created2_other}""#),
            vec![0, 1, 2],
        ),
        (format!(r#"meta.created eq "{created2_other}""#), vec![2]),
        (
            r#"meta.lastModified gt "2000-01-01""#.into(),
            vec![0, 1, 2, 3, 4],
        ),
        // pr, and null.
        ("title pr".into(), vec![0, 1]),
        ("emails pr".into(), vec![0, 1, 3, 4]),
        ("name.givenName pr".into(), vec![0, 1, 3]),
        ("title eq null".into(), vec![2, 3, 4]),
        ("title ne null".into(), vec![0, 1]),
        // Booleans.
        ("active eq false".into(), vec![1]),
        ("active ne true".into(), vec![1]),
        (r#"active eq "True""#.into(), vec![0, 2, 3, 4]),
        ("emails.primary eq true".into(), vec![0, 3]),
        // not, and, or: `and` binds tighter than `or`; parentheses group.
        ("not (emails pr)".into(), vec![2]),
        ("title pr and active eq false".into(), vec![1]),
        (
            r#"userName eq "zed" or userName eq "jsmith" and active eq true"#.into(),
            vec![2, 4],
        ),
        (
            r#"(userName eq "zed" or userName eq "jsmith") and displayName eq "zed""#.into(),
            vec![4],
        ),
        (r#"not (userName eq "zed" or title pr)"#.into(), vec![2, 3]),
        // Value paths and sub-attributes of multi-valued attributes.
        (
            r#"emails[type eq "work" and value co "@example.com"]"#.into(),
            vec![0],
        ),
        (
            r#"emails[type eq "work"].value eq "mj@work.example.com""#.into(),
            vec![3],
        ),
        (
            r#"emails[type eq "work" or type eq "home"].value ew ".org""#.into(),
            vec![0, 1],
        ),
        (r#"emails.type eq "other""#.into(), vec![3]),
        ("emails[not (type pr)]".into(), vec![4]),
        (
            r#"name[givenName sw "ma" or familyName eq "lund"]"#.into(),
            vec![1, 3],
        ),
        // The enterprise extension, qualified or not.
        (
            format!(r#"{e}:department eq "TOUR OPERATIONS""#),
            vec![0, 3],
        ),
        (r#"department co "&""#.into(), vec![2]),
        (r#"employeeNumber eq "701984""#.into(), vec![0]),
        (format!("{e}:manager pr"), vec![]),
        // Common attributes and the core URN.
        (r#"meta.resourceType eq "User""#.into(), vec![0, 1, 2, 3, 4]),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "zed""#.into(),
            vec![4],
        ),
        // JSON escapes in literals; keywords and names in any case.
        (r#"displayName eq "Stra\u00dfe""#.into(), vec![2]),
        (r#"name.familyName eq "O\u0027Malley""#.into(), vec![2]),
        (r#"USERNAME EQ "ZED""#.into(), vec![4]),
        (
            r#"Emails[TYPE eq "WORK"].VALUE eq "BJENSEN@EXAMPLE.COM""#.into(),
            vec![0],
        ),
    ];
    for (filter, expected) in table {
        let r = get(c, &p.t, &format!("/Users?filter={}", enc(&filter)));
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        let body = r.json();
        assert_eq!(p.positions(&body), expected, "{filter}");
        assert_eq!(body["totalResults"], json!(expected.len()), "{filter}");
    }
}

pub fn invalid_filters_are_400_invalid_filter_with_position(c: &impl Client) {
    let t = c.new_tenant(&unique("Bad filters "));
    let deep = format!("{}userName pr{}", "(".repeat(17), ")".repeat(17));
    let many = vec!["userName pr"; 41].join(" or ");
    let long = format!("userName eq \"{}\"", "x".repeat(4096));
    let table: Vec<(&str, &str)> = vec![
        ("userName eq", "Invalid filter at character 11: expected a value (a string, number, true, false or null), found end of input"),
        (r#"userName eqq "x""#, "Invalid filter at character 9: expected a comparison operator"),
        (r#"(userName eq "x""#, r#"Invalid filter at character 16: expected "and", "or" or ")", found end of input"#),
        (r#"nope eq "x""#, r#"Unknown attribute "nope""#),
        (r#"name.nope eq "x""#, r#"Unknown attribute "name.nope""#),
        (r#"emails[nope eq "x"]"#, r#"Unknown attribute "emails.nope""#),
        ("active gt true", r#""active" is a boolean; only eq, ne and pr apply"#),
        ("userName eq 5", r#""userName" is of type string; compare it with a string"#),
        (r#"meta.created gt "yesterday""#, r#""yesterday" is not an RFC 3339 date-time"#),
        (&deep, "filter nests deeper than 16 levels"),
        (&many, "filter has more than 40 terms"),
        (&long, "filter is longer than 4096 characters"),
    ];
    for (filter, detail) in table {
        let body = get(c, &t, &format!("/Users?filter={}", enc(filter)))
            .expect_scim_error(400, Some("invalidFilter"));
        let got = body["detail"].as_str().unwrap();
        assert!(got.contains(detail), "{filter}: {got}");
    }
}

pub fn sorting_orders_by_any_singular_attribute_then_id(c: &impl Client) {
    let p = people(c);
    let e = ENTERPRISE;
    let table: Vec<(String, Vec<usize>)> = vec![
        // Folded userNames: "bjensen@…", "jsmith", "mjones", "zed", "åsa.lund@…".
        ("sortBy=userName".into(), vec![0, 2, 3, 4, 1]),
        (
            "sortBy=USERNAME&sortOrder=ascending".into(),
            vec![0, 2, 3, 4, 1],
        ),
        // Users without a value come last when ascending.
        (
            "sortBy=name.familyName".into(),
            [vec![0, 1, 2], p.by_id(vec![3, 4])].concat(),
        ),
        // Multi-valued: the primary value, else the first.
        ("sortBy=emails".into(), vec![1, 0, 3, 4, 2]),
        ("sortBy=emails.value".into(), vec![1, 0, 3, 4, 2]),
        // Equal values are ordered by id.
        (
            format!("sortBy={}", enc(&format!("{e}:department"))),
            [vec![2], p.by_id(vec![0, 3]), p.by_id(vec![1, 4])].concat(),
        ),
        (
            "sortBy=active".into(),
            [vec![1], p.by_id(vec![0, 2, 3, 4])].concat(),
        ),
        ("sortBy=meta.created".into(), vec![0, 1, 2, 3, 4]),
        ("sortBy=id".into(), p.by_id(vec![0, 1, 2, 3, 4])),
        // sortOrder alone orders nothing.
        ("sortOrder=descending".into(), vec![0, 1, 2, 3, 4]),
        // With a filter and a page.
        (
            format!(
                "filter={}&sortBy=userName&startIndex=2&count=2",
                enc("active eq true")
            ),
            vec![2, 3],
        ),
    ];
    for (query, ascending) in table {
        assert_eq!(p.positions(&list(c, &p.t, &query)), ascending, "{query}");
        // Descending is exactly the reverse (users without a value first).
        if query.contains("sortBy") && !query.contains("count") {
            let mut descending = ascending.clone();
            descending.reverse();
            let query = match query.contains("ascending") {
                true => query.replace("ascending", "descending"),
                false => format!("{query}&sortOrder=descending"),
            };
            assert_eq!(p.positions(&list(c, &p.t, &query)), descending, "{query}");
        }
    }
    for query in [
        "sortBy=nope",
        "sortBy=name",
        "sortBy=meta.version",
        "sortBy=userName&sortOrder=up",
    ] {
        get(c, &p.t, &format!("/Users?{query}")).expect_scim_error(400, Some("invalidValue"));
    }
}

pub fn projection_applies_to_every_answer_that_returns_users(c: &impl Client) {
    let p = people(c);
    let t = &p.t;
    let id = p.id(0);
    let one = |query: &str| {
        let r = get(c, t, &format!("/Users/{id}?{query}"));
        r.expect(200);
        r.json()
    };
    assert_eq!(
        one("attributes=userName"),
        json!({ "schemas": [CORE], "id": id, "userName": "bjensen@example.com" })
    );
    assert_eq!(
        one("attributes=USERNAME,Name.GivenName,emails.type"),
        json!({ "schemas": [CORE], "id": id, "userName": "bjensen@example.com", "name": { "givenName": "Barbara" }, "emails": [{ "type": "work" }, { "type": "home" }] })
    );
    assert_eq!(
        one(&format!(
            "attributes={}",
            enc(&format!("{ENTERPRISE}:department"))
        )),
        json!({ "schemas": [CORE, ENTERPRISE], "id": id, ENTERPRISE: { "department": "Tour Operations" } })
    );
    let full = one("");
    assert_eq!(full, p.users[0]);
    let without = one(&format!(
        "excludedAttributes=emails,name.givenName,id,{}",
        enc(ENTERPRISE)
    ));
    let mut expected = full.clone();
    let o = expected.as_object_mut().unwrap();
    o.remove("emails");
    o.remove(ENTERPRISE);
    o.insert("name".into(), json!({ "familyName": "Jensen" }));
    o.insert("schemas".into(), json!([CORE]));
    assert_eq!(
        without, expected,
        "excludedAttributes cannot remove id (returned: always)"
    );
    // Names the service does not keep select nothing; malformed ones and both lists are refused.
    assert_eq!(
        one("attributes=groups"),
        json!({ "schemas": [CORE], "id": id })
    );
    get(
        c,
        t,
        &format!("/Users/{id}?attributes=userName&excludedAttributes=emails"),
    )
    .expect_scim_error(400, Some("invalidValue"));
    get(
        c,
        t,
        &format!("/Users/{id}?attributes={}", enc("emails[type eq \"work\"]")),
    )
    .expect_scim_error(400, Some("invalidValue"));

    // Lists.
    let l = list(c, t, "attributes=displayName&sortBy=userName");
    let resources = l["Resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    for r in resources {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            keys.iter()
                .all(|k| ["schemas", "id", "displayName"].contains(k)),
            "{r}"
        );
    }
    assert_eq!(
        resources[0],
        json!({ "schemas": [CORE], "id": id, "displayName": "Babs Jensen" })
    );
    assert_eq!(l["totalResults"], json!(5));

    // Writes answer with the projection of their URL; what is stored is the whole user.
    let created = c.scim(
        &t.token,
        "POST",
        "/Users?attributes=userName",
        Some(json!({ "schemas": [CORE], "userName": "projected", "displayName": "P" })),
    );
    created.expect(201);
    let new_id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.json(),
        json!({ "schemas": [CORE], "id": new_id, "userName": "projected" })
    );
    assert_eq!(
        get(c, t, &format!("/Users/{new_id}")).json()["displayName"],
        json!("P")
    );
    let put = c.scim(
        &t.token,
        "PUT",
        &format!("/Users/{new_id}?excludedAttributes=meta,displayName"),
        Some(json!({ "schemas": [CORE], "userName": "projected", "title": "T" })),
    );
    put.expect(200);
    assert_eq!(
        put.json(),
        json!({ "schemas": [CORE], "id": new_id, "userName": "projected", "title": "T", "active": true })
    );
    let patch = c.scim(
        &t.token,
        "PATCH",
        &format!("/Users/{new_id}?attributes=active"),
        Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": false } }] })),
    );
    patch.expect(200);
    assert_eq!(
        patch.json(),
        json!({ "schemas": [CORE], "id": new_id, "active": false })
    );
    // A write is never refused for how its answer should look: it answers the default set.
    let both = c.scim(
        &t.token,
        "POST",
        "/Users?attributes=userName&excludedAttributes=id",
        Some(json!({ "schemas": [CORE], "userName": "both" })),
    );
    both.expect(201);
    assert_eq!(both.json()["meta"]["resourceType"], json!("User"));
}

pub fn search_means_what_get_means(c: &impl Client) {
    let p = people(c);
    let t = &p.t;
    let filter = r#"emails[type eq "work"] or title pr"#;
    let by_get = list(c, t, &format!("filter={}&sortBy=name.familyName&sortOrder=descending&attributes=userName,name&startIndex=2&count=2", enc(filter)));
    let request = json!({
        "schemas": [SEARCH],
        "filter": filter,
        "sortBy": "name.familyName",
        "sortOrder": "descending",
        "attributes": ["userName", "name"],
        "startIndex": 2,
        "count": 2
    });
    for path in ["/Users/.search", "/.search"] {
        let r = c.scim(&t.token, "POST", path, Some(request.clone()));
        r.expect(200);
        assert_eq!(r.json(), by_get, "{path}");
    }
    // Users 0, 1 and 3 match; by family name, descending: 3 (none), 1 (Lund), 0 (Jensen).
    assert_eq!(p.positions(&by_get), vec![1, 0]);
    assert_eq!(by_get["totalResults"], json!(3));
    assert_eq!(by_get["itemsPerPage"], json!(2));
    assert_eq!(
        by_get["Resources"][0],
        json!({ "schemas": [CORE], "id": p.id(1), "userName": "ÅSA.Lund@Example.com", "name": { "givenName": "Åsa", "familyName": "Lund" } })
    );
    // Without parameters: everything, in creation order.
    let all = c.scim(
        &t.token,
        "POST",
        "/Users/.search",
        Some(json!({ "schemas": [SEARCH] })),
    );
    assert_eq!(p.positions(&all.json()), vec![0, 1, 2, 3, 4]);
    // excludedAttributes, and cursors, in a body.
    let first = c
        .scim(
            &t.token,
            "POST",
            "/Users/.search",
            Some(json!({ "excludedAttributes": ["emails"], "cursor": "", "count": 3 })),
        )
        .json();
    assert!(first["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("emails").is_none() && r.get("userName").is_some()));
    let next = first["nextCursor"].as_str().unwrap();
    let second = c
        .scim(
            &t.token,
            "POST",
            "/Users/.search",
            Some(json!({ "excludedAttributes": ["emails"], "cursor": next, "count": 3 })),
        )
        .json();
    assert_eq!(
        [p.positions(&first), p.positions(&second)].concat(),
        vec![0, 1, 2, 3, 4]
    );
    // Errors: the body's structure, then its content.
    for (body, scim_type) in [
        (json!({ "schemas": [PATCH_OP] }), "invalidSyntax"),
        (json!({ "filter": ["userName pr"] }), "invalidSyntax"),
        (json!({ "filter": "userName eq" }), "invalidFilter"),
        (json!({ "sortBy": "nope" }), "invalidValue"),
        (json!({ "cursor": "garbage" }), "invalidCursor"),
    ] {
        c.scim(&t.token, "POST", "/Users/.search", Some(body))
            .expect_scim_error(400, Some(scim_type));
    }
    c.scim(&t.token, "GET", "/Users/.search", None)
        .expect_scim_error(405, None);
}

pub fn index_paging_is_exact_at_every_offset(c: &impl Client) {
    let p = people(c);
    let t = &p.t;
    let all = p.positions(&list(c, t, ""));
    assert_eq!(all, vec![0, 1, 2, 3, 4]);
    for count in 0..=6 {
        for start in 0..=7 {
            let page = list(c, t, &format!("startIndex={start}&count={count}"));
            let from = (start.max(1) - 1).min(5);
            let to = (from + count).min(5);
            assert_eq!(
                p.positions(&page),
                all[from..to].to_vec(),
                "startIndex={start}&count={count}"
            );
            assert_eq!(page["totalResults"], json!(5));
            assert_eq!(page["startIndex"], json!(start.max(1)));
            assert_eq!(page["itemsPerPage"], json!(to - from));
            assert!(page.get("nextCursor").is_none());
        }
    }
    // Users created later do not move earlier pages.
    let first_page = list(c, t, "startIndex=1&count=3");
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(json!({ "schemas": [CORE], "userName": "aaa-first-by-name" })),
    )
    .expect(201);
    assert_eq!(
        p.positions(&list(c, t, "startIndex=1&count=3")),
        p.positions(&first_page)
    );
    assert_eq!(list(c, t, "")["totalResults"], json!(6));
    // A start beyond every tenant, up to the largest integer a client can send: an empty page.
    for start in ["2147483648", "9007199254740993", "9223372036854775807"] {
        let page = list(c, t, &format!("startIndex={start}&count=10"));
        assert_eq!(page["totalResults"], json!(6), "startIndex={start}");
        assert_eq!(page["itemsPerPage"], json!(0), "startIndex={start}");
        assert_eq!(page["Resources"], json!([]), "startIndex={start}");
    }
}

/// Follows `key` (nextCursor or previousCursor) from `first` to the end; the pages' positions.
fn walk(c: &impl Client, p: &People, first: Value, query: &str, key: &str) -> Vec<Vec<usize>> {
    let total = first["totalResults"].clone();
    let mut pages = vec![p.positions(&first)];
    let mut page = first;
    for _ in 0..20 {
        let Some(cursor) = page.get(key).and_then(Value::as_str) else {
            return pages;
        };
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
            "RFC 9865 §2: unreserved characters only: {cursor}"
        );
        page = list(c, &p.t, &format!("{query}&cursor={cursor}"));
        assert_eq!(
            page["totalResults"], total,
            "{query}: every page counts every user"
        );
        pages.push(p.positions(&page));
    }
    panic!("{key} never ended");
}

pub fn cursor_paging_walks_forward_and_back(c: &impl Client) {
    let p = people(c);
    let t = &p.t;
    let first = list(c, t, "cursor=&count=2");
    assert!(
        first.get("previousCursor").is_none(),
        "no previousCursor on the first page"
    );
    assert!(
        first.get("startIndex").is_none(),
        "cursor pages have no startIndex"
    );
    assert_eq!(first["totalResults"], json!(5));
    let forward = walk(c, &p, first, "count=2", "nextCursor");
    assert_eq!(forward, vec![vec![0, 1], vec![2, 3], vec![4]]);
    // From the last page back to the first.
    let second = list(c, t, "cursor=&count=2")["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let last = list(
        c,
        t,
        &format!(
            "count=2&cursor={}",
            list(c, t, &format!("count=2&cursor={second}"))["nextCursor"]
                .as_str()
                .unwrap()
        ),
    );
    assert!(
        last.get("nextCursor").is_none(),
        "no nextCursor on the last page"
    );
    let back = walk(c, &p, last, "count=2", "previousCursor");
    assert_eq!(back, vec![vec![4], vec![2, 3], vec![0, 1]]);

    // With a filter and an order: the same users as the whole list, page by page.
    let query = format!(
        "filter={}&sortBy=name.familyName&sortOrder=descending&count=2",
        enc("userName ne \"zed\"")
    );
    let whole = p.positions(&list(c, t, &query.replace("count=2", "count=100")));
    let first = list(c, t, &format!("{query}&cursor="));
    assert_eq!(walk(c, &p, first, &query, "nextCursor").concat(), whole);
    // The default page size, and a count above the maximum, clamped.
    assert_eq!(p.positions(&list(c, t, "cursor")), vec![0, 1, 2, 3, 4]);
    assert_eq!(
        p.positions(&list(c, t, "cursor=&count=100000")),
        vec![0, 1, 2, 3, 4]
    );

    // A user deleted at a page boundary does not lose the next page's users.
    let after_first = list(c, t, "cursor=&count=2")["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    c.scim(&t.token, "DELETE", &format!("/Users/{}", p.id(1)), None)
        .expect(204);
    assert_eq!(
        p.positions(&list(c, t, &format!("count=2&cursor={after_first}"))),
        vec![2, 3]
    );

    // Refusals.
    let other_query = list(
        c,
        t,
        &format!("filter={}&cursor=&count=1", enc("userName pr")),
    )["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    for query in [
        "cursor=garbage".to_string(),
        "cursor=e30".to_string(),
        format!("cursor={other_query}&count=1"),
        format!(
            "cursor={other_query}&count=1&sortBy=userName&filter={}",
            enc("userName pr")
        ),
    ] {
        get(c, t, &format!("/Users?{query}")).expect_scim_error(400, Some("invalidCursor"));
    }
    // RFC 9865 §2: "A negative value SHALL be interpreted as "0". A value of "0" indicates
    // that no resource results are to be returned except for "totalResults"."
    for count in ["0", "-3"] {
        let only_total = get(c, t, &format!("/Users?cursor=&count={count}"));
        only_total.expect(200);
        let body = only_total.json();
        assert!(
            body["totalResults"].as_i64().is_some_and(|n| n > 0),
            "{body}"
        );
        assert_eq!(body["itemsPerPage"], json!(0), "{body}");
        assert_eq!(body.get("nextCursor"), None, "{body}");
    }
    get(c, t, "/Users?cursor=&startIndex=1").expect_scim_error(400, Some("invalidValue"));
}

pub fn service_provider_config_advertises_sort_and_pagination(c: &impl Client) {
    let spc = c
        .send("GET", "/scim/v2/ServiceProviderConfig", &[], None)
        .json();
    assert_eq!(spc["sort"], json!({ "supported": true }));
    assert_eq!(
        spc["filter"],
        json!({ "supported": true, "maxResults": 200 })
    );
    assert_eq!(
        spc["pagination"],
        json!({ "cursor": true, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": 100, "maxPageSize": 200 })
    );
}

/// Issue 14: the lookups Microsoft's Azure AD SCIM guide documents (fixture
/// `entra-azure-ad-scim-provisioning-guide`), beyond the guide's own requests: the reference
/// check `manager eq <id>` compares `manager.value` (ignoring case, as `manager.value` does), by
/// its short name and its full URN path, with `ne` and `pr` following; unquoted values read as
/// the strings they spell, and quoted values and numbers keep their meaning.
pub fn entra_reference_checks_and_unquoted_values(c: &impl Client) {
    let t = c.new_tenant(&unique("Entra lookups "));
    let e = ENTERPRISE;
    let create = |body: Value| {
        let r = c.scim(&t.token, "POST", "/Users", Some(body));
        r.expect(201);
        let id = r.json()["id"].as_str().unwrap().to_string();
        c.tick(APART_MS);
        id
    };
    let boss_name = unique("boss");
    let boss = create(json!({ "schemas": [CORE], "userName": boss_name }));
    // Entra sends the manager as a bare id; the RFC form is an object with its `value`.
    let report = create(
        json!({ "schemas": [CORE, e], "userName": unique("report"), e: { "manager": boss } }),
    );
    let other = create(json!({
        "schemas": [CORE, e], "userName": unique("other"),
        e: { "manager": { "value": "2819C223-7F76-453A-919D-413861904646" } }
    }));
    let plain = create(
        json!({ "schemas": [CORE], "userName": "JYoung@Contoso.com", "externalId": "jyoung" }),
    );
    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> = list["Resources"]
            .as_array()
            .unwrap_or_else(|| panic!("not a ListResponse: {list}"))
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    let table: Vec<(String, Vec<String>)> = vec![
        // The guide's check, and the same with an id that is not the manager's.
        (
            format!("id eq {report} and manager eq {boss}"),
            sorted(vec![&report]),
        ),
        (
            format!("id eq {report} and manager eq 2819c223-7f76-453a-919d-413861904646"),
            vec![],
        ),
        // manager.value ignores case (the guide prints upper-case GUIDs).
        (
            format!("manager eq {}", boss.to_uppercase()),
            sorted(vec![&report]),
        ),
        (
            "manager eq 2819c223-7f76-453a-919d-413861904646".into(),
            sorted(vec![&other]),
        ),
        // By the full URN path, quoted or not.
        (format!("{e}:manager eq {boss}"), sorted(vec![&report])),
        (format!("{e}:manager eq \"{boss}\""), sorted(vec![&report])),
        // ne and pr follow; a user without a manager is not equal to any.
        (
            format!("manager ne {boss}"),
            sorted(vec![&boss, &other, &plain]),
        ),
        ("manager pr".into(), sorted(vec![&report, &other])),
        (format!("{e}:manager eq null"), sorted(vec![&boss, &plain])),
        ("manager sw 2819C".into(), sorted(vec![&other])),
        // Unquoted values: a bare word, an email (userName ignores case, externalId not).
        ("externalId eq jyoung".into(), sorted(vec![&plain])),
        ("externalId eq JYOUNG".into(), vec![]),
        (
            "userName eq jyoung@contoso.com".into(),
            sorted(vec![&plain]),
        ),
        ("(externalId eq jyoung)".into(), sorted(vec![&plain])),
        (
            format!("externalId eq jyoung or userName eq {boss_name}"),
            sorted(vec![&boss, &plain]),
        ),
        (
            "externalId eq jyoung and active eq true".into(),
            sorted(vec![&plain]),
        ),
        (
            "emails pr or externalId ne jyoung".into(),
            sorted(vec![&boss, &report, &other]),
        ),
    ];
    for (filter, expected) in &table {
        let r = get(c, &t, &format!("/Users?filter={}", enc(filter)));
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        let body = r.json();
        assert_eq!(&ids(&body), expected, "{filter}");
        assert_eq!(body["totalResults"], json!(expected.len()), "{filter}");
    }
    // `attributes=id`: the resource carries its id and schemas, nothing else.
    let body = list(
        c,
        &t,
        &format!(
            "filter={}&attributes=id",
            enc(&format!("id eq {report} and manager eq {boss}"))
        ),
    );
    assert_eq!(
        body["Resources"],
        json!([{ "schemas": [CORE], "id": report }])
    );
    // A search reads the same filter alike.
    let r = c.scim(
        &t.token,
        "POST",
        "/Users/.search",
        Some(json!({ "schemas": [SEARCH], "filter": format!("manager eq {boss}"), "attributes": ["id"] })),
    );
    r.expect(200);
    assert_eq!(
        r.json()["Resources"],
        json!([{ "schemas": [CORE], "id": report }])
    );
    // What the RFC grammar reads keeps its meaning: 42 is a number, which externalId is not;
    // other complex attributes still need a sub-attribute.
    for (filter, detail) in [
        (
            "externalId eq 42",
            r#""externalId" is of type string; compare it with a string"#,
        ),
        (
            "manager sw 2819",
            r#"manager.value" is of type string; compare it with a string"#,
        ),
        (
            "name eq Jensen",
            r#""name" is complex; compare one of its sub-attributes"#,
        ),
        (
            "userName eq (jyoung)",
            "expected a value (a string, number, true, false or null), found \"(\"",
        ),
    ] {
        let body = get(c, &t, &format!("/Users?filter={}", enc(filter)))
            .expect_scim_error(400, Some("invalidFilter"));
        let got = body["detail"].as_str().unwrap();
        assert!(got.contains(detail), "{filter}: {got}");
    }
}

/// Substring filters of three characters and more (issue 22), which the substring index
/// answers on the worker's D1 as on the host: the same users as a comparison of every employee
/// would give, ignoring case (Unicode folding, canonically equivalent forms), with `%`, `_`,
/// `\` and quotes literal, any of the emails, under `not`, `and`, `or`; after the writes that
/// change what the index holds (a PATCH, a replace, a delete, a restore); and never a user of
/// another tenant with the same names.
pub fn substring_filters_of_three_characters_or_more(c: &impl Client) {
    let e = ENTERPRISE;
    let bodies = [
        json!({
            "schemas": [CORE, e], "userName": "Anna.Berg@Example.com",
            "name": { "givenName": "Anna", "familyName": "Berg", "formatted": "Anna Berg" },
            "displayName": "Anna Berg",
            "emails": [{ "value": "anna.berg@example.com", "type": "work" }, { "value": "ANNA@Berg.ORG", "type": "home" }],
            e: { "employeeNumber": "E-1001" }
        }),
        json!({
            "schemas": [CORE, e], "userName": "Åsa.Öberg",
            "name": { "givenName": "ÅSA", "middleName": "Maria", "familyName": "Öberg" },
            "displayName": "Åsa Öberg", "emails": [{ "value": "asa@oberg.se", "type": "work" }],
            e: { "employeeNumber": "E-1002" }
        }),
        json!({
            "schemas": [CORE], "userName": "jose",
            "name": { "givenName": "Jose\u{301}", "familyName": "García-López" },
            "displayName": "José García",
            "emails": [{ "value": "jose@example.com", "type": "work" }, { "value": "j.garcia@example.com" }]
        }),
        json!({
            "schemas": [CORE], "userName": "pct",
            "name": { "familyName": "Sure%_\\Thing" }, "displayName": "Say \"Hi\" now",
            "emails": [{ "value": "x_y%z@ex.com" }]
        }),
        json!({
            "schemas": [CORE], "userName": "strasse",
            "name": { "familyName": "Straße" }, "displayName": "STRASSE",
            "emails": [{ "value": "gross@strasse.de" }]
        }),
    ];
    let t = c.new_tenant(&unique("Substrings "));
    let mut users = Vec::new();
    for body in bodies.iter().cloned() {
        let r = c.scim(&t.token, "POST", "/Users", Some(body));
        r.expect(201);
        users.push(r.json());
    }
    // Another tenant with the same names: none of its users is ever an answer.
    let other = c.new_tenant(&unique("Substrings elsewhere "));
    for body in bodies.iter().cloned() {
        c.scim(&other.token, "POST", "/Users", Some(body))
            .expect(201);
    }
    let p = People { t, users };
    let check = |p: &People, table: &[(&str, Vec<usize>)]| {
        for (filter, expected) in table {
            let body = list(c, &p.t, &format!("filter={}", enc(filter)));
            let mut got = p.positions(&body);
            got.sort_unstable();
            assert_eq!(&got, expected, "{filter}");
            assert_eq!(body["totalResults"], json!(expected.len()), "{filter}");
        }
    };
    check(
        &p,
        &[
            // Case and Unicode folding; no accent removal.
            (r#"name.familyName co "BERG""#, vec![0, 1]),
            (r#"name.familyName sw "berg""#, vec![0]),
            (r#"name.familyName ew "BERG""#, vec![0, 1]),
            (r#"name.familyName co "ÖBE""#, vec![1]),
            (r#"name.familyName co "obe""#, vec![]),
            (r#"name.givenName co "josé""#, vec![2]),
            ("name.givenName co \"jose\u{301}\"", vec![2]),
            (r#"name.givenName sw "åsa""#, vec![1]),
            (r#"name.middleName co "ARI""#, vec![1]),
            (r#"name.formatted co "na be""#, vec![0]),
            (r#"displayName co "Straße""#, vec![4]),
            (r#"name.familyName ew "SSE""#, vec![4]),
            (r#"displayName sw "josé g""#, vec![2]),
            (r#"userName co "BERG""#, vec![0, 1]),
            (r#"employeeNumber sw "e-10""#, vec![0, 1]),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ew \"002\"",
                vec![1],
            ),
            // %, _, \ and quotes are literal.
            (r#"name.familyName co "%_\\th""#, vec![3]),
            (r#"name.familyName co "e%_""#, vec![3]),
            (r#"name.familyName co "a%_""#, vec![]),
            (r#"name.familyName co "e__""#, vec![]),
            (r#"displayName co "\"hi\"""#, vec![3]),
            (r#"emails co "x_y%z""#, vec![3]),
            // Any of the emails.
            (r#"emails co "@EXAMPLE.com""#, vec![0, 2]),
            (r#"emails.value sw "anna@""#, vec![0]),
            (r#"emails ew ".org""#, vec![0]),
            (r#"emails co "j.gar""#, vec![2]),
            (r#"emails[type eq "home" and value co "berg.org"]"#, vec![0]),
            (r#"emails[type eq "work" and value co "berg.org"]"#, vec![]),
            // not, and, or, pr.
            (r#"not (name.familyName co "berg")"#, vec![2, 3, 4]),
            (r#"name.familyName co "berg" and emails co "oberg""#, vec![1]),
            (
                r#"name.familyName co "berg" or displayName co "strasse""#,
                vec![0, 1, 4],
            ),
            (r#"name.middleName pr and name.familyName co "berg""#, vec![1]),
            (r#"name.familyName co "xyz""#, vec![]),
        ],
    );
    // A PATCH renames, a replace changes the emails: the old values are no longer found.
    let patch = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "name.familyName", "value": "Lindqvist" }] });
    c.scim(
        &p.t.token,
        "PATCH",
        &format!("/Users/{}", p.id(0)),
        Some(patch),
    )
    .expect(200);
    let mut replaced = bodies[2].clone();
    replaced["emails"] = json!([{ "value": "pepe@example.net" }]);
    c.scim(
        &p.t.token,
        "PUT",
        &format!("/Users/{}", p.id(2)),
        Some(replaced),
    )
    .expect(200);
    check(
        &p,
        &[
            (r#"name.familyName co "berg""#, vec![1]),
            (r#"name.familyName co "lindq""#, vec![0]),
            (r#"emails co "@example.com""#, vec![0]),
            (r#"emails co "pepe@""#, vec![2]),
        ],
    );
    // Deleted: not found; restored (the admin API): found again.
    c.scim(&p.t.token, "DELETE", &format!("/Users/{}", p.id(1)), None)
        .expect(204);
    check(&p, &[(r#"name.familyName co "berg""#, vec![])]);
    c.admin(
        "POST",
        &format!("/tenants/{}/deleted-employees/{}/restore", p.t.id, p.id(1)),
        None,
    )
    .expect(200);
    check(&p, &[(r#"name.familyName co "berg""#, vec![1])]);
}
