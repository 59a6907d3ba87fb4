//! Golden fixtures: the requests that Okta and Microsoft Entra ID document sending, replayed step by
//! step against scim-edge, each answer checked against what the same document says the server must
//! answer. Real Okta and Entra cannot reach a local machine; these files stand in for them.
//!
//! # Files
//!
//! One JSON file per public source under `tests/fixtures/`, named after it:
//!
//! ```json
//! {
//!   "source": "<document title> — <URL>",
//!   "notes": ["free text: how the source was adapted, what it leaves out"],
//!   "vars": {"userName": "Runscope{{random}}@atko.com", "caps": "{{userName|upper}}"},
//!   "steps": [
//!     {
//!       "name": "<the step's name in the source>",
//!       "note": "optional: where this step comes from, why an expectation is what it is",
//!       "request": {
//!         "method": "GET",
//!         "path": "/Users?filter=userName eq \"{{userName}}\"",
//!         "headers": {"User-Agent": "OKTA SCIM Integration", "Content-Type": null},
//!         "body": {"schemas": ["..."]}
//!       },
//!       "expect": {"status": 200, "headers": {"content-type": "application/scim+json{{*}}"},
//!                  "body": {"totalResults": 0}},
//!       "capture": {"userId": "/Resources/0/id"}
//!     }
//!   ]
//! }
//! ```
//!
//! # Running
//!
//! Each run creates a fresh tenant (`Client::new_tenant`) and sends every step to `/scim/v2` + `path`
//! with `Authorization: Bearer <that tenant's token>` and, when there is a body,
//! `Content-Type: application/scim+json`. A step's `headers` replace these (names compared
//! case-insensitively) or, with `null`, remove them: Okta's documented requests carry no
//! Content-Type, and the SPEC test's 401 step sends `Authorization: non-token`. `path` is written
//! as the document prints it; characters that cannot stand in a URI (space, `"`, `[`, ...) are
//! percent-encoded, and `%XX` already written is kept. The body (any JSON) is sent compact.
//! Steps run in order; the first mismatch panics with the fixture, the step, what differed and the
//! whole answer.
//!
//! # Templates (requests, `vars`, and strings in expectations)
//!
//! - `{{name}}`: a variable: from `vars` (evaluated once per run, in dependency order), from an
//!   earlier step's `capture` (a JSON pointer into that answer's body), or built in: `token` (the
//!   run's bearer token) and `tenant_id`.
//! - `{{random}}` (10 characters `[a-z0-9]`) and `{{guid}}` (a random UUID v4): generators, fresh at
//!   every occurrence and every run, so a fixture can run any number of times against one
//!   database; bind one to a name in `vars` to use the same value twice. Only in requests and `vars`.
//! - `{{name|upper}}`, `{{name|lower}}`: the variable, case-converted.
//!
//! # Patterns (`expect.body`, `expect.headers`)
//!
//! - Literal JSON values must be equal (`1` and `1.0` differ; `true` and `"true"` differ).
//! - Objects match as subsets: every key of the pattern must match, other keys may be present.
//!   Keys are compared exactly.
//! - Arrays must have the same length and match element-wise. `{"$contains": [p, ...]}` instead
//!   matches an array in which each `p` matches some element (any length, any order).
//! - `{"$oneOf": [p, ...]}` matches when any `p` does (e.g. `[[], "{{absent}}"]`).
//! - A string that is exactly one of these tokens matches by kind:
//!   `{{any}}` present and not null; `{{nonempty}}` present, not null, not `""`, `[]` or `{}`;
//!   `{{absent}}` the key is missing (for `body`: the answer has no body; for a header: not sent);
//!   `{{number}}` a JSON number; `{{uuid}}` a UUID string; `{{rfc3339}}` an RFC 3339 date-time string.
//! - Any other string must equal the answer's string after `{{name}}` substitution, where each
//!   `{{*}}` matches any run of characters (`"application/scim+json{{*}}"`).
//!
//! # Expectations
//!
//! `expect` is an object, or an array of objects when the source allows several answers (the first
//! that matches is taken; the failure lists why each did not). `status` is required. When it is
//! 400 or more, the answer must also be a SCIM error (RFC 7644 §3.12): `schemas` containing
//! `urn:ietf:params:scim:api:messages:2.0:Error` and `status` the same code as a string. Response times are not
//! checked: speed belongs in a benchmark, not in a test. `capture` is taken from the answer that matched;
//! a pointer that finds nothing fails the step.

use super::{Client, Reply};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// `tests/fixtures/`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The fixture files, sorted.
pub fn files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Reads and parses `tests/fixtures/<file>`.
pub fn load(file: &str) -> Value {
    let path = dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
}

/// Runs `tests/fixtures/<file>` against `client`; panics on the first mismatch.
#[track_caller]
pub fn run(client: &impl Client, file: &str) {
    let fixture = load(file);
    if let Err(message) = run_fixture(client, file, &fixture) {
        panic!("{message}");
    }
}

/// Variables of one run.
pub type Vars = HashMap<String, Value>;

/// A fixture's steps, checked for form.
struct Step<'a> {
    name: &'a str,
    method: &'a str,
    path: &'a str,
    headers: Vec<(&'a str, Option<&'a str>)>,
    body: Option<&'a Value>,
    expect: Vec<&'a Map<String, Value>>,
    capture: Vec<(&'a str, &'a str)>,
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be an object, not {v}"))
}

fn only_keys(m: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{what} has an unknown key {k:?} (allowed: {allowed:?})"
        )),
        None => Ok(()),
    }
}

fn str_field<'a>(m: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, String> {
    m.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what} needs a string {key:?}"))
}

fn parse_step<'a>(i: usize, v: &'a Value) -> Result<Step<'a>, String> {
    let what = format!("step {}", i + 1);
    let m = obj(v, &what)?;
    only_keys(m, &["name", "note", "request", "expect", "capture"], &what)?;
    let name = str_field(m, "name", &what)?;
    let what = format!("step {} {name:?}", i + 1);
    let request = obj(
        m.get("request")
            .ok_or_else(|| format!("{what} has no request"))?,
        &format!("{what}: request"),
    )?;
    only_keys(
        request,
        &["method", "path", "headers", "body"],
        &format!("{what}: request"),
    )?;
    let method = str_field(request, "method", &format!("{what}: request"))?;
    let path = str_field(request, "path", &format!("{what}: request"))?;
    if !path.starts_with('/') {
        return Err(format!(
            "{what}: path {path:?} must start with '/' (it is relative to /scim/v2)"
        ));
    }
    let mut headers = Vec::new();
    if let Some(h) = request.get("headers") {
        for (k, v) in obj(h, &format!("{what}: request.headers"))? {
            match v {
                Value::String(s) => headers.push((k.as_str(), Some(s.as_str()))),
                Value::Null => headers.push((k.as_str(), None)),
                _ => return Err(format!("{what}: header {k} must be a string or null")),
            }
        }
    }
    let expect = match m
        .get("expect")
        .ok_or_else(|| format!("{what} has no expect"))?
    {
        Value::Array(alternatives) if !alternatives.is_empty() => alternatives
            .iter()
            .map(|a| obj(a, &format!("{what}: expect[]")))
            .collect::<Result<Vec<_>, _>>()?,
        v => vec![obj(v, &format!("{what}: expect"))?],
    };
    for e in &expect {
        only_keys(
            e,
            &["status", "headers", "body"],
            &format!("{what}: expect"),
        )?;
        if !e
            .get("status")
            .is_some_and(|s| s.as_u64().is_some_and(|s| (100..600).contains(&s)))
        {
            return Err(format!("{what}: expect needs a numeric status"));
        }
        if let Some(h) = e.get("headers") {
            for (k, v) in obj(h, &format!("{what}: expect.headers"))? {
                if !v.is_string() && !v.is_object() {
                    return Err(format!(
                        "{what}: expected header {k} must be a string pattern"
                    ));
                }
            }
        }
    }
    let mut capture = Vec::new();
    if let Some(c) = m.get("capture") {
        for (k, v) in obj(c, &format!("{what}: capture"))? {
            let pointer = v.as_str().filter(|p| p.starts_with('/')).ok_or_else(|| {
                format!("{what}: capture {k} must be a JSON pointer such as \"/id\"")
            })?;
            capture.push((k.as_str(), pointer));
        }
    }
    Ok(Step {
        name,
        method,
        path,
        headers,
        body: request.get("body"),
        expect,
        capture,
    })
}

/// Checks a fixture's form without running it: known keys, every step well formed, every
/// `{{name}}` defined (by `vars`, a built-in or an earlier step's capture) before it is used.
pub fn validate(fixture: &Value) -> Result<(), String> {
    let m = obj(fixture, "the fixture")?;
    only_keys(m, &["source", "notes", "vars", "steps"], "the fixture")?;
    let source = str_field(m, "source", "the fixture")?;
    if !source.contains("http") {
        return Err("source must name the document and its URL".into());
    }
    let mut defined: Vec<String> = vec!["token".into(), "tenant_id".into()];
    if let Some(vars) = m.get("vars") {
        let vars = obj(vars, "vars")?;
        defined.extend(vars.keys().cloned());
        for (k, v) in vars {
            let t = v
                .as_str()
                .ok_or_else(|| format!("var {k} must be a string template"))?;
            check_names(t, &defined, true).map_err(|e| format!("var {k}: {e}"))?;
        }
    }
    let steps = m
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("the fixture needs a steps array")?;
    if steps.is_empty() {
        return Err("the fixture has no steps".into());
    }
    for (i, v) in steps.iter().enumerate() {
        let step = parse_step(i, v)?;
        let what = format!("step {} {:?}", i + 1, step.name);
        let mut templates = vec![step.path];
        templates.extend(step.headers.iter().filter_map(|(_, v)| *v));
        if let Some(body) = step.body {
            strings(body, &mut templates);
        }
        for t in templates {
            check_names(t, &defined, true).map_err(|e| format!("{what}: {e}"))?;
        }
        for e in &step.expect {
            let mut patterns = Vec::new();
            if let Some(b) = e.get("body") {
                strings(b, &mut patterns);
            }
            if let Some(h) = e.get("headers") {
                strings(h, &mut patterns);
            }
            for p in patterns {
                if token_kind(p).is_none() {
                    check_names(p, &defined, false).map_err(|e| format!("{what}: expect: {e}"))?;
                }
            }
            if let Some(b) = e.get("body") {
                check_operators(b).map_err(|e| format!("{what}: expect.body: {e}"))?;
            }
        }
        defined.extend(step.capture.iter().map(|(k, _)| k.to_string()));
    }
    Ok(())
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn check_operators(p: &Value) -> Result<(), String> {
    match p {
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| k.starts_with('$') && *k != "$ref") {
                if m.len() != 1 || !matches!(k.as_str(), "$contains" | "$oneOf") {
                    return Err(format!(
                        "unknown operator {k} (use $contains or $oneOf, alone in their object)"
                    ));
                }
                if !m[k].is_array() {
                    return Err(format!("{k} takes an array"));
                }
            }
            m.values().try_for_each(check_operators)
        }
        Value::Array(a) => a.iter().try_for_each(check_operators),
        _ => Ok(()),
    }
}

/// The `{{...}}` tokens of a template, as (inner text, byte range).
fn tokens(t: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = t[from..].find("{{").map(|i| i + from) {
        let Some(end) = t[start + 2..].find("}}").map(|i| i + start + 2) else {
            break;
        };
        out.push((t[start + 2..end].trim(), start..end + 2));
        from = end + 2;
    }
    out
}

fn check_names(t: &str, defined: &[String], in_request: bool) -> Result<(), String> {
    for (inner, _) in tokens(t) {
        let (name, filters) = match inner.split_once('|') {
            Some((name, filters)) => (name.trim(), filters.split('|').collect::<Vec<_>>()),
            None => (inner.trim(), Vec::new()),
        };
        for filter in filters {
            if !matches!(filter.trim(), "upper" | "lower") {
                return Err(format!("unknown filter {filter:?} in {t:?}"));
            }
        }
        match name {
            "random" | "guid" if in_request => {}
            "random" | "guid" => {
                return Err(format!(
                    "{{{{{name}}}}} generates a value; it cannot be expected ({t:?})"
                ))
            }
            "*" if !in_request => {}
            n if token_kind(&format!("{{{{{n}}}}}")).is_some() => {
                return Err(format!(
                    "{{{{{n}}}}} matches a whole value; it cannot be part of {t:?}"
                ))
            }
            n if defined.iter().any(|d| d == n) => {}
            n => {
                return Err(format!(
                    "{{{{{n}}}}} is not defined before this point ({t:?})"
                ))
            }
        }
    }
    Ok(())
}

/// Random bytes for the generators.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS gives random bytes");
    buf
}

fn generate(name: &str) -> Option<String> {
    match name {
        "random" => {
            const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            Some(
                random_bytes(10)
                    .iter()
                    .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                    .collect(),
            )
        }
        "guid" => {
            let mut b = random_bytes(16);
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Some(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ))
        }
        _ => None,
    }
}

fn var_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Substitutes `{{name}}` (and, when `generators`, `{{random}}`/`{{guid}}`); `{{*}}` is kept as is.
pub fn render(t: &str, vars: &Vars, generators: bool) -> Result<String, String> {
    let mut out = String::with_capacity(t.len());
    let mut last = 0;
    for (inner, range) in tokens(t) {
        out.push_str(&t[last..range.start]);
        last = range.end;
        let mut parts = inner.split('|').map(str::trim);
        let name = parts.next().unwrap_or("");
        let mut value = if name == "*" {
            "{{*}}".to_string()
        } else if let Some(v) = vars.get(name) {
            var_text(v)
        } else if let Some(g) = generate(name).filter(|_| generators) {
            g
        } else {
            return Err(format!("{{{{{name}}}}} is not defined (in {t:?})"));
        };
        for filter in parts {
            value = match filter {
                "upper" => value.to_uppercase(),
                "lower" => value.to_lowercase(),
                f => return Err(format!("unknown filter {f:?} in {t:?}")),
            };
        }
        out.push_str(&value);
    }
    out.push_str(&t[last..]);
    Ok(out)
}

fn render_json(v: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(render(s, vars, true)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| render_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), render_json(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Evaluates `vars` in dependency order.
pub fn eval_vars(vars: &Map<String, Value>, into: &mut Vars) -> Result<(), String> {
    let mut pending: Vec<(&String, &str)> = vars
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|(k, t)| {
            let ready = tokens(t).iter().all(|(inner, _)| {
                let n = inner.split('|').next().unwrap_or("").trim();
                into.contains_key(n) || generate(n).is_some()
            });
            if ready {
                if let Ok(v) = render(t, into, true) {
                    into.insert((*k).clone(), Value::String(v));
                    return false;
                }
            }
            true
        });
        if pending.len() == before {
            let names: Vec<&str> = pending.iter().map(|(k, _)| k.as_str()).collect();
            return Err(format!(
                "vars {names:?} refer to undefined or circular names"
            ));
        }
    }
    Ok(())
}

/// Percent-encodes what cannot stand in a URI; keeps `%XX`, reserved and unreserved characters.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/?&=:@!$'()*+,;%".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What a whole-string token matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    Nonempty,
    Absent,
    Number,
    Uuid,
    Rfc3339,
}

fn token_kind(s: &str) -> Option<Kind> {
    Some(match s {
        "{{any}}" => Kind::Any,
        "{{nonempty}}" => Kind::Nonempty,
        "{{absent}}" => Kind::Absent,
        "{{number}}" => Kind::Number,
        "{{uuid}}" => Kind::Uuid,
        "{{rfc3339}}" => Kind::Rfc3339,
        _ => return None,
    })
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339 §5.6), with plausible field ranges.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] => {
            b.len() == i + 6 && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6)
        }
        _ => false,
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split("{{*}}").collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing (absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 300 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)]
                )
            } else {
                s
            }
        }
    }
}

/// Matches `actual` (`None`: the key is missing) against `pattern`; the error says where
/// (a JSON pointer from `at`) and what differed.
pub fn match_pattern(
    pattern: &Value,
    actual: Option<&Value>,
    vars: &Vars,
    at: &str,
) -> Result<(), String> {
    let here = if at.is_empty() { "/" } else { at };
    match pattern {
        Value::String(p) => {
            if let Some(kind) = token_kind(p) {
                let ok = match (kind, actual) {
                    (Kind::Absent, None) => true,
                    (Kind::Absent, Some(_)) | (_, None) | (_, Some(Value::Null)) => false,
                    (Kind::Any, Some(_)) => true,
                    (Kind::Nonempty, Some(v)) => match v {
                        Value::String(s) => !s.is_empty(),
                        Value::Array(a) => !a.is_empty(),
                        Value::Object(m) => !m.is_empty(),
                        _ => true,
                    },
                    (Kind::Number, Some(v)) => v.is_number(),
                    (Kind::Uuid, Some(v)) => v.as_str().is_some_and(is_uuid),
                    (Kind::Rfc3339, Some(v)) => v.as_str().is_some_and(is_rfc3339),
                };
                return if ok {
                    Ok(())
                } else {
                    Err(format!("at {here}: expected {p}, got {}", show(actual)))
                };
            }
            let want = render(p, vars, false).map_err(|e| format!("at {here}: {e}"))?;
            match actual {
                Some(Value::String(s)) if glob(&want, s) => Ok(()),
                _ => Err(format!(
                    "at {here}: expected {}, got {}",
                    Value::String(want),
                    show(actual)
                )),
            }
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("$oneOf") => {
            let alternatives = m["$oneOf"]
                .as_array()
                .ok_or_else(|| format!("at {here}: $oneOf takes an array"))?;
            let mut why = Vec::new();
            for p in alternatives {
                match match_pattern(p, actual, vars, at) {
                    Ok(()) => return Ok(()),
                    Err(e) => why.push(e),
                }
            }
            Err(format!(
                "at {here}: none of $oneOf matched: {}",
                why.join("; ")
            ))
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("$contains") => {
            let wanted = m["$contains"]
                .as_array()
                .ok_or_else(|| format!("at {here}: $contains takes an array"))?;
            let Some(Value::Array(items)) = actual else {
                return Err(format!(
                    "at {here}: expected an array containing {}, got {}",
                    m["$contains"],
                    show(actual)
                ));
            };
            for (i, p) in wanted.iter().enumerate() {
                if !items
                    .iter()
                    .enumerate()
                    .any(|(j, v)| match_pattern(p, Some(v), vars, &format!("{at}/{j}")).is_ok())
                {
                    return Err(format!(
                        "at {here}: no element matches $contains[{i}] = {p}; got {}",
                        show(actual)
                    ));
                }
            }
            Ok(())
        }
        Value::Object(m) => {
            let Some(Value::Object(a)) = actual else {
                return Err(format!(
                    "at {here}: expected an object, got {}",
                    show(actual)
                ));
            };
            for (k, p) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                match_pattern(p, a.get(k), vars, &format!("{at}/{key}"))?;
            }
            Ok(())
        }
        Value::Array(ps) => {
            let Some(Value::Array(a)) = actual else {
                return Err(format!(
                    "at {here}: expected an array of {}, got {}",
                    ps.len(),
                    show(actual)
                ));
            };
            if a.len() != ps.len() {
                return Err(format!(
                    "at {here}: expected {} element(s), got {}: {}",
                    ps.len(),
                    a.len(),
                    show(actual)
                ));
            }
            for (i, (p, v)) in ps.iter().zip(a).enumerate() {
                match_pattern(p, Some(v), vars, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        literal => match actual {
            Some(v) if v == literal => Ok(()),
            _ => Err(format!(
                "at {here}: expected {literal}, got {}",
                show(actual)
            )),
        },
    }
}

/// Checks one answer against one `expect` object.
pub fn match_expect(expect: &Map<String, Value>, reply: &Reply, vars: &Vars) -> Result<(), String> {
    let status = expect["status"].as_u64().unwrap_or(0);
    if u64::from(reply.status) != status {
        return Err(format!("status: expected {status}, got {}", reply.status));
    }
    if let Some(Value::Object(headers)) = expect.get("headers") {
        for (name, p) in headers {
            let actual = reply.header(name).map(|v| Value::String(v.to_string()));
            match_pattern(p, actual.as_ref(), vars, "")
                .map_err(|e| format!("header {name}: {}", e.trim_start_matches("at /: ")))?;
        }
    }
    let pattern = expect.get("body");
    if pattern.is_some_and(|p| p.as_str() == Some("{{absent}}")) {
        return if reply.body.trim().is_empty() {
            Ok(())
        } else {
            Err("body: expected none".into())
        };
    }
    if pattern.is_none() && status < 400 {
        return Ok(());
    }
    let body: Value =
        serde_json::from_str(&reply.body).map_err(|e| format!("body: not JSON ({e})"))?;
    if status >= 400 {
        let schemas = Value::Object(Map::from_iter([(
            "$contains".to_string(),
            Value::from(vec![ERROR_SCHEMA]),
        )]));
        match_pattern(&schemas, body.get("schemas"), vars, "/schemas")
            .map_err(|e| format!("SCIM error (RFC 7644 §3.12): {e}"))?;
        match_pattern(
            &Value::String(status.to_string()),
            body.get("status"),
            vars,
            "/status",
        )
        .map_err(|e| format!("SCIM error (RFC 7644 §3.12), status as a string: {e}"))?;
    }
    match pattern {
        Some(p) => match_pattern(p, Some(&body), vars, "").map_err(|e| format!("body {e}")),
        None => Ok(()),
    }
}

/// Runs a parsed fixture; `Err` carries the whole failure message.
pub fn run_fixture(client: &impl Client, file: &str, fixture: &Value) -> Result<(), String> {
    validate(fixture).map_err(|e| format!("fixture {file} is malformed: {e}"))?;
    let source = fixture["source"].as_str().unwrap_or_default();
    let title = source.split(" — ").next().unwrap_or(source);
    let steps = fixture["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let tenant = client.new_tenant(&super::unique(&format!(
        "fixture {} ",
        file.trim_end_matches(".json")
    )));
    let mut vars = Vars::new();
    vars.insert("token".into(), Value::String(tenant.token.clone()));
    vars.insert("tenant_id".into(), Value::String(tenant.id.clone()));
    if let Some(Value::Object(defs)) = fixture.get("vars") {
        eval_vars(defs, &mut vars).map_err(|e| format!("fixture {file}: {e}"))?;
    }
    for (i, raw) in steps.iter().enumerate() {
        let step = parse_step(i, raw).map_err(|e| format!("fixture {file}: {e}"))?;
        let fail = |what: String, request: &str, reply: Option<&Reply>| {
            let mut m = format!(
                "fixture {file} ({title})\n  step {}/{}: {:?}\n  request: {request}\n  {what}",
                i + 1,
                steps.len(),
                step.name
            );
            if let Some(r) = reply {
                let _ = write!(
                    m,
                    "\n  answer: {} {}",
                    r.status,
                    if r.body.is_empty() {
                        "(no body)"
                    } else {
                        &r.body
                    }
                );
            }
            m
        };
        let path = render(step.path, &vars, true).map_err(|e| fail(e, step.path, None))?;
        let url = format!("/scim/v2{}", encode_uri(&path));
        let request_line = format!("{} {url}", step.method);
        let body = match step.body {
            Some(b) => Some(
                render_json(b, &vars)
                    .map_err(|e| fail(e, &request_line, None))?
                    .to_string(),
            ),
            None => None,
        };
        let mut headers: Vec<(String, String)> =
            vec![("Authorization".into(), format!("Bearer {}", tenant.token))];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        for (name, value) in &step.headers {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            if let Some(v) = value {
                headers.push((
                    name.to_string(),
                    render(v, &vars, true).map_err(|e| fail(e, &request_line, None))?,
                ));
            }
        }
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let reply = client.send(
            step.method,
            &url,
            &header_refs,
            body.as_deref().map(str::as_bytes),
        );
        let mut why = Vec::new();
        let matched = step
            .expect
            .iter()
            .find(|e| match match_expect(e, &reply, &vars) {
                Ok(()) => true,
                Err(w) => {
                    why.push(w);
                    false
                }
            });
        if matched.is_none() {
            let what = if why.len() == 1 {
                format!("mismatch: {}", why[0])
            } else {
                let list: Vec<String> = why
                    .iter()
                    .enumerate()
                    .map(|(n, w)| format!("    answer {}: {w}", n + 1))
                    .collect();
                format!("no allowed answer matched:\n{}", list.join("\n"))
            };
            return Err(fail(what, &request_line, Some(&reply)));
        }
        if !step.capture.is_empty() {
            let json: Value = serde_json::from_str(&reply.body).map_err(|e| {
                fail(
                    format!("capture: the answer is not JSON ({e})"),
                    &request_line,
                    Some(&reply),
                )
            })?;
            for (name, pointer) in &step.capture {
                let v = json
                    .pointer(pointer)
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        fail(
                            format!("capture {name}: nothing at {pointer}"),
                            &request_line,
                            Some(&reply),
                        )
                    })?;
                vars.insert(name.to_string(), v.clone());
            }
        }
    }
    Ok(())
}
