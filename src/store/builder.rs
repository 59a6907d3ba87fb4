//! The one way statements are written: [`Sql`] binds each value and hands back its numbered
//! placeholder, so no `?N` is ever written by hand and a statement's text and parameters
//! cannot drift apart (SQLite binds a missing `?N` as NULL, so a shifted number would fail
//! quietly). D1 has positional parameters only (`?N`, no names), and at most 100 of them per
//! statement (DESIGN §9).
//!
//! It also owns tenant scoping in SQL (DESIGN §9): [`Sql::tenant_of_token`] is the subquery
//! through which every SCIM statement reaches its tenant's rows, so a revoked token, a disabled
//! tenant or another tenant's id never reaches a row, and the token check needs no round trip
//! of its own.
//!
//! This is the only file under `src/` that writes `?` followed by a digit (a test checks).

use super::{Stmt, Value};
use crate::model::{TenantId, TokenHash};
use std::borrow::Cow;
use std::fmt;

/// A bound value's placeholder, `?N`: write it into the statement's text as often as needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param(usize);

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "?{}", self.0)
    }
}

/// The parameters of one statement being written.
#[derive(Debug, Default)]
pub struct Sql {
    params: Vec<Value>,
    token: Option<Param>,
    tenant: Option<Param>,
}

/// Whose rows a statement reaches: a SCIM request's, through its token (so a revoked token or a
/// disabled tenant reaches none), or a tenant's named by id (the operator's and the jobs').
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope<'a> {
    Token(&'a TokenHash),
    Tenant(&'a TenantId),
}

impl<'a> From<&'a TokenHash> for Scope<'a> {
    fn from(hash: &'a TokenHash) -> Scope<'a> {
        Scope::Token(hash)
    }
}

impl<'a> From<&'a TenantId> for Scope<'a> {
    fn from(tenant: &'a TenantId) -> Scope<'a> {
        Scope::Tenant(tenant)
    }
}

impl Sql {
    pub fn new() -> Sql {
        Sql::default()
    }

    /// Binds `value`; its placeholder is numbered in binding order.
    pub fn bind(&mut self, value: impl Into<Value>) -> Param {
        self.params.push(value.into());
        Param(self.params.len())
    }

    /// How many values are bound so far (D1 allows 100 per statement).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The values bound so far, in placeholder order.
    pub fn bound(&self) -> &[Value] {
        &self.params
    }

    /// The tenant of the live token whose hash is `hash` (not revoked, tenant enabled), or
    /// NULL: a scalar subquery. The hash is bound once per statement, however often the
    /// subquery appears.
    pub fn tenant_of_token(&mut self, hash: &TokenHash) -> String {
        let token = self.token_hash(hash);
        format!(
            "(SELECT tk.tenant_id FROM tokens tk JOIN tenants tn ON tn.id = tk.tenant_id \
             WHERE tk.hash = {token} AND tk.revoked_at IS NULL AND tn.active = 1)"
        )
    }

    /// The tenant of a statement's scope: the live token's tenant (a SCIM request), or the
    /// tenant named by id while it exists (the operator's and the jobs' writes, for instance a
    /// restore); NULL otherwise. Bound once per statement.
    pub fn tenant(&mut self, scope: Scope<'_>) -> String {
        match scope {
            Scope::Token(hash) => self.tenant_of_token(hash),
            Scope::Tenant(tenant) => {
                let t = match self.tenant {
                    Some(p) => p,
                    None => {
                        let p = self.bind(tenant);
                        self.tenant = Some(p);
                        p
                    }
                };
                format!("(SELECT tn.id FROM tenants tn WHERE tn.id = {t})")
            }
        }
    }

    /// The id of the scope's token (what the activity log records), or NULL when the write is
    /// not a token's.
    pub fn token_id(&mut self, scope: Scope<'_>) -> String {
        match scope {
            Scope::Token(hash) => {
                let token = self.token_hash(hash);
                format!("(SELECT id FROM tokens WHERE hash = {token})")
            }
            Scope::Tenant(_) => "NULL".to_string(),
        }
    }

    /// The request's token hash, bound once per statement.
    pub fn token_hash(&mut self, hash: &TokenHash) -> Param {
        match self.token {
            Some(p) => p,
            None => {
                let p = self.bind(hash.as_str());
                self.token = Some(p);
                p
            }
        }
    }

    /// The statement: `text` with the placeholders this builder handed out. Every value bound
    /// must appear in the text (SQLite refuses to bind a number beyond the highest it sees);
    /// debug builds check it.
    pub fn stmt(self, text: impl Into<Cow<'static, str>>) -> Stmt {
        let sql = text.into();
        debug_assert!(
            (1..=self.params.len()).all(|n| mentions(&sql, n)),
            "a bound value is missing from the statement: {sql}"
        );
        Stmt {
            sql,
            params: self.params,
        }
    }
}

/// Whether `sql` writes the placeholder `?n` (not as the start of a longer number).
fn mentions(sql: &str, n: usize) -> bool {
    let p = format!("?{n}");
    sql.match_indices(&p).any(|(at, _)| {
        !sql[at + p.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order_and_reusable() {
        let mut q = Sql::new();
        let a = q.bind("a");
        let b = q.bind(7i64);
        let stmt = q.stmt(format!("SELECT {a}, {b}, {a}"));
        assert_eq!(stmt.sql, "SELECT ?1, ?2, ?1");
        assert_eq!(stmt.params, vec![Value::from("a"), Value::Int(7)]);
    }

    #[test]
    fn the_token_hash_is_bound_once_per_statement() {
        let mut q = Sql::new();
        let id = q.bind("u1");
        let hash = TokenHash::of("t");
        let t1 = q.tenant_of_token(&hash);
        let t2 = q.tenant_of_token(&hash);
        assert_eq!(t1, t2);
        assert!(t1.contains("tk.hash = ?2"), "{t1}");
        let stmt = q.stmt(format!("SELECT {t1}, {id}"));
        assert_eq!(stmt.params.len(), 2);
    }

    /// No statement outside this file numbers its own placeholders (expected SQL in a file's
    /// tests module is allowed).
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn no_hand_written_placeholders_outside_the_builder() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("store/builder.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Tests (at the end of a file) may spell the SQL they expect.
                    let code = text.split("\nmod tests {").next().unwrap_or("");
                    for (n, line) in code.lines().enumerate() {
                        let bytes = line.as_bytes();
                        if bytes
                            .windows(2)
                            .any(|w| w[0] == b'?' && w[1].is_ascii_digit())
                        {
                            found.push(format!("{}:{}: {line}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "hand-numbered placeholders:\n{}",
            found.join("\n")
        );
    }
}
