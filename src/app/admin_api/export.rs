//! The roster as CSV (DESIGN §7): `GET /admin/v1/tenants/{tenant}/employees.csv?at=&eligible=&q=`,
//! the employees of the roster at T (`reports`: the same rows, order and filters as
//! `GET .../employees`), streamed a page at a time so that 100,000 employees never sit in memory.
//!
//! **Columns**: `id`, `userName`, `email`, `givenName`, `familyName`, `active`, `eligible`,
//! `changed_at`, then each active custom attribute under its display name (in creation order).
//! Names and custom values are the current ones (for an employee deleted since T, as when
//! deleted; empty once purged): only activation is kept through time. An `employee` attribute
//! shows the email of the employee it names, as SCIM answers do.
//!
//! **Format**: RFC 4180: CRLF line ends, a header row, a field holding `,`, `"`, CR or LF written
//! in double quotes with `"` doubled; UTF-8, with a byte-order mark first so that spreadsheet
//! programs read it as UTF-8.
//!
//! **Formula injection** (OWASP "CSV Injection"): a spreadsheet runs a cell that begins with
//! `=`, `+`, `-` or `@` (or a tab or CR, which some read past) as a formula, and an IdP's values
//! are not the admin's to vet. Such a cell is written with an apostrophe before its text
//! (`=HYPERLINK(...)` → `'=HYPERLINK(...)`), and quoted: spreadsheets show the text, and a
//! program reading the file as data drops one leading apostrophe of a cell whose next character
//! is one of those. A negative number of a custom attribute is escaped too (`'-5`).
//!
//! **The seam with the edge.** The application stays runtime-free: [`start`] answers the
//! request with its status and headers, and the header row and first page as the body; when more
//! pages remain it puts an [`Export`] in the answer's extensions. Whoever sends the answer pulls
//! the rest with [`Export::next_chunk`], a page (one D1 batch) at a time: the worker streams
//! them (`lib.rs`), the host tests concatenate them ([`collect`]). Every page reads the roster at
//! the same pinned T after the last row sent, as the roster's cursor does. A page that fails
//! midway ends the stream with an error (the download fails; a truncated file is never complete
//! by accident).

use super::error::AdminError;
use super::reports::{at_param, eligible_param, search_param};
use super::TenantBatch;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::respond::{set, with_status};
use crate::app::plumbing::Response;
use crate::model::TenantId;
use crate::scim::datetime::Timestamp;
use crate::scim::tenant::{CustomAttr, TenantSchema};
use crate::store::reports::{self as sql, ExportRow, RosterAfter, RosterFilter};
use crate::store::{attributes, Consistency, Store};
use serde_json::Value;
use std::sync::Arc;

/// Employees per page (one D1 batch each): 100,000 employees are 200 batches, within a Worker's
/// 1,000 D1 queries per invocation.
pub const PAGE: i64 = 500;

/// The media type of the export (RFC 4180 §3, RFC 7111 for `header`).
pub const CSV: &str = "text/csv; charset=utf-8; header=present";

/// The fixed columns, before the custom attributes.
pub const COLUMNS: [&str; 8] = [
    "id",
    "userName",
    "email",
    "givenName",
    "familyName",
    "active",
    "eligible",
    "changed_at",
];

/// The rest of an export: where the next page starts, and what every page shares.
#[derive(Debug, Clone)]
pub struct Export {
    tenant: TenantId,
    at: Timestamp,
    eligible: Option<bool>,
    words: Vec<String>,
    schema: TenantSchema,
    /// After this `(name_key, id)`; `None` once the last page was sent.
    after: Option<(String, String)>,
}

impl Export {
    /// The next page as CSV text, `None` when none is left.
    pub async fn next_chunk<S: Store>(&mut self, store: &S) -> Result<Option<String>, AdminError> {
        let Some((key, id)) = self.after.take() else {
            return Ok(None);
        };
        let filter = RosterFilter {
            eligible: self.eligible,
            words: &self.words,
        };
        let mut batch = crate::store::Batch::new();
        let page = batch.read(sql::export_page(
            &self.tenant,
            self.at,
            RosterAfter { key: &key, id: &id },
            &filter,
            PAGE + 1,
        ));
        let rows = batch.run(store, Consistency::Primary).await?.take(page)?;
        let (text, after) = render_page(rows, &self.schema);
        self.after = after;
        Ok(Some(text))
    }
}

/// `GET /admin/v1/tenants/{tenant}/employees.csv?at=&eligible=&q=`: 200 with the header row and
/// the first page; the rest through the [`Export`] in the answer's extensions.
pub async fn start<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let eligible = eligible_param(params)?;
    let at = at_param(params)?.unwrap_or(ctx.now);
    let (_, words) = search_param(params)?;
    let filter = RosterFilter {
        eligible,
        words: &words,
    };
    let mut batch = TenantBatch::new(tenant);
    let schema = batch.read(attributes::definitions_of(tenant));
    let page = batch.read(sql::export_page(
        tenant,
        at,
        RosterAfter { key: "", id: "" },
        &filter,
        PAGE + 1,
    ));
    // The roster's rule (`super::TenantBatch`): read on the primary, as the later pages are.
    let (_, mut results) = batch.run_primary(store).await?;
    let schema = results.take(schema)?;
    let rows = results.take(page)?;
    let mut body = String::from('\u{feff}');
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(schema.active().map(|a| a.name.clone()));
    push_record(&mut body, header.iter().map(String::as_str));
    let (first, after) = render_page(rows, &schema);
    body.push_str(&first);
    let mut r = with_status(200, body);
    set(&mut r, http::header::CONTENT_TYPE, CSV);
    set(
        &mut r,
        http::header::CONTENT_DISPOSITION,
        &format!(
            "attachment; filename=\"employees-{}-{}.csv\"",
            tenant.as_str(),
            at.to_rfc3339().replace(':', "")
        ),
    );
    if after.is_some() {
        r.extensions_mut().insert(Export {
            tenant: tenant.clone(),
            at,
            eligible,
            words,
            schema,
            after,
        });
    }
    Ok(r)
}

/// The answer with every page of its export in the body (host tests, and any caller that can
/// hold the whole file): what the worker streams, concatenated.
pub async fn collect<S: Store>(mut response: Response, store: &S) -> Result<Response, AdminError> {
    let Some(mut export) = response.extensions_mut().remove::<Export>() else {
        return Ok(response);
    };
    while let Some(chunk) = export.next_chunk(store).await? {
        response.body_mut().push_str(&chunk);
    }
    Ok(response)
}

/// A page's rows as CSV records (at most [`PAGE`]; the one beyond says another page follows),
/// and where the next page starts.
fn render_page(
    mut rows: Vec<ExportRow>,
    schema: &TenantSchema,
) -> (String, Option<(String, String)>) {
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let active: Vec<&Arc<CustomAttr>> = schema.active().collect();
    let mut out = String::new();
    for row in &rows {
        let r = &row.roster;
        let custom = row
            .extension
            .as_ref()
            .map(|ext| schema.render_extension(ext, &row.refs));
        let mut fields: Vec<String> = vec![
            r.id.to_string(),
            r.user_name.clone().unwrap_or_default(),
            r.email.clone().unwrap_or_default(),
            row.given_name.clone().unwrap_or_default(),
            row.family_name.clone().unwrap_or_default(),
            r.active.to_string(),
            r.eligible.to_string(),
            r.changed_at.to_rfc3339(),
        ];
        for a in &active {
            let v = custom.as_ref().and_then(|c| c.get(&a.scim_name));
            fields.push(match v {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
        }
        push_record(&mut out, fields.iter().map(String::as_str));
    }
    let after = match (more, rows.last()) {
        (true, Some(last)) => Some((last.roster.name_key.clone(), last.roster.id.to_string())),
        _ => None,
    };
    (out, after)
}

/// One record: its fields, each [`field`], separated by commas, ended by CRLF (RFC 4180 §2).
fn push_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(f));
    }
    out.push_str("\r\n");
}

/// One field: escaped against formula injection (a leading `'` before `=`, `+`, `-`, `@`, tab
/// or CR), then quoted when it holds `,`, `"`, CR or LF, or was escaped (RFC 4180 §2).
pub fn field(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if formula || text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says_and_formulas_are_escaped() {
        let table = [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=1+2", "\"'=1+2\""),
            ("+33 1 23", "\"'+33 1 23\""),
            ("-5", "\"'-5\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=x", "\"'\t=x\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("a=b", "a=b"),
            ("José Núñez", "José Núñez"),
        ];
        for (input, expected) in table {
            assert_eq!(field(input), expected, "{input:?}");
        }
    }

    #[test]
    fn a_record_ends_with_crlf() {
        let mut out = String::new();
        push_record(&mut out, ["a", "b,c", ""].into_iter());
        assert_eq!(out, "a,\"b,c\",\r\n");
    }
}
