//! Queries to SQL, pure: resolved filters (RFC 7644 §3.4.2.2), sort orders (§3.4.2.3) and
//! cursor positions (RFC 9865) become SQL text and parameters that SQLite/D1 evaluate. Nothing
//! is evaluated in the worker; every value a client sent is a bound parameter.
//!
//! Filters: one exhaustive `match` over the resolved tree. Every leaf renders as an expression
//! that is never NULL (a missing value compares false, and `not` inverts it correctly), and
//! `co`/`sw`/`ew` use `instr`/`substr` rather than LIKE, so `%` and `_` in a value are literal
//! and D1's 50-byte LIKE pattern limit does not apply (DESIGN §9). Values that filters read come
//! from the folded document (`u.folded`) or from columns; `emails` equality is answered from the
//! `user_emails` index; employee references ([`Resolved::Refers`]) from `employee_refs`,
//! naming the employee as writes do ([`employee_named`]). A substring comparison of three
//! characters or more on an attribute the substring index covers (`store::substrings`) is
//! that comparison and a lookup in the index, which finds its candidates: the comparison still
//! decides, so the answer is the one [`scan_filter_sql`] (the comparisons alone) gives.
//!
//! Everything is rendered into the statement's own [`Sql`] builder, which numbers the
//! parameters. D1 allows 100 bound parameters and 100 KB of SQL per statement (DESIGN §9). A
//! filter costs at most two parameters per comparison (two only for a substring comparison the
//! index answers, and for an employee reference whose folded literal differs from the
//! literal), and [`filter_sql`] refuses (400
//! `invalidFilter`) one whose SQL or parameters would not leave room for the rest of its
//! statement ([`FILTER_MAX_PARAMS`], [`FILTER_MAX_SQL_BYTES`]); the parser's limits keep real
//! filters well below both. (An employee reference renders to about 1 KB of SQL, so a filter
//! of forty of them, the parser's most, is refused; twenty fit.)
//!
//! Which columns exist, which are indexed and which are never NULL comes from the column table
//! (`scim::columns`).
//!
//! Orders: by the sort value, then by `id`, with users that have no value last when ascending
//! (RFC 7644 §3.4.2.3); a descending order is exactly the reverse. [`Order::keyset`] renders the
//! condition "after this position" for cursor pages, which an index can answer without OFFSET.

use super::builder::Sql;
use super::substrings::{Candidates, Lookup};
use super::Value;
use crate::model::TokenHash;
use crate::scim::columns;
use crate::scim::error::ScimError;
use crate::scim::filter::resolve::{Lit, Resolved, Shape, Target};
use crate::scim::filter::CompareOp;
use crate::scim::list::{CursorPos, Sort, SortKey};

/// Parameters a filter may use: D1's 100 less what its statements bind besides (the token hash,
/// a cursor position's value and id, LIMIT and OFFSET), with room to spare.
pub const FILTER_MAX_PARAMS: usize = 90;
/// SQL a filter may render to: the statement around it and its count both stay far below D1's
/// 100 KB.
pub const FILTER_MAX_SQL_BYTES: usize = 40_000;

/// A SQL boolean expression over `users u`, its parameters bound in the statement's builder.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    pub sql: String,
    /// Whether an index lookup finds the few rows that can match (see [`selective`]).
    pub selective: bool,
    /// Whether its candidates are rows the substring index names (`substrings::Candidates`).
    looked_up: bool,
    /// When they are: the condition without the candidates, which decides on each user (`sql`
    /// is the candidates AND this), for a page that walks the order's index instead.
    decides: Option<String>,
}

impl Where {
    /// No condition: every user of the tenant.
    pub fn all() -> Where {
        Where {
            sql: "1".into(),
            selective: false,
            looked_up: false,
            decides: None,
        }
    }

    /// When the substring index names the candidates: the condition that decides on each user
    /// without them (the same text and parameters as in [`Where::sql`]).
    pub fn decides(&self) -> Option<&str> {
        self.decides.as_deref()
    }

    /// Whether its candidates are the rows the substring index names (then every user of the
    /// tenant may be one).
    pub fn looked_up(&self) -> bool {
        self.looked_up
    }

    /// The statement's condition that `users u` is the tenant's (`tenant`, SQL), to write
    /// before this filter: `u.tenant_id = <tenant>`, or, when the substring index names the
    /// candidates, `+u.tenant_id = <tenant>` (the same condition, which no index answers: else
    /// SQLite, without statistics, would walk the tenant's rows rather than look them up).
    pub fn tenant(&self, tenant: &str) -> String {
        let plus = if self.looked_up { "+" } else { "" };
        format!("{plus}u.tenant_id = {tenant}")
    }
}

/// Whether `users.<column>` has an index on `(tenant_id, column)` (the primary key for `id`).
fn indexed(column: &str) -> bool {
    column == "id" || columns::named(column).is_some_and(|c| c.index.is_some())
}

/// Whether `users.<column>` is NOT NULL: no "no value" case to compare or order.
fn never_null(column: &str) -> bool {
    columns::named(column).is_some_and(|c| c.not_null)
}

/// Whether every user the filter can match is found by an index lookup: an equality on an
/// indexed column or an `emails` lookup, in every branch of an `or`, in some side of an `and`;
/// else candidates the substring index finds (`substrings::Candidates`). These are the
/// look-ups IdPs make (`userName eq`, `externalId eq`, `id eq`,
/// `emails[type eq "work"].value eq`), and searches (`name.familyName co "berg"`). A page of them is sorted after the lookup; without this
/// knowledge SQLite, which has no statistics and guesses that a tenant has few users, would
/// rather walk the order's index through the whole tenant and test every row.
pub fn selective(f: &Resolved) -> bool {
    by_equalities(f) || Candidates::of(f).is_some()
}

/// [`selective`] by equalities alone (the substring index aside): then no candidates are looked
/// up in it, the equality's index finds the rows.
fn by_equalities(f: &Resolved) -> bool {
    match f {
        Resolved::Compare {
            target: Target::Column(c),
            op: CompareOp::Eq,
            ..
        } => indexed(c),
        Resolved::Any { array, filter } => is_emails_lookup(array, filter),
        Resolved::And(a, b) => by_equalities(a) || by_equalities(b),
        Resolved::Or(a, b) => by_equalities(a) && by_equalities(b),
        Resolved::Const(false) => true,
        _ => false,
    }
}

/// A JSON path (`$."name"."familyName"`) for keys the schema defines (attribute names and
/// attribute ids), quoted so that URNs work. The path is SQL text, not a parameter (that would
/// spend D1's parameters), so a key with any other character is refused as a bug.
pub fn json_path(keys: &[String]) -> Result<String, ScimError> {
    let mut p = String::from("$");
    for k in keys {
        p.push_str(&format!(".\"{}\"", schema_key(k)?));
    }
    Ok(p)
}

/// A key the schema defines (an attribute name or id), checked to be safe as SQL text.
fn schema_key(k: &str) -> Result<&str, ScimError> {
    let safe = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$'));
    if safe {
        Ok(k)
    } else {
        Err(ScimError::Internal(format!("unsafe JSON key {k:?}")))
    }
}

fn lit_value(lit: &Lit) -> Value {
    match lit {
        Lit::Bool(b) => Value::Int(i64::from(*b)),
        Lit::Int(i) => Value::Int(*i),
        Lit::Real(f) => Value::Real(*f),
        Lit::Text(s) => Value::Text(s.clone()),
    }
}

/// A filter being rendered into a statement.
struct Render<'q> {
    q: &'q mut Sql,
    hash: &'q TokenHash,
    /// `json_each` aliases used so far.
    aliases: usize,
    /// Whether the filter's candidates are looked up in the substring index: the columns its
    /// substring comparisons read are then read as `+u.<column>`, the same value that no index
    /// answers (otherwise SQLite, without statistics, would rather walk such a column's index
    /// for `IS NOT NULL` than look the candidates up).
    looked_up: bool,
}

impl Render<'_> {
    fn param(&mut self, v: Value) -> String {
        self.q.bind(v).to_string()
    }
}

/// The expression that reads a target. `elem` is the alias of the current `json_each` row.
fn read(target: &Target, elem: Option<&str>) -> Result<String, ScimError> {
    Ok(match target {
        Target::Column(c) => format!("u.{c}"),
        Target::Doc(keys) => format!("json_extract(u.folded, '{}')", json_path(keys)?),
        Target::Elem(key) => match elem {
            Some(e) => format!(
                "json_extract({e}.value, '{}')",
                json_path(std::slice::from_ref(key))?
            ),
            None => {
                return Err(ScimError::Internal(
                    "element target outside a value filter".into(),
                ))
            }
        },
    })
}

/// Renders `filter` into the statement `q` (whose tenant is the token's with `hash`); 400
/// `invalidFilter` when it would not fit in a D1 statement.
pub fn filter_sql(filter: &Resolved, q: &mut Sql, hash: &TokenHash) -> Result<Where, ScimError> {
    render_where(filter, q, hash, true)
}

/// [`filter_sql`] without the substring index: each substring comparison reads every user of
/// the tenant. What filters rendered to before the index, and the reference its tests compare
/// the indexed SQL with.
pub fn scan_filter_sql(
    filter: &Resolved,
    q: &mut Sql,
    hash: &TokenHash,
) -> Result<Where, ScimError> {
    render_where(filter, q, hash, false)
}

fn render_where(
    filter: &Resolved,
    q: &mut Sql,
    hash: &TokenHash,
    substrings: bool,
) -> Result<Where, ScimError> {
    let before = q.len();
    let by_equalities = by_equalities(filter);
    let candidates = Candidates::of(filter).filter(|_| substrings && !by_equalities);
    let mut b = Render {
        q,
        hash,
        aliases: 0,
        looked_up: candidates.is_some(),
    };
    let sql = render(filter, &mut b, None)?;
    // The candidates found by the index, and the filter deciding on each.
    let candidates_sql = candidates.is_some();
    let (sql, decides) = match candidates {
        Some(c) => {
            let tenant = q.tenant_of_token(hash);
            (format!("({} AND {sql})", c.sql(q, &tenant)), Some(sql))
        }
        None => (sql, None),
    };
    let params = q.len() - before;
    if params > FILTER_MAX_PARAMS || sql.len() > FILTER_MAX_SQL_BYTES {
        return Err(ScimError::InvalidFilter(format!(
            "The filter is too large to evaluate: it needs {params} values and {} bytes of SQL, more than {FILTER_MAX_PARAMS} \
             and {FILTER_MAX_SQL_BYTES}; split it into several requests",
            sql.len()
        )));
    }
    Ok(Where {
        selective: by_equalities || candidates_sql,
        looked_up: candidates_sql,
        sql,
        decides,
    })
}

/// The filter of a query, or every user.
pub fn optional_filter_sql(
    filter: Option<&Resolved>,
    q: &mut Sql,
    hash: &TokenHash,
) -> Result<Where, ScimError> {
    match filter {
        None => Ok(Where::all()),
        Some(f) => filter_sql(f, q, hash),
    }
}

fn render(f: &Resolved, b: &mut Render<'_>, elem: Option<&str>) -> Result<String, ScimError> {
    Ok(match f {
        Resolved::And(x, y) => format!("({} AND {})", render(x, b, elem)?, render(y, b, elem)?),
        Resolved::Or(x, y) => format!("({} OR {})", render(x, b, elem)?, render(y, b, elem)?),
        Resolved::Not(x) => format!("(NOT {})", render(x, b, elem)?),
        Resolved::Const(true) => "1".to_string(),
        Resolved::Const(false) => "0".to_string(),
        Resolved::Present { target, shape } => {
            let x = read(target, elem)?;
            match (shape, target) {
                (Shape::Multi, Target::Doc(keys)) => {
                    format!(
                        "(coalesce(json_array_length(u.folded, '{}'), 0) > 0)",
                        json_path(keys)?
                    )
                }
                (Shape::Complex, _) => format!("({x} IS NOT NULL)"),
                // RFC 7644 §3.4.2.2 `pr`: "If the attribute has a non-empty value".
                _ => format!("({x} IS NOT NULL AND {x} <> '')"),
            }
        }
        Resolved::Compare { target, op, value } => {
            let never_null = matches!(target, Target::Column(c) if never_null(c));
            let x = read(target, elem)?;
            let x = match target {
                Target::Column(_)
                    if b.looked_up && Lookup::of_compare(target, *op, value).is_some() =>
                {
                    format!("+{x}")
                }
                _ => x,
            };
            compare(&x, never_null, *op, value, b)
        }
        Resolved::Refers {
            attribute,
            value,
            folded,
        } => {
            let tenant = b.q.tenant_of_token(b.hash);
            let v = b.param(Value::Text(value.clone()));
            // One parameter when folding changes nothing (ids, most emails).
            let f = if folded == value {
                v.clone()
            } else {
                b.param(Value::Text(folded.clone()))
            };
            // The attribute id is the schema's: SQL text, like the keys of `json_path`.
            let attribute = schema_key(attribute)?;
            format!(
                "u.id IN (SELECT r.user_id FROM employee_refs r WHERE r.tenant_id = {tenant} \
                 AND r.attribute_id = '{attribute}' AND (r.target_id = {} OR r.pending_fold = {f}))",
                employee_named(&tenant, &v, &f)
            )
        }
        Resolved::Any { array, filter } => {
            if let Some(sql) = emails_lookup(array, filter, b) {
                return Ok(sql);
            }
            b.aliases += 1;
            let alias = format!("e{}", b.aliases);
            let inner = render(filter, b, Some(&alias))?;
            format!(
                "EXISTS (SELECT 1 FROM json_each(u.folded, '{}') {alias} WHERE {inner})",
                json_path(array)?
            )
        }
    })
}

/// The employee of the tenant `tenant` (SQL) that a reference to `value` names (DESIGN §4):
/// the one with that SCIM id, else the one with that userName (`folded`, the value folded),
/// else the earliest created with that email; NULL when none. Writes resolve references with
/// it (`users::set_refs`) and filters compare them with it, so both read a value alike.
pub fn employee_named(tenant: &str, value: &str, folded: &str) -> String {
    format!(
        "coalesce(\
         (SELECT t.id FROM users t WHERE t.tenant_id = {tenant} AND t.id = {value}), \
         (SELECT t.id FROM users t WHERE t.tenant_id = {tenant} AND t.user_name_fold = {folded}), \
         (SELECT t.id FROM user_emails e JOIN users t ON t.tenant_id = e.tenant_id AND t.id = e.user_id \
         WHERE e.tenant_id = {tenant} AND e.value_fold = {folded} ORDER BY t.created, t.id LIMIT 1)\
         )"
    )
}

/// A comparison that is never NULL. `never_null`: `x` is a NOT NULL column, so plain operators
/// are never NULL either (and an `or` of equalities on it becomes an indexed `IN`).
fn compare(x: &str, never_null: bool, op: CompareOp, value: &Lit, b: &mut Render<'_>) -> String {
    use CompareOp::*;
    // Every string contains, starts and ends with the empty string.
    if matches!((op, value), (Co | Sw | Ew, Lit::Text(s)) if s.is_empty()) {
        return format!("({x} IS NOT NULL)");
    }
    let v = b.param(lit_value(value));
    if never_null {
        let sql_op = match op {
            Eq => "=",
            Ne => "<>",
            Gt => ">",
            Ge => ">=",
            Lt => "<",
            Le => "<=",
            Co => return format!("(instr({x}, {v}) > 0)"),
            Sw | Ew => "",
        };
        if !sql_op.is_empty() {
            return format!("({x} {sql_op} {v})");
        }
    }
    match op {
        // `IS` is `=` that is never NULL (the literal never is); SQLite uses indexes for it.
        Eq => format!("({x} IS {v})"),
        Ne => format!("({x} IS NOT {v})"),
        Gt => format!("({x} IS NOT NULL AND {x} > {v})"),
        Ge => format!("({x} IS NOT NULL AND {x} >= {v})"),
        Lt => format!("({x} IS NOT NULL AND {x} < {v})"),
        Le => format!("({x} IS NOT NULL AND {x} <= {v})"),
        Co => format!("({x} IS NOT NULL AND instr({x}, {v}) > 0)"),
        // The length is the literal's, in characters as SQLite counts them; computed here, it
        // is SQL text rather than one more parameter. `substr(x, -n)` is the last n characters.
        Sw | Ew => {
            let n = match value {
                Lit::Text(s) => s.chars().count(),
                _ => 0,
            };
            if op == Sw {
                format!("({x} IS NOT NULL AND substr({x}, 1, {n}) = {v})")
            } else {
                format!("({x} IS NOT NULL AND substr({x}, -{n}) = {v})")
            }
        }
    }
}

/// `emails` conditions that are equalities on `value` (and perhaps `type`): answered from the
/// `user_emails` index instead of reading every user's document.
fn emails_lookup(array: &[String], filter: &Resolved, b: &mut Render<'_>) -> Option<String> {
    let (value, types) = emails_equalities(array, filter)?;
    let tenant = b.q.tenant_of_token(b.hash);
    let mut sql = format!(
        "u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {tenant} AND ue.value_fold = {}",
        b.param(Value::Text(value.to_string()))
    );
    if let Some(t) = types.first() {
        sql.push_str(&format!(
            " AND ue.type_fold = {}",
            b.param(Value::Text(t.to_string()))
        ));
    }
    sql.push(')');
    Some(sql)
}

/// The `value` and (at most one) `type` an `emails` condition looks up, if it is such a lookup.
fn emails_equalities<'a>(
    array: &[String],
    filter: &'a Resolved,
) -> Option<(&'a str, Vec<&'a str>)> {
    if array != ["emails"] {
        return None;
    }
    let mut eqs: Vec<(&str, &str)> = Vec::new();
    if !collect_eqs(filter, &mut eqs) {
        return None;
    }
    let value = eqs.iter().find(|(k, _)| *k == "value")?.1;
    let types: Vec<&str> = eqs
        .iter()
        .filter(|(k, _)| *k == "type")
        .map(|(_, v)| *v)
        .collect();
    if types.len() > 1 || eqs.len() != 1 + types.len() {
        return None;
    }
    Some((value, types))
}

fn is_emails_lookup(array: &[String], filter: &Resolved) -> bool {
    emails_equalities(array, filter).is_some()
}

/// Whether `f` is a conjunction of text equalities on element keys; collects them.
fn collect_eqs<'a>(f: &'a Resolved, out: &mut Vec<(&'a str, &'a str)>) -> bool {
    match f {
        Resolved::And(x, y) => collect_eqs(x, out) && collect_eqs(y, out),
        Resolved::Compare {
            target: Target::Elem(key),
            op: CompareOp::Eq,
            value: Lit::Text(v),
        } if key == "value" || key == "type" => {
            out.push((key.as_str(), v.as_str()));
            true
        }
        _ => false,
    }
}

/// A sort order in SQL, over `users u`.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The sort value; `None` when only the `id` tie-break orders.
    value: Option<String>,
    nullable: bool,
    descending: bool,
}

impl Order {
    pub fn new(sort: &Sort) -> Result<Order, ScimError> {
        let (value, nullable) = match &sort.key {
            SortKey::Constant => (None, false),
            SortKey::Target(t @ Target::Column(c)) => (Some(read(t, None)?), !never_null(c)),
            SortKey::Target(t) => (Some(read(t, None)?), true),
            SortKey::Primary { array, sub } => {
                let sub = json_path(std::slice::from_ref(sub))?;
                let value = format!(
                    "(SELECT json_extract(s.value, '{sub}') FROM json_each(u.folded, '{}') s \
                     ORDER BY coalesce(json_extract(s.value, '$.\"primary\"'), 0) DESC, s.key LIMIT 1)",
                    json_path(array)?
                );
                (Some(value), true)
            }
        };
        Ok(Order {
            value,
            nullable,
            descending: sort.descending,
        })
    }

    /// The sort value of a row, for a cursor (`NULL` when there is none).
    pub fn value_sql(&self) -> &str {
        self.value.as_deref().unwrap_or("NULL")
    }

    /// The ORDER BY terms; `reverse` for a backward page. `sorted` orders by expressions
    /// (`+u.created`) that no index provides, so that SQLite finds the rows by the filter's
    /// index and sorts them (for a [`selective`] filter).
    pub fn by(&self, reverse: bool, sorted: bool) -> String {
        let dir = if self.descending != reverse {
            " DESC"
        } else {
            ""
        };
        let plus = if sorted { "+" } else { "" };
        match (&self.value, self.nullable) {
            (None, _) => format!("{plus}u.id{dir}"),
            (Some(x), false) => format!("{plus}{x}{dir}, {plus}u.id{dir}"),
            // `x IS NULL` is 0 or 1: users without a value after the others (ascending).
            (Some(x), true) => format!("({x} IS NULL){dir}, {plus}{x}{dir}, {plus}u.id{dir}"),
        }
    }

    /// The rows after `pos` in the order of its page (forward, or backward for a
    /// `previousCursor`), `pos` itself included if it says so; its parameters bound in `q`.
    pub fn keyset(&self, pos: &CursorPos, q: &mut Sql) -> String {
        // "After", in the direction the page reads: a descending order reads downwards, and so
        // does an ascending one read backwards.
        let down = self.descending != pos.backward;
        let after = if down { "<" } else { ">" };
        let id_cmp = if pos.inclusive {
            format!("{after}=")
        } else {
            after.to_string()
        };
        let key = match (&self.value, &pos.key) {
            (None, _) => None,
            (Some(_), serde_json::Value::String(s)) => Some(q.bind(s.as_str())),
            (Some(_), serde_json::Value::Number(n)) => Some(
                q.bind(
                    n.as_i64()
                        .map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Int),
                ),
            ),
            (Some(_), _) => None,
        };
        let id = q.bind(pos.id.as_str());
        match (&self.value, self.nullable, key) {
            (None, _, _) => format!("(u.id {id_cmp} {id})"),
            // A row value comparison: SQLite answers it from an index on (value, id).
            (Some(x), false, Some(k)) => format!("(({x}, u.id) {id_cmp} ({k}, {id}))"),
            // A position without a value where every row has one (a cursor of another query
            // would not get here: its fingerprint differs): nothing follows it.
            (Some(_), false, None) => "0".to_string(),
            // Users without a value come after all others when reading up, before all others
            // when reading down.
            (Some(x), true, None) if !down => format!("({x} IS NULL AND u.id {id_cmp} {id})"),
            (Some(x), true, None) => format!("({x} IS NOT NULL OR u.id {id_cmp} {id})"),
            (Some(x), true, Some(k)) if !down => {
                format!("({x} IS NULL OR {x} {after} {k} OR ({x} = {k} AND u.id {id_cmp} {id}))")
            }
            (Some(x), true, Some(k)) => {
                format!(
                    "({x} IS NOT NULL AND ({x} {after} {k} OR ({x} = {k} AND u.id {id_cmp} {id})))"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse_filter, resolve::resolve, Limits};
    use crate::scim::list::SortOrder;
    use crate::scim::tenant::TenantSchema;
    use serde_json::json;

    fn sql(filter: &str) -> (String, Vec<Value>) {
        let f = resolve(
            &parse_filter(filter, &Limits::DEFAULT).unwrap(),
            &TenantSchema::default(),
        )
        .unwrap();
        render_filter(&f)
    }
    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn hash() -> TokenHash {
        TokenHash::of("scim_token")
    }

    /// A statement's builder with the token bound first, as every SCIM statement binds it.
    fn statement() -> Sql {
        let mut q = Sql::new();
        q.token_hash(&hash());
        q
    }

    /// A filter's SQL and the parameters it bound (after the token's).
    fn render_filter(f: &Resolved) -> (String, Vec<Value>) {
        let mut q = statement();
        let w = filter_sql(f, &mut q, &hash()).unwrap();
        (w.sql, q.bound()[1..].to_vec())
    }

    fn tenant() -> String {
        statement().tenant_of_token(&hash())
    }

    /// The substring index's lookup of the FTS5 query bound as `terms` (`store::substrings`).
    fn lookup(terms: &str) -> String {
        let tenant = tenant();
        format!(
            "u.rowid IN (SELECT f.rowid FROM user_substrings f \
             WHERE f.user_substrings MATCH ((SELECT 'tenant : \"' || replace(substr(g, 1, 3), '\"', '\"\"') \
             || '\" AND tenant : \"' || replace(substr(g, 2, 3), '\"', '\"\"') || '\" AND ' \
             FROM (SELECT substr('____' || coalesce({tenant}, ''), -4) AS g)) || {terms}))"
        )
    }

    #[test]
    fn resolved_filters_render_to_sql_and_parameters() {
        let table: Vec<(&str, String, Vec<Value>)> = vec![
            (
                "userName eq \"Bjensen\"",
                "(u.user_name_fold = ?2)".into(),
                vec![t("bjensen")],
            ),
            (
                "externalId eq \"x\" and id ne \"y\"",
                "((u.external_id IS ?2) AND (u.id <> ?3))".into(),
                vec![t("x"), t("y")],
            ),
            (
                "emails.value eq \"A@x\"",
                format!("u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {} AND ue.value_fold = ?2)", tenant()),
                vec![t("a@x")],
            ),
            (
                "emails[type eq \"work\"].value eq \"a@x\"",
                format!("u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {} AND ue.value_fold = ?2 AND ue.type_fold = ?3)", tenant()),
                vec![t("a@x"), t("work")],
            ),
            (
                "emails[type eq \"work\" and value co \"@example.com\"]",
                format!("({} AND EXISTS (SELECT 1 FROM json_each(u.folded, '$.\"emails\"') e1 WHERE ((json_extract(e1.value, '$.\"type\"') IS ?2) AND (json_extract(e1.value, '$.\"value\"') IS NOT NULL AND instr(json_extract(e1.value, '$.\"value\"'), ?3) > 0))))", lookup("?4")),
                vec![
                    t("work"),
                    t("@example.com"),
                    t("emails : \"@ex\" AND emails : \"exa\" AND emails : \"xam\" AND emails : \"amp\" AND emails : \"ple\" AND emails : \"le.\" AND emails : \"e.c\" AND emails : \"com\""),
                ],
            ),
            // Two characters: no trigram, the comparison alone.
            (
                "emails co \"@x\"",
                "EXISTS (SELECT 1 FROM json_each(u.folded, '$.\"emails\"') e1 WHERE (json_extract(e1.value, '$.\"value\"') IS NOT NULL AND instr(json_extract(e1.value, '$.\"value\"'), ?2) > 0))".into(),
                vec![t("@x")],
            ),
            (
                "userName co \"Ann\"",
                format!("({} AND (instr(+u.user_name_fold, ?2) > 0))", lookup("?3")),
                vec![t("ann"), t("user_name : \"ann\"")],
            ),
            (
                "name.familyName sw \"O'\"",
                "(u.family_name_fold IS NOT NULL AND substr(u.family_name_fold, 1, 2) = ?2)".into(),
                vec![t("o'")],
            ),
            (
                "name.formatted sw \"O'\"",
                "(json_extract(u.folded, '$.\"name\".\"formatted\"') IS NOT NULL AND substr(json_extract(u.folded, '$.\"name\".\"formatted\"'), 1, 2) = ?2)".into(),
                vec![t("o'")],
            ),
            (
                "title ew \"%_\"",
                "(json_extract(u.folded, '$.\"title\"') IS NOT NULL AND substr(json_extract(u.folded, '$.\"title\"'), -2) = ?2)".into(),
                vec![t("%_")],
            ),
            ("title co \"\"", "(json_extract(u.folded, '$.\"title\"') IS NOT NULL)".into(), vec![]),
            (
                "displayName ew \"Straße\"",
                format!("({} AND (json_extract(u.folded, '$.\"displayName\"') IS NOT NULL AND substr(json_extract(u.folded, '$.\"displayName\"'), -7) = ?2))", lookup("?3")),
                vec![t("strasse"), t("display_name : \"str\" AND display_name : \"tra\" AND display_name : \"ras\" AND display_name : \"ass\" AND display_name : \"sse\"")],
            ),
            // Not covered: the comparison alone.
            (
                "title co \"Engineer\"",
                "(json_extract(u.folded, '$.\"title\"') IS NOT NULL AND instr(json_extract(u.folded, '$.\"title\"'), ?2) > 0)".into(),
                vec![t("engineer")],
            ),
            ("active eq false", "(u.active = ?2)".into(), vec![Value::Int(0)]),
            (
                "not (title pr)",
                "(NOT (json_extract(u.folded, '$.\"title\"') IS NOT NULL AND json_extract(u.folded, '$.\"title\"') <> ''))".into(),
                vec![],
            ),
            ("emails pr", "(coalesce(json_array_length(u.folded, '$.\"emails\"'), 0) > 0)".into(), vec![]),
            ("meta.resourceType eq \"User\"", "1".into(), vec![]),
            ("meta pr", "1".into(), vec![]),
            (
                "meta.created ge \"2026-01-01T00:00:00+01:00\"",
                "(u.created >= ?2)".into(),
                vec![t("2025-12-31T23:00:00.000Z")],
            ),
            (
                "meta.lastModified lt \"2026-01-01\"",
                "(u.last_modified < ?2)".into(),
                vec![t("2026-01-01T00:00:00.000Z")],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"M1\"",
                "(u.manager_fold IS ?2)".into(),
                vec![t("m1")],
            ),
            // The manager compared as a whole is its value (issue 14), by either name.
            (
                "manager eq 2819C223",
                "(u.manager_fold IS ?2)".into(),
                vec![t("2819c223")],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager ne \"M1\"",
                "(u.manager_fold IS NOT ?2)".into(),
                vec![t("m1")],
            ),
            (
                "manager pr",
                "(u.manager_fold IS NOT NULL AND u.manager_fold <> '')".into(),
                vec![],
            ),
        ];
        for (filter, expected_sql, expected_params) in table {
            let (s, p) = sql(filter);
            assert_eq!(s, expected_sql, "{filter}");
            assert_eq!(p, expected_params, "{filter}");
        }
    }

    #[test]
    fn the_largest_filters_the_parser_allows_fit_in_a_d1_statement() {
        // The most expensive comparison there is (a document value, three times in `ew`), as
        // many times as the parser allows.
        let term = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter ew \"x\"";
        let text = vec![term; Limits::DEFAULT.max_terms].join(" or ");
        let text = if text.chars().count() > Limits::DEFAULT.max_len {
            vec!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division ew \"x\""; 40]
                .join(" or ")
        } else {
            text
        };
        let f = parse_filter(
            &text,
            &Limits {
                max_len: usize::MAX,
                ..Limits::DEFAULT
            },
        )
        .unwrap();
        let (sql, params) = render_filter(&resolve(&f, &TenantSchema::default()).unwrap());
        assert_eq!(params.len(), Limits::DEFAULT.max_terms);
        assert!(sql.len() <= FILTER_MAX_SQL_BYTES, "{} bytes", sql.len());
        // The most expensive the substring index answers: a document value with its lookup
        // (two parameters), as many times as the parser allows, each pattern another.
        let text = (0..Limits::DEFAULT.max_terms)
            .map(|i| format!("name.formatted ew \"x{i:02}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        let f = parse_filter(&text, &Limits::DEFAULT).unwrap();
        let (sql, params) = render_filter(&resolve(&f, &TenantSchema::default()).unwrap());
        assert_eq!(params.len(), 2 * Limits::DEFAULT.max_terms);
        assert!(sql.len() <= FILTER_MAX_SQL_BYTES, "{} bytes", sql.len());
    }

    #[test]
    fn filters_beyond_the_d1_budget_are_refused_as_invalid_filters() {
        let roomy = Limits {
            max_len: usize::MAX,
            max_depth: 16,
            max_terms: 1000,
        };
        let budget = |n: usize| {
            let text = vec!["userName eq \"x\""; n].join(" or ");
            let mut q = statement();
            filter_sql(
                &resolve(
                    &parse_filter(&text, &roomy).unwrap(),
                    &TenantSchema::default(),
                )
                .unwrap(),
                &mut q,
                &hash(),
            )
            .map(|_| q.len() - 1)
        };
        assert_eq!(budget(FILTER_MAX_PARAMS).unwrap(), FILTER_MAX_PARAMS);
        let err = budget(FILTER_MAX_PARAMS + 1).unwrap_err();
        assert!(
            matches!(&err, ScimError::InvalidFilter(d) if d.contains("91 values")),
            "{err:?}"
        );
        // A document value (no column of its own): the longest SQL per term.
        let long =
            vec!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr"; 200]
                .join(" or ");
        let err = filter_sql(
            &resolve(
                &parse_filter(&long, &roomy).unwrap(),
                &TenantSchema::default(),
            )
            .unwrap(),
            &mut statement(),
            &hash(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, ScimError::InvalidFilter(d) if d.contains("bytes of SQL")),
            "{err:?}"
        );
    }

    #[test]
    fn json_keys_outside_the_schema_alphabet_are_refused() {
        assert_eq!(
            json_path(&["a:b.c-d_$1".into()]).unwrap(),
            "$.\"a:b.c-d_$1\""
        );
        for bad in ["x'y", "x\"y", "", "é"] {
            assert!(
                matches!(json_path(&[bad.into()]), Err(ScimError::Internal(_))),
                "{bad}"
            );
        }
    }

    /// The tenant's own attributes (DESIGN §4) filter and sort like any other document value,
    /// under their id: numbers as JSON integers, dates as RFC 3339 text, text folded.
    #[test]
    fn custom_attributes_filter_and_sort_by_their_id() {
        use crate::scim::tenant::{CustomAttr, CustomType};
        use std::sync::Arc;
        let custom = |id: &str, name: &str, ty| {
            Arc::new(CustomAttr {
                id: id.into(),
                name: name.into(),
                scim_name: name.replace(' ', "_"),
                ty,
                options: None,
                aliases: vec![],
                active: true,
            })
        };
        let schema = TenantSchema {
            attributes: vec![
                custom("a1", "Employed Since", CustomType::Date),
                custom("a2", "Level", CustomType::Number),
                custom("a3", "Site", CustomType::Text),
                custom("a4", "Boss", CustomType::Employee),
            ],
        };
        let refers = |params: &str| {
            let (v, f) = params.split_once(' ').unwrap_or((params, params));
            let tenant = tenant();
            format!(
                "u.id IN (SELECT r.user_id FROM employee_refs r WHERE r.tenant_id = {tenant} \
                 AND r.attribute_id = 'a4' AND (r.target_id = coalesce(\
                 (SELECT t.id FROM users t WHERE t.tenant_id = {tenant} AND t.id = {v}), \
                 (SELECT t.id FROM users t WHERE t.tenant_id = {tenant} AND t.user_name_fold = {f}), \
                 (SELECT t.id FROM user_emails e JOIN users t ON t.tenant_id = e.tenant_id AND t.id = e.user_id \
                 WHERE e.tenant_id = {tenant} AND e.value_fold = {f} ORDER BY t.created, t.id LIMIT 1)\
                 ) OR r.pending_fold = {f}))"
            )
        };
        let at = |id: &str| {
            format!("json_extract(u.folded, '$.\"urn:ietf:params:scim:schemas:extension:peakon:2.0:User\".\"{id}\"')")
        };
        let table: Vec<(&str, String, Vec<Value>)> = vec![
            (
                "Employed_Since lt \"2020-01-01\"",
                format!("({x} IS NOT NULL AND {x} < ?2)", x = at("a1")),
                vec![t("2020-01-01T00:00:00.000Z")],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:level ge 3",
                format!("({x} IS NOT NULL AND {x} >= ?2)", x = at("a2")),
                vec![Value::Int(3)],
            ),
            (
                "site eq \"Köln\"",
                format!("({} IS ?2)", at("a3")),
                vec![t("köln")],
            ),
            (
                "employed_since pr",
                format!("({x} IS NOT NULL AND {x} <> '')", x = at("a1")),
                vec![],
            ),
            // Employee references compare as the employee they name (issue 14, DESIGN §4):
            // the literal as sent (an id) and folded (a userName or email).
            (
                "Boss eq \"Ann@Example.com\"",
                refers("?2 ?3"),
                vec![t("Ann@Example.com"), t("ann@example.com")],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:boss ne 2819c223",
                format!("(NOT {})", refers("?2")),
                vec![t("2819c223")],
            ),
            (
                "boss pr",
                format!("({x} IS NOT NULL AND {x} <> '')", x = at("a4")),
                vec![],
            ),
        ];
        for (filter, expected_sql, expected_params) in table {
            let f = resolve(&parse_filter(filter, &Limits::DEFAULT).unwrap(), &schema).unwrap();
            assert_eq!(
                render_filter(&f),
                (expected_sql, expected_params),
                "{filter}"
            );
        }
        assert!(
            resolve(
                &parse_filter("level co \"1\"", &Limits::DEFAULT).unwrap(),
                &schema
            )
            .is_err(),
            "numbers take no co"
        );
        // Employee references are the costliest comparison (about 1 KB of SQL): half the
        // parser's terms fit in a D1 statement, all of them are a 400, never a D1 failure.
        let references = |n: usize| {
            let text = vec!["Boss eq \"Ann@Example.com\""; n].join(" or ");
            let f = resolve(&parse_filter(&text, &Limits::DEFAULT).unwrap(), &schema).unwrap();
            let mut q = statement();
            filter_sql(&f, &mut q, &hash()).map(|_| q.len() - 1)
        };
        let half = Limits::DEFAULT.max_terms / 2;
        assert_eq!(references(half).unwrap(), 2 * half);
        let err = references(Limits::DEFAULT.max_terms).unwrap_err();
        assert!(
            matches!(&err, ScimError::InvalidFilter(d) if d.contains("bytes of SQL")),
            "{err:?}"
        );
        let sort = Sort::resolve("Level", SortOrder::Descending, &schema).unwrap();
        let x = at("a2");
        assert_eq!(
            Order::new(&sort).unwrap().by(false, false),
            format!("({x} IS NULL) DESC, {x} DESC, u.id DESC")
        );
    }

    fn order(sort_by: Option<&str>, descending: bool) -> Order {
        let order = if descending {
            SortOrder::Descending
        } else {
            SortOrder::Ascending
        };
        let sort = match sort_by {
            None => Sort::creation(),
            Some(s) => Sort::resolve(s, order, &TenantSchema::default()).unwrap(),
        };
        Order::new(&sort).unwrap()
    }

    /// sortBy, sortOrder → ORDER BY, and the keyset after a position, one line per case.
    #[test]
    fn orders_and_keysets_render_to_sql() {
        let title = "json_extract(u.folded, '$.\"title\"')";
        let pos = |key: serde_json::Value, backward: bool, inclusive: bool| CursorPos {
            backward,
            inclusive,
            key,
            id: "i".into(),
        };
        let table: Vec<(Option<&str>, bool, CursorPos, String, String)> = vec![
            (
                None,
                false,
                pos(json!("2026"), false, false),
                "u.created, u.id".into(),
                "((u.created, u.id) > (?2, ?3))".into(),
            ),
            (
                None,
                false,
                pos(json!("2026"), true, false),
                "u.created, u.id".into(),
                "((u.created, u.id) < (?2, ?3))".into(),
            ),
            (
                Some("userName"),
                true,
                pos(json!("b"), false, true),
                "u.user_name_fold DESC, u.id DESC".into(),
                "((u.user_name_fold, u.id) <= (?2, ?3))".into(),
            ),
            (
                Some("meta.resourceType"),
                false,
                pos(json!(null), false, false),
                "u.id".into(),
                "(u.id > ?2)".into(),
            ),
            (
                Some("title"),
                false,
                pos(json!("t"), false, false),
                format!("({title} IS NULL), {title}, u.id"),
                format!("({title} IS NULL OR {title} > ?2 OR ({title} = ?2 AND u.id > ?3))"),
            ),
            (
                Some("title"),
                false,
                pos(json!(null), false, false),
                format!("({title} IS NULL), {title}, u.id"),
                format!("({title} IS NULL AND u.id > ?2)"),
            ),
            (
                Some("title"),
                true,
                pos(json!("t"), false, false),
                format!("({title} IS NULL) DESC, {title} DESC, u.id DESC"),
                format!("({title} IS NOT NULL AND ({title} < ?2 OR ({title} = ?2 AND u.id < ?3)))"),
            ),
            (
                Some("title"),
                true,
                pos(json!(null), false, false),
                format!("({title} IS NULL) DESC, {title} DESC, u.id DESC"),
                format!("({title} IS NOT NULL OR u.id < ?2)"),
            ),
            (
                Some("title"),
                false,
                pos(json!(null), true, true),
                format!("({title} IS NULL), {title}, u.id"),
                format!("({title} IS NOT NULL OR u.id <= ?2)"),
            ),
        ];
        for (sort_by, descending, pos, by, keyset) in table {
            let o = order(sort_by, descending);
            assert_eq!(o.by(false, false), by, "{sort_by:?} {descending}");
            assert_eq!(
                o.keyset(&pos, &mut statement()),
                keyset,
                "{sort_by:?} {descending} {pos:?}"
            );
        }
        let primary = order(Some("emails"), false);
        assert_eq!(
            primary.value_sql(),
            "(SELECT json_extract(s.value, '$.\"value\"') FROM json_each(u.folded, '$.\"emails\"') s ORDER BY coalesce(json_extract(s.value, '$.\"primary\"'), 0) DESC, s.key LIMIT 1)"
        );
        assert_eq!(
            order(None, false).by(true, false),
            "u.created DESC, u.id DESC"
        );
        assert_eq!(order(None, false).by(false, true), "+u.created, +u.id");
    }
}
