//! The response scanner (issue 13): what no answer of the service may look like, checked on
//! every answer a test suite receives (`tests/e2e/http_client.rs` calls [`check`] on each
//! reply of the real worker). A violation panics in the test that received the answer, naming
//! the request, the status and the offending text.
//!
//! - Every non-2xx answer is an error in its API's shape: under `/admin/v1` the admin API's
//!   `{"error": "<code>", "detail": "..."}` (DESIGN §7), at `/healthz` the health check's
//!   `{"status": "<word>"}` (`src/app/health.rs`), anywhere else a SCIM error (RFC 7644
//!   §3.12: `schemas` = `["urn:ietf:params:scim:api:messages:2.0:Error"]`, `status` the HTTP
//!   status as a string, a `detail`), as JSON. A 304 has no body (RFC 9110 §15.4.5).
//! - No answer (body or header) contains SQL text or a stack trace: SQL keywords and
//!   SQLite/D1 error text, Rust panic messages and source locations, JavaScript and wasm stack
//!   frames, workerd's "Worker threw exception".
//! - No answer contains a credential: the operator's admin token, or any text of the shape of
//!   a SCIM token (`src/app/plumbing/credential.rs`: `<prefix>_<version>_<shard>_<43>_<16>`;
//!   `src/app/plumbing/auth.rs`: the old format, `scim_` + 43 characters). The exceptions are
//!   the answers whose purpose is to issue one (201): `POST /admin/v1/tenants`,
//!   `.../tokens` and `.../connect` (their `token` member, once) and `.../sign-in-links` (its
//!   `url`); the sign-in page, which carries the link it was opened with; and the sign-in that
//!   starts a session (its `Set-Cookie`). The sign-in pages' errors are HTML pages.
//!
//! Text the client sent itself may come back (a userName is returned as written): the SQL and
//! stack-trace checks skip a match whose text is in some request this process sent
//! ([`remember_sent`]). Credentials get no such excuse: a token sent back is a token leaked.

use super::Reply;
use serde_json::Value;
use std::sync::Mutex;

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Text that betrays SQL or the database behind it: (needle, case-sensitive).
const SQL_TEXT: &[(&str, bool)] = &[
    ("SELECT ", true),
    ("INSERT INTO", true),
    ("INSERT OR", true),
    ("UPDATE ", true),
    ("DELETE FROM", true),
    (" WHERE ", true),
    ("ON CONFLICT", true),
    ("json_extract(", false),
    ("json_each(", false),
    ("sqlite", false),
    ("SQLITE_", true),
    ("D1_ERROR", true),
    ("D1_EXEC_ERROR", true),
    ("D1_TYPE_ERROR", true),
    ("D1_COLUMN_NOTFOUND", true),
    ("no such table", false),
    ("no such column", false),
    ("constraint failed", false),
    ("syntax error", false),
    ("tenant_id", true),
    ("user_name_fold", true),
];

/// Text that betrays a crash: a Rust panic, a JavaScript or wasm stack, workerd's error page.
const STACK_TEXT: &[(&str, bool)] = &[
    ("panicked at", false),
    ("RuntimeError", true),
    ("unreachable executed", false),
    ("wasm backtrace", false),
    ("wasm-function[", false),
    ("wasm://", false),
    ("stack backtrace", false),
    ("Worker threw exception", false),
    ("Uncaught ", true),
    ("\n    at ", true),
    ("at async ", true),
    ("called `Result::unwrap()`", false),
    ("called `Option::unwrap()`", false),
];

/// The requests this process sent (method, path, body), lower-cased, for the excuse of text
/// that comes back as the client wrote it. Bounded: the largest bodies are kept in part.
static SENT: Mutex<String> = Mutex::new(String::new());
const SENT_BODY_KEPT: usize = 64 * 1024;

/// Remembers a request's path and body as text the client wrote.
pub fn remember_sent(path: &str, body: Option<&[u8]>) {
    let mut sent = SENT.lock().unwrap_or_else(|e| e.into_inner());
    sent.push_str(&percent_decoded(path).to_lowercase());
    sent.push('\n');
    if let Some(b) = body {
        let b = &b[..b.len().min(SENT_BODY_KEPT)];
        let text = String::from_utf8_lossy(b).to_lowercase();
        sent.push_str(&text);
        // JSON escapes: a body's `\"` comes back as `\"` in JSON and as `"` in a decoded view.
        sent.push('\n');
        sent.push_str(&text.replace("\\\"", "\""));
        sent.push('\n');
    }
}

fn was_sent(snippet: &str) -> bool {
    let snippet = snippet.to_lowercase();
    SENT.lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&snippet)
}

/// What the scanner needs to know about a request and the deployment.
pub struct Request<'a> {
    pub method: &'a str,
    /// With its query string.
    pub path: &'a str,
    /// The operator's admin token (never in an answer).
    pub admin_token: &'a str,
    /// The worker's `CREDENTIAL_SECRET`, when the suite knows it (never in an answer).
    pub credential_secret: Option<&'a str>,
}

/// Checks one answer; `Err` says what is wrong, quoting the offending text.
pub fn scan(req: &Request, reply: &Reply) -> Result<(), String> {
    let path = req.path.split('?').next().unwrap_or(req.path);
    let admin = path == "/admin/v1" || path.starts_with("/admin/v1/");

    // The error shape of every non-2xx answer.
    if !(200..300).contains(&reply.status) {
        if reply.status == 304 {
            if !reply.body.is_empty() {
                return Err(format!("a 304 with a body: {}", excerpt(&reply.body, 0)));
            }
        } else if admin {
            check_admin_error(reply)?;
        } else if path == "/sign-in" {
            check_page(reply)?;
        } else if path == "/healthz" {
            check_health_answer(reply)?;
        } else {
            check_scim_error(reply)?;
        }
    }

    // Credentials: the body (an issuing answer's `token` member aside) and the headers.
    let body = without_issued_token(req, path, reply)?;
    // The sign-in confirmation page carries the link it was opened with (its form posts it).
    let body = match sign_in_link_sent(req, path) {
        Some(link) if reply.status == 200 => body.replace(&link, "<the link opened>"),
        _ => body,
    };
    let mut texts: Vec<(String, String)> = vec![("body".into(), body)];
    for (name, value) in &reply.headers {
        // The session a sign-in starts is its cookie (and only that answer's).
        let starts_session = path == "/sign-in"
            && req.method.eq_ignore_ascii_case("POST")
            && reply.status == 303
            && name.eq_ignore_ascii_case("set-cookie")
            && value.starts_with("__Host-session=session_");
        if !starts_session {
            texts.push((format!("header {name}"), value.clone()));
        }
    }
    for (place, text) in &texts {
        for secret in [Some(req.admin_token), req.credential_secret]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
        {
            if let Some(at) = text.find(secret) {
                return Err(format!(
                    "the {place} contains a secret of the worker: {}",
                    excerpt(text, at)
                ));
            }
        }
        if let Some(at) = find_token(text) {
            return Err(format!(
                "the {place} contains a token: {}",
                excerpt(text, at)
            ));
        }
        for (kind, needles) in [("SQL text", SQL_TEXT), ("a stack trace", STACK_TEXT)] {
            for &(needle, case_sensitive) in needles {
                if let Some(at) = find_unsent(text, needle, case_sensitive) {
                    return Err(format!(
                        "the {place} contains {kind} ({needle:?}): {}",
                        excerpt(text, at)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// [`scan`], panicking with the request, the status and the offending text.
#[track_caller]
pub fn check(req: &Request, reply: &Reply) {
    if let Err(problem) = scan(req, reply) {
        panic!(
            "response scanner: {} {} answered {}: {problem}\nfull body: {}",
            req.method,
            req.path,
            reply.status,
            excerpt(&reply.body, 0)
        );
    }
}

/// The link a request to the sign-in page carries in its query, if any.
fn sign_in_link_sent(req: &Request, path: &str) -> Option<String> {
    if path != "/sign-in" {
        return None;
    }
    let query = req.path.split_once('?')?.1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("link="))
        .map(str::to_string)
}

/// A non-2xx answer of the sign-in pages: an HTML page that says what went wrong.
fn check_page(reply: &Reply) -> Result<(), String> {
    let html = reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    if !html || !reply.body.starts_with("<!doctype html>") || !reply.body.contains("<h1>") {
        return Err(format!(
            "a non-2xx sign-in answer that is not an HTML page: {}",
            excerpt(&reply.body, 0)
        ));
    }
    Ok(())
}

fn check_scim_error(reply: &Reply) -> Result<(), String> {
    let body = error_json(reply)?;
    if body.get("schemas") != Some(&serde_json::json!([SCIM_ERROR])) {
        return Err(format!(
            "a non-2xx answer that is not a SCIM error (schemas): {}",
            excerpt(&reply.body, 0)
        ));
    }
    if body.get("status") != Some(&Value::String(reply.status.to_string())) {
        return Err(format!(
            "a SCIM error whose status is not the HTTP status {} as a string: {}",
            reply.status,
            excerpt(&reply.body, 0)
        ));
    }
    if !body.get("detail").is_none_or(Value::is_string) {
        return Err(format!(
            "a SCIM error whose detail is not a string: {}",
            excerpt(&reply.body, 0)
        ));
    }
    if !body.get("scimType").is_none_or(Value::is_string) {
        return Err(format!(
            "a SCIM error whose scimType is not a string: {}",
            excerpt(&reply.body, 0)
        ));
    }
    Ok(())
}

/// The health check's answers, failures included: a JSON object whose `status` is a word.
fn check_health_answer(reply: &Reply) -> Result<(), String> {
    let body = error_json(reply)?;
    match body.get("status").and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') => {
            Ok(())
        }
        _ => Err(format!(
            "a /healthz answer without a status word: {}",
            excerpt(&reply.body, 0)
        )),
    }
}

fn check_admin_error(reply: &Reply) -> Result<(), String> {
    let body = error_json(reply)?;
    let code_ok = body
        .get("error")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    let detail_ok = body.get("detail").is_some_and(Value::is_string);
    if !code_ok || !detail_ok {
        return Err(format!(
            "a non-2xx answer of the admin API that is not {{\"error\": code, \"detail\": text}}: {}",
            excerpt(&reply.body, 0)
        ));
    }
    Ok(())
}

fn error_json(reply: &Reply) -> Result<serde_json::Map<String, Value>, String> {
    let json_type = reply.header("content-type").is_some_and(|t| {
        t.starts_with("application/scim+json") || t.starts_with("application/json")
    });
    if !json_type {
        return Err(format!(
            "a non-2xx answer with Content-Type {:?}: {}",
            reply.header("content-type"),
            excerpt(&reply.body, 0)
        ));
    }
    match serde_json::from_str::<Value>(&reply.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!(
            "a non-2xx answer whose body is not a JSON object: {}",
            excerpt(&reply.body, 0)
        )),
    }
}

/// The body, with the one token an issuing answer exists to give replaced by a placeholder.
fn without_issued_token(req: &Request, path: &str, reply: &Reply) -> Result<String, String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let created = req.method.eq_ignore_ascii_case("POST") && reply.status == 201;
    // The member that holds what the answer issues: a token, or a sign-in link's URL.
    let member = match segments.as_slice() {
        ["", "admin", "v1", "tenants"]
        | ["", "admin", "v1", "tenants", _, "tokens"]
        | ["", "admin", "v1", "tenants", _, "connect"]
            if created =>
        {
            "token"
        }
        ["", "admin", "v1", "tenants", _, "sign-in-links"] if created => "url",
        _ => return Ok(reply.body.clone()),
    };
    let token = serde_json::from_str::<Value>(&reply.body)
        .ok()
        .and_then(|v| v.get(member).and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| format!("an issuing answer without its {member}: {}", reply.body))?;
    let quoted = format!("\"{token}\"");
    if reply.body.matches(&quoted).count() != 1 {
        return Err(format!(
            "an issuing answer that shows its token more than once: {}",
            reply.body
        ));
    }
    Ok(reply.body.replacen(&quoted, "\"<the issued token>\"", 1))
}

/// Where `needle` occurs in `text` in a place whose text the client did not send itself.
fn find_unsent(text: &str, needle: &str, case_sensitive: bool) -> Option<usize> {
    let (hay, pat) = if case_sensitive {
        (text.to_string(), needle.to_string())
    } else {
        (text.to_ascii_lowercase(), needle.to_ascii_lowercase())
    };
    let mut from = 0;
    while let Some(i) = hay[from..].find(&pat).map(|i| i + from) {
        // The match with what surrounds it, within the JSON string (or line) holding it.
        let snippet = enclosing(text, i, needle.len());
        if !was_sent(snippet) {
            return Some(i);
        }
        from = i + pat.len().max(1);
    }
    None
}

/// The text around `at..at + len` up to the nearest quote or line break on either side.
fn enclosing(text: &str, at: usize, len: usize) -> &str {
    let stop = |c: char| c == '"' || c == '\n';
    let start = text[..at].rfind(stop).map_or(0, |i| i + 1);
    let end = text[at + len..]
        .find(stop)
        .map_or(text.len(), |i| at + len + i);
    &text[start..end]
}

/// Whether `b` is a character of unpadded URL-safe base64.
fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Where the first text of a token's shape starts in `text`: a credential of the current
/// format of any kind (`<lower-case letters>_<digits>_<digits>_` then 43 + `_` + 16 characters
/// of base64url), or an old-format SCIM token (`scim_` then at least 43 characters of
/// base64url). A token shown in part (an admin listing's 12-character `prefix`) is no token.
pub fn find_token(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !b64(bytes[i]) {
            i += 1;
            continue;
        }
        // A run of base64url characters: a token lies inside one.
        let start = i;
        while i < bytes.len() && b64(bytes[i]) {
            i += 1;
        }
        let run = &text[start..i];
        if let Some(at) = token_in_run(run) {
            return Some(start + at);
        }
    }
    None
}

fn token_in_run(run: &str) -> Option<usize> {
    let bytes = run.as_bytes();
    for at in 0..bytes.len() {
        // A token starts at a word's start: a lower-case letter after anything but a letter.
        if !bytes[at].is_ascii_lowercase() || (at > 0 && bytes[at - 1].is_ascii_alphabetic()) {
            continue;
        }
        let rest = &run[at..];
        if let Some(after) = rest.strip_prefix("scim_") {
            if after.len() >= 43 {
                return Some(at);
            }
        }
        if current_format(rest) {
            return Some(at);
        }
    }
    None
}

/// `<lower>+_<digits>_<digits>_<43 base64url>_<16 base64url>` at the start of `s`.
fn current_format(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    if i == 0 || b.get(i) != Some(&b'_') {
        return false;
    }
    i += 1;
    for _ in 0..2 {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || b.get(i + digits) != Some(&b'_') {
            return false;
        }
        i += digits + 1;
    }
    // The random part, `_`, the check value: 43 + 1 + 16 characters of base64url.
    b.len() >= i + 43 + 1 + 16 && b[i..i + 60].iter().all(|&c| b64(c)) && b[i + 43] == b'_'
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Up to 300 characters of `text` from a little before `at`.
fn excerpt(text: &str, at: usize) -> String {
    let mut start = at.saturating_sub(60);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let rest = &text[start..];
    let cut: String = rest.chars().take(300).collect();
    let more = if cut.len() < rest.len() { "…" } else { "" };
    format!("{}{cut:?}{more}", if start > 0 { "…" } else { "" })
}
