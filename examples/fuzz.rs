//! Generated inputs (issue 13): the code that reads what clients send, run on inputs made up by
//! a small deterministic generator, each under `catch_unwind`. Bad input must be a 4xx, never a
//! panic (DESIGN §8): on Workers a panic is a wasm trap, the request's 500 and a lost isolate.
//!
//! ```text
//! cargo run --release --example fuzz [INPUTS] [SEED]     # make fuzz: 1,000,000 inputs
//! ```
//!
//! Three targets, one input each in turn:
//! - **filter**: filter text (RFC 7644 §3.4.2.2) generated from the grammar, with the attribute
//!   names of the User schemas and of a tenant's custom attributes, then often mutated
//!   (characters inserted, removed, repeated; quotes, brackets, escapes, non-ASCII, control
//!   characters). Each goes through `parse_filter` and, when it parses, its `Display` must parse
//!   back to the same tree, and it is resolved against the tenant's schema and rendered to SQL
//!   (`store::list_sql`), as a list request does. The same text also goes through
//!   `parse_patch_path` and as `filter`/`sortBy`/`attributes` of a list query
//!   (`ListParams::from_query`).
//! - **patch**: a PatchOp body (RFC 7644 §3.5.2) generated with the shapes Okta and Entra send
//!   and many they do not (paths from the filter generator, values of every JSON type, dotted
//!   and URN keys, `"True"` strings), serialised, sometimes mutated as bytes, then read as a
//!   request body (`media::json_object`), parsed (`patch::parse_request`) and applied
//!   (`patch::apply`) to a stored user; a patched user is case-folded and diffed for the
//!   activity log, as the PATCH endpoint does.
//! - **body**: a User body (POST/PUT) generated the same way, read by `json_object`, parsed by
//!   `user::parse_user`; a parsed user is case-folded, and joins the pool of stored users the
//!   PATCH target starts from. Raw bytes also go through `json_object`, and through
//!   `SearchRequest` parsing.
//!
//! Prints the inputs run per target, the time, and every panic (the first few inputs that
//! caused one are written to `target/fuzz-failures/`). Exits non-zero on any panic or
//! round-trip mismatch. Deterministic: the same SEED gives the same inputs. `cargo test` runs
//! a slice of 10,000 inputs (`generated_inputs_do_not_panic`).

use scim_edge::app::plumbing::media::json_object;
use scim_edge::model::TokenHash;
use scim_edge::scim::filter::resolve::resolve;
use scim_edge::scim::filter::{parse_filter, parse_patch_path, Limits};
use scim_edge::scim::list::ListParams;
use scim_edge::scim::patch;
use scim_edge::scim::schema::{ENTERPRISE_USER, TENANT_USER};
use scim_edge::scim::tenant::{CustomAttr, CustomType, TenantSchema};
use scim_edge::scim::user::{self, Doc};
use scim_edge::store::builder::Sql;
use scim_edge::store::list_sql::filter_sql;
use serde_json::{json, Map, Value};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability 1/n.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The tenant of every input: one custom attribute of each type, one deactivated.
fn schema() -> TenantSchema {
    let attr = |id: &str,
                name: &str,
                scim: &str,
                ty,
                options: Option<&[&str]>,
                aliases: &[&str],
                active| {
        Arc::new(CustomAttr {
            id: id.into(),
            name: name.into(),
            scim_name: scim.into(),
            ty,
            options: options.map(|o| o.iter().map(|s| s.to_string()).collect()),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            active,
        })
    };
    TenantSchema {
        attributes: vec![
            attr(
                "att_1",
                "Start Date",
                "Start_Date",
                CustomType::Date,
                None,
                &["StartDate"],
                true,
            ),
            attr(
                "att_2",
                "Team",
                "Team",
                CustomType::Option,
                Some(&["Red", "Blue", "Grün"]),
                &[],
                true,
            ),
            attr(
                "att_3",
                "Level",
                "Level",
                CustomType::Number,
                None,
                &["Grade"],
                true,
            ),
            attr(
                "att_4",
                "2nd Manager",
                "a_2nd_Manager",
                CustomType::Employee,
                None,
                &["Buddy"],
                true,
            ),
            attr("att_5", "Notes", "Notes", CustomType::Text, None, &[], true),
            attr("att_6", "Old", "Old", CustomType::Text, None, &[], false),
            attr(
                "att_7",
                "Équipe",
                "Equipe",
                CustomType::Option,
                None,
                &[],
                true,
            ),
        ],
    }
}

// ---- text pieces ---------------------------------------------------------------------------

const ATTRS: &[&str] = &[
    "userName",
    "USERNAME",
    "id",
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "active",
    "locale",
    "timezone",
    "preferredLanguage",
    "profileUrl",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "NAME.GIVENNAME",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "emails.display",
    "phoneNumbers.value",
    "ims",
    "photos.value",
    "addresses",
    "addresses.postalCode",
    "addresses.formatted",
    "addresses.country",
    "meta.created",
    "meta.lastModified",
    "meta.version",
    "meta.resourceType",
    "groups",
    "password",
    "roles.value",
    "x509Certificates.value",
    "employeeNumber",
    "costCenter",
    "department",
    "manager",
    "manager.value",
    "manager.displayName",
    "manager.$ref",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Start_Date",
    "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Team",
    "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Buddy",
    "urn:ietf:params:scim:schemas:extension:peakon:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:unknown:2.0:User:x",
    "urn:x",
    "urn:",
    "Start_Date",
    "startdate",
    "Team",
    "Level",
    "Grade",
    "a_2nd_Manager",
    "Buddy",
    "Notes",
    "Old",
    "Equipe",
    "Équipe",
    "Employed Since",
    "nosuch",
    "nosuch.sub",
    "emails.value.extra",
    "a.b.c.d",
    "_x",
    "x-y",
    "$ref",
    "1abc",
    "",
];

const OPS: &[&str] = &[
    "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "Eq", "cO", "xx", "=",
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "bjensen@example.com",
    "BJENSEN@EXAMPLE.COM",
    "José",
    "Jose\u{301}",
    "ß",
    "SS",
    "İstanbul",
    "ǅ",
    "ﬀ",
    "𝔘𝔫𝔦",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{85}",
    "\u{200b}",
    "\u{fffd}",
    "work",
    "home",
    "Work",
    "2020-01-01",
    "2020-01-01T00:00:00Z",
    "2020-02-30",
    "1999-12-31T23:59:60+14:00",
    "9999-12-31T23:59:59.999999999Z",
    "-1",
    "42",
    "4.2e3",
    "True",
    "False",
    "true",
    "null",
    "%",
    "_",
    "\\",
    "\"",
    "'",
    "' OR 1=1 --",
    "javascript:alert(1)",
    " JaVaScRiPt:x",
    "data:text/html,x",
    "https://example.com/u/1",
    "Red",
    "red",
    "grün",
    "GRÜN",
    "Blue ",
    "tnt_x",
    "usr_1",
    "scim_",
    "\u{d7ff}",
];

const CHARS: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\\",
    ".",
    ":",
    ",",
    "$",
    "-",
    "_",
    "e",
    "and",
    "or",
    "not",
    " and ",
    " or ",
    "not(",
    "pr",
    "eq",
    "\"\"",
    "\\\"",
    "\\u0000",
    "\\ud800",
    "\\uZZZZ",
    "\\x",
    "é",
    "\u{301}",
    "ß",
    "𝔘",
    "\u{0}",
    "\u{ffff}",
    "0",
    "-0",
    "1e999",
    "true",
    "null",
    "urn:",
    "[type eq \"work\"]",
    "((((((((",
    "]]]]",
    "\"\\",
];

fn string_literal(r: &mut Rng) -> String {
    let s = if r.one_in(12) {
        // Near the input limits (256, 512, 1,024, 2,048 characters), and beyond.
        let n = *r.pick(&[
            255usize, 256, 257, 511, 512, 513, 1024, 1025, 2048, 2049, 5000,
        ]);
        let c = *r.pick(&["a", "é", "𝔘", "\u{301}"]);
        c.repeat(n)
    } else {
        let mut s = r.pick(STRINGS).to_string();
        if r.one_in(3) {
            let more = *r.pick(STRINGS);
            s.push_str(more);
        }
        s
    };
    s
}

/// A comparison value as filter text: a string (escaped, or not quite), a number, a keyword.
fn filter_value(r: &mut Rng) -> String {
    match r.below(10) {
        0..=4 => serde_json::to_string(&string_literal(r)).unwrap_or_default(),
        5 => format!("\"{}\"", string_literal(r)), // unescaped: may break the literal
        6 => r
            .pick(&["true", "false", "null", "True", "NULL"])
            .to_string(),
        7 => r
            .pick(&[
                "0",
                "-1",
                "42",
                "3.14",
                "1e3",
                "-0.0",
                "1e999",
                "99999999999999999999",
                "0x1F",
                "1.",
            ])
            .to_string(),
        8 => r
            .pick(&["bare", "\"2020-01-01T00:00:00Z\"", "[", "\"\\u00e9\""])
            .to_string(),
        _ => String::new(),
    }
}

fn attr_path(r: &mut Rng) -> String {
    let mut a = r.pick(ATTRS).to_string();
    if r.one_in(20) {
        a.push('.');
        let more = *r.pick(ATTRS);
        a.push_str(more);
    }
    a
}

/// Filter text from the grammar, `depth` levels at most (the parser allows 16).
fn filter_text(r: &mut Rng, depth: usize) -> String {
    let leaf = depth == 0 || r.below(3) == 0;
    if leaf {
        let attr = attr_path(r);
        let op = r.pick(OPS);
        if op.eq_ignore_ascii_case("pr") || r.one_in(15) {
            return format!("{attr} {op}");
        }
        return format!("{attr} {op} {}", filter_value(r));
    }
    match r.below(7) {
        0 | 1 => format!(
            "{} and {}",
            filter_text(r, depth - 1),
            filter_text(r, depth - 1)
        ),
        2 => format!(
            "{} or {}",
            filter_text(r, depth - 1),
            filter_text(r, depth - 1)
        ),
        3 => format!("not ({})", filter_text(r, depth - 1)),
        4 => format!("({})", filter_text(r, depth - 1)),
        5 => format!("{}[{}]", attr_path(r), filter_text(r, depth - 1)),
        _ => format!(
            "{}[{}].{} {} {}",
            attr_path(r),
            filter_text(r, depth - 1),
            r.pick(&["value", "type", "primary", "display", "x", ""]),
            r.pick(OPS),
            filter_value(r)
        ),
    }
}

/// A PATCH path: an attribute path, a value path, a value path with a sub-attribute.
fn patch_path(r: &mut Rng) -> String {
    match r.below(6) {
        0..=2 => attr_path(r),
        3 => format!("{}[{}]", attr_path(r), filter_text(r, 2)),
        4 => format!("{}[{}].{}", attr_path(r), filter_text(r, 2), attr_path(r)),
        _ => {
            let path = attr_path(r);
            mutate_text(r, &path)
        }
    }
}

/// Edits `text` a few times: insertions of grammar pieces, deletions, repeats, swaps.
fn mutate_text(r: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=r.below(4) {
        let at = r.below(chars.len() + 1);
        match r.below(5) {
            0 | 1 => {
                let piece: Vec<char> = r.pick(CHARS).chars().collect();
                chars.splice(at..at, piece);
            }
            2 if !chars.is_empty() => {
                let end = (at + 1 + r.below(8)).min(chars.len());
                let at = at.min(end);
                chars.drain(at..end);
            }
            3 if !chars.is_empty() => {
                let at = at.min(chars.len() - 1);
                let end = (at + 1 + r.below(16)).min(chars.len());
                let span: Vec<char> = chars[at..end].to_vec();
                for _ in 0..=r.below(3) {
                    chars.splice(at..at, span.iter().copied());
                }
            }
            _ if !chars.is_empty() => {
                let at = at.min(chars.len() - 1);
                chars[at] = char::from_u32(r.next() as u32 % 0x11_0000).unwrap_or('\u{fffd}');
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Edits serialised JSON as bytes (which may leave it invalid, or invalid UTF-8).
fn mutate_bytes(r: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=r.below(3) {
        let at = r.below(bytes.len() + 1);
        match r.below(4) {
            0 => {
                const PIECES: &[&[u8]] = &[
                    b"{", b"}", b"[", b"]", b"\"", b",", b":", b"\\", b"\xff", b"\xc3", b"0",
                    b"null", b"{\"a\":",
                ];
                let piece = *r.pick(PIECES);
                bytes.splice(at..at, piece.iter().copied());
            }
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 if at < bytes.len() => bytes[at] = r.next() as u8,
            _ => bytes.truncate(at),
        }
    }
}

// ---- JSON values ---------------------------------------------------------------------------

fn scalar(r: &mut Rng) -> Value {
    match r.below(9) {
        0..=3 => Value::String(string_literal(r)),
        4 => json!(r.one_in(2)),
        5 => Value::String(
            r.pick(&["True", "False", "TRUE", "yes", "1", "0"])
                .to_string(),
        ),
        6 => r
            .pick(&[
                json!(0),
                json!(-1),
                json!(42),
                json!(1.5),
                json!(1e300),
                json!(u64::MAX),
                json!(i64::MIN),
            ])
            .clone(),
        7 => Value::Null,
        _ => json!({}),
    }
}

/// A multi-valued attribute's value (`emails`, `phoneNumbers`, ...): sub-attributes of every
/// type, sometimes too many values.
fn multi_value(r: &mut Rng) -> Value {
    let mut m = Map::new();
    for _ in 0..r.below(5) {
        let key = r.pick(&[
            "value",
            "type",
            "primary",
            "display",
            "Value",
            "TYPE",
            "formatted",
            "postalCode",
            "country",
            "streetAddress",
            "$ref",
            "extra",
        ]);
        let v = match *key {
            "primary" => r
                .pick(&[
                    json!(true),
                    json!(false),
                    json!("True"),
                    json!("false"),
                    json!(1),
                ])
                .clone(),
            _ => scalar(r),
        };
        m.insert(key.to_string(), v);
    }
    if r.one_in(20) {
        return scalar(r);
    }
    Value::Object(m)
}

fn values_array(r: &mut Rng) -> Value {
    let n = if r.one_in(40) {
        95 + r.below(10)
    } else {
        r.below(4)
    };
    Value::Array((0..n).map(|_| multi_value(r)).collect())
}

/// A value for attribute `name` (or for a PATCH path): mostly of the expected shape.
fn value_for(r: &mut Rng, name: &str, depth: usize) -> Value {
    let lower = name.to_ascii_lowercase();
    if depth > 0 && r.one_in(12) {
        return deep(r, depth);
    }
    if [
        "emails",
        "phonenumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "roles",
    ]
    .iter()
    .any(|m| lower.ends_with(m))
    {
        return if r.one_in(4) {
            multi_value(r)
        } else {
            values_array(r)
        };
    }
    if lower.ends_with("name")
        && !lower.contains('.')
        && !lower.contains("user")
        && !lower.contains("nick")
        && !lower.contains("display")
    {
        let mut m = Map::new();
        for k in [
            "givenName",
            "familyName",
            "formatted",
            "middleName",
            "honorificPrefix",
        ] {
            if r.one_in(2) {
                m.insert(k.into(), scalar(r));
            }
        }
        return Value::Object(m);
    }
    if lower.ends_with("manager") {
        return if r.one_in(2) {
            scalar(r)
        } else {
            json!({ "value": scalar(r), "$ref": scalar(r), "displayName": scalar(r) })
        };
    }
    if lower == ENTERPRISE_USER.to_ascii_lowercase() || lower == TENANT_USER.to_ascii_lowercase() {
        return extension(r, lower.contains("peakon"), depth);
    }
    scalar(r)
}

fn deep(r: &mut Rng, depth: usize) -> Value {
    let mut v = scalar(r);
    for _ in 0..r.below(depth.min(140) + 1) {
        v = if r.one_in(2) {
            json!([v])
        } else {
            json!({ "value": v })
        };
    }
    v
}

fn extension(r: &mut Rng, tenant: bool, depth: usize) -> Value {
    let keys: &[&str] = if tenant {
        &[
            "Start_Date",
            "StartDate",
            "start date",
            "Team",
            "Level",
            "Grade",
            "Buddy",
            "a_2nd_Manager",
            "Notes",
            "Old",
            "Equipe",
            "Équipe",
            "Unknown",
        ]
    } else {
        &[
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager",
            "Manager",
            "unknown",
        ]
    };
    let mut m = Map::new();
    for _ in 0..r.below(5) {
        let k = r.pick(keys).to_string();
        let v = value_for(r, &k, depth.saturating_sub(1));
        m.insert(k, v);
    }
    if r.one_in(20) {
        return scalar(r);
    }
    Value::Object(m)
}

/// A User body as a client might send it.
fn user_body(r: &mut Rng) -> Value {
    let mut m = Map::new();
    let schemas = match r.below(8) {
        0 => Value::Null,
        1 => json!([
            CORE_USER,
            "urn:ietf:params:scim:schemas:extension:other:2.0:User"
        ]),
        2 => json!(CORE_USER),
        3 => json!([]),
        _ => json!([CORE_USER, ENTERPRISE_USER, TENANT_USER]),
    };
    if !schemas.is_null() {
        m.insert(
            r.pick(&["schemas", "Schemas", "SCHEMAS"]).to_string(),
            schemas,
        );
    }
    if !r.one_in(10) {
        let key = r.pick(&["userName", "username", "USERNAME"]).to_string();
        let v = if r.one_in(8) {
            scalar(r)
        } else {
            Value::String(string_literal(r))
        };
        m.insert(key, v);
    }
    for _ in 0..r.below(8) {
        let key = r.pick(ATTRS).to_string();
        let v = value_for(r, &key, 4);
        m.insert(key, v);
    }
    if r.one_in(2) {
        let e = extension(r, false, 3);
        m.insert(ENTERPRISE_USER.into(), e);
    }
    if r.one_in(2) {
        let e = extension(r, true, 3);
        m.insert(TENANT_USER.into(), e);
    }
    Value::Object(m)
}

/// An operation of the kind Okta and Entra send, with a value of the expected shape.
fn plausible_op(r: &mut Rng) -> Value {
    const PATHS: &[(&str, &str)] = &[
        ("emails", "multi"),
        ("emails[type eq \"work\"].value", "email"),
        ("emails[type eq \"home\"]", "multi"),
        ("emails[value co \"example\"].primary", "bool"),
        ("phoneNumbers[type eq \"work\"].value", "text"),
        ("addresses[type eq \"work\"].postalCode", "text"),
        ("name.givenName", "text"),
        ("name", "name"),
        ("displayName", "text"),
        ("title", "text"),
        ("active", "bool"),
        ("userName", "email"),
        ("externalId", "text"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "text",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "text",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Team",
            "option",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Start_Date",
            "date",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Level",
            "number",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Buddy",
            "email",
        ),
    ];
    let (path, kind) = *r.pick(PATHS);
    let value = |r: &mut Rng| match kind {
        "multi" => {
            json!([{ "value": format!("u{}@example.com", r.below(50)), "type": *r.pick(&["work", "home", "other"]) }])
        }
        "email" => json!(format!("u{}@Example.com", r.below(50))),
        "bool" => r
            .pick(&[json!(true), json!(false), json!("True"), json!("False")])
            .clone(),
        "name" => json!({ "givenName": string_literal(r), "familyName": "Jensen" }),
        "option" => json!(*r.pick(&["Red", "blue", "GRÜN", "grün"])),
        "date" => json!(*r.pick(&[
            "2021-05-01",
            "2021-05-01T10:00:00+02:00",
            "2021-05-01T10:00:00Z"
        ])),
        "number" => r
            .pick(&[json!(3), json!("4"), json!(-9007199254740991i64)])
            .clone(),
        _ => json!(string_literal(r)),
    };
    match r.below(5) {
        0 => json!({ "op": "remove", "path": path }),
        1 => {
            // Path-less, as Okta deactivates and Entra sends dotted keys.
            let v = value(r);
            json!({ "op": *r.pick(&["replace", "Replace", "add"]), "value": { path: v } })
        }
        _ => {
            let v = value(r);
            json!({ "op": *r.pick(&["add", "replace", "Add", "Replace"]), "path": path, "value": v })
        }
    }
}

/// A PatchOp body: operations with and without paths, as Okta and Entra send and otherwise.
fn patch_body(r: &mut Rng) -> Value {
    let mut ops = Vec::new();
    let n = if r.one_in(100) {
        99 + r.below(4)
    } else {
        1 + r.below(4)
    };
    for _ in 0..n {
        if r.one_in(2) {
            ops.push(plausible_op(r));
            continue;
        }
        let mut op = Map::new();
        let name = r.pick(&[
            "add", "replace", "remove", "Add", "Replace", "REMOVE", "copy", "",
        ]);
        op.insert(
            r.pick(&["op", "OP", "Op"]).to_string(),
            if r.one_in(30) { scalar(r) } else { json!(name) },
        );
        let path = if r.one_in(3) {
            None
        } else {
            Some(patch_path(r))
        };
        if let Some(p) = &path {
            op.insert(
                r.pick(&["path", "Path"]).to_string(),
                if r.one_in(40) { scalar(r) } else { json!(p) },
            );
        }
        if !name.eq_ignore_ascii_case("remove") || r.one_in(5) {
            let value = match &path {
                Some(p) => value_for(r, p.split(['[', '.']).next().unwrap_or(""), 3),
                None => {
                    // Path-less: an object of attributes, dotted keys as Entra sends.
                    let mut v = Map::new();
                    for _ in 0..1 + r.below(4) {
                        let k = if r.one_in(3) {
                            patch_path(r)
                        } else {
                            attr_path(r)
                        };
                        let val = value_for(r, &k, 3);
                        v.insert(k, val);
                    }
                    if r.one_in(20) {
                        scalar(r)
                    } else {
                        Value::Object(v)
                    }
                }
            };
            op.insert(r.pick(&["value", "Value"]).to_string(), value);
        }
        ops.push(Value::Object(op));
    }
    let mut body = Map::new();
    if !r.one_in(15) {
        body.insert(
            "schemas".into(),
            if r.one_in(20) {
                json!([CORE_USER])
            } else {
                json!([PATCH_OP])
            },
        );
    }
    body.insert(
        r.pick(&["Operations", "operations"]).to_string(),
        if r.one_in(30) {
            scalar(r)
        } else {
            Value::Array(ops)
        },
    );
    Value::Object(body)
}

// ---- the targets ---------------------------------------------------------------------------

/// What one run found.
#[derive(Default)]
struct Tally {
    inputs: [u64; 3],
    accepted: [u64; 3],
    panics: Vec<(&'static str, String, String)>,
    round_trips: Vec<String>,
}

const TARGETS: [&str; 3] = ["filter", "patch", "body"];

struct Fuzz {
    rng: Rng,
    schema: TenantSchema,
    /// Stored users (documents `parse_user` accepted), for PATCH to start from.
    pool: Vec<Doc>,
    hash: TokenHash,
    /// For the harness's own test: the filter target panics on text with a parenthesis.
    canary: bool,
}

impl Fuzz {
    fn new(seed: u64) -> Fuzz {
        let schema = schema();
        let bjensen = json!({
            "schemas": [CORE_USER, ENTERPRISE_USER, TENANT_USER],
            "userName": "bjensen@example.com", "externalId": "bjensen",
            "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                       {"value": "babs@jensen.org", "type": "home"}],
            "addresses": [{"type": "work", "postalCode": "91608", "country": "USA", "primary": true}],
            "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
            ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "26118915"}},
            TENANT_USER: {"Start_Date": "2020-01-01", "Team": "red", "Level": "3", "Buddy": "x@example.com", "Old": "kept"}
        });
        let doc = user::parse_user(bjensen.as_object().unwrap(), &schema)
            .expect("the example user parses")
            .doc;
        Fuzz {
            rng: Rng(seed),
            schema,
            pool: vec![doc, Doc::new()],
            hash: TokenHash::of("scim_fuzz"),
            canary: false,
        }
    }

    /// Runs input `i` of the sequence (its target is `i % 3`), catching any panic.
    fn one(&mut self, i: u64, tally: &mut Tally) {
        let target = (i % 3) as usize;
        let input = match target {
            0 => {
                let depth = if self.rng.one_in(10) { 20 } else { 4 };
                let text = filter_text(&mut self.rng, depth);
                if self.rng.one_in(2) {
                    mutate_text(&mut self.rng, &text)
                } else {
                    text
                }
            }
            1 => self.json_input(patch_body),
            _ => self.json_input(user_body),
        };
        let extra = self.rng.next();
        let this = AssertUnwindSafe(&mut *self);
        let text = input.as_str();
        let outcome = panic::catch_unwind(move || {
            let this = this;
            match target {
                0 => this.0.filter(text, extra),
                1 => this.0.patch(text, extra),
                _ => this.0.body(text, extra),
            }
        });
        tally.inputs[target] += 1;
        match outcome {
            Ok(Ok(true)) => tally.accepted[target] += 1,
            Ok(Ok(false)) => {}
            Ok(Err(mismatch)) => tally.round_trips.push(mismatch),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(no message)".into());
                tally.panics.push((TARGETS[target], message, input));
            }
        }
    }

    /// Serialised JSON from `make`, sometimes mutated as bytes; carried as (lossy) text.
    fn json_input(&mut self, make: fn(&mut Rng) -> Value) -> String {
        let mut bytes = serde_json::to_vec(&make(&mut self.rng)).unwrap_or_default();
        if self.rng.one_in(6) {
            mutate_bytes(&mut self.rng, &mut bytes);
        }
        if self.rng.one_in(50) {
            // Raw bytes, and the deepest nesting serde_json refuses (128) and accepts.
            let n = 100 + self.rng.below(60);
            bytes = format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n)).into_bytes();
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Ok(accepted?), or Err(a round-trip mismatch).
    fn filter(&mut self, text: &str, extra: u64) -> Result<bool, String> {
        assert!(!(self.canary && text.contains('(')), "canary");
        let _ = parse_patch_path(text, &Limits::DEFAULT);
        let pairs = vec![
            ("filter".to_string(), text.to_string()),
            (
                ["sortBy", "attributes", "excludedAttributes", "count"][(extra % 4) as usize]
                    .to_string(),
                text.to_string(),
            ),
        ];
        let _ = ListParams::from_query(&pairs);
        let Ok(f) = parse_filter(text, &Limits::DEFAULT) else {
            return Ok(false);
        };
        let shown = f.to_string();
        match parse_filter(&shown, &Limits::DEFAULT) {
            Ok(again) if again == f => {}
            other => {
                return Err(format!(
                    "filter {text:?} displays as {shown:?}, which parses to {other:?}"
                ))
            }
        }
        let Ok(resolved) = resolve(&f, &self.schema) else {
            return Ok(false);
        };
        let mut q = Sql::new();
        Ok(filter_sql(&resolved, &mut q, &self.hash).is_ok())
    }

    fn patch(&mut self, body: &str, extra: u64) -> Result<bool, String> {
        let Ok(body) = json_object(body.as_bytes()) else {
            return Ok(false);
        };
        let Ok(ops) = patch::parse_request(&body) else {
            return Ok(false);
        };
        let old = &self.pool[(extra % self.pool.len() as u64) as usize];
        let Ok(new) = patch::apply(old, &ops, &self.schema) else {
            return Ok(false);
        };
        let _ = user::folded(&new.doc, &self.schema);
        let _ = user::changes(old, &new.doc, &self.schema);
        Ok(true)
    }

    fn body(&mut self, body: &str, extra: u64) -> Result<bool, String> {
        let Ok(object) = json_object(body.as_bytes()) else {
            return Ok(false);
        };
        let _ = ListParams::from_search_request(&object);
        let Ok(parsed) = user::parse_user(&object, &self.schema) else {
            return Ok(false);
        };
        let _ = user::folded(&parsed.doc, &self.schema);
        if self.pool.len() < 256 {
            self.pool.push(parsed.doc);
        } else {
            let at = (extra % 256) as usize;
            self.pool[at] = parsed.doc;
        }
        Ok(true)
    }
}

/// Runs `inputs` generated inputs from `seed`, quietly (panics are counted, not printed).
fn run(inputs: u64, seed: u64) -> Tally {
    run_with(inputs, seed, false)
}

fn run_with(inputs: u64, seed: u64, canary: bool) -> Tally {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut fuzz = Fuzz::new(seed);
    fuzz.canary = canary;
    let mut tally = Tally::default();
    for i in 0..inputs {
        fuzz.one(i, &mut tally);
    }
    panic::set_hook(hook);
    tally
}

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs: u64 = args
        .next()
        .map(|a| a.replace(['_', ','], "").parse().expect("INPUTS: a number"))
        .unwrap_or(1_000_000);
    let seed: u64 = args
        .next()
        .map(|a| a.parse().expect("SEED: a number"))
        .unwrap_or(13);
    let start = Instant::now();
    let tally = run(inputs, seed);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "generated inputs: {inputs} (seed {seed}) in {secs:.1} s ({:.0} inputs/s)",
        inputs as f64 / secs
    );
    for (t, name) in TARGETS.iter().enumerate() {
        println!(
            "  {name:<6} {:>9} inputs, {:>9} accepted (parsed and, for filters, resolved and rendered; for PATCH, applied)",
            tally.inputs[t], tally.accepted[t]
        );
    }
    println!("panics: {}", tally.panics.len());
    println!(
        "round-trip mismatches (filter Display): {}",
        tally.round_trips.len()
    );
    if tally.panics.is_empty() && tally.round_trips.is_empty() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    for (n, (target, message, input)) in tally.panics.iter().take(20).enumerate() {
        println!(
            "  panic in {target}: {message}\n    input: {}",
            shorten(input)
        );
        let _ = std::fs::write(dir.join(format!("{target}-{n}.txt")), input);
    }
    for m in tally.round_trips.iter().take(20) {
        println!("  {}", shorten(m));
    }
    println!("(inputs that panicked: {})", dir.display());
    std::process::exit(1);
}

fn shorten(s: &str) -> String {
    let cut: String = s.chars().take(400).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `make test`'s slice of `make fuzz`: 10,000 inputs (a few seconds unoptimised).
    #[test]
    fn generated_inputs_do_not_panic() {
        let tally = run(10_000, 13);
        assert_eq!(tally.inputs.iter().sum::<u64>(), 10_000);
        let first: Vec<_> = tally.panics.iter().take(5).collect();
        assert!(
            tally.panics.is_empty(),
            "{} panics, first: {first:#?}",
            tally.panics.len()
        );
        assert!(
            tally.round_trips.is_empty(),
            "{:#?}",
            &tally.round_trips[..tally.round_trips.len().min(5)]
        );
        // The generator reaches past the parsers: some of every target's inputs are accepted.
        for (t, name) in TARGETS.iter().enumerate() {
            assert!(tally.accepted[t] > 0, "no {name} input was accepted");
        }
    }

    /// The harness catches and counts a panic, and the run goes on (a fuzzer that cannot see
    /// a panic finds none).
    #[test]
    fn a_panicking_target_is_counted() {
        let tally = run_with(3_000, 13, true);
        assert!(!tally.panics.is_empty());
        assert!(tally
            .panics
            .iter()
            .all(|(t, m, input)| *t == "filter" && m == "canary" && input.contains('(')));
        assert_eq!(tally.inputs.iter().sum::<u64>(), 3_000);
    }
}
