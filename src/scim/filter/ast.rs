//! The syntax tree of a SCIM filter (RFC 7644 §3.4.2.2) and of a PATCH path
//! (RFC 7644 §3.5.2), and its two renderings: SCIM syntax (`Display`) and a compact
//! S-expression (`sexpr`) for tests and logs.
//!
//! The tree is schema-free: attribute paths are kept exactly as written (case included)
//! and values keep their JSON type. Resolving paths against a schema, case-folding, and
//! deciding what a comparison means for an attribute's type all happen elsewhere.
//!
//! `Display` is the inverse of the parser: for every tree the parser produces,
//! `parse_filter(&f.to_string())` gives back `f`. It prints only the parentheses the tree's
//! shape needs, so the printed form nests no deeper than the text it was parsed from (with
//! one exception, see [`Filter::ValuePath`]). It can be longer, though (`1E5` prints as
//! `100000.0`), so text that just fit `Limits::max_len` may not fit again once printed.
//!
//! Rendering recurses over the tree; the parser bounds how deep a tree can get
//! (`Limits::max_depth` for groups, `Limits::max_terms` for `and`/`or` chains).

use std::fmt;

/// An attribute path as written: optional schema URN, attribute name, optional sub-attribute.
/// Case is preserved as written; resolution against a schema happens elsewhere.
///
/// RFC 7644 §3.4.2.2: `attrPath = [URI ":"] ATTRNAME *1subAttr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path of a bare attribute name, with no URN and no sub-attribute.
    pub fn name(name: impl Into<String>) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }
}

/// The attribute operators of RFC 7644 §3.4.2.2, Table 3, other than `pr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// Every operator, in the order RFC 7644 Table 3 lists them.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The operator's keyword in lower case, as SCIM writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator a keyword names, in any case (`eq`, `EQ`, `Eq`).
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| word.eq_ignore_ascii_case(op.as_str()))
    }
}

/// A comparison value: RFC 7644 §3.4.2.2 `compValue = false / null / true / number / string`,
/// with the JSON rules of RFC 7159. Dates are strings here.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
}

/// A filter expression (RFC 7644 §3.4.2.2, Figure 1).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath SP compareOp SP compValue`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath SP "pr"`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `"not" "(" FILTER ")"`
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: `path` has no `sub`; the inner filter's paths are relative to it.
    ///
    /// The parser also builds this from Microsoft Entra's `emails[type eq "work"].value eq "x"`,
    /// which the RFC grammar lacks, as `emails[type eq "work" and value eq "x"]`. That is what
    /// `Display` prints; when the bracket filter is an `or`, the printed form needs one more
    /// level of parentheses than the form that was parsed.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation path (RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`).
///
/// `attr.sub` and `sub` are never both present: `name.givenName` puts `givenName` in
/// `attr.sub`, while `emails[type eq "work"].value` puts `value` in `sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JSON text, as RFC 7644 §3.4.2.2 writes comparison values.
impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::Str(s) => {
                let json = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                f.write_str(&json)
            }
        }
    }
}

impl Filter {
    fn is_logical(&self) -> bool {
        matches!(self, Filter::And(..) | Filter::Or(..))
    }
}

/// SCIM filter syntax, with `and` binding tighter than `or` and both associating to the left
/// (RFC 7644 §3.4.2.2): an operand is parenthesized only where the tree's shape needs it.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(left, right) => {
                write_operand(f, left, matches!(**left, Filter::Or(..)))?;
                f.write_str(" and ")?;
                write_operand(f, right, right.is_logical())
            }
            Filter::Or(left, right) => {
                write_operand(f, left, false)?;
                f.write_str(" or ")?;
                write_operand(f, right, matches!(**right, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, operand: &Filter, parenthesize: bool) -> fmt::Result {
    if parenthesize {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

/// RFC 7644 §3.5.2 path syntax: `attrPath`, or `valuePath` with an optional `.subAttr`.
impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A compact S-expression of a filter, for tests and logs:
/// `(or (eq userName "bjensen") (pr title))`, `(not (pr b))`,
/// `(valuepath emails (eq type "work"))`. Paths print as written, values as JSON.
pub fn sexpr(filter: &Filter) -> String {
    match filter {
        Filter::Compare { path, op, value } => format!("({op} {path} {value})"),
        Filter::Present(path) => format!("(pr {path})"),
        Filter::And(left, right) => format!("(and {} {})", sexpr(left), sexpr(right)),
        Filter::Or(left, right) => format!("(or {} {})", sexpr(left), sexpr(right)),
        Filter::Not(inner) => format!("(not {})", sexpr(inner)),
        Filter::ValuePath { path, filter } => format!("(valuepath {path} {})", sexpr(filter)),
    }
}
