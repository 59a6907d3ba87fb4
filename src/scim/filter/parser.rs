//! A recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2, Figure 1) and PATCH
//! paths (RFC 7644 §3.5.2), over the tokens of [`super::lexer`].
//!
//! The grammar it implements, with `and` binding tighter than `or` and both associating to
//! the left (RFC 7644 §3.4.2.2, "order of operations"):
//!
//! ```text
//! filter     = and-expr *("or" and-expr)
//! and-expr   = term *("and" term)
//! term       = "not" "(" filter ")" / "(" filter ")" / attrPath operation
//!            / attrPath "[" valFilter "]" ["." ATTRNAME operation]
//! operation  = "pr" / compareOp compValue      (compValue: see "Unquoted values" below)
//! valFilter  = filter, with plain attribute names for paths and no further "[...]"
//! patch-path = attrPath / attrPath "[" valFilter "]" ["." ATTRNAME]
//! ```
//!
//! `attrPath "[" valFilter "]" "." ATTRNAME operation` is Microsoft Entra's form, missing
//! from the RFC grammar; it is read as the value path with the comparison and-ed onto its
//! filter.
//!
//! **Unquoted values.** RFC 7644 §3.4.2.2 makes `compValue` a JSON literal
//! (`false / null / true / number / string`), so a string must be quoted. Microsoft's Azure AD
//! SCIM guide prints its lookups unquoted: "GET https://.../scim/Users?filter=externalId eq
//! jyoung" and "GET ~/scim/Users?filter=id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager
//! eq 2819c223-7f76-453a-919d-413861904646&attributes=id" ('Using System for Cross-Domain
//! Identity Management (SCIM) to automatically provision users and groups from Azure Active
//! Directory to applications', MicrosoftDocs/azure-docs
//! `articles/active-directory/active-directory-scim-provisioning.md`, and its localized copies;
//! fixture `entra-azure-ad-scim-provisioning-guide`), and integrators report Entra sending them
//! (langwatch/tasks issue #616). So in a value position a run of characters that is not a JSON
//! literal is read as the string it spells, up to the next whitespace, parenthesis, bracket or
//! end (a GUID, a bare word, an email address):
//!
//! ```text
//! compValue  = false / null / true / number / string / bare
//! bare       = 1*(any character but whitespace, controls, DQUOTE, "(", ")", "[", "]"),
//!              when it is not a number, true, false or null (any case)
//! ```
//!
//! An RFC-valid filter keeps its exact meaning: there every value is a JSON literal, read as
//! before (`eq 42` stays a number, `eq true` a boolean, `eq "42"` a string); only text the
//! RFC refuses reads differently (`eq 12abc` was an invalid number and is now the string
//! `"12abc"`). A JSON number out of range (`1e999`) is still refused. The property test
//! `the_unquoted_leniency_never_changes_an_rfc_valid_filter` holds the parser to this. Keywords are case-insensitive. `not` is always the operator where a term
//! starts, so no attribute there can be called `not`; every other keyword is an attribute
//! name where an attribute path is expected.
//!
//! Only grouping recurses (parentheses, `not`, value-path brackets), and every descent
//! spends one unit of `Limits::max_depth`. `and`/`or` chains are built in loops.
//! Meaning (does `emails` exist, may `gt` apply to a boolean) is left to the caller.

use super::ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
use super::lexer::{Lexer, Token, TokenKind};
use super::{FilterError, Limits};

const EXPECTED_OPERATOR: &str =
    r#"a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr""#;
const EXPECTED_VALUE: &str = "a value (a string, number, true, false or null)";
const EXPECTED_TERM: &str = r#"an attribute path, "(" or "not""#;

/// See [`super::parse_filter`].
pub(super) fn parse_filter(input: &str, limits: &Limits) -> Result<Filter, FilterError> {
    check_input(input, limits, "filter")?;
    let mut parser = Parser::new(input, limits);
    let filter = parser.filter(Scope::Absolute)?;
    parser.close(Close::End)?;
    Ok(filter)
}

/// [`parse_filter`] without the unquoted values: the RFC 7644 grammar alone, for the tests
/// that hold the leniency to changing nothing the RFC allows.
#[cfg(test)]
pub(super) fn parse_filter_rfc(input: &str, limits: &Limits) -> Result<Filter, FilterError> {
    check_input(input, limits, "filter")?;
    let mut parser = Parser::new(input, limits);
    parser.unquoted = false;
    let filter = parser.filter(Scope::Absolute)?;
    parser.close(Close::End)?;
    Ok(filter)
}

/// See [`super::parse_patch_path`].
pub(super) fn parse_patch_path(input: &str, limits: &Limits) -> Result<PatchPath, FilterError> {
    check_input(input, limits, "path")?;
    let mut parser = Parser::new(input, limits);
    let token = parser.next()?;
    let TokenKind::Word(word) = &token.kind else {
        return Err(parser.unexpected("an attribute path", &token));
    };
    let attr = attr_path(word, token.start, Scope::Absolute)?;
    let token = parser.next()?;
    match token.kind {
        TokenKind::End => Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
        }),
        TokenKind::LBracket => {
            let filter = parser.value_filter(&attr, &token, Scope::Absolute)?;
            let sub = parser.dotted_sub_attribute()?.map(|(name, _)| name);
            let token = parser.next()?;
            if token.kind != TokenKind::End {
                let expected = if sub.is_some() {
                    "end of input"
                } else {
                    r#""." or end of input"#
                };
                return Err(parser.unexpected(expected, &token));
            }
            Ok(PatchPath {
                attr,
                filter: Some(filter),
                sub,
            })
        }
        _ => Err(parser.unexpected(r#""[" or end of input"#, &token)),
    }
}

/// Refuses input over `max_len` characters, before any other work, and blank input.
fn check_input(input: &str, limits: &Limits, what: &str) -> Result<(), FilterError> {
    if input.chars().nth(limits.max_len).is_some() {
        return Err(FilterError::new(
            limits.max_len,
            format!("{what} is longer than {} characters", limits.max_len),
        ));
    }
    if input.chars().all(|c| c.is_ascii_whitespace()) {
        return Err(FilterError::new(0, format!("{what} is empty")));
    }
    Ok(())
}

/// How attribute paths are read where a term starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// At the top of a filter: `[URN ":"] ATTRNAME ["." ATTRNAME]`, value paths allowed.
    Absolute,
    /// Inside a value path's brackets: a plain ATTRNAME, relative to the bracketed
    /// attribute; no further brackets.
    ValueFilter,
}

/// What must follow a complete filter.
#[derive(Debug, Clone, Copy)]
enum Close {
    End,
    Paren,
    Bracket,
}

impl Close {
    fn matches(self, kind: &TokenKind) -> bool {
        matches!(
            (self, kind),
            (Close::End, TokenKind::End)
                | (Close::Paren, TokenKind::RParen)
                | (Close::Bracket, TokenKind::RBracket)
        )
    }

    fn expected(self) -> &'static str {
        match self {
            Close::End => r#""and", "or" or end of input"#,
            Close::Paren => r#""and", "or" or ")""#,
            Close::Bracket => r#""and", "or" or "]""#,
        }
    }
}

struct Parser {
    lexer: Lexer,
    peeked: Option<Token>,
    max_depth: usize,
    /// Grouping levels still allowed below the current one; see [`Parser::nested`].
    remaining_depth: usize,
    max_terms: usize,
    terms: usize,
    /// Whether a value may be unquoted (always, but in tests of the RFC grammar alone).
    unquoted: bool,
}

impl Parser {
    fn new(input: &str, limits: &Limits) -> Parser {
        Parser {
            lexer: Lexer::new(input),
            peeked: None,
            max_depth: limits.max_depth,
            remaining_depth: limits.max_depth,
            max_terms: limits.max_terms,
            terms: 0,
            unquoted: true,
        }
    }

    fn peek(&mut self) -> Result<&Token, FilterError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Takes the next token if it is the keyword `keyword`, in any case.
    fn eat_keyword(&mut self, keyword: &str) -> Result<bool, FilterError> {
        let found =
            matches!(&self.peek()?.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword));
        if found {
            self.peeked = None;
        }
        Ok(found)
    }

    fn unexpected(&self, expected: &str, found: &Token) -> FilterError {
        FilterError::new(
            found.start,
            format!("expected {expected}, found {}", self.lexer.describe(found)),
        )
    }

    /// Requires the token that ends a filter in its place.
    fn close(&mut self, close: Close) -> Result<(), FilterError> {
        let token = self.next()?;
        if close.matches(&token.kind) {
            Ok(())
        } else {
            Err(self.unexpected(close.expected(), &token))
        }
    }

    /// Runs `parse` one grouping level down. The depth guard: every recursion of the parser
    /// goes through here, so input nested deeper than `max_depth` is an error, not a stack
    /// overflow. `pos` is where the group opens.
    fn nested<T>(
        &mut self,
        pos: usize,
        parse: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        if self.remaining_depth == 0 {
            return Err(FilterError::new(
                pos,
                format!("filter nests deeper than {} levels", self.max_depth),
            ));
        }
        self.remaining_depth -= 1;
        let result = parse(self);
        self.remaining_depth += 1;
        result
    }

    /// Counts one attribute expression (a comparison or `pr`) against `max_terms`.
    fn count_term(&mut self, pos: usize) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > self.max_terms {
            return Err(FilterError::new(
                pos,
                format!("filter has more than {} terms", self.max_terms),
            ));
        }
        Ok(())
    }

    /// `filter = and-expr *("or" and-expr)`, left-associative.
    fn filter(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        let mut filter = self.and_expr(scope)?;
        while self.eat_keyword("or")? {
            let right = self.and_expr(scope)?;
            filter = Filter::Or(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    /// `and-expr = term *("and" term)`, left-associative.
    fn and_expr(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        let mut filter = self.term(scope)?;
        while self.eat_keyword("and")? {
            let right = self.term(scope)?;
            filter = Filter::And(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    /// A group, a negation, an attribute expression or a value path.
    fn term(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        let token = self.next()?;
        match &token.kind {
            TokenKind::LParen => self.group(token.start, scope),
            // RFC 7644 §3.4.2.2: `"not" "(" valFilter ")"`; the parentheses are required.
            TokenKind::Word(word) if word.eq_ignore_ascii_case("not") => {
                let open = self.next()?;
                if open.kind != TokenKind::LParen {
                    return Err(self.unexpected(r#""(" after "not""#, &open));
                }
                let inner = self.group(token.start, scope)?;
                Ok(Filter::Not(Box::new(inner)))
            }
            TokenKind::Word(word) => {
                let path = attr_path(word, token.start, scope)?;
                self.after_path(path, token.start, scope)
            }
            _ => Err(self.unexpected(EXPECTED_TERM, &token)),
        }
    }

    /// The rest of a parenthesized group whose `(` (or `not`) stands at `pos`.
    fn group(&mut self, pos: usize, scope: Scope) -> Result<Filter, FilterError> {
        self.nested(pos, |parser| {
            let filter = parser.filter(scope)?;
            parser.close(Close::Paren)?;
            Ok(filter)
        })
    }

    /// What follows an attribute path in a term: an operation, or a value path's brackets.
    fn after_path(
        &mut self,
        path: AttrPath,
        path_start: usize,
        scope: Scope,
    ) -> Result<Filter, FilterError> {
        if self.peek()?.kind != TokenKind::LBracket {
            return self.operation(path, path_start);
        }
        let open = self.next()?;
        let mut filter = self.value_filter(&path, &open, scope)?;
        // Microsoft Entra: `emails[type eq "work"].value eq "x"`.
        if let Some((sub, sub_start)) = self.dotted_sub_attribute()? {
            let comparison = self.operation(AttrPath::name(sub), sub_start)?;
            filter = Filter::And(Box::new(filter), Box::new(comparison));
        }
        Ok(Filter::ValuePath {
            path,
            filter: Box::new(filter),
        })
    }

    /// RFC 7644 §3.4.2.2 `valuePath = attrPath "[" valFilter "]"`, after its `[` (`open`).
    fn value_filter(
        &mut self,
        path: &AttrPath,
        open: &Token,
        scope: Scope,
    ) -> Result<Filter, FilterError> {
        if scope == Scope::ValueFilter {
            return Err(FilterError::new(open.start, "value paths cannot be nested"));
        }
        if path.sub.is_some() {
            return Err(FilterError::new(
                open.start,
                format!(r#"a value filter "[...]" cannot follow the sub-attribute "{path}""#),
            ));
        }
        self.nested(open.start, |parser| {
            let filter = parser.filter(Scope::ValueFilter)?;
            parser.close(Close::Bracket)?;
            Ok(filter)
        })
    }

    /// After a value path's `]`: `"." ATTRNAME`, if a `.` follows. The name must follow the
    /// dot directly, as in any attribute path.
    fn dotted_sub_attribute(&mut self) -> Result<Option<(String, usize)>, FilterError> {
        if self.peek()?.kind != TokenKind::Dot {
            return Ok(None);
        }
        let dot = self.next()?;
        let token = self.next()?;
        match token.kind {
            _ if token.start > dot.end => Err(FilterError::new(
                dot.end,
                r#"expected a sub-attribute name right after ".", found whitespace"#,
            )),
            TokenKind::Word(name) if is_attr_name(&name) => Ok(Some((name, token.start))),
            _ => Err(self.unexpected(r#"a sub-attribute name after ".""#, &token)),
        }
    }

    /// RFC 7644 §3.4.2.2 `attrExp` after its `attrPath`: `"pr"` or `compareOp compValue`.
    fn operation(&mut self, path: AttrPath, path_start: usize) -> Result<Filter, FilterError> {
        let token = self.next()?;
        let TokenKind::Word(word) = &token.kind else {
            return Err(self.unexpected(EXPECTED_OPERATOR, &token));
        };
        if word.eq_ignore_ascii_case("pr") {
            self.count_term(path_start)?;
            self.refuse_value_after_pr()?;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            return Err(self.unexpected(EXPECTED_OPERATOR, &token));
        };
        self.count_term(path_start)?;
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// A value right after `pr` gets its own message rather than "expected and, or ...".
    fn refuse_value_after_pr(&mut self) -> Result<(), FilterError> {
        let token = self.peek()?.clone();
        let is_value = match &token.kind {
            TokenKind::Str(_) | TokenKind::Number(_) => true,
            TokenKind::Word(word) => literal(word).is_some(),
            _ => false,
        };
        if is_value {
            let message = format!(
                r#""pr" takes no value, found {}"#,
                self.lexer.describe(&token)
            );
            return Err(FilterError::new(token.start, message));
        }
        Ok(())
    }

    /// RFC 7644 §3.4.2.2 `compValue = false / null / true / number / string`.
    /// Also Microsoft's unquoted values (see the module documentation), as strings.
    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None if self.unquoted => self.lexer.value_token()?,
            None => self.lexer.next_token()?,
        };
        let literal = match &token.kind {
            TokenKind::Word(word) => literal(word),
            _ => None,
        };
        match token.kind {
            TokenKind::Str(s) | TokenKind::Bare(s) => Ok(CompValue::Str(s)),
            TokenKind::Number(n) => Ok(CompValue::Number(n)),
            _ => literal.ok_or_else(|| self.unexpected(EXPECTED_VALUE, &token)),
        }
    }
}

/// `true`, `false` or `null`, in any case.
fn literal(word: &str) -> Option<CompValue> {
    if word.eq_ignore_ascii_case("true") {
        Some(CompValue::Bool(true))
    } else if word.eq_ignore_ascii_case("false") {
        Some(CompValue::Bool(false))
    } else if word.eq_ignore_ascii_case("null") {
        Some(CompValue::Null)
    } else {
        None
    }
}

/// RFC 7644 §3.4.2.2 `attrPath = [URI ":"] ATTRNAME *1subAttr`, from a word at `start`.
///
/// A URN prefix starts with `urn:` (any case) and runs to the word's last `:`, so the dots
/// of a version (`2.0`) stay in the URN. It needs a namespace and a specific string
/// (`urn:NID:NSS`) before the attribute name. In [`Scope::ValueFilter`] only a plain
/// ATTRNAME is allowed.
fn attr_path(word: &str, start: usize, scope: Scope) -> Result<AttrPath, FilterError> {
    if scope == Scope::ValueFilter && !is_attr_name(word) {
        return Err(FilterError::new(
            start,
            format!(r#"expected a plain attribute name inside "[...]", found "{word}""#),
        ));
    }
    // Words are ASCII (see the lexer), so byte offsets are character offsets.
    let (urn, rest, rest_start) = split_urn(word, start)?;
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        let second_dot = rest_start + name.len() + 1 + sub.map_or(0, str::len);
        return Err(FilterError::new(
            second_dot,
            format!(r#"attribute path "{word}" has more than one sub-attribute"#),
        ));
    }
    check_attr_name(name, rest_start, word)?;
    if let Some(sub) = sub {
        check_attr_name(sub, rest_start + name.len() + 1, word)?;
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// Splits a word into its URN, if any, and the rest, with the rest's offset.
fn split_urn(word: &str, start: usize) -> Result<(Option<&str>, &str, usize), FilterError> {
    let has_urn = word
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("urn:"));
    if !has_urn {
        if let Some(colon) = word.find(':') {
            return Err(FilterError::new(
                start + colon,
                format!(
                    r#"unexpected ":" in attribute path "{word}" (a schema URN starts with "urn:")"#
                ),
            ));
        }
        return Ok((None, word, start));
    }
    let (urn, rest) = word.rsplit_once(':').unwrap_or((word, ""));
    if rest.is_empty() || urn.matches(':').count() < 2 {
        return Err(FilterError::new(
            start + word.len(),
            format!(
                r#"expected an attribute name after the schema URN "{}""#,
                word.trim_end_matches(':')
            ),
        ));
    }
    if let Some(offset) = urn
        .split(':')
        .position(str::is_empty)
        .map(|i| segment_offset(urn, i))
    {
        return Err(FilterError::new(
            start + offset,
            format!(r#"schema URN "{urn}" has an empty segment"#),
        ));
    }
    Ok((Some(urn), rest, start + urn.len() + 1))
}

/// Offset of the `index`th `:`-separated segment of `urn`.
fn segment_offset(urn: &str, index: usize) -> usize {
    urn.split(':')
        .take(index)
        .map(|segment| segment.len() + 1)
        .sum()
}

fn check_attr_name(name: &str, pos: usize, word: &str) -> Result<(), FilterError> {
    if name.is_empty() {
        return Err(FilterError::new(
            pos,
            format!(r#"missing attribute name in "{word}""#),
        ));
    }
    if !is_attr_name(name) {
        return Err(FilterError::new(
            pos,
            format!(
                r#"invalid attribute name "{name}" (a letter, then letters, digits, "-" or "_")"#
            ),
        ));
    }
    Ok(())
}

/// RFC 7644 §3.4.2.2 `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`;
/// also `$ref` (RFC 7643 §2.4), which SCIM uses as a sub-attribute name.
fn is_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.eq_ignore_ascii_case("$ref")
        || (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}
