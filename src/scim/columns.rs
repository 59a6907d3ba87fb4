//! The storage side of the attribute table (`schema.rs`): every column of the `users` table,
//! declared once, with its SQL type, what fills it, which attribute path filters and sorting
//! answer from it, its index, and who reads it (DESIGN §5).
//!
//! Everything that names user columns derives from [`USER_COLUMNS`]: the INSERT and UPDATE of
//! `store::users` (their text and parameters), the columns filters and sorting resolve to
//! (`filter::resolve`, `list`), the set of indexed columns that make a filter selective
//! (`store::list_sql`), and the benchmarks' seeding (through the project's own code). A host
//! test compares the table with the migrated schema (`PRAGMA table_xinfo`, `index_list`), so a
//! migration and the table cannot drift.
//!
//! Two kinds of column. **Written** columns are bound on every write, computed here from the
//! canonical document (or by the store: ids, times, version). **Generated** columns are
//! computed by SQLite from the folded document (`GENERATED ALWAYS AS (json_extract(folded,
//! <path>)) VIRTUAL`): nothing is bound for them, they cost no storage, and their indexes let
//! the lookups IdPs make (`name.familyName eq`, `employeeNumber eq`, `department eq`,
//! `manager.value eq`) find their rows without reading documents. A filter on such a column
//! means exactly what the same filter on the folded document means.
//!
//! Leaves out: `user_emails` (one row per email, [`email_rows`]), whose lookups the filter
//! compiler answers from its own index.

use super::fold::fold;
use super::schema::ENTERPRISE_USER;
use super::user::Doc;
use serde_json::Value;

/// A column's SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Text,
    Integer,
}

impl SqlType {
    pub fn as_str(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Integer => "INTEGER",
        }
    }
}

/// What fills a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The token's tenant (every statement reaches its rows through it).
    Tenant,
    /// The user's SCIM `id`.
    Id,
    /// Random per write (`model::WriteId`).
    WriteId,
    /// `meta.version`: 1 on create, one more on every change.
    Version,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`: the time of the write.
    LastModified,
    /// The canonical document, as JSON text.
    Resource,
    /// The document with every `caseExact: false` string folded, as JSON text (filters read it).
    Folded,
    /// A string of the document at these keys, as written.
    Text(&'static [&'static str]),
    /// A string of the document at these keys, case-folded (`scim::fold`).
    Fold(&'static [&'static str]),
    /// 1 unless `active` is false: absent means active (DESIGN §4).
    Active,
    /// The employee's email ([`employee_email`]).
    Email,
    /// Computed by SQLite from the folded document at these keys; nothing is bound.
    Generated(&'static [&'static str]),
    /// The bytes of the two documents (canonical and folded JSON) the row stores.
    Size,
    /// 0: the folded copies were made by the current case folding (a migration that changes
    /// folding sets it to 1 on the rows it leaves behind).
    FoldFresh,
    /// The words the roster's search finds the employee by ([`search_words`]).
    Search,
}

/// Who reads a column, besides the writes that fill it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Filters compare it (`serves` names the attribute).
    Filter,
    /// `sortBy` orders by it (`serves` names the attribute).
    Sort,
    /// Every statement scopes by it, or finds the row by it.
    Key,
    /// The unique index that keeps userNames unique per tenant.
    Uniqueness,
    /// A write's conditions (`If-Match`, the version a write expects, its own write id).
    WriteCheck,
    /// A read of the user: the resource returned to clients.
    Resource,
    /// The roster, the activation history's snapshots and the activity log's `user=`.
    Roster,
    /// Employee references and the manager's `displayName` and `$ref` (DESIGN §4).
    References,
    /// The tenant's quota: its stored bytes are the sum of its users' sizes.
    Quota,
    /// The refold job, which rewrites rows folded by an earlier case folding.
    Maintenance,
}

/// One column of `users`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub ty: SqlType,
    pub not_null: bool,
    pub fill: Fill,
    /// The attribute path that filters and sorting answer from this column: document keys,
    /// or `["id"]`, `["meta", "created"]`, `["meta", "lastModified"]`.
    pub serves: Option<&'static [&'static str]>,
    /// The index on `(tenant_id, <column>)`, if any.
    pub index: Option<&'static str>,
    pub readers: &'static [Reader],
}

impl Column {
    /// Whether the store binds a value for it on a write (generated columns it does not).
    pub fn is_written(&self) -> bool {
        !matches!(self.fill, Fill::Generated(_))
    }
}

const fn written(name: &'static str, ty: SqlType, fill: Fill) -> Column {
    Column {
        name,
        ty,
        not_null: false,
        fill,
        serves: None,
        index: None,
        readers: &[],
    }
}

/// A generated column: the folded value at `path`, serving filters and sorting on it, indexed.
const fn generated(
    name: &'static str,
    path: &'static [&'static str],
    index: &'static str,
) -> Column {
    Column {
        name,
        ty: SqlType::Text,
        not_null: false,
        fill: Fill::Generated(path),
        serves: Some(path),
        index: Some(index),
        readers: &[Reader::Filter, Reader::Sort],
    }
}

impl Column {
    const fn not_null(self) -> Column {
        Column {
            not_null: true,
            ..self
        }
    }
    const fn serves(self, path: &'static [&'static str]) -> Column {
        Column {
            serves: Some(path),
            ..self
        }
    }
    const fn index(self, index: &'static str) -> Column {
        Column {
            index: Some(index),
            ..self
        }
    }
    const fn read_by(self, readers: &'static [Reader]) -> Column {
        Column { readers, ..self }
    }
}

const FILTER_SORT: &[Reader] = &[Reader::Filter, Reader::Sort];
const MANAGER_VALUE: &[&str] = &[ENTERPRISE_USER, "manager", "value"];

/// Every column of `users`, in the order of the migrated table (`PRAGMA table_xinfo`).
pub static USER_COLUMNS: &[Column] = &[
    written("tenant_id", SqlType::Text, Fill::Tenant)
        .not_null()
        .read_by(&[Reader::Key]),
    written("id", SqlType::Text, Fill::Id)
        .not_null()
        .serves(&["id"])
        .read_by(&[Reader::Key, Reader::Filter, Reader::Sort]),
    written("user_name", SqlType::Text, Fill::Text(&["userName"]))
        .not_null()
        .read_by(&[Reader::Roster, Reader::References]),
    written("user_name_fold", SqlType::Text, Fill::Fold(&["userName"]))
        .not_null()
        .serves(&["userName"])
        .index("users_by_user_name")
        .read_by(&[
            Reader::Filter,
            Reader::Sort,
            Reader::Uniqueness,
            Reader::Roster,
            Reader::References,
        ]),
    written("external_id", SqlType::Text, Fill::Text(&["externalId"]))
        .serves(&["externalId"])
        .index("users_by_external_id")
        .read_by(&[Reader::Filter, Reader::Sort, Reader::Uniqueness]),
    written("active", SqlType::Integer, Fill::Active)
        .not_null()
        .serves(&["active"])
        .read_by(&[Reader::Filter, Reader::Sort, Reader::Roster]),
    written("version", SqlType::Integer, Fill::Version)
        .not_null()
        .read_by(&[Reader::WriteCheck, Reader::Resource]),
    written("write_id", SqlType::Text, Fill::WriteId)
        .not_null()
        .read_by(&[Reader::WriteCheck]),
    written("created", SqlType::Text, Fill::Created)
        .not_null()
        .serves(&["meta", "created"])
        .index("users_by_created")
        .read_by(&[Reader::Filter, Reader::Sort, Reader::Resource]),
    written("last_modified", SqlType::Text, Fill::LastModified)
        .not_null()
        .serves(&["meta", "lastModified"])
        .read_by(&[Reader::Filter, Reader::Sort, Reader::Resource]),
    written("email", SqlType::Text, Fill::Email).read_by(&[Reader::Roster, Reader::References]),
    written("display_name", SqlType::Text, Fill::Text(&["displayName"]))
        .read_by(&[Reader::References]),
    written("manager_id", SqlType::Text, Fill::Text(MANAGER_VALUE)).read_by(&[Reader::References]),
    written("resource", SqlType::Text, Fill::Resource)
        .not_null()
        .read_by(&[Reader::Resource]),
    written("folded", SqlType::Text, Fill::Folded)
        .not_null()
        .read_by(FILTER_SORT),
    generated(
        "given_name_fold",
        &["name", "givenName"],
        "users_by_given_name",
    ),
    generated(
        "family_name_fold",
        &["name", "familyName"],
        "users_by_family_name",
    ),
    generated(
        "employee_number_fold",
        &[ENTERPRISE_USER, "employeeNumber"],
        "users_by_employee_number",
    ),
    generated(
        "department_fold",
        &[ENTERPRISE_USER, "department"],
        "users_by_department",
    ),
    generated("manager_fold", MANAGER_VALUE, "users_by_manager"),
    written("size", SqlType::Integer, Fill::Size)
        .not_null()
        .read_by(&[Reader::Quota]),
    written("fold_stale", SqlType::Integer, Fill::FoldFresh)
        .not_null()
        .index("users_fold_stale")
        .read_by(&[Reader::Maintenance]),
    written("search", SqlType::Text, Fill::Search).read_by(&[Reader::Roster]),
];

/// The column that filters and sorting read for an attribute path, if one serves it.
pub fn serving(path: &[&str]) -> Option<&'static Column> {
    USER_COLUMNS
        .iter()
        .find(|c| c.serves.is_some_and(|s| s == path))
}

/// The column named `name`.
pub fn named(name: &str) -> Option<&'static Column> {
    USER_COLUMNS.iter().find(|c| c.name == name)
}

/// The string of `doc` at `path`.
pub fn text_at<'d>(doc: &'d Doc, path: &[&str]) -> Option<&'d str> {
    let (first, rest) = path.split_first()?;
    let mut v = doc.get(*first)?;
    for key in rest {
        v = v.get(key)?;
    }
    v.as_str()
}

/// Whether the employee is active: `active` absent (a PATCH may remove it) means active.
pub fn is_active(doc: &Doc) -> bool {
    doc.get("active") != Some(&Value::Bool(false))
}

/// One email of a user, for index-backed lookups (`user_emails`).
#[derive(Debug, Clone, PartialEq)]
pub struct EmailRow {
    pub value: String,
    pub value_fold: String,
    pub type_fold: Option<String>,
    pub primary: bool,
}

/// The user's emails, in order.
pub fn email_rows(doc: &Doc) -> Vec<EmailRow> {
    doc.get("emails")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| {
                    let value = e.get("value")?.as_str()?.to_string();
                    Some(EmailRow {
                        value_fold: fold(&value),
                        value,
                        type_fold: e.get("type").and_then(Value::as_str).map(fold),
                        primary: e.get("primary") == Some(&Value::Bool(true)),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Most emails of one employee that the roster's search finds them by.
const MAX_SEARCH_EMAILS: usize = 10;
/// Longest `search` value, in characters (the words past it are left out).
pub const MAX_SEARCH_CHARS: usize = 2048;

/// The words the roster's search (`GET .../employees?q=`) finds an employee by, each preceded
/// by a space, so that a prefix of one word is `instr(search, ' ' || prefix)`: the words of the
/// given, family and display names (split at spaces, hyphens and other punctuation: "García-
/// López" is found by "lop"), and the userName and emails whole (found by their beginning),
/// each as `fold::search_key` makes it (case-folded, accents removed), without repeats.
/// `None` when there is no word at all.
pub fn search_words(doc: &Doc) -> Option<String> {
    use super::fold::search_key;
    let mut words: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    };
    for path in [
        &["name", "givenName"][..],
        &["name", "familyName"],
        &["displayName"],
    ] {
        if let Some(text) = text_at(doc, path) {
            for w in search_key(text).split(|c: char| !c.is_alphanumeric()) {
                push(w.to_string());
            }
        }
    }
    if let Some(u) = text_at(doc, &["userName"]) {
        push(search_key(u.trim()));
    }
    if let Some(emails) = doc.get("emails").and_then(Value::as_array) {
        for e in emails.iter().take(MAX_SEARCH_EMAILS) {
            if let Some(v) = e.get("value").and_then(Value::as_str) {
                push(search_key(v.trim()));
            }
        }
    }
    let mut out = String::new();
    for w in words {
        if out.chars().count() + 1 + w.chars().count() > MAX_SEARCH_CHARS {
            break;
        }
        out.push(' ');
        out.push_str(&w);
    }
    (!out.is_empty()).then_some(out)
}

/// The employee's email (DESIGN §4): the primary one, else the work one, else the first.
pub fn employee_email(doc: &Doc) -> Option<&str> {
    fn value(e: &Value) -> Option<&str> {
        e.get("value").and_then(Value::as_str)
    }
    let emails: Vec<&Value> = doc
        .get("emails")?
        .as_array()?
        .iter()
        .filter(|e| value(e).is_some())
        .collect();
    let is_work = |e: &&&Value| {
        e.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| fold(t) == "work")
    };
    emails
        .iter()
        .find(|e| e.get("primary") == Some(&Value::Bool(true)))
        .or_else(|| emails.iter().find(is_work))
        .or_else(|| emails.first())
        .and_then(|e| value(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_employee_email_is_primary_else_work_else_first() {
        let table = [
            (json!([]), None),
            (
                json!([{"value": "a@x"}, {"value": "b@x", "primary": true}]),
                Some("b@x"),
            ),
            (
                json!([{"value": "h@x", "type": "home"}, {"value": "W@X", "type": "Work"}]),
                Some("W@X"),
            ),
            (
                json!([{"value": "h@x", "type": "home"}, {"value": "o@x"}]),
                Some("h@x"),
            ),
            (json!([{"type": "work"}, {"value": "o@x"}]), Some("o@x")),
        ];
        for (emails, expected) in table {
            let d = doc(json!({ "emails": emails }));
            assert_eq!(employee_email(&d), expected, "{emails}");
        }
    }

    #[test]
    fn email_rows_fold_values_and_types() {
        let d = doc(
            json!({"emails": [{"value": "ÅSA@X", "type": "Work", "primary": true}, {"value": "b@x"}, {"type": "home"}]}),
        );
        assert_eq!(
            email_rows(&d),
            vec![
                EmailRow {
                    value: "ÅSA@X".into(),
                    value_fold: "åsa@x".into(),
                    type_fold: Some("work".into()),
                    primary: true
                },
                EmailRow {
                    value: "b@x".into(),
                    value_fold: "b@x".into(),
                    type_fold: None,
                    primary: false
                },
            ]
        );
    }

    #[test]
    fn email_rows_key_canonically_equivalent_values_alike() {
        let d = doc(json!({"emails": [{"value": "Jose\u{301}@X", "type": "WORK"}]}));
        let rows = email_rows(&d);
        assert_eq!(rows[0].value, "Jose\u{301}@X", "the value as sent");
        assert_eq!(rows[0].value_fold, "josé@x", "the key: NFC, folded");
    }

    #[test]
    fn absent_active_means_active() {
        assert!(is_active(&doc(json!({}))));
        assert!(is_active(&doc(json!({"active": true}))));
        assert!(!is_active(&doc(json!({"active": false}))));
    }

    #[test]
    fn every_column_is_read_by_someone_and_serving_columns_are_filtered_on() {
        for c in USER_COLUMNS {
            assert!(!c.readers.is_empty(), "{} has no reader", c.name);
            if c.serves.is_some() {
                assert!(c.readers.contains(&Reader::Filter), "{}", c.name);
                assert!(c.readers.contains(&Reader::Sort), "{}", c.name);
            }
        }
    }

    #[test]
    fn column_and_index_names_are_unique_and_paths_served_once() {
        for (i, a) in USER_COLUMNS.iter().enumerate() {
            for b in &USER_COLUMNS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert!(a.index.is_none() || a.index != b.index, "{}", a.name);
                assert!(a.serves.is_none() || a.serves != b.serves, "{}", a.name);
            }
        }
        assert_eq!(
            serving(&["userName"]).map(|c| c.name),
            Some("user_name_fold")
        );
        assert_eq!(
            serving(&[ENTERPRISE_USER, "department"]).map(|c| c.name),
            Some("department_fold")
        );
        assert_eq!(serving(&["title"]), None);
    }
}
