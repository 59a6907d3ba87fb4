//! Resolved filters to SQL (RFC 7644 §3.4.2.2 evaluated by SQLite/D1), always parameterised.
//!
//! One exhaustive `match` over the resolved tree. Every leaf renders as an expression that is
//! never NULL (a missing value compares false, and `not` inverts it correctly), and `co`/`sw`/`ew`
//! use `instr`/`substr` rather than LIKE, so `%` and `_` in a value are literal and D1's 50-byte
//! LIKE pattern limit does not apply (DESIGN §9). Values that filters read come from the folded
//! document (`u.folded`) or from columns; `emails` equality is answered from the `user_emails`
//! index.

use super::Value;
use crate::scim::filter::resolve::{Lit, Resolved, Shape, Target};
use crate::scim::filter::CompareOp;
use crate::tenant_of_token;

/// A SQL boolean expression over `users u` and its parameters, numbered from the `first` given.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    pub sql: String,
    pub params: Vec<Value>,
}

/// A JSON path (`$."name"."familyName"`) for keys the schema defines (attribute names and
/// attribute ids: letters, digits, `_`, `-`, `$`, `:`, `.`), quoted so that URNs work.
pub fn json_path(keys: &[String]) -> String {
    let mut p = String::from("$");
    for k in keys {
        debug_assert!(!k.contains('"') && !k.contains('\''), "unsafe JSON key {k}");
        p.push_str(&format!(".\"{k}\""));
    }
    p
}

struct Builder {
    next: usize,
    params: Vec<Value>,
    aliases: usize,
}

impl Builder {
    fn param(&mut self, v: Value) -> String {
        let n = self.next;
        self.next += 1;
        self.params.push(v);
        format!("?{n}")
    }

    fn lit(&mut self, lit: &Lit) -> String {
        let v = match lit {
            Lit::Bool(b) => Value::Int(*b as i64),
            Lit::Int(i) => Value::Int(*i),
            Lit::Real(f) => Value::Real(*f),
            Lit::Text(s) => Value::Text(s.clone()),
        };
        self.param(v)
    }
}

/// The expression that reads a target. `elem` is the alias of the current `json_each` row.
fn read(target: &Target, elem: Option<&str>) -> String {
    match target {
        Target::Column(c) => format!("u.{c}"),
        Target::Doc(keys) => format!("json_extract(u.folded, '{}')", json_path(keys)),
        Target::Elem(key) => match elem {
            Some(e) => format!("json_extract({e}.value, '{}')", json_path(std::slice::from_ref(key))),
            None => "NULL".to_string(),
        },
    }
}

/// Renders `filter` with parameters numbered from `?first`.
pub fn filter_sql(filter: &Resolved, first: usize) -> Where {
    let mut b = Builder { next: first, params: Vec::new(), aliases: 0 };
    let sql = render(filter, &mut b, None);
    Where { sql, params: b.params }
}

fn render(f: &Resolved, b: &mut Builder, elem: Option<&str>) -> String {
    match f {
        Resolved::And(x, y) => format!("({} AND {})", render(x, b, elem), render(y, b, elem)),
        Resolved::Or(x, y) => format!("({} OR {})", render(x, b, elem), render(y, b, elem)),
        Resolved::Not(x) => format!("(NOT {})", render(x, b, elem)),
        Resolved::Const(true) => "1".to_string(),
        Resolved::Const(false) => "0".to_string(),
        Resolved::Present { target, shape } => {
            let x = read(target, elem);
            match (shape, target) {
                (Shape::Multi, Target::Doc(keys)) => {
                    format!("(coalesce(json_array_length(u.folded, '{}'), 0) > 0)", json_path(keys))
                }
                (Shape::Complex, _) => format!("({x} IS NOT NULL)"),
                _ => format!("({x} IS NOT NULL AND {x} <> '')"),
            }
        }
        Resolved::Compare { target, op, value } => {
            let x = read(target, elem);
            compare(&x, *op, value, b)
        }
        Resolved::Any { array, filter } => {
            if let Some(sql) = emails_lookup(array, filter, b) {
                return sql;
            }
            b.aliases += 1;
            let alias = format!("e{}", b.aliases);
            let inner = render(filter, b, Some(&alias));
            format!("EXISTS (SELECT 1 FROM json_each(u.folded, '{}') {alias} WHERE {inner})", json_path(array))
        }
    }
}

fn compare(x: &str, op: CompareOp, value: &Lit, b: &mut Builder) -> String {
    use CompareOp::*;
    match op {
        Eq => format!("({x} IS NOT NULL AND {x} = {})", b.lit(value)),
        Ne => format!("({x} IS NULL OR {x} <> {})", b.lit(value)),
        Gt => format!("({x} IS NOT NULL AND {x} > {})", b.lit(value)),
        Ge => format!("({x} IS NOT NULL AND {x} >= {})", b.lit(value)),
        Lt => format!("({x} IS NOT NULL AND {x} < {})", b.lit(value)),
        Le => format!("({x} IS NOT NULL AND {x} <= {})", b.lit(value)),
        Co => format!("({x} IS NOT NULL AND instr({x}, {}) > 0)", b.lit(value)),
        Sw | Ew => {
            let chars = match value {
                Lit::Text(s) => s.chars().count() as i64,
                _ => 0,
            };
            let n = b.param(Value::Int(chars));
            let v = b.lit(value);
            if op == Sw {
                format!("({x} IS NOT NULL AND substr({x}, 1, {n}) = {v})")
            } else {
                format!("({x} IS NOT NULL AND length({x}) >= {n} AND substr({x}, length({x}) - {n} + 1) = {v})")
            }
        }
    }
}

/// `emails` conditions that are equalities on `value` (and perhaps `type`): answered from the
/// `user_emails` index instead of reading every user's document.
fn emails_lookup(array: &[String], filter: &Resolved, b: &mut Builder) -> Option<String> {
    if array != ["emails"] {
        return None;
    }
    let mut eqs: Vec<(&str, &str)> = Vec::new();
    if !collect_eqs(filter, &mut eqs) {
        return None;
    }
    let value = eqs.iter().find(|(k, _)| *k == "value")?.1;
    let types: Vec<&str> = eqs.iter().filter(|(k, _)| *k == "type").map(|(_, v)| *v).collect();
    if types.len() > 1 || eqs.len() != 1 + types.len() {
        return None;
    }
    let mut sql = format!(
        "u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {} AND ue.value_fold = {}",
        tenant_of_token!(),
        b.param(Value::Text(value.to_string()))
    );
    if let Some(t) = types.first() {
        sql.push_str(&format!(" AND ue.type_fold = {}", b.param(Value::Text(t.to_string()))));
    }
    sql.push(')');
    Some(sql)
}

/// Whether `f` is a conjunction of text equalities on element keys; collects them.
fn collect_eqs<'a>(f: &'a Resolved, out: &mut Vec<(&'a str, &'a str)>) -> bool {
    match f {
        Resolved::And(x, y) => collect_eqs(x, out) && collect_eqs(y, out),
        Resolved::Compare { target: Target::Elem(key), op: CompareOp::Eq, value: Lit::Text(v) }
            if key == "value" || key == "type" =>
        {
            out.push((key.as_str(), v.as_str()));
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse_filter, resolve::resolve, Limits};
    use crate::scim::tenant::TenantSchema;

    fn sql(filter: &str) -> (String, Vec<Value>) {
        let f = resolve(&parse_filter(filter, &Limits::DEFAULT).unwrap(), &TenantSchema::default()).unwrap();
        let w = filter_sql(&f, 2);
        (w.sql, w.params)
    }
    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }
    const TENANT: &str = tenant_of_token!();

    #[test]
    fn resolved_filters_render_to_sql_and_parameters() {
        let table: Vec<(&str, String, Vec<Value>)> = vec![
            (
                "userName eq \"Bjensen\"",
                "(u.user_name_fold IS NOT NULL AND u.user_name_fold = ?2)".into(),
                vec![t("bjensen")],
            ),
            (
                "externalId eq \"x\" and id ne \"y\"",
                "((u.external_id IS NOT NULL AND u.external_id = ?2) AND (u.id IS NULL OR u.id <> ?3))".into(),
                vec![t("x"), t("y")],
            ),
            (
                "emails.value eq \"A@x\"",
                format!("u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {TENANT} AND ue.value_fold = ?2)"),
                vec![t("a@x")],
            ),
            (
                "emails[type eq \"work\"].value eq \"a@x\"",
                format!("u.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = {TENANT} AND ue.value_fold = ?2 AND ue.type_fold = ?3)"),
                vec![t("a@x"), t("work")],
            ),
            (
                "emails[type eq \"work\" and value co \"@example.com\"]",
                "EXISTS (SELECT 1 FROM json_each(u.folded, '$.\"emails\"') e1 WHERE ((json_extract(e1.value, '$.\"type\"') IS NOT NULL AND json_extract(e1.value, '$.\"type\"') = ?2) AND (json_extract(e1.value, '$.\"value\"') IS NOT NULL AND instr(json_extract(e1.value, '$.\"value\"'), ?3) > 0)))".into(),
                vec![t("work"), t("@example.com")],
            ),
            (
                "name.familyName sw \"O'\"",
                "(json_extract(u.folded, '$.\"name\".\"familyName\"') IS NOT NULL AND substr(json_extract(u.folded, '$.\"name\".\"familyName\"'), 1, ?2) = ?3)".into(),
                vec![Value::Int(2), t("o'")],
            ),
            (
                "title ew \"%_\"",
                "(json_extract(u.folded, '$.\"title\"') IS NOT NULL AND length(json_extract(u.folded, '$.\"title\"')) >= ?2 AND substr(json_extract(u.folded, '$.\"title\"'), length(json_extract(u.folded, '$.\"title\"')) - ?2 + 1) = ?3)".into(),
                vec![Value::Int(2), t("%_")],
            ),
            ("active eq false", "(u.active IS NOT NULL AND u.active = ?2)".into(), vec![Value::Int(0)]),
            (
                "not (title pr)",
                "(NOT (json_extract(u.folded, '$.\"title\"') IS NOT NULL AND json_extract(u.folded, '$.\"title\"') <> ''))".into(),
                vec![],
            ),
            ("emails pr", "(coalesce(json_array_length(u.folded, '$.\"emails\"'), 0) > 0)".into(), vec![]),
            ("meta.resourceType eq \"User\"", "1".into(), vec![]),
            (
                "meta.created ge \"2026-01-01T00:00:00+01:00\"",
                "(u.created IS NOT NULL AND u.created >= ?2)".into(),
                vec![t("2025-12-31T23:00:00.000Z")],
            ),
        ];
        for (filter, expected_sql, expected_params) in table {
            let (s, p) = sql(filter);
            assert_eq!(s, expected_sql, "{filter}");
            assert_eq!(p, expected_params, "{filter}");
        }
    }
}
