//! Properties of queries: on random users and random filters, what SQL (SQLite, the same SQL D1
//! runs) returns through the whole app agrees with a small in-memory evaluator of RFC 7644
//! §3.4.2.2 written here from the RFC, on the JSON representations the app returned. The same
//! for orders (§3.4.2.3) and for both paging methods: every walk, by index or by cursor, forward
//! or back, returns the ordered result exactly.
//!
//! The evaluator reads the representation, not the stored document: case rules come from the
//! attribute table (`caseExact`, the type), folding is `scim::fold` (tested on its own), dates
//! are parsed to instants. It shares only attribute-name resolution (`scim::path`) with the app.

use crate::common::scenarios::query::{enc, ENTERPRISE};
use crate::common::{Client, Tenant};
use crate::helpers::TestApp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scim_edge::scim::datetime::{normalize_datetime, Timestamp};
use scim_edge::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use scim_edge::scim::fold::fold;
use scim_edge::scim::path::{self, AttrRef, Container, Def};
use scim_edge::scim::schema::Type;
use scim_edge::scim::tenant::TenantSchema;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// Strings the users hold and the filters compare with: case pairs, Unicode folds ("ß"/"SS",
/// "İ"), canonically equivalent forms ("é" and "e" with a combining accent), LIKE wildcards,
/// the empty string.
const TOKENS: &[&str] = &[
    "a",
    "A",
    "ab",
    "Ab",
    "b",
    "ß",
    "SS",
    "ss",
    "%",
    "_",
    "a%b",
    "a_b",
    "é",
    "É",
    "e\u{301}",
    "E\u{301}",
    "İ",
    "i\u{307}",
    "x@example.com",
    "X@Example.COM",
    "work",
    "Work",
    "home",
    " ",
    "0",
    "1",
];
const TYPES: &[&str] = &["work", "Work", "home", "other"];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 1..=2).prop_map(|t| t.concat())
}

fn maybe_text() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.6, prop_oneof![4 => text(), 1 => Just(String::new())])
}

fn user() -> impl Strategy<Value = Value> {
    let email = (
        maybe_text(),
        prop::option::of(prop::sample::select(TYPES)),
        maybe_text(),
    );
    (
        (
            text(),
            maybe_text(),
            maybe_text(),
            maybe_text(),
            maybe_text(),
            maybe_text(),
        ),
        (
            maybe_text(),
            maybe_text(),
            prop::option::of(any::<bool>()),
            maybe_text(),
        ),
        (
            prop::collection::vec(email, 0..=3),
            prop::option::of(0..3usize),
            prop::collection::vec(text(), 0..=2),
        ),
        (maybe_text(), maybe_text(), maybe_text()),
    )
        .prop_map(
            |(
                (user_name, external_id, display, title, nick, locale),
                (given, family, active, url),
                (emails, primary, phones),
                (dept, number, manager),
            )| {
                let mut u = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        u.insert(k.into(), v);
                    }
                };
                put(
                    "schemas",
                    Some(json!(["urn:ietf:params:scim:schemas:core:2.0:User"])),
                );
                put("userName", Some(json!(user_name)));
                put("externalId", external_id.map(Value::from));
                put("displayName", display.map(Value::from));
                put("title", title.map(Value::from));
                put("nickName", nick.map(Value::from));
                put("locale", locale.map(Value::from));
                put("profileUrl", url.map(Value::from));
                put("active", active.map(Value::from));
                let mut name = Map::new();
                if let Some(g) = given {
                    name.insert("givenName".into(), json!(g));
                }
                if let Some(f) = family {
                    name.insert("familyName".into(), json!(f));
                }
                put("name", (!name.is_empty()).then_some(Value::Object(name)));
                let emails: Vec<Value> = emails
                    .into_iter()
                    .enumerate()
                    .map(|(i, (value, ty, display))| {
                        let mut e = Map::new();
                        if let Some(v) = value {
                            e.insert("value".into(), json!(v));
                        }
                        if let Some(t) = ty {
                            e.insert("type".into(), json!(t));
                        }
                        if let Some(d) = display {
                            e.insert("display".into(), json!(d));
                        }
                        if primary == Some(i) {
                            e.insert("primary".into(), json!(true));
                        } else if i == 2 {
                            e.insert("primary".into(), json!(false));
                        }
                        Value::Object(e)
                    })
                    .filter(|e| !e.as_object().is_some_and(Map::is_empty))
                    .collect();
                put("emails", (!emails.is_empty()).then(|| json!(emails)));
                put(
                    "phoneNumbers",
                    (!phones.is_empty()).then(|| {
                        json!(phones
                            .iter()
                            .map(|p| json!({ "value": p }))
                            .collect::<Vec<_>>())
                    }),
                );
                let mut ext = Map::new();
                if let Some(d) = dept {
                    ext.insert("department".into(), json!(d));
                }
                if let Some(n) = number {
                    ext.insert("employeeNumber".into(), json!(n));
                }
                if let Some(m) = manager {
                    ext.insert("manager".into(), json!({ "value": m }));
                }
                put(ENTERPRISE, (!ext.is_empty()).then_some(Value::Object(ext)));
                Value::Object(u)
            },
        )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Bool,
    Date,
    /// `meta.resourceType`: eq and ne only.
    Constant,
}

/// Paths a comparison may name, with the kind of literal they take.
const LEAVES: &[(&str, Kind)] = &[
    ("userName", Kind::Str),
    ("externalId", Kind::Str),
    ("id", Kind::Str),
    ("displayName", Kind::Str),
    ("title", Kind::Str),
    ("nickName", Kind::Str),
    ("locale", Kind::Str),
    ("profileUrl", Kind::Str),
    ("name.givenName", Kind::Str),
    ("name.familyName", Kind::Str),
    ("active", Kind::Bool),
    ("emails", Kind::Str),
    ("emails.value", Kind::Str),
    ("emails.type", Kind::Str),
    ("emails.display", Kind::Str),
    ("emails.primary", Kind::Bool),
    ("phoneNumbers.value", Kind::Str),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        Kind::Str,
    ),
    ("employeeNumber", Kind::Str),
    ("manager.value", Kind::Str),
    // Issue 14: the manager compared as a whole is its value (see `as_a_whole`).
    ("manager", Kind::Str),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        Kind::Str,
    ),
    ("meta.created", Kind::Date),
    ("meta.lastModified", Kind::Date),
    ("meta.resourceType", Kind::Constant),
];

/// Paths `pr` (and `eq null`) may name: the leaves and complex attributes.
const PRESENT: &[&str] = &[
    "name",
    "emails",
    "phoneNumbers",
    "addresses",
    "manager",
    "meta",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
];

/// Value paths and the sub-attributes their brackets may name.
const VALUE_PATHS: &[(&str, &[(&str, Kind)])] = &[
    (
        "emails",
        &[
            ("value", Kind::Str),
            ("type", Kind::Str),
            ("display", Kind::Str),
            ("primary", Kind::Bool),
        ],
    ),
    ("phoneNumbers", &[("value", Kind::Str), ("type", Kind::Str)]),
    (
        "name",
        &[
            ("givenName", Kind::Str),
            ("familyName", Kind::Str),
            ("formatted", Kind::Str),
        ],
    ),
];

/// Instants around the test clock's start (2026-01-02T03:04:05.000Z, 1 ms per request), in
/// several notations, and text for co/sw/ew on the stored form.
const DATES: &[&str] = &[
    "2026-01-02T03:04:05.004Z",
    "2026-01-02T03:04:05.012Z",
    "2026-01-02T04:04:05.008+01:00",
    "2026-01-02t03:04:05.0100z",
    "2026-01-02T03:04:05Z",
    "2026-01-02",
    "2026-01-03",
    "2026-01-02T03:04:04.999-00:00",
];
const DATE_TEXT: &[&str] = &["2026", "05.0", "Z", "T03", "00"];

fn path(text: &str, upper: bool) -> AttrPath {
    let text = if upper {
        text.to_uppercase()
    } else {
        text.to_string()
    };
    match scim_edge::scim::filter::parse_filter(&format!("{text} pr"), &Default::default()) {
        Ok(Filter::Present(p)) => p,
        other => panic!("{text}: {other:?}"),
    }
}

fn literal(kind: Kind, op: CompareOp) -> BoxedStrategy<CompValue> {
    use CompareOp::*;
    match (kind, op) {
        (Kind::Str, _) => text().prop_map(CompValue::Str).boxed(),
        (Kind::Bool, _) => prop_oneof![
            any::<bool>().prop_map(CompValue::Bool),
            prop::sample::select(&["True", "false"][..]).prop_map(|s| CompValue::Str(s.into()))
        ]
        .boxed(),
        (Kind::Date, Co | Sw | Ew) => prop::sample::select(DATE_TEXT)
            .prop_map(|s| CompValue::Str(s.into()))
            .boxed(),
        (Kind::Date, _) => prop::sample::select(DATES)
            .prop_map(|s| CompValue::Str(s.into()))
            .boxed(),
        (Kind::Constant, _) => prop::sample::select(&["User", "user", "Group"][..])
            .prop_map(|s| CompValue::Str(s.into()))
            .boxed(),
    }
}

fn ops(kind: Kind) -> Vec<CompareOp> {
    match kind {
        Kind::Bool | Kind::Constant => vec![CompareOp::Eq, CompareOp::Ne],
        Kind::Str | Kind::Date => CompareOp::ALL.to_vec(),
    }
}

/// A comparison, `pr` or null test on one of `leaves` (named as written, perhaps upper-cased).
fn leaf(
    leaves: &'static [(&'static str, Kind)],
    present: &'static [&'static str],
) -> BoxedStrategy<Filter> {
    let compare = (
        prop::sample::select(leaves),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(|((name, kind), upper, i)| {
            let ops = ops(kind);
            let op = ops[i.index(ops.len())];
            literal(kind, op).prop_map(move |value| Filter::Compare {
                path: path(name, upper),
                op,
                value,
            })
        });
    let names: Vec<&'static str> = leaves
        .iter()
        .map(|(n, _)| *n)
        .chain(present.iter().copied())
        .collect();
    let present = (prop::sample::select(names), any::<bool>(), 0..3u8).prop_map(
        |(name, upper, how)| match how {
            0 => Filter::Present(path(name, upper)),
            1 => Filter::Compare {
                path: path(name, upper),
                op: CompareOp::Eq,
                value: CompValue::Null,
            },
            _ => Filter::Compare {
                path: path(name, upper),
                op: CompareOp::Ne,
                value: CompValue::Null,
            },
        },
    );
    prop_oneof![4 => compare, 1 => present].boxed()
}

fn tree(leaf: BoxedStrategy<Filter>, depth: u32) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
    .boxed()
}

fn value_path() -> BoxedStrategy<Filter> {
    prop::sample::select(VALUE_PATHS)
        .prop_flat_map(|(name, subs)| {
            tree(leaf(subs, &[]), 2).prop_map(move |f| Filter::ValuePath {
                path: path(name, false),
                filter: Box::new(f),
            })
        })
        .boxed()
}

fn filter() -> BoxedStrategy<Filter> {
    let term = prop_oneof![4 => leaf(LEAVES, PRESENT), 1 => value_path()].boxed();
    tree(term, 3)
}

// ---------------------------------------------------------------------------------------------
// The evaluator.

fn resolve(p: &AttrPath) -> AttrRef {
    path::resolve(p, &TenantSchema::default()).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Issue 14 (Microsoft's reference check, `manager eq <id>`): a singular complex attribute
/// compared without a sub-attribute is compared by its `value`, when it has one.
fn as_a_whole(mut r: AttrRef) -> AttrRef {
    if r.sub.is_none() && !r.top.multi() {
        r.sub = r.top.sub("value");
    }
    r
}

/// The value of the top-level attribute `r` names, in a representation.
fn top_value<'a>(u: &'a Value, r: &AttrRef) -> Option<&'a Value> {
    let v = match r.container {
        Container::Enterprise => u.get(ENTERPRISE)?.get(r.top.name()),
        _ => u.get(r.top.name()),
    };
    v.filter(|v| !v.is_null())
}

fn is_meta(r: &AttrRef) -> bool {
    r.container == Container::Common && r.top.name() == "meta"
}

/// RFC 7644 §3.4.2.2 `pr`: a non-empty value; a complex one that is there; a non-empty list.
fn present_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// The values a path reaches: one slot for a singular attribute, one per element for a
/// multi-valued one (a complex multi-valued attribute without a sub-attribute means its `value`).
fn slots<'a>(u: &'a Value, r: &AttrRef) -> (Vec<Option<&'a Value>>, Def) {
    let top = top_value(u, r);
    if r.top.multi() {
        let sub = r
            .sub
            .clone()
            .or_else(|| r.top.sub("value"))
            .expect("multi-valued attributes here have a value");
        let items = top
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| e.get(sub.name()).filter(|v| !v.is_null()))
                    .collect()
            })
            .unwrap_or_default();
        return (items, sub);
    }
    match &r.sub {
        Some(sub) => (
            vec![top.and_then(|t| t.get(sub.name())).filter(|v| !v.is_null())],
            sub.clone(),
        ),
        None => (vec![top], r.top.clone()),
    }
}

fn instant(s: &str) -> Option<i64> {
    normalize_datetime(s)
        .or_else(|| Timestamp::parse_date(s).map(Timestamp::to_rfc3339))
        .and_then(|c| Timestamp::parse_rfc3339(&c))
        .map(|t| t.0)
}

/// One comparison of one value (RFC 7644 §3.4.2.2, Table 3), with the attribute's case rules.
fn compare_value(v: Option<&Value>, def: &Def, op: CompareOp, lit: &CompValue) -> bool {
    use CompareOp::*;
    let Some(v) = v else { return op == Ne };
    let ord: Option<Ordering>;
    let (text, pattern);
    match def.ty() {
        Type::Boolean => {
            let want = match lit {
                CompValue::Bool(b) => *b,
                CompValue::Str(s) => s.eq_ignore_ascii_case("true"),
                _ => unreachable!(),
            };
            let eq = v.as_bool() == Some(want);
            return if op == Eq { eq } else { !eq };
        }
        Type::DateTime => {
            let (CompValue::Str(l), Some(s)) = (lit, v.as_str()) else {
                unreachable!()
            };
            if matches!(op, Co | Sw | Ew) {
                (text, pattern) = (s.to_string(), l.clone());
                ord = None;
            } else {
                ord = Some(
                    instant(s)
                        .expect("stored instant")
                        .cmp(&instant(l).expect("literal instant")),
                );
                (text, pattern) = (String::new(), String::new());
            }
        }
        _ => {
            let (CompValue::Str(l), Some(s)) = (lit, v.as_str()) else {
                unreachable!()
            };
            let folds = def.ty() == Type::String && !def.case_exact();
            (text, pattern) = if folds {
                (fold(s), fold(l))
            } else {
                (s.to_string(), l.clone())
            };
            ord = Some(text.cmp(&pattern));
        }
    }
    match op {
        Eq => ord == Some(Ordering::Equal),
        Ne => ord != Some(Ordering::Equal),
        Gt => ord == Some(Ordering::Greater),
        Ge => ord.is_some_and(|o| o != Ordering::Less),
        Lt => ord == Some(Ordering::Less),
        Le => ord.is_some_and(|o| o != Ordering::Greater),
        Co => text.contains(&pattern),
        Sw => text.starts_with(&pattern),
        Ew => text.ends_with(&pattern),
    }
}

fn eval(f: &Filter, u: &Value) -> bool {
    match f {
        Filter::And(a, b) => eval(a, u) && eval(b, u),
        Filter::Or(a, b) => eval(a, u) || eval(b, u),
        Filter::Not(a) => !eval(a, u),
        Filter::Present(p) => present(u, p),
        Filter::Compare {
            path,
            op,
            value: CompValue::Null,
        } => {
            let there = present(u, path);
            if *op == CompareOp::Eq {
                !there
            } else {
                there
            }
        }
        Filter::Compare { path, op, value } => {
            let r = as_a_whole(resolve(path));
            if is_meta(&r) {
                if r.sub.as_ref().is_some_and(|s| s.name() == "resourceType") {
                    let is_user = matches!(value, CompValue::Str(s) if s == "User");
                    return if *op == CompareOp::Eq {
                        is_user
                    } else {
                        !is_user
                    };
                }
                let v = u["meta"].get(r.sub.as_ref().expect("a meta sub-attribute").name());
                return compare_value(v, r.sub.as_ref().expect("sub"), *op, value);
            }
            if r.container == Container::Common && r.top.name() == "id" {
                return compare_value(u.get("id"), &r.top, *op, value);
            }
            let (values, def) = slots(u, &r);
            values
                .into_iter()
                .any(|v| compare_value(v, &def, *op, value))
        }
        Filter::ValuePath { path, filter } => {
            let r = resolve(path);
            let top = top_value(u, &r);
            if r.top.multi() {
                top.and_then(Value::as_array)
                    .is_some_and(|items| items.iter().any(|e| eval_element(filter, e, &r.top)))
            } else {
                // A singular complex attribute: its sub-attributes, absent when it is.
                eval_element(filter, top.unwrap_or(&Value::Object(Map::new())), &r.top)
            }
        }
    }
}

fn present(u: &Value, p: &AttrPath) -> bool {
    let r = resolve(p);
    if is_meta(&r) {
        return match &r.sub {
            None => true,
            Some(s) if s.name() == "resourceType" => true,
            Some(s) => present_value(u["meta"].get(s.name())),
        };
    }
    if r.container == Container::Common && r.top.name() == "id" {
        return present_value(u.get("id"));
    }
    if r.top.multi() && r.sub.is_none() {
        return present_value(top_value(u, &r));
    }
    let (values, _) = slots(u, &r);
    values.into_iter().any(present_value)
}

/// A value filter's condition on one element (its paths are the element's sub-attributes).
fn eval_element(f: &Filter, e: &Value, parent: &Def) -> bool {
    let sub = |p: &AttrPath| parent.sub(&p.name).unwrap_or_else(|| panic!("{p}"));
    match f {
        Filter::And(a, b) => eval_element(a, e, parent) && eval_element(b, e, parent),
        Filter::Or(a, b) => eval_element(a, e, parent) || eval_element(b, e, parent),
        Filter::Not(a) => !eval_element(a, e, parent),
        Filter::Present(p) => present_value(e.get(sub(p).name())),
        Filter::Compare {
            path,
            op,
            value: CompValue::Null,
        } => {
            let there = present_value(e.get(sub(path).name()));
            if *op == CompareOp::Eq {
                !there
            } else {
                there
            }
        }
        Filter::Compare { path, op, value } => {
            let d = sub(path);
            compare_value(e.get(d.name()).filter(|v| !v.is_null()), &d, *op, value)
        }
        Filter::ValuePath { .. } => unreachable!("no nested value paths"),
    }
}

// ---------------------------------------------------------------------------------------------
// Orders.

/// Sort keys of the order checks: what `sortBy` names.
const SORTS: &[&str] = &[
    "userName",
    "displayName",
    "name.familyName",
    "title",
    "emails",
    "emails.type",
    "active",
    "meta.created",
    "id",
    "externalId",
    "department",
    "meta.resourceType",
    "profileUrl",
];

/// The value a user sorts by (RFC 7644 §3.4.2.3): text folded by the attribute's case rules,
/// booleans as 0/1; a multi-valued attribute by its primary element, else its first.
/// A sort value: its SQLite storage class (0 integer, 1 text) and its value; `None` for none.
type Key = Option<(u8, String)>;

fn sort_key(u: &Value, sort_by: &str) -> Key {
    let r = resolve(&path(sort_by, false));
    if is_meta(&r) {
        return match r.sub.as_ref().map(|s| s.name()) {
            Some("resourceType") => None,
            Some(name) => u["meta"][name].as_str().map(|s| (1, s.to_string())),
            None => unreachable!(),
        };
    }
    let (v, def) = if r.top.multi() {
        let sub = r.sub.clone().or_else(|| r.top.sub("value")).expect("value");
        let items = top_value(u, &r)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let chosen = items
            .iter()
            .find(|e| e.get("primary") == Some(&json!(true)))
            .or(items.first())
            .cloned();
        (chosen.and_then(|e| e.get(sub.name()).cloned()), sub)
    } else if r.container == Container::Common && r.top.name() == "id" {
        (u.get("id").cloned(), r.top.clone())
    } else {
        let (mut values, def) = slots(u, &r);
        (values.remove(0).cloned(), def)
    };
    match v? {
        Value::Bool(b) => Some((0, format!("{}", u8::from(b)))),
        Value::String(s) if def.ty() == Type::String && !def.case_exact() => Some((1, fold(&s))),
        Value::String(s) => Some((1, s)),
        other => panic!("unexpected {other}"),
    }
}

/// The users' ids in the order `sortBy`/`sortOrder` ask for: by value, users without one last,
/// then by id; descending is the reverse.
fn ordered(users: &[&Value], sort_by: Option<&str>, descending: bool) -> Vec<String> {
    let mut keyed: Vec<(bool, Key, String)> = users
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap().to_string();
            let key = match sort_by {
                None => Some((1, u["meta"]["created"].as_str().unwrap().to_string())),
                Some(s) => sort_key(u, s),
            };
            (key.is_none(), key, id)
        })
        .collect();
    keyed.sort();
    if descending {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, _, id)| id).collect()
}

// ---------------------------------------------------------------------------------------------
// The properties.

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn get(app: &TestApp, t: &Tenant, query: &str) -> Value {
    let r = app.scim(&t.token, "GET", &format!("/Users?{query}"), None);
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()
}

/// Creates the users; their representations as the app returned them.
fn populate(app: &TestApp, bodies: &[Value]) -> (Tenant, Vec<Value>) {
    let t = app.new_tenant("Props");
    let mut users = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let mut body = body.clone();
        // userNames are unique (case-insensitively): the position makes them so.
        body["userName"] = json!(format!("{}{i}", body["userName"].as_str().unwrap()));
        // So are externalIds, when present (a second user with one is a 409).
        if let Some(external_id) = body["externalId"].as_str() {
            body["externalId"] = json!(format!("{external_id}{i}"));
        }
        let r = app.scim(&t.token, "POST", "/Users", Some(body));
        assert_eq!(r.status, 201, "{}", r.body);
        users.push(r.json());
    }
    (t, users)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn sql_filtering_agrees_with_the_in_memory_evaluator() {
    let mut runner = TestRunner::new(config(400));
    let strategy = (
        prop::collection::vec(user(), 1..=8),
        prop::collection::vec(filter(), 10),
    );
    runner
        .run(&strategy, |(bodies, filters)| {
            let app = TestApp::new();
            let (t, users) = populate(&app, &bodies);
            for f in &filters {
                let text = f.to_string();
                let expected: Vec<String> = users
                    .iter()
                    .filter(|u| eval(f, u))
                    .map(|u| u["id"].as_str().unwrap().to_string())
                    .collect();
                let got = get(&app, &t, &format!("filter={}&count=200", enc(&text)));
                prop_assert_eq!(
                    ids(&got),
                    expected.clone(),
                    "filter: {}\nusers: {:#}",
                    text,
                    json!(users)
                );
                prop_assert_eq!(got["totalResults"].clone(), json!(expected.len()));
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn sql_order_and_both_paging_methods_agree_with_the_in_memory_order() {
    let mut runner = TestRunner::new(config(150));
    let strategy = (
        prop::collection::vec(user(), 1..=8),
        prop::option::weighted(0.5, filter()),
        prop::option::of(prop::sample::select(SORTS)),
        any::<bool>(),
        1..=4i64,
    );
    runner
        .run(&strategy, |(bodies, filter, sort_by, descending, count)| {
            let app = TestApp::new();
            let (t, users) = populate(&app, &bodies);
            let matching: Vec<&Value> = users
                .iter()
                .filter(|u| filter.as_ref().is_none_or(|f| eval(f, u)))
                .collect();
            // sortOrder applies to a sortBy only (the query sends neither without one).
            let expected = ordered(&matching, sort_by, descending && sort_by.is_some());
            let mut query = String::new();
            if let Some(f) = &filter {
                query.push_str(&format!("filter={}&", enc(&f.to_string())));
            }
            if let Some(s) = sort_by {
                query.push_str(&format!(
                    "sortBy={}&sortOrder={}&",
                    enc(s),
                    if descending {
                        "descending"
                    } else {
                        "ascending"
                    }
                ));
            }
            let context = |what: &str| format!("{what}: {query}\nusers: {:#}", json!(users));
            prop_assert_eq!(
                ids(&get(&app, &t, &format!("{query}count=200"))),
                expected.clone(),
                "{}",
                context("whole")
            );

            // Index pages of `count`, from every start.
            let mut walked = Vec::new();
            let mut start = 1;
            while start <= expected.len() as i64 {
                walked.extend(ids(&get(
                    &app,
                    &t,
                    &format!("{query}startIndex={start}&count={count}"),
                )));
                start += count;
            }
            prop_assert_eq!(&walked, &expected, "{}", context("index pages"));

            // Cursor pages forward, then back from the last one.
            let mut pages = vec![get(&app, &t, &format!("{query}cursor=&count={count}"))];
            while let Some(next) = pages
                .last()
                .and_then(|p| p.get("nextCursor"))
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                prop_assert!(
                    pages.len() <= expected.len() + 1,
                    "{}",
                    context("too many pages")
                );
                pages.push(get(
                    &app,
                    &t,
                    &format!("{query}cursor={next}&count={count}"),
                ));
            }
            let forward: Vec<String> = pages.iter().flat_map(ids).collect();
            prop_assert_eq!(&forward, &expected, "{}", context("cursor pages"));
            let mut page = pages.last().cloned().unwrap_or_default();
            let mut back = vec![ids(&page)];
            while let Some(previous) = page
                .get("previousCursor")
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                prop_assert!(
                    back.len() <= expected.len() + 1,
                    "{}",
                    context("too many pages back")
                );
                page = get(&app, &t, &format!("{query}cursor={previous}&count={count}"));
                back.push(ids(&page));
            }
            back.reverse();
            prop_assert_eq!(back.concat(), expected, "{}", context("cursor pages back"));
            Ok::<(), TestCaseError>(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
