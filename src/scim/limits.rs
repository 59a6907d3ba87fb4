//! Bounded input (DESIGN §8): the checks that keep one request from costing what other tenants
//! would notice, with the numbers they apply (declared in `scim::sizes`, which the attribute
//! table `scim::schema` reads too: its attributes carry their own `max_chars`).
//!
//! The limits are far above what real directories send (an RFC 5321 email address is at most
//! 254 characters, an Entra UPN 113, Okta's login 100; a person has a handful of emails) and far
//! below what a hostile or broken client can send inside the 1 MiB body: an 800,000-character
//! `displayName` or 20,000 emails are refused with 400 `invalidValue` naming the attribute and
//! the limit, before any work that grows with them, instead of reaching D1 (which refuses rows
//! over 2 MB with an error that could only become a 5xx).
//!
//! - Strings: every string and reference attribute has a length in characters (Unicode scalar
//!   values) by its kind: [`CODE_CHARS`] for codes (`locale`, `timezone`, a value's `type`),
//!   [`IDENTIFIER_CHARS`] for identifiers (`userName`, `externalId`, `emails.value`, ...),
//!   [`NAME_CHARS`] for names and other text, [`TEXT_CHARS`] for free text and references. The
//!   tenant's own `text` attributes share [`TEXT_CHARS`] and `option` values [`CODE_CHARS`]
//!   (DESIGN §4).
//! - Identifiers by which employees are found (`userName`, `externalId`, `emails.value`,
//!   `manager.value`, the tenant's `employee` values) may not hold control characters (Unicode
//!   general category Cc: U+0000–U+001F, U+007F–U+009F). Free text may (`addresses.formatted`
//!   holds line breaks).
//! - References (RFC 7643 §2.3.7) may not be `javascript:`, `data:` or `vbscript:` URIs, read
//!   as a browser reads them ([`script_scheme`]); relative references pass.
//! - Multi-valued attributes hold at most [`MAX_VALUES`] values, checked on the values a
//!   request sends (before they are matched) and on the resource it leaves.
//! - The stored resource (its canonical JSON, without `id` and `meta`) is at most
//!   [`MAX_RESOURCE_BYTES`] bytes.
//!
//! `/Schemas` states each attribute's limits in its `description` (RFC 7643 §7 has no field for
//! them), and `/ServiceProviderConfig` all of them ([`summary`]), read from the same numbers.

use super::error::ScimError;
use super::schema::{Attr, Mutability, Type, CORE_ATTRS, ENTERPRISE_ATTRS, EXTERNAL_ID};
use super::sorting;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io;

pub use super::sizes::{
    script_schemes_text, CODE_CHARS, IDENTIFIER_CHARS, MAX_RESOURCE_BYTES, MAX_VALUES, NAME_CHARS,
    SCRIPT_SCHEMES, TEXT_CHARS,
};

fn invalid(detail: String) -> ScimError {
    ScimError::InvalidValue(detail)
}

/// Refuses a string longer than `max` characters; `name` names the attribute.
pub fn check_chars(s: &str, max: usize, name: &str) -> Result<(), ScimError> {
    // Counting stops one past the limit: an 800,000-character value costs no more than that.
    if s.chars().nth(max).is_some() {
        return Err(invalid(format!(
            "{name} may hold at most {max} characters, not {}",
            s.chars().count()
        )));
    }
    Ok(())
}

/// The first `max` characters of `s` (all of it when shorter): for logging what a refused
/// request sent without keeping more of it than a valid value could hold.
pub fn prefix_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Refuses an identifier that holds a control character (Unicode Cc).
pub fn check_no_control(s: &str, name: &str) -> Result<(), ScimError> {
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(invalid(format!(
            "{name} may not contain control characters (found U+{:04X})",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// The scheme of `s` when a browser would read it as one of [`SCRIPT_SCHEMES`], lower-cased.
///
/// Read as the WHATWG URL parser reads a link: leading C0 controls and spaces (U+0000–U+0020)
/// are stripped, ASCII tabs and line breaks anywhere are removed, and the scheme (a letter,
/// then letters, digits, `+`, `-`, `.`, up to the first `:`) is compared without case. So
/// `" JavaScript:x"`, `"\u{1}javascript:x"` and `"java\tscript:x"` are all `javascript`, while
/// `"../Users/1"`, `"https://x"` and `"javascript-guide.html"` name none.
pub fn script_scheme(s: &str) -> Option<&'static str> {
    let mut scheme = String::new();
    let chars = s
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    for c in chars {
        match c {
            ':' => return SCRIPT_SCHEMES.into_iter().find(|s| *s == scheme),
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            c if !scheme.is_empty() && (c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) => {
                scheme.push(c)
            }
            // Not a scheme: a relative reference, whatever it starts with.
            _ => return None,
        }
    }
    None // no ':' at all: a relative reference
}

/// Refuses a reference that is a script URI ([`script_scheme`]).
pub fn check_reference(s: &str, name: &str) -> Result<(), ScimError> {
    match script_scheme(s) {
        Some(scheme) => Err(invalid(format!(
            "{name} may not be a {scheme}: URI ({} URIs are refused in references)",
            script_schemes_text()
        ))),
        None => Ok(()),
    }
}

/// Checks a string value of `attr` (`path` names it): its length, control characters in
/// identifiers, script URIs in references.
pub fn check_text(attr: &Attr, s: &str, path: &str) -> Result<(), ScimError> {
    if attr.max_chars > 0 {
        check_chars(s, attr.max_chars, path)?;
    }
    if attr.identifier {
        check_no_control(s, path)?;
    }
    if attr.ty == Type::Reference {
        check_reference(s, path)?;
    }
    Ok(())
}

/// Refuses more than [`MAX_VALUES`] values of the multi-valued attribute `name`.
pub fn check_values(count: usize, name: &str) -> Result<(), ScimError> {
    if count > MAX_VALUES {
        return Err(invalid(format!(
            "{name} may hold at most {MAX_VALUES} values, not {count}"
        )));
    }
    Ok(())
}

/// Counts the bytes written to it.
struct ByteCount(usize);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes of `doc`'s canonical JSON (what the store keeps as the resource), counted without
/// building the text.
pub fn resource_bytes(doc: &Map<String, Value>) -> usize {
    let mut count = ByteCount(0);
    // Writing a map of JSON values to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, doc);
    count.0
}

/// Checks a whole document as it would be stored: at most [`MAX_VALUES`] values in each
/// multi-valued core attribute, at most [`MAX_RESOURCE_BYTES`] bytes in all.
pub fn check_resource(doc: &Map<String, Value>) -> Result<(), ScimError> {
    for attr in CORE_ATTRS.iter().filter(|a| a.multi) {
        if let Some(Value::Array(items)) = doc.get(attr.name) {
            check_values(items.len(), attr.name)?;
        }
    }
    let bytes = resource_bytes(doc);
    if bytes > MAX_RESOURCE_BYTES {
        return Err(invalid(format!(
            "The User would take {bytes} bytes as stored (its JSON); at most {MAX_RESOURCE_BYTES} are allowed"
        )));
    }
    Ok(())
}

/// Every limit in one paragraph, for `/ServiceProviderConfig` (read from the attribute table,
/// so it says what validation does).
pub fn summary() -> String {
    let mut by_limit: Vec<(usize, Vec<String>)> = Vec::new();
    let mut identifiers = Vec::new();
    let mut references = Vec::new();
    let mut visit = |attr: &Attr, path: String| {
        if attr.max_chars == 0 {
            return;
        }
        match by_limit.iter_mut().find(|(n, _)| *n == attr.max_chars) {
            Some((_, names)) => names.push(path.clone()),
            None => by_limit.push((attr.max_chars, vec![path.clone()])),
        }
        if attr.identifier {
            identifiers.push(path.clone());
        }
        if attr.ty == Type::Reference {
            references.push(path);
        }
    };
    visit(&EXTERNAL_ID, EXTERNAL_ID.name.to_string());
    for (prefix, attrs) in [("", CORE_ATTRS), ("enterprise ", ENTERPRISE_ATTRS)] {
        for a in attrs {
            if a.subs.is_empty() {
                visit(a, format!("{prefix}{}", a.name));
            }
            for s in a
                .subs
                .iter()
                .filter(|s| s.mutability != Mutability::ReadOnly)
            {
                visit(s, format!("{prefix}{}.{}", a.name, s.name));
            }
        }
    }
    sorting::sort_by(&mut by_limit, |(a, _), (b, _)| a.cmp(b));
    let mut out = String::from("Attribute limits (400 invalidValue beyond them): ");
    for (i, (n, names)) in by_limit.iter().enumerate() {
        let _ = write!(
            out,
            "{}{n} characters for {}",
            if i == 0 { "at most " } else { "; " },
            names.join(", ")
        );
    }
    let _ = write!(
        out,
        "; the company's own attributes: {TEXT_CHARS} characters for text, {CODE_CHARS} for option and {IDENTIFIER_CHARS} for employee values. \
         No control characters in {} or employee values. References ({}) may not be {} URIs. \
         At most {MAX_VALUES} values in each multi-valued attribute. At most {MAX_RESOURCE_BYTES} bytes per stored User (its JSON).",
        identifiers.join(", "),
        references.join(", "),
        script_schemes_text(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lengths_pass_at_the_limit_and_fail_one_past_it() {
        for max in [CODE_CHARS, IDENTIFIER_CHARS, NAME_CHARS, TEXT_CHARS] {
            assert_eq!(check_chars(&"é".repeat(max), max, "x"), Ok(()));
            assert_eq!(
                check_chars(&"é".repeat(max + 1), max, "x"),
                Err(ScimError::InvalidValue(format!(
                    "x may hold at most {max} characters, not {}",
                    max + 1
                )))
            );
        }
    }

    #[test]
    fn prefixes_keep_whole_characters() {
        assert_eq!(prefix_chars("ééé", 2), "éé");
        assert_eq!(prefix_chars("ééé", 3), "ééé");
        assert_eq!(prefix_chars("é", 5), "é");
        assert_eq!(prefix_chars("", 0), "");
        assert_eq!(
            prefix_chars(&"x".repeat(300_000), IDENTIFIER_CHARS).len(),
            IDENTIFIER_CHARS
        );
    }

    #[test]
    fn control_characters_are_named() {
        assert_eq!(check_no_control("a b-c_d.é@x", "userName"), Ok(()));
        for (s, code) in [
            ("a\u{0}b", "0000"),
            ("a\u{1f}", "001F"),
            ("\u{7f}", "007F"),
            ("x\u{85}", "0085"),
            ("x\u{9f}", "009F"),
            ("tab\there", "0009"),
            ("line\nbreak", "000A"),
        ] {
            assert_eq!(
                check_no_control(s, "userName"),
                Err(ScimError::InvalidValue(format!(
                    "userName may not contain control characters (found U+{code})"
                ))),
                "{s:?}"
            );
        }
        // Format characters (Cf) and other spaces are not control characters.
        assert_eq!(check_no_control("a\u{200d}b\u{a0}c", "userName"), Ok(()));
    }

    #[test]
    fn script_schemes_are_found_as_browsers_read_them() {
        let refused = [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            ("JAVASCRIPT:alert(1)", "javascript"),
            ("  javascript:alert(1)", "javascript"),
            ("\u{1}\u{0} \u{1f}javascript:alert(1)", "javascript"),
            ("java\tscript:alert(1)", "javascript"),
            ("java\nscr\ript:alert(1)", "javascript"),
            ("\njavascript:alert(1)", "javascript"),
            ("data:text/html;base64,PHNjcmlwdD4=", "data"),
            ("DATA:image/svg+xml,<svg onload=alert(1)>", "data"),
            ("vbscript:msgbox(1)", "vbscript"),
            ("VBScript:msgbox(1)", "vbscript"),
        ];
        for (s, scheme) in refused {
            assert_eq!(script_scheme(s), Some(scheme), "{s:?}");
            assert!(check_reference(s, "profileUrl").is_err(), "{s:?}");
        }
        let allowed = [
            "https://example.com/u/1",
            "http://example.com/javascript:x",
            "../Users/2819c223-7f76-453a-919d-413861904646",
            "/scim/v2/Users/1",
            "Users/1",
            "javascript-guide.html",
            "javascript",
            "data",
            "my-data:x",
            "\u{a0}javascript:alert(1)", // not a space a browser strips: a relative reference
            "https://example.com/?next=javascript:alert(1)",
            "mailto:a@example.com",
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "",
        ];
        for s in allowed {
            assert_eq!(script_scheme(s), None, "{s:?}");
            assert_eq!(check_reference(s, "profileUrl"), Ok(()), "{s:?}");
        }
    }

    #[test]
    fn value_counts_pass_at_the_limit_and_fail_one_past_it() {
        assert_eq!(check_values(MAX_VALUES, "emails"), Ok(()));
        assert_eq!(
            check_values(MAX_VALUES + 1, "emails"),
            Err(ScimError::InvalidValue(format!(
                "emails may hold at most {MAX_VALUES} values, not {}",
                MAX_VALUES + 1
            )))
        );
    }

    #[test]
    fn resource_bytes_are_those_of_its_json() {
        let doc = json!({"userName": "José", "emails": [{"value": "a@x"}]});
        let doc = doc.as_object().unwrap();
        assert_eq!(
            resource_bytes(doc),
            serde_json::to_string(doc).unwrap().len()
        );
    }

    #[test]
    fn the_resource_passes_at_its_limit_and_fails_one_byte_past_it() {
        let sized = |bytes: usize| {
            let base = json!({"userName": "a", "displayName": ""});
            let pad = bytes - resource_bytes(base.as_object().unwrap());
            json!({"userName": "a", "displayName": "x".repeat(pad)})
                .as_object()
                .unwrap()
                .clone()
        };
        let at = sized(MAX_RESOURCE_BYTES);
        assert_eq!(resource_bytes(&at), MAX_RESOURCE_BYTES);
        assert_eq!(check_resource(&at), Ok(()));
        let over = sized(MAX_RESOURCE_BYTES + 1);
        assert_eq!(
            check_resource(&over),
            Err(ScimError::InvalidValue(format!(
                "The User would take {} bytes as stored (its JSON); at most {MAX_RESOURCE_BYTES} are allowed",
                MAX_RESOURCE_BYTES + 1
            )))
        );
    }

    #[test]
    fn the_resource_check_counts_every_multi_valued_attribute() {
        for attr in CORE_ATTRS.iter().filter(|a| a.multi) {
            let values = |n: usize| -> Vec<Value> {
                (0..n)
                    .map(|i| json!({"display": format!("v{i}")}))
                    .collect()
            };
            let mut doc = Map::new();
            doc.insert(attr.name.into(), Value::Array(values(MAX_VALUES)));
            assert_eq!(check_resource(&doc), Ok(()), "{}", attr.name);
            doc.insert(attr.name.into(), Value::Array(values(MAX_VALUES + 1)));
            assert_eq!(
                check_resource(&doc),
                Err(ScimError::InvalidValue(format!(
                    "{} may hold at most {MAX_VALUES} values, not {}",
                    attr.name,
                    MAX_VALUES + 1
                ))),
            );
        }
    }

    #[test]
    fn the_summary_states_every_number() {
        let s = summary();
        for n in [
            CODE_CHARS,
            IDENTIFIER_CHARS,
            NAME_CHARS,
            TEXT_CHARS,
            MAX_VALUES,
            MAX_RESOURCE_BYTES,
        ] {
            assert!(s.contains(&n.to_string()), "{n} missing from {s}");
        }
        for name in [
            "userName",
            "externalId",
            "emails.value",
            "profileUrl",
            "photos.value",
            "enterprise manager.$ref",
            "addresses.formatted",
            "javascript:",
        ] {
            assert!(s.contains(name), "{name} missing from {s}");
        }
    }
}
