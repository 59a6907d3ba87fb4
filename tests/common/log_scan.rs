//! The log scan (issue 21): the worker's log holds no personal data and no credential. The
//! end-to-end client records what it sent and received that must never reach the log
//! ([`Recorder`]: every email and userName of its requests, the quoted values of its filters,
//! every bearer credential it sent and every token it was issued); after the whole run
//! (`scripts/test.sh`, `tests/log_scan.rs`) [`scan`] looks for each of them in the worker's
//! log, case-insensitively, and for anything of an email's or a token's shape
//! (`scanner::find_token`), which also covers what the conformance checkers sent.
//!
//! Values shorter than [`MIN_CHARS`] are not recorded: they would match ordinary words of the
//! log (a userName `admin`), and the scan looks for them by shape anyway when they are emails.

use super::scanner::find_token;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Mutex;

/// The shortest value recorded.
pub const MIN_CHARS: usize = 6;

/// What a recorded value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    UserName,
    FilterValue,
    Credential,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::UserName => "userName",
            Kind::FilterValue => "filter value",
            Kind::Credential => "credential",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Email,
            Kind::UserName,
            Kind::FilterValue,
            Kind::Credential,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The values one request and its answer carry that the log must never hold.
pub fn sensitive(
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    reply_body: &str,
) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("authorization") {
            let credential = value.split_once(' ').map_or(*value, |(_, c)| c).trim();
            out.push((Kind::Credential, credential.to_string()));
        }
    }
    if let Some((_, query)) = path.split_once('?') {
        let query = percent_decoded(&query.replace('+', " "));
        for word in query.split(|c: char| c.is_whitespace() || c == '&' || c == '=') {
            if word.contains('@') {
                out.push((Kind::Email, trim_quotes(word).to_string()));
            }
        }
        // A quoted filter value; an id (a UUID the service assigned) or a time is no personal
        // data, and logs carry both by design (`/Users/{id}` in wrangler's request lines, times
        // in its debug log).
        for quoted in query.split('"').skip(1).step_by(2) {
            if !is_uuid(quoted) && !is_date(quoted) {
                out.push((Kind::FilterValue, quoted.to_string()));
            }
        }
    }
    if let Some(v) = body.and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
        walk(&v, None, &mut out);
    }
    if let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(reply_body) {
        if let Some(Value::String(token)) = answer.get("token") {
            out.push((Kind::Credential, token.clone()));
        }
    }
    out.retain(|(_, v)| v.chars().count() >= MIN_CHARS);
    out
}

/// Strings of a request body under `userName` (as a member, or as a PATCH operation's path),
/// and any string with an `@`.
fn walk(v: &Value, key: Option<&str>, out: &mut Vec<(Kind, String)>) {
    match v {
        Value::String(s) => {
            if key.is_some_and(|k| k.eq_ignore_ascii_case("userName")) {
                out.push((Kind::UserName, s.clone()));
            } else if s.contains('@') {
                out.push((Kind::Email, s.clone()));
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, key, out)),
        Value::Object(members) => {
            // A PATCH operation: `{"op": ..., "path": "userName", "value": "..."}`.
            let path = members.get("path").and_then(Value::as_str);
            for (k, v) in members {
                let key =
                    if k == "value" && path.is_some_and(|p| p.eq_ignore_ascii_case("userName")) {
                        "userName"
                    } else {
                        k.as_str()
                    };
                walk(v, Some(key), out);
            }
        }
        _ => {}
    }
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `YYYY-MM-DD`, alone or starting a date-time.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

fn trim_quotes(s: &str) -> &str {
    s.trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')' || c == '[' || c == ']')
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends each new value to a file (one `kind<TAB>value` line each), so that the scan after
/// the whole run knows every value the run's tests sent, whichever test sent it.
pub struct Recorder {
    path: Option<String>,
    seen: Mutex<HashSet<(Kind, String)>>,
}

impl Recorder {
    /// Records into the file `SCIM_EDGE_E2E_RECORD` names; nothing when it is not set.
    pub fn from_env() -> Recorder {
        Recorder {
            path: std::env::var("SCIM_EDGE_E2E_RECORD")
                .ok()
                .filter(|p| !p.is_empty()),
            seen: Mutex::new(HashSet::new()),
        }
    }

    pub fn record(&self, values: Vec<(Kind, String)>) {
        let Some(path) = &self.path else { return };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut lines = String::new();
        for (kind, value) in values {
            if value.contains(['\n', '\t']) {
                continue;
            }
            if seen.insert((kind, value.clone())) {
                lines.push_str(&format!("{}\t{value}\n", kind.as_str()));
            }
        }
        if !lines.is_empty() {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| panic!("cannot record into {path}: {e}"));
            f.write_all(lines.as_bytes()).expect("record written");
        }
    }
}

/// The values of a record file.
pub fn read_record(text: &str) -> Vec<(Kind, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(k, v)| Some((Kind::parse(k)?, v.to_string())))
        .collect()
}

/// One thing the log must not hold, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub what: String,
}

/// Every recorded value the log holds (ignoring case, as written or percent-encoded: a URL
/// would carry `%40` for `@`), and every email or token shape in it.
pub fn scan(log: &str, recorded: &[(Kind, String)]) -> Vec<Finding> {
    let decoded = percent_decoded(&log.replace('+', " "));
    let mut findings = scan_text(log, recorded);
    if decoded != log {
        findings.extend(scan_text(&decoded, recorded));
    }
    findings.sort_by(|a, b| (a.line, &a.what).cmp(&(b.line, &b.what)));
    findings.dedup();
    findings
}

fn scan_text(log: &str, recorded: &[(Kind, String)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let lower = log.to_lowercase();
    // Each value by its first four bytes: one pass over the log, whatever the number of values.
    let mut by_prefix: HashMap<&[u8], Vec<(Kind, String)>> = HashMap::new();
    let lowered: Vec<(Kind, String)> = recorded
        .iter()
        .map(|(k, v)| (*k, v.to_lowercase()))
        .filter(|(_, v)| v.len() >= 4)
        .collect();
    for (k, v) in &lowered {
        by_prefix
            .entry(&v.as_bytes()[..4])
            .or_default()
            .push((*k, v.clone()));
    }
    let bytes = lower.as_bytes();
    let mut line = 1;
    for i in 0..bytes.len() {
        if bytes[i] == b'\n' {
            line += 1;
            continue;
        }
        let Some(candidates) = bytes.get(i..i + 4).and_then(|p| by_prefix.get(p)) else {
            continue;
        };
        for (kind, value) in candidates {
            if bytes[i..].starts_with(value.as_bytes()) {
                findings.push(Finding {
                    line,
                    what: format!("{} {value:?}", kind.as_str()),
                });
            }
        }
    }
    for (n, text) in log.lines().enumerate() {
        if let Some(email) = find_email(text) {
            findings.push(Finding {
                line: n + 1,
                what: format!("text of an email's shape {email:?}"),
            });
        }
        if let Some(at) = find_token(text) {
            findings.push(Finding {
                line: n + 1,
                what: format!(
                    "text of a token's shape {:?}",
                    &text[at..text.len().min(at + 24)]
                ),
            });
        }
    }
    findings
}

/// The first `local@domain.tld` in `text`: a local part of letters, digits and `._%+-`, a
/// domain of labels with a final label of two or more letters.
pub fn find_email(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        if start == at {
            continue;
        }
        let host = text[at + 1..end].trim_end_matches('.');
        if let Some((_, tld)) = host.rsplit_once('.') {
            if tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()) {
                return Some(&text[start..at + 1 + host.len()]);
            }
        }
    }
    None
}
