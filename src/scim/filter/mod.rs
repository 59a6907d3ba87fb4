//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2): text to a
//! schema-free syntax tree and back.
//!
//! This module owns syntax only: a lexer (`lexer`), a recursive-descent parser
//! (`parser`), the tree and its renderings (`ast`), and the limits that keep hostile input
//! cheap. It does not resolve attribute paths against schemas, fold case, type-check
//! comparisons or evaluate filters; those belong to the callers.
//!
//! Beyond the RFC grammar it accepts: keywords in any case, any run of whitespace between
//! tokens, `$ref` as an attribute name, Microsoft Entra's
//! `emails[type eq "work"].value eq "x"` (see [`Filter::ValuePath`]), and the unquoted values
//! of Microsoft's Azure AD SCIM guide, `externalId eq jyoung`, read as strings (see the
//! `parser` module for the rule and its source). None of these changes what an RFC-valid
//! filter means.

mod ast;
mod lexer;
mod parser;
pub mod resolve;
#[cfg(test)]
mod tests;

use std::fmt;

pub use ast::*;

/// Bounds on the work one filter or path may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest input, in characters; checked before anything else.
    pub max_len: usize,
    /// Deepest nesting of parentheses, `not (...)` and value-path brackets, each one level.
    pub max_depth: usize,
    /// Most attribute expressions (comparisons and `pr`) in one input.
    pub max_terms: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_len: 4096,
        max_depth: 16,
        max_terms: 40,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// Why an input was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// 0-based character (not byte) offset into the input.
    pub pos: usize,
    /// What was expected and what was found, for people to read.
    pub message: String,
}

impl FilterError {
    fn new(pos: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            pos,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.pos, self.message)
    }
}

impl std::error::Error for FilterError {}

/// Parses the value of a `filter` query parameter or of a search request's `filter`
/// (RFC 7644 §3.4.2.2, §3.4.3).
///
/// # Errors
///
/// A [`FilterError`] for text outside the grammar or beyond `limits`: the first problem
/// found, reading from the left.
pub fn parse_filter(input: &str, limits: &Limits) -> Result<Filter, FilterError> {
    parser::parse_filter(input, limits)
}

/// Parses the `path` of a PATCH operation (RFC 7644 §3.5.2):
/// `PATH = attrPath / valuePath [subAttr]`.
///
/// # Errors
///
/// A [`FilterError`], as for [`parse_filter`]; messages call the input a "path".
pub fn parse_patch_path(input: &str, limits: &Limits) -> Result<PatchPath, FilterError> {
    parser::parse_patch_path(input, limits)
}
