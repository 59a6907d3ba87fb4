//! The parameters of a query (RFC 7644 §3.4.2, §3.4.3; RFC 9865 §2, §3): `filter`, `sortBy`,
//! `sortOrder`, `startIndex`, `count`, `cursor`, `attributes` and `excludedAttributes`, read from
//! a query string (`GET /Users`) or from a SearchRequest body (`POST /Users/.search`) into one
//! [`ListParams`], so that both mean the same.
//!
//! It also owns what those parameters mean before any SQL exists: which paging method a request
//! asks for ([`Paging`]), which attribute a `sortBy` names and how it orders ([`Sort`]), and the
//! content of an RFC 9865 cursor ([`Cursor`]). The cursor's encoding (base64url) is the app's.
//!
//! Paging (RFC 9865 §2.3, "Default Pagination Method"): index paging stays the default, as it
//! was before cursors existed (RFC 9865 §2.5); a request with a `cursor` parameter, even empty,
//! gets cursor paging. Asking for both is refused.

use super::error::ScimError;
use super::filter::resolve::Target;
use super::filter::{parse_patch_path, Filter, Limits};
use super::path::{self, Container};
use super::projection::Projection;
use super::schema::{Type, SEARCH_REQUEST};
use super::tenant::TenantSchema;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Page size when `count` is not given (`pagination.defaultPageSize`).
pub const DEFAULT_COUNT: i64 = 100;
/// Largest page (`filter.maxResults`, `pagination.maxPageSize`); a larger `count` is clamped to
/// it, as RFC 7644 §3.4.2.4 allows ("MAY return fewer results").
pub const MAX_COUNT: i64 = 200;

/// RFC 7644 §3.4.2.3 `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// The parameters of one query, as the client gave them (not yet checked against a schema).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: SortOrder,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    /// RFC 9865 §2: present (even empty) asks for cursor paging; empty is the first page.
    pub cursor: Option<String>,
    pub projection: Projection,
}

/// The paging a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// RFC 7644 §3.4.2.4: 1-based `startIndex`, `count` results from there.
    Index { start: i64, count: i64 },
    /// RFC 9865 §2: `count` results after the position `cursor` holds (`None`: the first page).
    Cursor { cursor: Option<String>, count: i64 },
}

fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
}

/// A query parameter's value, its name matched case-insensitively; the first one counts.
fn query<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn integer(text: &str, name: &str) -> Result<i64, ScimError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| invalid(format!("\"{name}\" must be an integer, not \"{text}\"")))
}

fn sort_order(text: &str) -> Result<SortOrder, ScimError> {
    if text.eq_ignore_ascii_case("ascending") {
        Ok(SortOrder::Ascending)
    } else if text.eq_ignore_ascii_case("descending") {
        Ok(SortOrder::Descending)
    } else {
        Err(invalid(format!(
            "\"sortOrder\" must be \"ascending\" or \"descending\", not \"{text}\""
        )))
    }
}

/// Blank text means "not given" for `filter` and `sortBy`.
fn given(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty()).map(str::to_string)
}

impl ListParams {
    /// From the decoded pairs of a query string (RFC 7644 §3.4.2). Unknown parameters are
    /// ignored (Entra appends flags such as `aadOptscim062020`).
    pub fn from_query(pairs: &[(String, String)]) -> Result<ListParams, ScimError> {
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match query(pairs, name) {
                None | Some("") => Ok(None),
                Some(v) => integer(v, name).map(Some),
            }
        };
        Ok(ListParams {
            filter: given(query(pairs, "filter")),
            sort_by: given(query(pairs, "sortBy")),
            sort_order: match query(pairs, "sortOrder") {
                None | Some("") => SortOrder::Ascending,
                Some(v) => sort_order(v)?,
            },
            start_index: int("startIndex")?,
            count: int("count")?,
            cursor: query(pairs, "cursor").map(str::to_string),
            projection: Projection::from_query(
                query(pairs, "attributes"),
                query(pairs, "excludedAttributes"),
            )?,
        })
    }

    /// From a SearchRequest (RFC 7644 §3.4.3): the same parameters as JSON members, names
    /// compared case-insensitively; `null` means absent, unknown members are ignored.
    pub fn from_search_request(body: &Map<String, Value>) -> Result<ListParams, ScimError> {
        let member = |name: &str| {
            body.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
        };
        let syntax = |detail: String| ScimError::InvalidSyntax(detail);
        if let Some(schemas) = member("schemas") {
            let ok = schemas.as_array().is_some_and(|list| {
                list.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST))
                })
            });
            if !ok {
                return Err(syntax(format!(
                    "A search request's \"schemas\" must be [\"{SEARCH_REQUEST}\"]"
                )));
            }
        }
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match member(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(syntax(format!("\"{name}\" must be a string"))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match member(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| invalid(format!("\"{name}\" must be an integer, not {n}"))),
                // Integers as strings, as some clients send them in query strings.
                Some(Value::String(s)) => integer(s, name).map(Some),
                Some(_) => Err(syntax(format!("\"{name}\" must be an integer"))),
            }
        };
        let names = |name: &str| -> Result<Vec<String>, ScimError> {
            match member(name) {
                None => Ok(Vec::new()),
                // A comma-separated string, as in a query string.
                Some(Value::String(s)) => Ok(s.split(',').map(str::to_string).collect()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| syntax(format!("\"{name}\" must be a list of strings")))
                    })
                    .collect(),
                Some(_) => Err(syntax(format!("\"{name}\" must be a list of strings"))),
            }
        };
        Ok(ListParams {
            filter: given(text("filter")?.as_deref()),
            sort_by: given(text("sortBy")?.as_deref()),
            sort_order: match text("sortOrder")? {
                None => SortOrder::Ascending,
                Some(v) if v.is_empty() => SortOrder::Ascending,
                Some(v) => sort_order(&v)?,
            },
            start_index: int("startIndex")?,
            count: int("count")?,
            cursor: text("cursor")?,
            projection: Projection::from_lists(
                &names("attributes")?,
                &names("excludedAttributes")?,
            )?,
        })
    }

    /// The paging method and page size this request asks for.
    pub fn paging(&self) -> Result<Paging, ScimError> {
        match (&self.cursor, self.start_index) {
            (Some(_), Some(_)) => Err(invalid(
                "Send either \"startIndex\" (index paging) or \"cursor\" (cursor paging), not both"
                    .into(),
            )),
            (Some(cursor), None) => {
                // RFC 9865 §2: "A negative value SHALL be interpreted as "0". A value of "0"
                // indicates that no resource results are to be returned except for
                // "totalResults"."
                let count = self.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_COUNT);
                Ok(Paging::Cursor {
                    cursor: (!cursor.is_empty()).then(|| cursor.clone()),
                    count,
                })
            }
            // RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1"; "A negative
            // value SHALL be interpreted as 0".
            (None, start) => Ok(Paging::Index {
                start: start.unwrap_or(1).max(1),
                count: self.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_COUNT),
            }),
        }
    }
}

/// What a sort orders by.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// A column, or a value of the folded document.
    Target(Target),
    /// RFC 7644 §3.4.2.3: a multi-valued attribute sorts by "the value of the primary attribute
    /// ..., if any, or else the first value in the list": `sub` of that element of `array`.
    Primary { array: Vec<String>, sub: String },
    /// The same for every user (`meta.resourceType`): only the `id` tie-break orders.
    Constant,
}

/// The order of a query: by `key`, then by `id` so that the order is total and stable; users
/// without a value come last when ascending, first when descending (RFC 7644 §3.4.2.3), so a
/// descending order is exactly the reverse of the ascending one.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
    /// The attribute, as the RFC spells it (part of a cursor's query fingerprint).
    pub name: String,
}

fn sort_error(name: &str, why: &str) -> ScimError {
    invalid(format!("Cannot sort by \"{name}\": {why}"))
}

impl Sort {
    /// The order without `sortBy`: creation, then id (DESIGN §6), so that users created later
    /// never move earlier pages.
    pub fn creation() -> Sort {
        Sort {
            key: SortKey::Target(Target::Column("created")),
            descending: false,
            name: String::new(),
        }
    }

    /// RFC 7644 §3.4.2.3: `sortBy` names a singular attribute or sub-attribute, or a
    /// multi-valued one (by its primary value); names resolve like filter paths.
    pub fn resolve(
        sort_by: &str,
        order: SortOrder,
        schema: &TenantSchema,
    ) -> Result<Sort, ScimError> {
        let parsed = parse_patch_path(
            sort_by,
            &Limits {
                max_len: 512,
                max_depth: 1,
                max_terms: 1,
            },
        )
        .map_err(|e| {
            invalid(format!(
                "\"sortBy\": \"{sort_by}\" is not an attribute name ({e})"
            ))
        })?;
        if parsed.filter.is_some() || parsed.sub.is_some() {
            return Err(invalid(format!(
                "\"sortBy\": \"{sort_by}\" is not an attribute name"
            )));
        }
        let r = path::resolve(&parsed.attr, schema).map_err(|e| match e {
            ScimError::InvalidFilter(d) => invalid(format!("\"sortBy\": {d}")),
            other => other,
        })?;
        let name = r.display();
        let descending = order == SortOrder::Descending;
        let sort = |key| {
            Ok(Sort {
                key,
                descending,
                name: name.clone(),
            })
        };
        if let Some(column) = r.column() {
            return sort(SortKey::Target(Target::Column(column.name)));
        }
        if r.container == Container::Common && r.top.name() == "meta" {
            return match r.sub.as_ref().map(|s| s.name()) {
                Some("resourceType") => sort(SortKey::Constant),
                // The location is the base URL and the id: it orders as the id does.
                Some("location") => sort(SortKey::Target(Target::Column("id"))),
                Some(_) => Err(sort_error(&name, "sorting by it is not supported")),
                None => Err(sort_error(
                    &name,
                    "it is complex; sort by one of its sub-attributes",
                )),
            };
        }
        let keys = r
            .doc_keys()
            .ok_or_else(|| sort_error(&name, "sorting by it is not supported"))?;
        if r.top.multi() {
            // `emails` sorts by `emails.value`, as `emails eq "x"` compares it.
            let sub = match &r.sub {
                Some(s) => s.clone(),
                None => r.top.sub("value").ok_or_else(|| {
                    sort_error(&name, "it is complex; sort by one of its sub-attributes")
                })?,
            };
            return sort(SortKey::Primary {
                array: keys,
                sub: sub.name().to_string(),
            });
        }
        if r.leaf().ty() == Type::Complex {
            return Err(sort_error(
                &name,
                "it is complex; sort by one of its sub-attributes",
            ));
        }
        let mut keys = keys;
        if let Some(sub) = &r.sub {
            keys.push(sub.name().to_string());
        }
        sort(SortKey::Target(Target::Doc(keys)))
    }
}

/// A position in an ordered result (RFC 9865 §2), what a `nextCursor`/`previousCursor` holds:
/// the sort value and id of a user, and which way the page goes from there.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorPos {
    /// The page holds the users before the position (a `previousCursor`), not after it.
    pub backward: bool,
    /// The page starts with the user at the position itself (used when a page came back empty
    /// and the position is all there is to continue from).
    pub inclusive: bool,
    /// The sort value at the position: a string, a number or null.
    pub key: Value,
    pub id: String,
}

/// An RFC 9865 cursor: a position, the fingerprint of the query it belongs to, and the query's
/// `totalResults` as its first page counted it (so later pages need not count again; RFC 9865
/// §2 lets a service provider that cannot count omit it, and one count per walk keeps a
/// tenant's walk from scanning the whole tenant on every page). Cursors issued without a total
/// are counted again.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub query: String,
    pub pos: CursorPos,
    pub total: Option<i64>,
}

fn bad_cursor() -> ScimError {
    ScimError::InvalidCursor(
        "The cursor is invalid: send an empty cursor for the first page, then the nextCursor or previousCursor \
         of the previous answer, with the other parameters unchanged"
            .into(),
    )
}

impl Cursor {
    /// The cursor's content, compact JSON (the app encodes it as base64url).
    pub fn to_bytes(&self) -> Vec<u8> {
        json!({
            "q": self.query,
            "b": self.pos.backward,
            "x": self.pos.inclusive,
            "k": self.pos.key,
            "i": self.pos.id,
            "t": self.total,
        })
        .to_string()
        .into_bytes()
    }

    /// Reads a cursor's content back, checking that it belongs to the query `fingerprint`
    /// (RFC 9865 §2: the client repeats every other parameter unchanged). Anything else is a
    /// 400 `invalidCursor`: a cursor is opaque, so a client cannot have meant anything else.
    pub fn from_bytes(bytes: &[u8], fingerprint: &str) -> Result<Cursor, ScimError> {
        let v: Map<String, Value> = serde_json::from_slice(bytes).map_err(|_| bad_cursor())?;
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).ok_or_else(bad_cursor);
        if v.get("q").and_then(Value::as_str) != Some(fingerprint) {
            return Err(bad_cursor());
        }
        let key = v.get("k").cloned().ok_or_else(bad_cursor)?;
        if !matches!(key, Value::Null | Value::String(_) | Value::Number(_)) {
            return Err(bad_cursor());
        }
        let total = match v.get("t") {
            None | Some(Value::Null) => None,
            Some(t) => Some(t.as_i64().filter(|t| *t >= 0).ok_or_else(bad_cursor)?),
        };
        Ok(Cursor {
            query: fingerprint.to_string(),
            pos: CursorPos {
                backward: flag("b")?,
                inclusive: flag("x")?,
                key,
                id: v
                    .get("i")
                    .and_then(Value::as_str)
                    .ok_or_else(bad_cursor)?
                    .to_string(),
            },
            total,
        })
    }
}

/// The fingerprint of a query for its cursors: the filter (as re-displayed, so spacing and
/// keyword case do not matter) and the order.
pub fn fingerprint(filter: Option<&Filter>, sort: &Sort) -> String {
    let mut h = Sha256::new();
    h.update(filter.map(|f| f.to_string()).unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(sort.name.as_bytes());
    h.update([u8::from(sort.descending)]);
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect()
    }

    /// Query string → paging, one line per case.
    #[test]
    fn paging_follows_rfc_7644_and_rfc_9865() {
        use Paging::*;
        let table: Vec<(&str, Result<Paging, ScimError>)> = vec![
            ("", Ok(Index { start: 1, count: DEFAULT_COUNT })),
            ("startIndex=5&count=10", Ok(Index { start: 5, count: 10 })),
            ("startIndex=0&count=-3", Ok(Index { start: 1, count: 0 })),
            ("STARTINDEX=-9&Count=100000", Ok(Index { start: 1, count: MAX_COUNT })),
            ("cursor", Ok(Cursor { cursor: None, count: DEFAULT_COUNT })),
            ("cursor=&count=10", Ok(Cursor { cursor: None, count: 10 })),
            ("cursor=abc&count=1000", Ok(Cursor { cursor: Some("abc".into()), count: MAX_COUNT })),
            ("cursor=&count=0", Ok(Cursor { cursor: None, count: 0 })),
            ("cursor=abc&count=-5", Ok(Cursor { cursor: Some("abc".into()), count: 0 })),
            ("cursor=&startIndex=1", Err(invalid("Send either \"startIndex\" (index paging) or \"cursor\" (cursor paging), not both".into()))),
        ];
        for (q, expected) in table {
            assert_eq!(
                ListParams::from_query(&pairs(q)).and_then(|p| p.paging()),
                expected,
                "{q}"
            );
        }
    }

    #[test]
    fn malformed_parameters_are_refused() {
        let table = [
            ("count=x", "\"count\" must be an integer, not \"x\""),
            (
                "startIndex=1.5",
                "\"startIndex\" must be an integer, not \"1.5\"",
            ),
            (
                "sortOrder=up",
                "\"sortOrder\" must be \"ascending\" or \"descending\", not \"up\"",
            ),
        ];
        for (q, detail) in table {
            assert_eq!(
                ListParams::from_query(&pairs(q)),
                Err(invalid(detail.into())),
                "{q}"
            );
        }
    }

    #[test]
    fn a_search_request_means_what_the_query_string_means() {
        let body = json!({
            "schemas": [SEARCH_REQUEST],
            "attributes": ["userName", "name.givenName"],
            "filter": "userName sw \"j\"",
            "sortBy": "name.familyName",
            "SORTORDER": "Descending",
            "startIndex": 3,
            "count": "7"
        });
        let from_body = ListParams::from_search_request(body.as_object().unwrap()).unwrap();
        let from_query = ListParams::from_query(&pairs(
            "attributes=userName,name.givenName&filter=userName sw \"j\"&sortBy=name.familyName&sortOrder=descending&startIndex=3&count=7",
        ))
        .unwrap();
        assert_eq!(from_body, from_query);
        let cursor = ListParams::from_search_request(
            json!({ "cursor": "", "count": 2 }).as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(
            cursor.paging(),
            Ok(Paging::Cursor {
                cursor: None,
                count: 2
            })
        );
    }

    #[test]
    fn malformed_search_requests_are_refused() {
        let table = [
            (
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"] }),
                "invalidSyntax",
            ),
            (json!({ "filter": 5 }), "invalidSyntax"),
            (json!({ "attributes": [1] }), "invalidSyntax"),
            (json!({ "count": 1.5 }), "invalidValue"),
            (json!({ "count": true }), "invalidSyntax"),
            (json!({ "sortOrder": "sideways" }), "invalidValue"),
            (
                json!({ "attributes": ["a"], "excludedAttributes": ["b"] }),
                "invalidValue",
            ),
        ];
        for (body, scim_type) in table {
            let err = ListParams::from_search_request(body.as_object().unwrap()).unwrap_err();
            assert_eq!(
                err.scim_type().map(|t| t.as_str()),
                Some(scim_type),
                "{body}"
            );
        }
    }

    /// `sortBy` → what it orders by, one line per case.
    #[test]
    fn sort_paths_resolve_to_columns_document_values_or_primary_values() {
        let s = TenantSchema::default();
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table: Vec<(&str, SortKey, &str)> = vec![
            (
                "userName",
                SortKey::Target(Target::Column("user_name_fold")),
                "userName",
            ),
            ("ID", SortKey::Target(Target::Column("id")), "id"),
            (
                "externalId",
                SortKey::Target(Target::Column("external_id")),
                "externalId",
            ),
            (
                "meta.created",
                SortKey::Target(Target::Column("created")),
                "meta.created",
            ),
            (
                "meta.lastModified",
                SortKey::Target(Target::Column("last_modified")),
                "meta.lastModified",
            ),
            ("meta.resourceType", SortKey::Constant, "meta.resourceType"),
            (
                "name.familyName",
                SortKey::Target(Target::Column("family_name_fold")),
                "name.familyName",
            ),
            (
                "name.formatted",
                SortKey::Target(Target::Doc(keys(&["name", "formatted"]))),
                "name.formatted",
            ),
            (
                "displayName",
                SortKey::Target(Target::Doc(keys(&["displayName"]))),
                "displayName",
            ),
            (
                "emails",
                SortKey::Primary {
                    array: keys(&["emails"]),
                    sub: "value".into(),
                },
                "emails",
            ),
            (
                "emails.type",
                SortKey::Primary {
                    array: keys(&["emails"]),
                    sub: "type".into(),
                },
                "emails.type",
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                SortKey::Target(Target::Column("department_fold")),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            ),
            (
                "manager.value",
                SortKey::Target(Target::Column("manager_fold")),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ),
        ];
        for (sort_by, key, name) in table {
            let sort = Sort::resolve(sort_by, SortOrder::Descending, &s)
                .unwrap_or_else(|e| panic!("{sort_by}: {e}"));
            assert_eq!(
                (sort.key, sort.descending, sort.name.as_str()),
                (key, true, name),
                "{sort_by}"
            );
        }
    }

    #[test]
    fn unsortable_paths_say_why() {
        let s = TenantSchema::default();
        let table = [
            ("nope", "\"sortBy\": Unknown attribute \"nope\""),
            (
                "name",
                "Cannot sort by \"name\": it is complex; sort by one of its sub-attributes",
            ),
            (
                "addresses",
                "Cannot sort by \"addresses\": it is complex; sort by one of its sub-attributes",
            ),
            (
                "meta",
                "Cannot sort by \"meta\": it is complex; sort by one of its sub-attributes",
            ),
            (
                "meta.version",
                "Cannot sort by \"meta.version\": sorting by it is not supported",
            ),
            (
                "emails[type eq \"work\"]",
                r#""sortBy": "emails[type eq "work"]" is not an attribute name"#,
            ),
        ];
        for (sort_by, detail) in table {
            assert_eq!(
                Sort::resolve(sort_by, SortOrder::Ascending, &s),
                Err(invalid(detail.into())),
                "{sort_by}"
            );
        }
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_query() {
        let pos = CursorPos {
            backward: true,
            inclusive: false,
            key: json!("bjensen"),
            id: "u1".into(),
        };
        let c = Cursor {
            query: "q1".into(),
            pos: pos.clone(),
            total: Some(7),
        };
        assert_eq!(Cursor::from_bytes(&c.to_bytes(), "q1"), Ok(c.clone()));
        // A cursor issued before totals were kept is read with none (and counted again).
        let old = br#"{"q":"q1","b":true,"x":false,"k":"bjensen","i":"u1"}"#;
        assert_eq!(
            Cursor::from_bytes(old, "q1").map(|c| (c.pos, c.total)),
            Ok((pos, None))
        );
        assert_eq!(Cursor::from_bytes(&c.to_bytes(), "q2"), Err(bad_cursor()));
        for junk in [
            &b"not json"[..],
            b"{}",
            br#"{"q":"q1","b":true,"x":false,"k":[1],"i":"u1"}"#,
            br#"{"q":"q1","b":1,"x":false,"k":1,"i":"u1"}"#,
            br#"{"q":"q1","b":true,"x":false,"k":1,"i":"u1","t":-1}"#,
        ] {
            assert_eq!(
                Cursor::from_bytes(junk, "q1"),
                Err(bad_cursor()),
                "{}",
                String::from_utf8_lossy(junk)
            );
        }
    }

    #[test]
    fn fingerprints_ignore_spelling_but_not_meaning() {
        let f = |t: &str| crate::scim::filter::parse_filter(t, &Limits::DEFAULT).unwrap();
        let by_name =
            Sort::resolve("userName", SortOrder::Ascending, &TenantSchema::default()).unwrap();
        let a = fingerprint(Some(&f("userName  EQ \"x\"")), &by_name);
        assert_eq!(a, fingerprint(Some(&f("userName eq \"x\"")), &by_name));
        assert_ne!(a, fingerprint(Some(&f("userName eq \"y\"")), &by_name));
        assert_ne!(
            a,
            fingerprint(Some(&f("userName eq \"x\"")), &Sort::creation())
        );
        assert_ne!(a, fingerprint(None, &by_name));
    }
}
