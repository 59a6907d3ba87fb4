//! SCIM attribute names for a company's custom attributes (RFC 7643 §2.1).
//!
//! Owns: deriving, once, at creation, a SCIM attribute name from the display name a company
//! gives a custom attribute ("Første arbejdsdag" → `Forste_arbejdsdag`), and checking that a
//! name (or an alias) is a valid `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" /
//! DIGIT / ALPHA`, ASCII only, at most [`MAX_ATTR_NAME_LEN`] characters.
//!
//! Leaves out, on purpose:
//! - renaming: the name is derived once and stored; changing the display name later must not
//!   change the name clients already filter on, so nothing here is called again for it;
//! - uniqueness: two display names may give the same name ("Département", "Departement");
//!   the caller checks against the attributes that already exist;
//! - case: names keep the case of the display name; SCIM compares attribute names
//!   case-insensitively (RFC 7643 §2.1), which is the caller's business;
//! - transliterating non-Latin scripts (Greek, Cyrillic, CJK, ...): such a name yields `None`
//!   and the caller asks for another one, rather than inventing a romanisation.

/// Longest attribute name accepted or produced, in ASCII characters. RFC 7643 sets no limit;
/// this keeps names usable in filters, column values and URNs.
pub const MAX_ATTR_NAME_LEN: usize = 64;

/// The SCIM name derived once from a display name. Examples:
/// "Employed Since" → "Employed_Since", "Date of birth" → "Date_of_birth", "Département" →
/// "Departement", "Cost-center (EU)" → "Cost-center_EU", "2nd Manager" → "a_2nd_Manager",
/// "  Team  " → "Team".
///
/// Rules, in order:
/// 1. ASCII letters, digits, `_` and `-` are kept as they are;
/// 2. Latin letters with diacritics become their base letter (`é` → `e`, `Å` → `A`), and
///    Latin letters without a decomposition are transliterated (`ß` → `ss`, `Æ` → `AE`,
///    `ø` → `o`, `þ` → `th`, `ł` → `l`, ...); combining marks are dropped, so text typed in
///    decomposed form (NFD) gives the same name as the precomposed form;
/// 3. every run of other characters (spaces, punctuation, other scripts, emoji) becomes one
///    `_`, except next to an existing `_`, which already separates (`"a _ b"` → `a_b`);
/// 4. leading and trailing `_` are dropped (`-` is kept: RFC 7643 allows it anywhere but
///    first, and the prefix below takes care of first);
/// 5. `None` when no ASCII letter or digit is left: the caller answers 400 and asks for
///    another name, since any name invented here would mean nothing to the company;
/// 6. a name that does not start with an ASCII letter gets the prefix `a_`;
/// 7. the name is cut to [`MAX_ATTR_NAME_LEN`] characters, and `_` left at the end dropped.
///
/// The result always satisfies [`is_attr_name`], and deriving a name from a derived name
/// gives it back unchanged.
pub fn scim_name_for(display_name: &str) -> Option<String> {
    let mut out = String::with_capacity(display_name.len());
    // A run of separators is written only when the next kept piece arrives, so that a run at
    // the end never leaves a `_` behind and a run before an existing `_` can be absorbed.
    let mut pending_separator = false;
    for c in display_name.chars() {
        let piece = classify(c);
        let starts_with_underscore = match piece {
            Piece::Drop => continue,
            Piece::Separator => {
                pending_separator = true;
                continue;
            }
            Piece::Char(c) => c == '_',
            Piece::Text(_) => false,
        };
        if pending_separator && !out.is_empty() && !out.ends_with('_') && !starts_with_underscore {
            out.push('_');
        }
        pending_separator = false;
        match piece {
            Piece::Char(c) => out.push(c),
            Piece::Text(text) => out.push_str(text),
            Piece::Drop | Piece::Separator => {}
        }
    }

    let trimmed = out.trim_matches('_');
    if !trimmed.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut name = if trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
        trimmed.to_owned()
    } else {
        format!("a_{trimmed}")
    };
    // Everything pushed above is ASCII (the tables are checked by the tests), so one char
    // is one byte; popping rather than `truncate` keeps this panic-free regardless.
    while name.len() > MAX_ATTR_NAME_LEN {
        name.pop();
    }
    let kept = name.trim_end_matches('_').len();
    name.truncate(kept);
    Some(name)
}

/// RFC 7643 §2.1 ATTRNAME (ASCII only), also used to validate aliases: an ASCII letter, then
/// ASCII letters, digits, `-` and `_`; at most [`MAX_ATTR_NAME_LEN`] characters.
pub fn is_attr_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= MAX_ATTR_NAME_LEN
                && first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        }
        None => false,
    }
}

/// What one char of a display name contributes to the SCIM name.
enum Piece {
    /// An ASCII letter, digit, `_` or `-`, kept as it is.
    Char(char),
    /// The ASCII spelling of a Latin letter (its base letter or transliteration).
    Text(&'static str),
    /// Part of a run that becomes one `_`.
    Separator,
    /// Nothing at all (combining marks: the letter before them already stands for them).
    Drop,
}

fn classify(c: char) -> Piece {
    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
        return Piece::Char(c);
    }
    if is_combining_mark(c) {
        return Piece::Drop;
    }
    match lookup(BASE_LETTERS, c).or_else(|| lookup(TRANSLITERATIONS, c)) {
        Some(text) => Piece::Text(text),
        None => Piece::Separator,
    }
}

/// The combining-mark blocks (diacritics that follow their letter in decomposed text).
pub(crate) fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'     // Combining Diacritical Marks
            | '\u{1AB0}'..='\u{1AFF}' // Combining Diacritical Marks Extended
            | '\u{1DC0}'..='\u{1DFF}' // Combining Diacritical Marks Supplement
            | '\u{20D0}'..='\u{20FF}' // Combining Diacritical Marks for Symbols
            | '\u{FE20}'..='\u{FE2F}' // Combining Half Marks
    )
}

/// The ASCII a Latin letter with diacritics, or without a decomposition, stands for (`é` →
/// `e`, `ø` → `o`, `ß` → `ss`); `None` for any other character. Shared with the roster's
/// accent-insensitive search (`scim::fold::search_key`).
pub(crate) fn latin_base(c: char) -> Option<&'static str> {
    lookup(BASE_LETTERS, c).or_else(|| lookup(TRANSLITERATIONS, c))
}

fn lookup(table: &'static [(char, &'static str)], c: char) -> Option<&'static str> {
    let i = table.binary_search_by_key(&c, |&(from, _)| from).ok()?;
    table.get(i).map(|&(_, to)| to)
}

/// Chars of Latin-1 Supplement, Latin Extended-A, Latin Extended-B and Latin Extended
/// Additional (Vietnamese) whose compatibility decomposition, without its combining marks, is
/// ASCII letters or digits: `é` → `e`, `Ǆ` → `DZ`, `ĳ` → `ij`, `ª` → `a`, `²` → `2`. Sorted.
///
/// Generated with Python 3.11.7 (Unicode 14.0.0); NFKD rather than NFD so that ligatures
/// and ordinal/superscript forms come out as ASCII too:
///
/// ```text
/// import unicodedata as u
/// rows = []
/// for lo, hi in ((0x00A0, 0x024F), (0x1E00, 0x1EFF)):
///     for o in range(lo, hi + 1):
///         k = "".join(x for x in u.normalize("NFKD", chr(o)) if not u.combining(x))
///         if k and k.isascii() and k.isalnum():
///             rows.append("('%s', \"%s\")," % (chr(o), k))
/// for i in range(0, len(rows), 8):
///     print("    " + " ".join(rows[i:i + 8]))
/// ```
#[rustfmt::skip]
static BASE_LETTERS: &[(char, &str)] = &[
    ('ª', "a"), ('²', "2"), ('³', "3"), ('¹', "1"), ('º', "o"), ('À', "A"), ('Á', "A"), ('Â', "A"),
    ('Ã', "A"), ('Ä', "A"), ('Å', "A"), ('Ç', "C"), ('È', "E"), ('É', "E"), ('Ê', "E"), ('Ë', "E"),
    ('Ì', "I"), ('Í', "I"), ('Î', "I"), ('Ï', "I"), ('Ñ', "N"), ('Ò', "O"), ('Ó', "O"), ('Ô', "O"),
    ('Õ', "O"), ('Ö', "O"), ('Ù', "U"), ('Ú', "U"), ('Û', "U"), ('Ü', "U"), ('Ý', "Y"), ('à', "a"),
    ('á', "a"), ('â', "a"), ('ã', "a"), ('ä', "a"), ('å', "a"), ('ç', "c"), ('è', "e"), ('é', "e"),
    ('ê', "e"), ('ë', "e"), ('ì', "i"), ('í', "i"), ('î', "i"), ('ï', "i"), ('ñ', "n"), ('ò', "o"),
    ('ó', "o"), ('ô', "o"), ('õ', "o"), ('ö', "o"), ('ù', "u"), ('ú', "u"), ('û', "u"), ('ü', "u"),
    ('ý', "y"), ('ÿ', "y"), ('Ā', "A"), ('ā', "a"), ('Ă', "A"), ('ă', "a"), ('Ą', "A"), ('ą', "a"),
    ('Ć', "C"), ('ć', "c"), ('Ĉ', "C"), ('ĉ', "c"), ('Ċ', "C"), ('ċ', "c"), ('Č', "C"), ('č', "c"),
    ('Ď', "D"), ('ď', "d"), ('Ē', "E"), ('ē', "e"), ('Ĕ', "E"), ('ĕ', "e"), ('Ė', "E"), ('ė', "e"),
    ('Ę', "E"), ('ę', "e"), ('Ě', "E"), ('ě', "e"), ('Ĝ', "G"), ('ĝ', "g"), ('Ğ', "G"), ('ğ', "g"),
    ('Ġ', "G"), ('ġ', "g"), ('Ģ', "G"), ('ģ', "g"), ('Ĥ', "H"), ('ĥ', "h"), ('Ĩ', "I"), ('ĩ', "i"),
    ('Ī', "I"), ('ī', "i"), ('Ĭ', "I"), ('ĭ', "i"), ('Į', "I"), ('į', "i"), ('İ', "I"), ('Ĳ', "IJ"),
    ('ĳ', "ij"), ('Ĵ', "J"), ('ĵ', "j"), ('Ķ', "K"), ('ķ', "k"), ('Ĺ', "L"), ('ĺ', "l"), ('Ļ', "L"),
    ('ļ', "l"), ('Ľ', "L"), ('ľ', "l"), ('Ń', "N"), ('ń', "n"), ('Ņ', "N"), ('ņ', "n"), ('Ň', "N"),
    ('ň', "n"), ('Ō', "O"), ('ō', "o"), ('Ŏ', "O"), ('ŏ', "o"), ('Ő', "O"), ('ő', "o"), ('Ŕ', "R"),
    ('ŕ', "r"), ('Ŗ', "R"), ('ŗ', "r"), ('Ř', "R"), ('ř', "r"), ('Ś', "S"), ('ś', "s"), ('Ŝ', "S"),
    ('ŝ', "s"), ('Ş', "S"), ('ş', "s"), ('Š', "S"), ('š', "s"), ('Ţ', "T"), ('ţ', "t"), ('Ť', "T"),
    ('ť', "t"), ('Ũ', "U"), ('ũ', "u"), ('Ū', "U"), ('ū', "u"), ('Ŭ', "U"), ('ŭ', "u"), ('Ů', "U"),
    ('ů', "u"), ('Ű', "U"), ('ű', "u"), ('Ų', "U"), ('ų', "u"), ('Ŵ', "W"), ('ŵ', "w"), ('Ŷ', "Y"),
    ('ŷ', "y"), ('Ÿ', "Y"), ('Ź', "Z"), ('ź', "z"), ('Ż', "Z"), ('ż', "z"), ('Ž', "Z"), ('ž', "z"),
    ('ſ', "s"), ('Ơ', "O"), ('ơ', "o"), ('Ư', "U"), ('ư', "u"), ('Ǆ', "DZ"), ('ǅ', "Dz"), ('ǆ', "dz"),
    ('Ǉ', "LJ"), ('ǈ', "Lj"), ('ǉ', "lj"), ('Ǌ', "NJ"), ('ǋ', "Nj"), ('ǌ', "nj"), ('Ǎ', "A"), ('ǎ', "a"),
    ('Ǐ', "I"), ('ǐ', "i"), ('Ǒ', "O"), ('ǒ', "o"), ('Ǔ', "U"), ('ǔ', "u"), ('Ǖ', "U"), ('ǖ', "u"),
    ('Ǘ', "U"), ('ǘ', "u"), ('Ǚ', "U"), ('ǚ', "u"), ('Ǜ', "U"), ('ǜ', "u"), ('Ǟ', "A"), ('ǟ', "a"),
    ('Ǡ', "A"), ('ǡ', "a"), ('Ǧ', "G"), ('ǧ', "g"), ('Ǩ', "K"), ('ǩ', "k"), ('Ǫ', "O"), ('ǫ', "o"),
    ('Ǭ', "O"), ('ǭ', "o"), ('ǰ', "j"), ('Ǳ', "DZ"), ('ǲ', "Dz"), ('ǳ', "dz"), ('Ǵ', "G"), ('ǵ', "g"),
    ('Ǹ', "N"), ('ǹ', "n"), ('Ǻ', "A"), ('ǻ', "a"), ('Ȁ', "A"), ('ȁ', "a"), ('Ȃ', "A"), ('ȃ', "a"),
    ('Ȅ', "E"), ('ȅ', "e"), ('Ȇ', "E"), ('ȇ', "e"), ('Ȉ', "I"), ('ȉ', "i"), ('Ȋ', "I"), ('ȋ', "i"),
    ('Ȍ', "O"), ('ȍ', "o"), ('Ȏ', "O"), ('ȏ', "o"), ('Ȑ', "R"), ('ȑ', "r"), ('Ȓ', "R"), ('ȓ', "r"),
    ('Ȕ', "U"), ('ȕ', "u"), ('Ȗ', "U"), ('ȗ', "u"), ('Ș', "S"), ('ș', "s"), ('Ț', "T"), ('ț', "t"),
    ('Ȟ', "H"), ('ȟ', "h"), ('Ȧ', "A"), ('ȧ', "a"), ('Ȩ', "E"), ('ȩ', "e"), ('Ȫ', "O"), ('ȫ', "o"),
    ('Ȭ', "O"), ('ȭ', "o"), ('Ȯ', "O"), ('ȯ', "o"), ('Ȱ', "O"), ('ȱ', "o"), ('Ȳ', "Y"), ('ȳ', "y"),
    ('Ḁ', "A"), ('ḁ', "a"), ('Ḃ', "B"), ('ḃ', "b"), ('Ḅ', "B"), ('ḅ', "b"), ('Ḇ', "B"), ('ḇ', "b"),
    ('Ḉ', "C"), ('ḉ', "c"), ('Ḋ', "D"), ('ḋ', "d"), ('Ḍ', "D"), ('ḍ', "d"), ('Ḏ', "D"), ('ḏ', "d"),
    ('Ḑ', "D"), ('ḑ', "d"), ('Ḓ', "D"), ('ḓ', "d"), ('Ḕ', "E"), ('ḕ', "e"), ('Ḗ', "E"), ('ḗ', "e"),
    ('Ḙ', "E"), ('ḙ', "e"), ('Ḛ', "E"), ('ḛ', "e"), ('Ḝ', "E"), ('ḝ', "e"), ('Ḟ', "F"), ('ḟ', "f"),
    ('Ḡ', "G"), ('ḡ', "g"), ('Ḣ', "H"), ('ḣ', "h"), ('Ḥ', "H"), ('ḥ', "h"), ('Ḧ', "H"), ('ḧ', "h"),
    ('Ḩ', "H"), ('ḩ', "h"), ('Ḫ', "H"), ('ḫ', "h"), ('Ḭ', "I"), ('ḭ', "i"), ('Ḯ', "I"), ('ḯ', "i"),
    ('Ḱ', "K"), ('ḱ', "k"), ('Ḳ', "K"), ('ḳ', "k"), ('Ḵ', "K"), ('ḵ', "k"), ('Ḷ', "L"), ('ḷ', "l"),
    ('Ḹ', "L"), ('ḹ', "l"), ('Ḻ', "L"), ('ḻ', "l"), ('Ḽ', "L"), ('ḽ', "l"), ('Ḿ', "M"), ('ḿ', "m"),
    ('Ṁ', "M"), ('ṁ', "m"), ('Ṃ', "M"), ('ṃ', "m"), ('Ṅ', "N"), ('ṅ', "n"), ('Ṇ', "N"), ('ṇ', "n"),
    ('Ṉ', "N"), ('ṉ', "n"), ('Ṋ', "N"), ('ṋ', "n"), ('Ṍ', "O"), ('ṍ', "o"), ('Ṏ', "O"), ('ṏ', "o"),
    ('Ṑ', "O"), ('ṑ', "o"), ('Ṓ', "O"), ('ṓ', "o"), ('Ṕ', "P"), ('ṕ', "p"), ('Ṗ', "P"), ('ṗ', "p"),
    ('Ṙ', "R"), ('ṙ', "r"), ('Ṛ', "R"), ('ṛ', "r"), ('Ṝ', "R"), ('ṝ', "r"), ('Ṟ', "R"), ('ṟ', "r"),
    ('Ṡ', "S"), ('ṡ', "s"), ('Ṣ', "S"), ('ṣ', "s"), ('Ṥ', "S"), ('ṥ', "s"), ('Ṧ', "S"), ('ṧ', "s"),
    ('Ṩ', "S"), ('ṩ', "s"), ('Ṫ', "T"), ('ṫ', "t"), ('Ṭ', "T"), ('ṭ', "t"), ('Ṯ', "T"), ('ṯ', "t"),
    ('Ṱ', "T"), ('ṱ', "t"), ('Ṳ', "U"), ('ṳ', "u"), ('Ṵ', "U"), ('ṵ', "u"), ('Ṷ', "U"), ('ṷ', "u"),
    ('Ṹ', "U"), ('ṹ', "u"), ('Ṻ', "U"), ('ṻ', "u"), ('Ṽ', "V"), ('ṽ', "v"), ('Ṿ', "V"), ('ṿ', "v"),
    ('Ẁ', "W"), ('ẁ', "w"), ('Ẃ', "W"), ('ẃ', "w"), ('Ẅ', "W"), ('ẅ', "w"), ('Ẇ', "W"), ('ẇ', "w"),
    ('Ẉ', "W"), ('ẉ', "w"), ('Ẋ', "X"), ('ẋ', "x"), ('Ẍ', "X"), ('ẍ', "x"), ('Ẏ', "Y"), ('ẏ', "y"),
    ('Ẑ', "Z"), ('ẑ', "z"), ('Ẓ', "Z"), ('ẓ', "z"), ('Ẕ', "Z"), ('ẕ', "z"), ('ẖ', "h"), ('ẗ', "t"),
    ('ẘ', "w"), ('ẙ', "y"), ('ẛ', "s"), ('Ạ', "A"), ('ạ', "a"), ('Ả', "A"), ('ả', "a"), ('Ấ', "A"),
    ('ấ', "a"), ('Ầ', "A"), ('ầ', "a"), ('Ẩ', "A"), ('ẩ', "a"), ('Ẫ', "A"), ('ẫ', "a"), ('Ậ', "A"),
    ('ậ', "a"), ('Ắ', "A"), ('ắ', "a"), ('Ằ', "A"), ('ằ', "a"), ('Ẳ', "A"), ('ẳ', "a"), ('Ẵ', "A"),
    ('ẵ', "a"), ('Ặ', "A"), ('ặ', "a"), ('Ẹ', "E"), ('ẹ', "e"), ('Ẻ', "E"), ('ẻ', "e"), ('Ẽ', "E"),
    ('ẽ', "e"), ('Ế', "E"), ('ế', "e"), ('Ề', "E"), ('ề', "e"), ('Ể', "E"), ('ể', "e"), ('Ễ', "E"),
    ('ễ', "e"), ('Ệ', "E"), ('ệ', "e"), ('Ỉ', "I"), ('ỉ', "i"), ('Ị', "I"), ('ị', "i"), ('Ọ', "O"),
    ('ọ', "o"), ('Ỏ', "O"), ('ỏ', "o"), ('Ố', "O"), ('ố', "o"), ('Ồ', "O"), ('ồ', "o"), ('Ổ', "O"),
    ('ổ', "o"), ('Ỗ', "O"), ('ỗ', "o"), ('Ộ', "O"), ('ộ', "o"), ('Ớ', "O"), ('ớ', "o"), ('Ờ', "O"),
    ('ờ', "o"), ('Ở', "O"), ('ở', "o"), ('Ỡ', "O"), ('ỡ', "o"), ('Ợ', "O"), ('ợ', "o"), ('Ụ', "U"),
    ('ụ', "u"), ('Ủ', "U"), ('ủ', "u"), ('Ứ', "U"), ('ứ', "u"), ('Ừ', "U"), ('ừ', "u"), ('Ử', "U"),
    ('ử', "u"), ('Ữ', "U"), ('ữ', "u"), ('Ự', "U"), ('ự', "u"), ('Ỳ', "Y"), ('ỳ', "y"), ('Ỵ', "Y"),
    ('ỵ', "y"), ('Ỷ', "Y"), ('ỷ', "y"), ('Ỹ', "Y"), ('ỹ', "y"),
];

/// Latin letters with no decomposition, transliterated by hand the way their languages
/// usually write them in ASCII (Danish/Norwegian `ø` → `o`, German `ß` → `ss`, Icelandic
/// `þ` → `th`, Polish `ł` → `l`, Croatian/Vietnamese `đ` → `d`, Maltese `ħ` → `h`, Turkish
/// `ı` → `i`, Azerbaijani `ə` → `e`, ...), or for the letters with a stroke, hook or bar, the
/// base letter. Disjoint from [`BASE_LETTERS`] and sorted, both checked by the tests.
#[rustfmt::skip]
static TRANSLITERATIONS: &[(char, &str)] = &[
    ('Æ', "AE"), ('Ð', "D"), ('Ø', "O"), ('Þ', "Th"), ('ß', "ss"), ('æ', "ae"), ('ð', "d"), ('ø', "o"),
    ('þ', "th"), ('Đ', "D"), ('đ', "d"), ('Ħ', "H"), ('ħ', "h"), ('ı', "i"), ('ĸ', "k"), ('Ŀ', "L"),
    ('ŀ', "l"), ('Ł', "L"), ('ł', "l"), ('ŉ', "n"), ('Ŋ', "N"), ('ŋ', "n"), ('Œ', "OE"), ('œ', "oe"),
    ('Ŧ', "T"), ('ŧ', "t"), ('ƀ', "b"), ('Ɓ', "B"), ('Ƈ', "C"), ('ƈ', "c"), ('Ɖ', "D"), ('Ɗ', "D"),
    ('Ƌ', "D"), ('ƌ', "d"), ('Ə', "E"), ('Ƒ', "F"), ('ƒ', "f"), ('Ɠ', "G"), ('Ɨ', "I"), ('Ƙ', "K"),
    ('ƙ', "k"), ('ƚ', "l"), ('Ɲ', "N"), ('ƞ', "n"), ('Ɵ', "O"), ('Ƥ', "P"), ('ƥ', "p"), ('ƫ', "t"),
    ('Ƭ', "T"), ('ƭ', "t"), ('Ʈ', "T"), ('Ʋ', "V"), ('Ƴ', "Y"), ('ƴ', "y"), ('Ƶ', "Z"), ('ƶ', "z"),
    ('Ǣ', "AE"), ('ǣ', "ae"), ('Ǥ', "G"), ('ǥ', "g"), ('Ǽ', "AE"), ('ǽ', "ae"), ('Ǿ', "O"), ('ǿ', "o"),
    ('ȡ', "d"), ('Ȥ', "Z"), ('ȥ', "z"), ('ȴ', "l"), ('ȵ', "n"), ('ȶ', "t"), ('ȷ', "j"), ('ȸ', "db"),
    ('ȹ', "qp"), ('Ⱥ', "A"), ('Ȼ', "C"), ('ȼ', "c"), ('Ƚ', "L"), ('Ⱦ', "T"), ('ȿ', "s"), ('ɀ', "z"),
    ('Ƀ', "B"), ('Ʉ', "U"), ('Ɇ', "E"), ('ɇ', "e"), ('Ɉ', "J"), ('ɉ', "j"), ('Ɋ', "Q"), ('ɋ', "q"),
    ('Ɍ', "R"), ('ɍ', "r"), ('Ɏ', "Y"), ('ɏ', "y"), ('ə', "e"), ('ẚ', "a"), ('ẜ', "s"), ('ẝ', "s"),
    ('ẞ', "SS"), ('Ỻ', "LL"), ('ỻ', "ll"), ('Ỽ', "V"), ('ỽ', "v"), ('Ỿ', "Y"), ('ỿ', "y"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_names_give_the_expected_scim_names() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>)] = &[
            // spaces
            ("Employed Since", Some("Employed_Since")),
            ("Date of birth", Some("Date_of_birth")),
            ("  Team  ", Some("Team")),
            ("Cost   center", Some("Cost_center")),
            ("Cost\tcenter\n", Some("Cost_center")),
            ("Cost\u{A0}center", Some("Cost_center")),              // no-break space
            ("costCenter", Some("costCenter")),
            // French
            ("Département", Some("Departement")),
            ("Date d'entrée", Some("Date_d_entree")),
            ("Façade à réviser", Some("Facade_a_reviser")),
            ("Cœur de métier", Some("Coeur_de_metier")),
            ("Œuvre", Some("OEuvre")),
            // German
            ("Straße", Some("Strasse")),
            ("GROẞE", Some("GROSSE")),
            ("Übergröße", Some("Ubergrosse")),
            // Nordic
            ("Første arbejdsdag", Some("Forste_arbejdsdag")),
            ("Ærø", Some("AEro")),
            ("Åsa", Some("Asa")),
            ("Þórður", Some("Thordur")),
            ("Fæðingardagur", Some("Faedingardagur")),
            // Polish, Czech, Turkish
            ("Łódź", Some("Lodz")),
            ("Żółć", Some("Zolc")),
            ("Příjmení", Some("Prijmeni")),
            ("Účet č. 2", Some("Ucet_c_2")),
            ("İşe giriş tarihi", Some("Ise_giris_tarihi")),
            ("Iğdır", Some("Igdir")),
            // Vietnamese, Spanish, Romanian, Croatian
            ("Ngày sinh", Some("Ngay_sinh")),
            ("Địa chỉ", Some("Dia_chi")),
            ("Tiếng Việt", Some("Tieng_Viet")),
            ("Año", Some("Ano")),
            ("Țară și oraș", Some("Tara_si_oras")),
            ("Đurđević", Some("Durdevic")),
            ("ǅemal", Some("Dzemal")),
            // decomposed input gives the same name as precomposed input
            ("De\u{301}partement", Some("Departement")),
            ("A\u{30A}sa", Some("Asa")),
            // punctuation runs
            ("Cost-center (EU)", Some("Cost-center_EU")),
            ("Salary: gross / net", Some("Salary_gross_net")),
            ("R&D budget!!!", Some("R_D_budget")),
            ("e-mail (work)", Some("e-mail_work")),
            ("Area m²", Some("Area_m2")),
            ("Nº of kids", Some("No_of_kids")),
            // leading digits, leading and trailing punctuation
            ("2nd Manager", Some("a_2nd_Manager")),
            ("2026", Some("a_2026")),
            ("...Team...", Some("Team")),
            ("(EU) region", Some("EU_region")),
            ("-Team-", Some("a_-Team-")),
            ("_private", Some("private")),
            ("__2nd__", Some("a_2nd")),
            // existing underscores and hyphens stay
            ("cost_center", Some("cost_center")),
            ("cost__center", Some("cost__center")),
            ("cost-center", Some("cost-center")),
            ("cost _ center", Some("cost_center")),
            ("cost - center", Some("cost_-_center")),
            // other scripts and emoji become separators
            ("Team 🚀 Lead", Some("Team_Lead")),
            ("日本 office", Some("office")),
            ("Σ total", Some("total")),
            // nothing usable left
            ("", None),
            ("   ", None),
            ("!!!", None),
            ("___", None),
            ("-", None),
            ("日本", None),
            ("🚀🎉", None),
            ("Дата рождения", None),
            ("µ", None),
        ];
        for &(display, expected) in cases {
            assert_eq!(scim_name_for(display).as_deref(), expected, "{display:?}");
        }
    }

    #[test]
    fn very_long_display_names_are_cut_to_the_maximum_length() {
        let sixty_four = "a".repeat(64);
        #[rustfmt::skip]
        let cases: &[(String, String)] = &[
            ("a".repeat(64), sixty_four.clone()),
            ("a".repeat(65), sixty_four.clone()),
            ("é".repeat(100), "e".repeat(64)),
            (format!("{} b", "a".repeat(63)), "a".repeat(63)),              // cut leaves `_`
            (format!("{}__b", "a".repeat(62)), "a".repeat(62)),             // cut leaves `__`
            (format!("{} bc", "a".repeat(62)), format!("{}_b", "a".repeat(62))),
            ("1".repeat(100), format!("a_{}", "1".repeat(62))),             // prefix counts
            ("ß".repeat(40), "s".repeat(64)),                               // 2 out per 1 in
        ];
        for (display, expected) in cases {
            assert_eq!(
                scim_name_for(display).as_deref(),
                Some(expected.as_str()),
                "{display:?}"
            );
        }
    }

    #[test]
    fn attribute_names_are_checked_against_rfc_7643() {
        #[rustfmt::skip]
        let cases: &[(&str, bool)] = &[
            ("userName", true),
            ("a", true),
            ("Z9", true),
            ("cost-center", true),
            ("cost_center", true),
            ("a_2nd_Manager", true),
            ("a-", true),
            ("", false),
            ("2nd", false),
            ("_private", false),
            ("-x", false),
            ("cost center", false),
            ("Département", false),
            ("Δ", false),
            ("a.b", false),
            ("a:b", false),
            ("a$", false),
            ("name\n", false),
            (&"a".repeat(64), true),
            (&"a".repeat(65), false),
        ];
        for &(name, valid) in cases {
            assert_eq!(is_attr_name(name), valid, "{name:?}");
        }
    }

    #[test]
    fn the_letter_tables_are_sorted_disjoint_and_ascii() {
        for table in [BASE_LETTERS, TRANSLITERATIONS] {
            for pair in table.windows(2) {
                assert!(
                    pair[0].0 < pair[1].0,
                    "{:?} before {:?}",
                    pair[0].0,
                    pair[1].0
                );
            }
            for &(from, to) in table {
                assert!(!from.is_ascii(), "{from:?}");
                assert!(
                    !to.is_empty() && to.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "{from:?}"
                );
            }
        }
        for &(from, _) in TRANSLITERATIONS {
            assert_eq!(
                lookup(BASE_LETTERS, from),
                None,
                "{from:?} is in both tables"
            );
        }
    }

    #[test]
    fn every_letter_of_the_main_latin_blocks_has_an_ascii_spelling() {
        // The only letters left out: the micro sign (Greek mu) and the Latin small delta.
        let left_out = ['µ', 'ẟ'];
        let blocks = [
            ('\u{00A0}', '\u{00FF}'), // Latin-1 Supplement
            ('\u{0100}', '\u{017F}'), // Latin Extended-A
            ('\u{1E00}', '\u{1EFF}'), // Latin Extended Additional
        ];
        for (first, last) in blocks {
            for c in (first..=last).filter(|c| c.is_alphabetic() && !left_out.contains(c)) {
                assert!(
                    matches!(classify(c), Piece::Text(_) | Piece::Char(_)),
                    "U+{:04X} {c} has no spelling",
                    u32::from(c)
                );
            }
        }
    }

    #[test]
    fn common_latin_letters_have_the_expected_ascii_spelling() {
        #[rustfmt::skip]
        let cases: &[(char, &str)] = &[
            ('é', "e"), ('Å', "A"), ('ñ', "n"), ('ç', "c"), ('ü', "u"),
            ('ß', "ss"), ('ẞ', "SS"), ('æ', "ae"), ('Æ', "AE"), ('ø', "o"), ('Ø', "O"),
            ('œ', "oe"), ('Œ', "OE"), ('đ', "d"), ('Đ', "D"), ('ł', "l"), ('Ł', "L"),
            ('þ', "th"), ('Þ', "Th"), ('ð', "d"), ('Ð', "D"), ('ı', "i"), ('ħ', "h"),
            ('ŧ', "t"), ('ŀ', "l"), ('ĸ', "k"), ('ŋ', "n"), ('ệ', "e"), ('ư', "u"),
        ];
        for &(c, expected) in cases {
            match classify(c) {
                Piece::Text(text) => assert_eq!(text, expected, "{c}"),
                _ => panic!("{c} has no spelling"),
            }
        }
    }

    proptest! {
        #[test]
        fn every_derived_name_is_a_valid_attribute_name_and_derives_to_itself(
            display in any::<String>(),
        ) {
            if let Some(name) = scim_name_for(&display) {
                prop_assert!(is_attr_name(&name), "{:?} -> {:?}", display, name);
                prop_assert_eq!(scim_name_for(&name), Some(name.clone()));
            }
        }

        #[test]
        fn latin_display_names_derive_valid_names_that_derive_to_themselves(
            display in "[a-zA-Z0-9 _\\-().!'/&éÅßæøœþłđıẞỆ\u{301}]{0,80}",
        ) {
            if let Some(name) = scim_name_for(&display) {
                prop_assert!(is_attr_name(&name), "{:?} -> {:?}", display, name);
                prop_assert_eq!(scim_name_for(&name), Some(name.clone()));
            } else {
                prop_assert!(!display.chars().any(|c| c.is_alphanumeric()), "{:?}", display);
            }
        }

        #[test]
        fn valid_attribute_names_without_a_trailing_underscore_derive_to_themselves(
            s in "[a-zA-Z0-9_\\-. ]{0,70}",
        ) {
            if is_attr_name(&s) && !s.ends_with('_') {
                prop_assert_eq!(scim_name_for(&s), Some(s.clone()));
            }
        }
    }
}
