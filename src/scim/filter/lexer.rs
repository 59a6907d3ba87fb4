//! The lexer for SCIM filters and PATCH paths: turns characters into tokens, on demand.
//!
//! It owns the character-level rules of RFC 7644 §3.4.2.2: JSON strings and numbers for
//! `compValue` (by reference to RFC 7159 §6 and §7), the characters of attribute paths, and
//! whitespace. It knows nothing of keywords: `and`, `eq`, `true` and `userName` are all
//! words, and the parser decides what a word means where it stands.
//!
//! Whitespace is more lenient than the RFC's single `SP`: any run of spaces, tabs and line
//! breaks separates tokens, and none is needed where the next character cannot continue
//! the token before it (`(a pr)and(b pr)`, `a eq"x"`).
//!
//! In a comparison's value position the parser asks for [`Lexer::value_token`] instead,
//! which also reads Microsoft's unquoted values (`externalId eq jyoung`, see
//! [`TokenKind::Bare`] and the parser's module documentation).
//! Positions are 0-based character offsets into the input.

use serde_json::Number;

use super::FilterError;

/// The longest piece of source text an error message quotes before cutting it short.
const EXCERPT_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    /// A run of attribute-path characters (`A-Z a-z 0-9 - _ . : $`) starting with a letter,
    /// `_`, `$` or `:`: an attribute path (URN and sub-attribute included) or a keyword.
    Word(String),
    /// A JSON string, escapes resolved.
    Str(String),
    /// A JSON number.
    Number(Number),
    /// An unquoted value in a comparison's value position that is no JSON literal
    /// (`jyoung`, `2819c223-7f76-453a-919d-413861904646`, `jyoung@contoso.com`): read as
    /// the string it spells. Only [`Lexer::value_token`] makes these.
    Bare(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A `.` that starts a token: the sub-attribute after a value path's `]`.
    Dot,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// Character offset of the token's first character.
    pub start: usize,
    /// Character offset just past the token's last character.
    pub end: usize,
}

pub(super) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    pub fn new(input: &str) -> Lexer {
        Lexer {
            chars: input.chars().collect(),
            pos: 0,
        }
    }

    /// The next token; at the end of the input, `End` (again and again).
    pub fn next_token(&mut self) -> Result<Token, FilterError> {
        while self.peek_char().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                kind: TokenKind::End,
                start,
                end: start,
            });
        };
        let punctuation = match c {
            '(' => Some(TokenKind::LParen),
            ')' => Some(TokenKind::RParen),
            '[' => Some(TokenKind::LBracket),
            ']' => Some(TokenKind::RBracket),
            '.' => Some(TokenKind::Dot),
            _ => None,
        };
        let kind = if let Some(kind) = punctuation {
            self.pos += 1;
            kind
        } else if c == '"' {
            TokenKind::Str(self.string()?)
        } else if c == '-' || c.is_ascii_digit() {
            TokenKind::Number(self.number()?)
        } else if c.is_ascii_alphabetic() || matches!(c, '_' | '$' | ':') {
            self.pos = self.run_end(start, is_word_char);
            TokenKind::Word(self.text(start, self.pos))
        } else {
            return Err(FilterError::new(
                start,
                format!("unexpected character {}", quote_char(c)),
            ));
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// The token in a comparison's value position: what [`Lexer::next_token`] reads, except
    /// that a run of characters that is not a JSON string, number, `true`, `false` or `null`
    /// is a [`TokenKind::Bare`] value, up to the next whitespace, parenthesis, bracket or
    /// quote (none of which a bare value holds; such a value must be quoted).
    ///
    /// For every input the RFC grammar allows this reads the very token `next_token` would:
    /// there a value is a JSON string (starting with `"`, read as before), or a number or
    /// literal followed by whitespace, `)`, `]` or the end, where the run below stops too.
    pub fn value_token(&mut self) -> Result<Token, FilterError> {
        while self.peek_char().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let end = self.run_end(start, is_bare_char);
        if end == start {
            // `"`, a bracket, a parenthesis, a control character or the end.
            return self.next_token();
        }
        let text = self.text(start, end);
        let is_literal = ["true", "false", "null"]
            .iter()
            .any(|l| text.eq_ignore_ascii_case(l));
        if is_json_number(&text) || is_literal {
            return self.next_token();
        }
        self.pos = end;
        Ok(Token {
            kind: TokenKind::Bare(text),
            start,
            end,
        })
    }

    /// How an error message names a token: `"eqq"`, `string "x"`, `number 1`, `")"`,
    /// `end of input`.
    pub fn describe(&self, token: &Token) -> String {
        let text = self.excerpt(token.start, token.end);
        match token.kind {
            TokenKind::End => "end of input".to_owned(),
            TokenKind::Str(_) => format!("string {text}"),
            TokenKind::Number(_) => format!("number {text}"),
            _ => format!("\"{text}\""),
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn text(&self, start: usize, end: usize) -> String {
        self.chars
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn excerpt(&self, start: usize, end: usize) -> String {
        if end - start > EXCERPT_CHARS {
            format!("{}...", self.text(start, start + EXCERPT_CHARS))
        } else {
            self.text(start, end)
        }
    }

    /// The offset just past the run of characters satisfying `accept` from `start`.
    fn run_end(&self, start: usize, accept: fn(char) -> bool) -> usize {
        let len = self
            .chars
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&c| accept(c))
            .count();
        start + len
    }

    /// A JSON number (RFC 7159 §6): `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    ///
    /// The whole run of number-like characters is taken and checked, so `12abc` and `1.`
    /// are reported as invalid numbers rather than as a number followed by something else.
    fn number(&mut self) -> Result<Number, FilterError> {
        let start = self.pos;
        let end = self.run_end(start, |c| is_word_char(c) || c == '+');
        let text = self.text(start, end);
        if !is_json_number(&text) {
            return Err(FilterError::new(
                start,
                format!("invalid number \"{}\"", self.excerpt(start, end)),
            ));
        }
        let number = json_number(&text).ok_or_else(|| {
            FilterError::new(
                start,
                format!("number {} is out of range", self.excerpt(start, end)),
            )
        })?;
        self.pos = end;
        Ok(number)
    }

    /// A JSON string (RFC 7159 §7), its escapes resolved. Raw control characters and
    /// unpaired UTF-16 surrogates are errors; other characters, non-ASCII included, are
    /// taken as they are.
    fn string(&mut self) -> Result<String, FilterError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let here = self.pos;
            let Some(c) = self.peek_char() else {
                return Err(FilterError::new(open, "unterminated string"));
            };
            self.pos += 1;
            match c {
                '"' => return Ok(value),
                '\\' => value.push(self.escape(open, here)?),
                c if c < '\u{20}' => return Err(control_character(here, c)),
                c => value.push(c),
            }
        }
    }

    /// The character an escape stands for; `backslash` is the offset of its `\`, and the
    /// lexer stands just after it. `open` is where the string's opening quote stands.
    fn escape(&mut self, open: usize, backslash: usize) -> Result<char, FilterError> {
        let Some(c) = self.peek_char() else {
            return Err(FilterError::new(open, "unterminated string"));
        };
        if c < '\u{20}' {
            // Raw control characters are refused wherever they stand in a string.
            return Err(control_character(self.pos, c));
        }
        self.pos += 1;
        let simple = match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(backslash),
            other => {
                return Err(FilterError::new(
                    backslash,
                    format!("invalid escape \"\\{other}\" in string"),
                ));
            }
        };
        Ok(simple)
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; the lexer stands after the first `u`.
    fn unicode_escape(&mut self, backslash: usize) -> Result<char, FilterError> {
        let first = self.hex4(backslash)?;
        let code = match first {
            0xD800..=0xDBFF => {
                let low = if self.chars.get(self.pos..self.pos + 2) == Some(&['\\', 'u']) {
                    let second_backslash = self.pos;
                    self.pos += 2;
                    Some(self.hex4(second_backslash)?)
                } else {
                    None
                };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                    }
                    _ => return Err(lone_surrogate(backslash, first)),
                }
            }
            0xDC00..=0xDFFF => return Err(lone_surrogate(backslash, first)),
            code => code,
        };
        char::from_u32(code).ok_or_else(|| lone_surrogate(backslash, first))
    }

    /// Four hex digits after `\u`; `backslash` is the offset of the escape's `\`.
    fn hex4(&mut self, backslash: usize) -> Result<u32, FilterError> {
        let digits = self
            .run_end(self.pos, |c| c.is_ascii_hexdigit())
            .min(self.pos + 4)
            - self.pos;
        if digits < 4 {
            let seen = self.text(self.pos, self.pos + digits);
            return Err(FilterError::new(
                backslash,
                format!("invalid unicode escape \"\\u{seen}\" in string"),
            ));
        }
        let code = self
            .chars
            .get(self.pos..self.pos + 4)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.to_digit(16))
            .fold(0, |code, digit| code * 16 + digit);
        self.pos += 4;
        Ok(code)
    }
}

/// RFC 7159 §7: U+0000 through U+001F must be escaped in a string.
fn control_character(pos: usize, c: char) -> FilterError {
    FilterError::new(
        pos,
        format!(
            "unescaped control character U+{:04X} in string",
            u32::from(c)
        ),
    )
}

fn lone_surrogate(backslash: usize, code: u32) -> FilterError {
    FilterError::new(
        backslash,
        format!("lone surrogate \"\\u{code:04x}\" in string"),
    )
}

/// Characters of an unquoted value: anything but whitespace, control characters, quotes,
/// parentheses and brackets.
fn is_bare_char(c: char) -> bool {
    !(c.is_ascii_whitespace() || c.is_control() || matches!(c, '"' | '(' | ')' | '[' | ']'))
}

/// Characters of a word: RFC 7644 `ATTRNAME` characters plus `.` (sub-attributes and URN
/// versions), `:` (URNs) and `$` (`$ref`).
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '$')
}

/// The value of a JSON number's text; `None` if it does not fit in an `f64` (`1e999`).
///
/// Integers that fit in `u64` or `i64` stay integers, others become floats, as with
/// `serde_json`. Floats are read by `serde_json`, which rounds correctly with its
/// `float_roundtrip` feature (Cargo.toml), so the shortest form it prints for a float reads
/// back as the same float. Not by the standard library's reader, which rounds as correctly but
/// would be a second one in the worker's module (about 15 KB of code and tables, issue 22).
fn json_number(text: &str) -> Option<Number> {
    let is_integer = !text.contains(['.', 'e', 'E']);
    if is_integer {
        if let Ok(n) = text.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
    }
    serde_json::from_str::<f64>(text)
        .ok()
        .and_then(Number::from_f64)
}

/// Whether `text` is exactly a JSON number (RFC 7159 §6).
fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let digits_from = |i: usize| {
        i + bytes
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits_from(i),
        _ => return false,
    }
    if bytes.get(i) == Some(&b'.') {
        let end = digits_from(i + 1);
        if end == i + 1 {
            return false;
        }
        i = end;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits_from(i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == bytes.len()
}

/// A character as an error message shows it: `"#"`, or `U+0007` for an invisible one.
fn quote_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\"")
    }
}
