//! The substring index (issue 22, migration 0018): `co`, `sw` and `ew` with a pattern of
//! [`MIN_CHARS`] characters or more, on the attributes it covers ([`COVERED`]: userName, the
//! emails' values, the name's parts, displayName, employeeNumber), find their candidates by
//! trigram in the FTS5 table `user_substrings` instead of reading every employee of the tenant.
//! Triggers on `users` keep it (the migration says how); this module says what a filter asks of
//! it, and how what purged employees left in it goes.
//!
//! **The scan's answer, exactly.** A value that contains, starts or ends with the pattern
//! contains each of the pattern's trigrams, so the employees whose column holds all of them (up
//! to [`MAX_TRIGRAMS`], spread over the pattern) are a superset of the matches; `list_sql` keeps
//! the filter's own comparison next to the lookup, and it decides on every candidate. Both
//! compare the same folded text (the index is case-sensitive over values folded already), so
//! case-insensitivity, Unicode folding, emails' several values, `not`, `%`, `_` and `\` mean
//! what they meant (a host property test compares the ids with those of the scan). One or two
//! characters have no trigram: they still compare every employee of the tenant.
//!
//! **Tenants.** The lookup's candidates are rows of `users` (by rowid), and the statement keeps
//! those of its tenant by their `tenant_id`, as for every filter: the index alone decides
//! nothing. The index's own `tenant` column holds a tag of the tenant ([`tenant_tag`]: the last
//! four characters of its id, two trigrams) that the lookup also asks for, so that a trigram
//! common in other tenants' employees costs a small tenant nothing: the tag narrows, the
//! `tenant_id` decides.
//!
//! **Plans.** The candidates drive the statement (rowid lookups in the order of the index, the
//! comparison on each), so its time follows the number of candidates, not the tenant's size.
//! Two things would tempt SQLite, which has no statistics, to walk the tenant instead: the
//! statement's `u.tenant_id = ...`, which [`super::list_sql::Where::tenant`] then writes
//! `+u.tenant_id = ...` (the same condition, which no index answers), and the index on a
//! compared column, which the comparison reads as `+u.<column>`.
//!
//! **Purged employees.** An FTS5 deletion leaves the row's trigrams in older segments until a
//! merge meets them. A purge therefore owes the index a compaction ([`owe_compaction_if`], in the
//! purge's own batch), which `app::compaction` pays ([`compaction`]: every segment merged into
//! one, which holds the rows that exist and nothing else).

use super::batch::Query;
use super::builder::Sql;
use super::Stmt;
use crate::scim::columns;
use crate::scim::datetime::Timestamp;
use crate::scim::filter::resolve::{Lit, Resolved, Target};
use crate::scim::filter::CompareOp;
use crate::scim::schema::ENTERPRISE_USER;

/// The FTS5 table.
pub const TABLE: &str = "user_substrings";

/// Shortest pattern the index answers, in characters (Unicode scalar values, as SQLite's
/// trigram tokenizer counts them): one trigram.
pub const MIN_CHARS: usize = 3;

/// Most trigrams of one pattern a lookup asks for: the first, the last and evenly spaced ones
/// between. More would narrow the candidates little and cost every lookup.
pub const MAX_TRIGRAMS: usize = 8;

/// An attribute the index covers: the attribute path filters name (document keys), and the
/// index column that holds its folded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covered {
    pub path: &'static [&'static str],
    pub column: &'static str,
}

/// What the index covers; the index's columns are `tenant` and these, in this order (a host
/// test compares them with the migrated table). The emails' values are one column, one value a
/// line (emails hold no control characters).
pub static COVERED: &[Covered] = &[
    Covered {
        path: &["userName"],
        column: "user_name",
    },
    Covered {
        path: &["name", "givenName"],
        column: "given_name",
    },
    Covered {
        path: &["name", "middleName"],
        column: "middle_name",
    },
    Covered {
        path: &["name", "familyName"],
        column: "family_name",
    },
    Covered {
        path: &["name", "formatted"],
        column: "formatted",
    },
    Covered {
        path: &["displayName"],
        column: "display_name",
    },
    Covered {
        path: &[ENTERPRISE_USER, "employeeNumber"],
        column: "employee_number",
    },
    Covered {
        path: &["emails", "value"],
        column: "emails",
    },
];

/// The index column of the tenant's tag.
pub const TENANT_COLUMN: &str = "tenant";

/// The index column that holds the attribute at `path`.
fn covering(path: &[&str]) -> Option<&'static str> {
    COVERED.iter().find(|c| c.path == path).map(|c| c.column)
}

/// The index column that holds what `target` reads, when the index covers it: a column of
/// `users` by the attribute it serves, a document value by its keys.
fn column_of(target: &Target) -> Option<&'static str> {
    match target {
        Target::Column(c) => covering(columns::named(c)?.serves?),
        Target::Doc(keys) => {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            covering(&keys)
        }
        Target::Elem(_) => None,
    }
}

/// A lookup in the index: the employees whose `column` holds every one of `terms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    column: &'static str,
    terms: Vec<String>,
}

/// Whether `op` compares substrings.
fn substring_op(op: CompareOp) -> bool {
    matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

/// The trigrams a lookup for `pattern` asks for: at most [`MAX_TRIGRAMS`] of the pattern's,
/// the first and the last among them, none twice; `None` below [`MIN_CHARS`]. Trigrams with a
/// NUL are left out (an FTS5 query is NUL-terminated text): the others still occur in every
/// value that holds the pattern.
fn trigrams(pattern: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    if chars.len() < MIN_CHARS {
        return None;
    }
    let all: Vec<String> = chars
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| !t.contains('\0'))
        .collect();
    let mut picked: Vec<String> = Vec::new();
    let n = all.len();
    for i in 0..n.min(MAX_TRIGRAMS) {
        // Evenly spaced, the first and the last included.
        let at = if n <= MAX_TRIGRAMS {
            i
        } else {
            i * (n - 1) / (MAX_TRIGRAMS - 1)
        };
        if !picked.contains(&all[at]) {
            picked.push(all[at].clone());
        }
    }
    (!picked.is_empty()).then_some(picked)
}

impl Lookup {
    /// The lookup that answers a comparison of `target` with `op` and `value`, when the index
    /// can: a substring operator, a covered attribute, a text of [`MIN_CHARS`] or more.
    pub fn of_compare(target: &Target, op: CompareOp, value: &Lit) -> Option<Lookup> {
        let Lit::Text(pattern) = value else {
            return None;
        };
        if !substring_op(op) {
            return None;
        }
        Some(Lookup {
            column: column_of(target)?,
            terms: trigrams(pattern)?,
        })
    }

    /// The lookup that narrows "some element of `array` matches `filter`", when the index can:
    /// `filter` requires a substring of a covered sub-attribute (a substring comparison of it,
    /// alone or in a conjunction; the longest such pattern is asked for).
    pub fn of_any(array: &[String], filter: &Resolved) -> Option<Lookup> {
        let column = |key: &str| {
            let mut path: Vec<&str> = array.iter().map(String::as_str).collect();
            path.push(key);
            covering(&path)
        };
        let (column, pattern) = required_substring(filter, &column)?;
        Some(Lookup {
            column,
            terms: trigrams(pattern)?,
        })
    }

    /// The lookup as a SELECT of the rowids of `users` whose indexed column holds every
    /// trigram, in the tenant's tag. One parameter (the trigrams, as an FTS5 query); the tag is
    /// computed in SQL from `tenant`.
    fn select(&self, q: &mut Sql, tenant: &str) -> String {
        let terms = self
            .terms
            .iter()
            .map(|t| format!("{} : \"{}\"", self.column, t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ");
        let terms = q.bind(terms);
        format!(
            "SELECT f.rowid FROM {TABLE} f WHERE f.{TABLE} MATCH ({} || {terms})",
            tag_terms(tenant)
        )
    }

    /// How many trigrams it asks for (more: likely fewer candidates).
    fn strength(&self) -> usize {
        self.terms.len()
    }
}

/// The users a filter can match, as lookups in the index (their union), when every match is
/// in them: a lookup answers a substring comparison (or an element's), an `and` takes the
/// stronger side's, an `or` needs both sides'. `None`: some match may be outside the index's
/// reach (`not`, a short pattern, an attribute it does not cover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates(Vec<Lookup>);

impl Candidates {
    pub fn of(filter: &Resolved) -> Option<Candidates> {
        match filter {
            Resolved::Compare { target, op, value } => {
                Lookup::of_compare(target, *op, value).map(|l| Candidates(vec![l]))
            }
            Resolved::Any { array, filter } => {
                Lookup::of_any(array, filter).map(|l| Candidates(vec![l]))
            }
            Resolved::And(a, b) => match (Candidates::of(a), Candidates::of(b)) {
                (Some(x), Some(y)) => Some(if y.better_than(&x) { y } else { x }),
                (x, y) => x.or(y),
            },
            Resolved::Or(a, b) => {
                let (mut x, y) = (Candidates::of(a)?, Candidates::of(b)?);
                for l in y.0 {
                    if !x.0.contains(&l) {
                        x.0.push(l);
                    }
                }
                Some(x)
            }
            _ => None,
        }
    }

    /// Fewer lookups (a union reads each), then more trigrams.
    fn better_than(&self, other: &Candidates) -> bool {
        let weakest = |c: &Candidates| c.0.iter().map(Lookup::strength).min().unwrap_or(0);
        (self.0.len(), usize::MAX - weakest(self)) < (other.0.len(), usize::MAX - weakest(other))
    }

    /// The condition on `users u`: its rowid among the candidates (the tag of the tenant
    /// `tenant`, SQL, narrowing them). One parameter a lookup. Which of them are the tenant's
    /// is the statement's own tenant condition on `u` ([`super::list_sql::Where::tenant`]).
    pub fn sql(&self, q: &mut Sql, tenant: &str) -> String {
        let selects: Vec<String> = self.0.iter().map(|l| l.select(q, tenant)).collect();
        format!("u.rowid IN ({})", selects.join(" UNION "))
    }
}

/// A substring every element matching `filter` holds in an indexed sub-attribute, with that
/// sub-attribute's index column (`column` names it, for the sub-attribute's key). A
/// conjunction requires what either side requires (the longer pattern is kept); nothing else
/// requires a substring.
fn required_substring<'f>(
    filter: &'f Resolved,
    column: &dyn Fn(&str) -> Option<&'static str>,
) -> Option<(&'static str, &'f str)> {
    match filter {
        Resolved::Compare {
            target: Target::Elem(key),
            op,
            value: Lit::Text(pattern),
        } if substring_op(*op) && pattern.chars().count() >= MIN_CHARS => {
            Some((column(key)?, pattern.as_str()))
        }
        Resolved::And(a, b) => match (required_substring(a, column), required_substring(b, column))
        {
            (Some(l), Some(r)) if r.1.chars().count() > l.1.chars().count() => Some(r),
            (l, r) => l.or(r),
        },
        _ => None,
    }
}

/// The tag of a tenant the index stores (`tenant` column), as SQL over an expression: the last
/// four characters of the id, after padding, so that every tag has two trigrams.
pub fn tenant_tag(tenant: &str) -> String {
    format!("substr('____' || {tenant}, -4)")
}

/// The FTS5 query text that asks for the tenant's tag, as SQL over the tenant expression (once),
/// ending with ` AND ` (a NULL tenant, a revoked token's, asks for the padding: no row of it
/// passes the join). A quote in an id is doubled, as FTS5 strings want.
fn tag_terms(tenant: &str) -> String {
    let tag = |from: u8| format!("replace(substr(g, {from}, 3), '\"', '\"\"')");
    format!(
        "(SELECT '{TENANT_COLUMN} : \"' || {} || '\" AND {TENANT_COLUMN} : \"' || {} || '\" AND ' \
         FROM (SELECT {} AS g))",
        tag(1),
        tag(2),
        tenant_tag(&format!("coalesce({tenant}, '')"))
    )
}

/// The table of the compaction the index owes.
const COMPACTION: &str = "user_substrings_compaction";

/// Records that the index owes a compaction (since `now`, unless it owed one already) if the
/// SQL condition `condition` holds, its parameters bound in `q`: in the batch of a purge,
/// before the statement that deletes employees for good, on the condition that there are some.
pub fn owe_compaction_if(mut q: Sql, condition: &str, now: Timestamp) -> Stmt {
    let now = q.bind(now);
    q.stmt(format!(
        "INSERT INTO {COMPACTION} (id, owed_since) SELECT 1, {now} WHERE {condition} \
         ON CONFLICT (id) DO NOTHING"
    ))
}

/// Whether the index owes a compaction (1) or not (0).
pub fn compaction_owed() -> Query<i64> {
    Query::count(Stmt::new(
        format!("SELECT count(*) AS n FROM {COMPACTION}"),
        vec![],
    ))
}

/// The compaction, if owed: FTS5's `optimize`, which merges every segment into one. A segment
/// that merges every other keeps no deleted row and no deletion marker.
pub fn compaction() -> Stmt {
    Stmt::new(
        format!(
            "INSERT INTO {TABLE} ({TABLE}) SELECT 'optimize' WHERE EXISTS (SELECT 1 FROM {COMPACTION})"
        ),
        vec![],
    )
}

/// Clears the debt, after [`compaction`] in the same batch.
pub fn finish_compaction() -> Stmt {
    Stmt::new(format!("DELETE FROM {COMPACTION}"), vec![])
}

/// How many segments the index has (each has entries in its b-tree table, `%_idx`): for tests
/// and the runbook.
pub fn segments() -> Query<i64> {
    Query::count(Stmt::new(
        format!("SELECT count(DISTINCT segid) AS n FROM {TABLE}_idx"),
        vec![],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse_filter, resolve::resolve, Limits};
    use crate::scim::tenant::TenantSchema;

    fn lookup(filter: &str) -> Option<Lookup> {
        let f = resolve(
            &parse_filter(filter, &Limits::DEFAULT).unwrap(),
            &TenantSchema::default(),
        )
        .unwrap();
        match &f {
            Resolved::Compare { target, op, value } => Lookup::of_compare(target, *op, value),
            Resolved::Any { array, filter } => Lookup::of_any(array, filter),
            _ => None,
        }
    }

    fn terms(column: &'static str, t: &[&str]) -> Option<Lookup> {
        Some(Lookup {
            column,
            terms: t.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Which comparisons the index answers, with which trigrams (of the folded literal).
    #[test]
    fn substring_comparisons_of_covered_attributes_become_lookups() {
        let table: Vec<(&str, Option<Lookup>)> = vec![
            ("userName co \"Ann\"", terms("user_name", &["ann"])),
            ("name.familyName sw \"Berg\"", terms("family_name", &["ber", "erg"])),
            ("name[familyName ew \"berg\"]", terms("family_name", &["ber", "erg"])),
            ("name.givenName co \"ÅSA\"", terms("given_name", &["åsa"])),
            ("displayName co \"Straße\"", terms("display_name", &["str", "tra", "ras", "ass", "sse"])),
            ("name.formatted co \"a\\\"b\"", terms("formatted", &["a\"b"])),
            ("employeeNumber ew \"%_\\\\\"", terms("employee_number", &["%_\\"])),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber co \"701\"", terms("employee_number", &["701"])),
            ("emails co \"@Example\"", terms("emails", &["@ex", "exa", "xam", "amp", "mpl", "ple"])),
            ("emails.value ew \"x.org\"", terms("emails", &["x.o", ".or", "org"])),
            ("emails[type eq \"work\" and value co \"abc\"]", terms("emails", &["abc"])),
            ("emails[value sw \"ab\" and value co \"abcd\"]", terms("emails", &["abc", "bcd"])),
            ("name.middleName co \"lee\"", terms("middle_name", &["lee"])),
            // Too short, not a substring operator, not covered, or not required of the value.
            ("userName co \"an\"", None),
            ("userName eq \"ann\"", None),
            ("title co \"engineer\"", None),
            ("emails.type co \"work\"", None),
            ("emails[type eq \"work\" or value co \"abc\"]", None),
            ("emails[not (value co \"abc\")]", None),
            ("externalId co \"abc\"", None),
        ];
        for (filter, expected) in table {
            assert_eq!(lookup(filter), expected, "{filter}");
        }
    }

    fn candidates(filter: &str) -> Option<Vec<&'static str>> {
        let f = resolve(
            &parse_filter(filter, &Limits::DEFAULT).unwrap(),
            &TenantSchema::default(),
        )
        .unwrap();
        Candidates::of(&f).map(|c| c.0.iter().map(|l| l.column).collect())
    }

    /// Which filters have their candidates in the index, from which lookups: `and` takes the
    /// side with fewer lookups, then more trigrams; `or` needs both sides' (a lookup once);
    /// `not`, short patterns and other attributes none.
    #[test]
    fn filters_find_their_candidates_in_the_index_when_every_match_is_there() {
        let table: Vec<(&str, Option<Vec<&str>>)> = vec![
            ("name.familyName co \"berg\"", Some(vec!["family_name"])),
            (
                "name.familyName co \"berg\" and title co \"x\"",
                Some(vec!["family_name"]),
            ),
            (
                "userName co \"ann\" and name.familyName co \"berg\"",
                Some(vec!["family_name"]),
            ),
            (
                "name.familyName co \"ber\" and userName co \"anna\"",
                Some(vec!["user_name"]),
            ),
            (
                "(userName co \"ann\" or emails co \"ann\") and displayName co \"xyz\"",
                Some(vec!["display_name"]),
            ),
            (
                "userName co \"ann\" or emails co \"ann\"",
                Some(vec!["user_name", "emails"]),
            ),
            (
                "userName co \"ann\" or userName co \"ann\"",
                Some(vec!["user_name"]),
            ),
            ("userName co \"ann\" or title co \"ann\"", None),
            ("userName co \"ann\" or userName co \"an\"", None),
            ("not (userName co \"ann\")", None),
            (
                "not (userName co \"ann\") and emails co \"@ex\"",
                Some(vec!["emails"]),
            ),
            ("active eq true", None),
        ];
        for (filter, expected) in table {
            assert_eq!(candidates(filter), expected, "{filter}");
        }
    }

    #[test]
    fn long_patterns_ask_for_evenly_spaced_trigrams_first_and_last_included() {
        let t = trigrams("abcdefghijklmnopqrstuvwxyz").unwrap();
        assert_eq!(t.len(), MAX_TRIGRAMS);
        assert_eq!(t.first().map(String::as_str), Some("abc"));
        assert_eq!(t.last().map(String::as_str), Some("xyz"));
        assert_eq!(trigrams("aaaaaa").unwrap(), vec!["aaa".to_string()]);
        assert_eq!(trigrams("ab"), None);
        // Characters, not bytes: three non-ASCII characters are one trigram.
        assert_eq!(trigrams("ÅÄÖ").unwrap(), vec!["ÅÄÖ".to_string()]);
        assert_eq!(trigrams("a\0b"), None);
        assert_eq!(trigrams("a\0bcd").unwrap(), vec!["bcd".to_string()]);
    }

    #[test]
    fn the_lookup_binds_one_fts5_query_with_quotes_doubled() {
        let mut q = Sql::new();
        let l = lookup("name.formatted co \"a\\\"b\"").unwrap();
        let sql = Candidates(vec![l]).sql(&mut q, "'tnt_x'");
        assert_eq!(
            q.bound(),
            &[super::super::Value::Text("formatted : \"a\"\"b\"".into())]
        );
        assert!(sql.starts_with("u.rowid IN (SELECT f.rowid FROM user_substrings f WHERE f.user_substrings MATCH ((SELECT"), "{sql}");
        assert!(sql.contains("coalesce('tnt_x', '')"), "{sql}");
        assert!(sql.ends_with(" || ?1))"), "{sql}");
    }
}
