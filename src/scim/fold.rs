//! Unicode case folding of canonically equivalent text, for comparing `caseExact: false` SCIM
//! values (RFC 7643 §2.2): the one function every case-insensitive comparison goes through.
//!
//! Owns: [`fold`], the comparison key of a string: its NFC form (Unicode normalisation, UAX
//! #15), fully case-folded (Unicode `CaseFolding.txt`, statuses C and F), and NFC again; and an
//! equality on those keys. The server stores a folded copy next to each case-insensitive value
//! (the folded document, the `*_fold` columns, `user_emails.value_fold`, pending employee
//! references) and folds filter literals, and compares those, because SQLite's `lower()` and
//! `NOCASE` fold ASCII only: `"ÅSA@EXAMPLE.COM"` must match `"åsa@example.com"`, `"STRASSE"`
//! `"straße"`, and `"José"` typed with a precomposed `é` (NFC) the same name typed as `e` and a
//! combining accent (NFD), which look identical and are canonically equivalent (RFC 7644
//! §3.4.2.2 compares strings as the attribute's `caseExact` says; RFC 8265 §3.3 normalises
//! user names to NFC). Stored values are returned as sent: only the key is normalised.
//!
//! Normalising before folding makes canonically equivalent inputs fold alike; normalising after
//! it makes inputs alike that differ in case and composition at once (`"Ϊ́"`, a capital with a
//! combining accent, and `"ΐ"`), because folding decomposes some characters (`"ΐ"` folds to
//! `"ι\u{308}\u{301}"`). The normaliser is ICU4X's (`icu_normalizer`), which the worker's
//! dependencies already bring in (`url`'s IDNA support) and which shares code with them: it
//! added 55 KB to the optimised worker, where `unicode-normalization` added 127 KB.
//!
//! Keys of stored rows folded before NFC was added differ from these for non-NFC or
//! decomposing input: re-folding the stored rows (a separate step) brings them in line.
//!
//! Leaves out, on purpose:
//! - compatibility normalisation (NFKC): `"ﬁ"` and `"fi"` fold alike by case folding, but
//!   full-width and other compatibility variants stay apart (RFC 8265 maps width only for the
//!   `UsernameCaseMapped` profile's input, which SCIM clients do not apply);
//! - the Turkic mappings (status T): they depend on the language of the text, which a stored
//!   attribute does not carry, so `"İ"` folds to `"i\u{307}"`, never to `"i"`;
//! - simple folding (status S): F supersedes it where both exist, which is what makes
//!   `"ß"` equal `"ss"`;
//! - context (final sigma is folded like any sigma, which is what folding wants anyway).
//!
//! How: `char::to_lowercase` already agrees with full folding for almost every code point;
//! the few hundred where it does not are listed in `FOLD_EXCEPTIONS` below.

use icu_normalizer::ComposingNormalizerBorrowed;
use std::borrow::Cow;

/// The comparison key of `s`: NFC, full Unicode case folding (statuses C + F), NFC.
///
/// Folding can change the length (`"ß"` → `"ss"`, `"ﬃ"` → `"ffi"`), and so can normalising,
/// so compare keys, never prefixes or byte offsets of the original.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        // The common case (user names, e-mail addresses): ASCII is already NFC, and folds to
        // ASCII. One pass, no table look-ups.
        return s.to_ascii_lowercase();
    }
    let nfc = ComposingNormalizerBorrowed::new_nfc();
    let folded = case_fold(&nfc.normalize(s));
    match nfc.normalize(&folded) {
        Cow::Borrowed(_) => folded,
        Cow::Owned(composed) => composed,
    }
}

/// The key of accent-insensitive search (the roster's `q=`, DESIGN §7): [`fold`], then every
/// Latin letter with diacritics as its base letter and combining marks dropped (`"Núñez"` →
/// `"nunez"`, `"Øre"` → `"ore"`, `"JOSÉ"` typed decomposed → `"jose"`), with the tables that
/// derive attribute names (`scim::naming`). Other scripts keep their (folded) letters:
/// `"Отдел"` → `"отдел"`. Only for finding, never for uniqueness: `"Müller"` and `"Muller"`
/// are two people.
pub fn search_key(s: &str) -> String {
    let folded = fold(s);
    if folded.is_ascii() {
        return folded;
    }
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd();
    let mut out = String::with_capacity(folded.len());
    for c in nfd.normalize(&folded).chars() {
        if c.is_ascii() {
            out.push(c);
        } else if super::naming::is_combining_mark(c) {
            continue;
        } else if let Some(base) = super::naming::latin_base(c) {
            out.push_str(&base.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `fold(a) == fold(b)`, without allocating when both are ASCII.
pub fn eq_folded(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    fold(a) == fold(b)
}

/// The full case folding of `s`, char by char, without normalisation: a row of the exception
/// table, or the char's lowercase. ASCII chars (most of an email address even when it is not
/// all ASCII) skip the table.
fn case_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        match FOLD_EXCEPTIONS.binary_search_by_key(&c, |&(from, _)| from) {
            Ok(i) => match FOLD_EXCEPTIONS.get(i) {
                Some(&(_, to)) => out.push_str(to),
                None => out.extend(c.to_lowercase()),
            },
            Err(_) => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Every code point whose full case folding differs from `char::to_lowercase`, with its
/// folding; sorted by code point for the binary search. Most rows are characters that fold
/// although they are already lowercase (`ß`, `ς`, `ſ`, ligatures, Greek iota-subscript forms)
/// or that fold to a different form than their lowercase (Cherokee folds to upper case, so
/// its capitals map to themselves here although `to_lowercase` would change them).
///
/// Generated with Python 3.11.7 (`str.casefold()` is full C + F folding; `str.lower()` is the
/// same full lowercase mapping as Rust's `char::to_lowercase`), Unicode 14.0.0:
///
/// ```text
/// import unicodedata as u
/// e = lambda s: "".join(x if " " <= x <= "~" and x not in "\"\\" else "\\u{%04X}" % ord(x) for x in s)
/// for o in range(0x110000):
///     c = chr(o); f = c.casefold()
///     if f != c.lower() and not 0xD800 <= o <= 0xDFFF:
///         print("    ('\\u{%04X}', \"%s\"), // %s" % (o, e(f), u.name(c)))
/// ```
///
/// The tests check that no row agrees with `to_lowercase` (no redundant rows) and that the
/// table is sorted. Characters added after Unicode 14 fall back to Rust's `to_lowercase`
/// (Unicode 17 in Rust 1.95), which agrees with folding for ordinary upper/lower pairs (the
/// 55 such characters are all capitals); regenerate with a newer Python to pick up any
/// exception a later Unicode version adds.
#[rustfmt::skip]
static FOLD_EXCEPTIONS: &[(char, &str)] = &[
    ('\u{00B5}', "\u{03BC}"), // MICRO SIGN
    ('\u{00DF}', "ss"), // LATIN SMALL LETTER SHARP S
    ('\u{0149}', "\u{02BC}n"), // LATIN SMALL LETTER N PRECEDED BY APOSTROPHE
    ('\u{017F}', "s"), // LATIN SMALL LETTER LONG S
    ('\u{01F0}', "j\u{030C}"), // LATIN SMALL LETTER J WITH CARON
    ('\u{0345}', "\u{03B9}"), // COMBINING GREEK YPOGEGRAMMENI
    ('\u{0390}', "\u{03B9}\u{0308}\u{0301}"), // GREEK SMALL LETTER IOTA WITH DIALYTIKA AND TONOS
    ('\u{03B0}', "\u{03C5}\u{0308}\u{0301}"), // GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND TONOS
    ('\u{03C2}', "\u{03C3}"), // GREEK SMALL LETTER FINAL SIGMA
    ('\u{03D0}', "\u{03B2}"), // GREEK BETA SYMBOL
    ('\u{03D1}', "\u{03B8}"), // GREEK THETA SYMBOL
    ('\u{03D5}', "\u{03C6}"), // GREEK PHI SYMBOL
    ('\u{03D6}', "\u{03C0}"), // GREEK PI SYMBOL
    ('\u{03F0}', "\u{03BA}"), // GREEK KAPPA SYMBOL
    ('\u{03F1}', "\u{03C1}"), // GREEK RHO SYMBOL
    ('\u{03F5}', "\u{03B5}"), // GREEK LUNATE EPSILON SYMBOL
    ('\u{0587}', "\u{0565}\u{0582}"), // ARMENIAN SMALL LIGATURE ECH YIWN
    ('\u{13A0}', "\u{13A0}"), // CHEROKEE LETTER A
    ('\u{13A1}', "\u{13A1}"), // CHEROKEE LETTER E
    ('\u{13A2}', "\u{13A2}"), // CHEROKEE LETTER I
    ('\u{13A3}', "\u{13A3}"), // CHEROKEE LETTER O
    ('\u{13A4}', "\u{13A4}"), // CHEROKEE LETTER U
    ('\u{13A5}', "\u{13A5}"), // CHEROKEE LETTER V
    ('\u{13A6}', "\u{13A6}"), // CHEROKEE LETTER GA
    ('\u{13A7}', "\u{13A7}"), // CHEROKEE LETTER KA
    ('\u{13A8}', "\u{13A8}"), // CHEROKEE LETTER GE
    ('\u{13A9}', "\u{13A9}"), // CHEROKEE LETTER GI
    ('\u{13AA}', "\u{13AA}"), // CHEROKEE LETTER GO
    ('\u{13AB}', "\u{13AB}"), // CHEROKEE LETTER GU
    ('\u{13AC}', "\u{13AC}"), // CHEROKEE LETTER GV
    ('\u{13AD}', "\u{13AD}"), // CHEROKEE LETTER HA
    ('\u{13AE}', "\u{13AE}"), // CHEROKEE LETTER HE
    ('\u{13AF}', "\u{13AF}"), // CHEROKEE LETTER HI
    ('\u{13B0}', "\u{13B0}"), // CHEROKEE LETTER HO
    ('\u{13B1}', "\u{13B1}"), // CHEROKEE LETTER HU
    ('\u{13B2}', "\u{13B2}"), // CHEROKEE LETTER HV
    ('\u{13B3}', "\u{13B3}"), // CHEROKEE LETTER LA
    ('\u{13B4}', "\u{13B4}"), // CHEROKEE LETTER LE
    ('\u{13B5}', "\u{13B5}"), // CHEROKEE LETTER LI
    ('\u{13B6}', "\u{13B6}"), // CHEROKEE LETTER LO
    ('\u{13B7}', "\u{13B7}"), // CHEROKEE LETTER LU
    ('\u{13B8}', "\u{13B8}"), // CHEROKEE LETTER LV
    ('\u{13B9}', "\u{13B9}"), // CHEROKEE LETTER MA
    ('\u{13BA}', "\u{13BA}"), // CHEROKEE LETTER ME
    ('\u{13BB}', "\u{13BB}"), // CHEROKEE LETTER MI
    ('\u{13BC}', "\u{13BC}"), // CHEROKEE LETTER MO
    ('\u{13BD}', "\u{13BD}"), // CHEROKEE LETTER MU
    ('\u{13BE}', "\u{13BE}"), // CHEROKEE LETTER NA
    ('\u{13BF}', "\u{13BF}"), // CHEROKEE LETTER HNA
    ('\u{13C0}', "\u{13C0}"), // CHEROKEE LETTER NAH
    ('\u{13C1}', "\u{13C1}"), // CHEROKEE LETTER NE
    ('\u{13C2}', "\u{13C2}"), // CHEROKEE LETTER NI
    ('\u{13C3}', "\u{13C3}"), // CHEROKEE LETTER NO
    ('\u{13C4}', "\u{13C4}"), // CHEROKEE LETTER NU
    ('\u{13C5}', "\u{13C5}"), // CHEROKEE LETTER NV
    ('\u{13C6}', "\u{13C6}"), // CHEROKEE LETTER QUA
    ('\u{13C7}', "\u{13C7}"), // CHEROKEE LETTER QUE
    ('\u{13C8}', "\u{13C8}"), // CHEROKEE LETTER QUI
    ('\u{13C9}', "\u{13C9}"), // CHEROKEE LETTER QUO
    ('\u{13CA}', "\u{13CA}"), // CHEROKEE LETTER QUU
    ('\u{13CB}', "\u{13CB}"), // CHEROKEE LETTER QUV
    ('\u{13CC}', "\u{13CC}"), // CHEROKEE LETTER SA
    ('\u{13CD}', "\u{13CD}"), // CHEROKEE LETTER S
    ('\u{13CE}', "\u{13CE}"), // CHEROKEE LETTER SE
    ('\u{13CF}', "\u{13CF}"), // CHEROKEE LETTER SI
    ('\u{13D0}', "\u{13D0}"), // CHEROKEE LETTER SO
    ('\u{13D1}', "\u{13D1}"), // CHEROKEE LETTER SU
    ('\u{13D2}', "\u{13D2}"), // CHEROKEE LETTER SV
    ('\u{13D3}', "\u{13D3}"), // CHEROKEE LETTER DA
    ('\u{13D4}', "\u{13D4}"), // CHEROKEE LETTER TA
    ('\u{13D5}', "\u{13D5}"), // CHEROKEE LETTER DE
    ('\u{13D6}', "\u{13D6}"), // CHEROKEE LETTER TE
    ('\u{13D7}', "\u{13D7}"), // CHEROKEE LETTER DI
    ('\u{13D8}', "\u{13D8}"), // CHEROKEE LETTER TI
    ('\u{13D9}', "\u{13D9}"), // CHEROKEE LETTER DO
    ('\u{13DA}', "\u{13DA}"), // CHEROKEE LETTER DU
    ('\u{13DB}', "\u{13DB}"), // CHEROKEE LETTER DV
    ('\u{13DC}', "\u{13DC}"), // CHEROKEE LETTER DLA
    ('\u{13DD}', "\u{13DD}"), // CHEROKEE LETTER TLA
    ('\u{13DE}', "\u{13DE}"), // CHEROKEE LETTER TLE
    ('\u{13DF}', "\u{13DF}"), // CHEROKEE LETTER TLI
    ('\u{13E0}', "\u{13E0}"), // CHEROKEE LETTER TLO
    ('\u{13E1}', "\u{13E1}"), // CHEROKEE LETTER TLU
    ('\u{13E2}', "\u{13E2}"), // CHEROKEE LETTER TLV
    ('\u{13E3}', "\u{13E3}"), // CHEROKEE LETTER TSA
    ('\u{13E4}', "\u{13E4}"), // CHEROKEE LETTER TSE
    ('\u{13E5}', "\u{13E5}"), // CHEROKEE LETTER TSI
    ('\u{13E6}', "\u{13E6}"), // CHEROKEE LETTER TSO
    ('\u{13E7}', "\u{13E7}"), // CHEROKEE LETTER TSU
    ('\u{13E8}', "\u{13E8}"), // CHEROKEE LETTER TSV
    ('\u{13E9}', "\u{13E9}"), // CHEROKEE LETTER WA
    ('\u{13EA}', "\u{13EA}"), // CHEROKEE LETTER WE
    ('\u{13EB}', "\u{13EB}"), // CHEROKEE LETTER WI
    ('\u{13EC}', "\u{13EC}"), // CHEROKEE LETTER WO
    ('\u{13ED}', "\u{13ED}"), // CHEROKEE LETTER WU
    ('\u{13EE}', "\u{13EE}"), // CHEROKEE LETTER WV
    ('\u{13EF}', "\u{13EF}"), // CHEROKEE LETTER YA
    ('\u{13F0}', "\u{13F0}"), // CHEROKEE LETTER YE
    ('\u{13F1}', "\u{13F1}"), // CHEROKEE LETTER YI
    ('\u{13F2}', "\u{13F2}"), // CHEROKEE LETTER YO
    ('\u{13F3}', "\u{13F3}"), // CHEROKEE LETTER YU
    ('\u{13F4}', "\u{13F4}"), // CHEROKEE LETTER YV
    ('\u{13F5}', "\u{13F5}"), // CHEROKEE LETTER MV
    ('\u{13F8}', "\u{13F0}"), // CHEROKEE SMALL LETTER YE
    ('\u{13F9}', "\u{13F1}"), // CHEROKEE SMALL LETTER YI
    ('\u{13FA}', "\u{13F2}"), // CHEROKEE SMALL LETTER YO
    ('\u{13FB}', "\u{13F3}"), // CHEROKEE SMALL LETTER YU
    ('\u{13FC}', "\u{13F4}"), // CHEROKEE SMALL LETTER YV
    ('\u{13FD}', "\u{13F5}"), // CHEROKEE SMALL LETTER MV
    ('\u{1C80}', "\u{0432}"), // CYRILLIC SMALL LETTER ROUNDED VE
    ('\u{1C81}', "\u{0434}"), // CYRILLIC SMALL LETTER LONG-LEGGED DE
    ('\u{1C82}', "\u{043E}"), // CYRILLIC SMALL LETTER NARROW O
    ('\u{1C83}', "\u{0441}"), // CYRILLIC SMALL LETTER WIDE ES
    ('\u{1C84}', "\u{0442}"), // CYRILLIC SMALL LETTER TALL TE
    ('\u{1C85}', "\u{0442}"), // CYRILLIC SMALL LETTER THREE-LEGGED TE
    ('\u{1C86}', "\u{044A}"), // CYRILLIC SMALL LETTER TALL HARD SIGN
    ('\u{1C87}', "\u{0463}"), // CYRILLIC SMALL LETTER TALL YAT
    ('\u{1C88}', "\u{A64B}"), // CYRILLIC SMALL LETTER UNBLENDED UK
    ('\u{1E96}', "h\u{0331}"), // LATIN SMALL LETTER H WITH LINE BELOW
    ('\u{1E97}', "t\u{0308}"), // LATIN SMALL LETTER T WITH DIAERESIS
    ('\u{1E98}', "w\u{030A}"), // LATIN SMALL LETTER W WITH RING ABOVE
    ('\u{1E99}', "y\u{030A}"), // LATIN SMALL LETTER Y WITH RING ABOVE
    ('\u{1E9A}', "a\u{02BE}"), // LATIN SMALL LETTER A WITH RIGHT HALF RING
    ('\u{1E9B}', "\u{1E61}"), // LATIN SMALL LETTER LONG S WITH DOT ABOVE
    ('\u{1E9E}', "ss"), // LATIN CAPITAL LETTER SHARP S
    ('\u{1F50}', "\u{03C5}\u{0313}"), // GREEK SMALL LETTER UPSILON WITH PSILI
    ('\u{1F52}', "\u{03C5}\u{0313}\u{0300}"), // GREEK SMALL LETTER UPSILON WITH PSILI AND VARIA
    ('\u{1F54}', "\u{03C5}\u{0313}\u{0301}"), // GREEK SMALL LETTER UPSILON WITH PSILI AND OXIA
    ('\u{1F56}', "\u{03C5}\u{0313}\u{0342}"), // GREEK SMALL LETTER UPSILON WITH PSILI AND PERISPOMENI
    ('\u{1F80}', "\u{1F00}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH PSILI AND YPOGEGRAMMENI
    ('\u{1F81}', "\u{1F01}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH DASIA AND YPOGEGRAMMENI
    ('\u{1F82}', "\u{1F02}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH PSILI AND VARIA AND YPOGEGRAMMENI
    ('\u{1F83}', "\u{1F03}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH DASIA AND VARIA AND YPOGEGRAMMENI
    ('\u{1F84}', "\u{1F04}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH PSILI AND OXIA AND YPOGEGRAMMENI
    ('\u{1F85}', "\u{1F05}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH DASIA AND OXIA AND YPOGEGRAMMENI
    ('\u{1F86}', "\u{1F06}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH PSILI AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1F87}', "\u{1F07}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH DASIA AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1F88}', "\u{1F00}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH PSILI AND PROSGEGRAMMENI
    ('\u{1F89}', "\u{1F01}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH DASIA AND PROSGEGRAMMENI
    ('\u{1F8A}', "\u{1F02}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH PSILI AND VARIA AND PROSGEGRAMMENI
    ('\u{1F8B}', "\u{1F03}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH DASIA AND VARIA AND PROSGEGRAMMENI
    ('\u{1F8C}', "\u{1F04}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH PSILI AND OXIA AND PROSGEGRAMMENI
    ('\u{1F8D}', "\u{1F05}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH DASIA AND OXIA AND PROSGEGRAMMENI
    ('\u{1F8E}', "\u{1F06}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH PSILI AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1F8F}', "\u{1F07}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH DASIA AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1F90}', "\u{1F20}\u{03B9}"), // GREEK SMALL LETTER ETA WITH PSILI AND YPOGEGRAMMENI
    ('\u{1F91}', "\u{1F21}\u{03B9}"), // GREEK SMALL LETTER ETA WITH DASIA AND YPOGEGRAMMENI
    ('\u{1F92}', "\u{1F22}\u{03B9}"), // GREEK SMALL LETTER ETA WITH PSILI AND VARIA AND YPOGEGRAMMENI
    ('\u{1F93}', "\u{1F23}\u{03B9}"), // GREEK SMALL LETTER ETA WITH DASIA AND VARIA AND YPOGEGRAMMENI
    ('\u{1F94}', "\u{1F24}\u{03B9}"), // GREEK SMALL LETTER ETA WITH PSILI AND OXIA AND YPOGEGRAMMENI
    ('\u{1F95}', "\u{1F25}\u{03B9}"), // GREEK SMALL LETTER ETA WITH DASIA AND OXIA AND YPOGEGRAMMENI
    ('\u{1F96}', "\u{1F26}\u{03B9}"), // GREEK SMALL LETTER ETA WITH PSILI AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1F97}', "\u{1F27}\u{03B9}"), // GREEK SMALL LETTER ETA WITH DASIA AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1F98}', "\u{1F20}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH PSILI AND PROSGEGRAMMENI
    ('\u{1F99}', "\u{1F21}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH DASIA AND PROSGEGRAMMENI
    ('\u{1F9A}', "\u{1F22}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH PSILI AND VARIA AND PROSGEGRAMMENI
    ('\u{1F9B}', "\u{1F23}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH DASIA AND VARIA AND PROSGEGRAMMENI
    ('\u{1F9C}', "\u{1F24}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH PSILI AND OXIA AND PROSGEGRAMMENI
    ('\u{1F9D}', "\u{1F25}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH DASIA AND OXIA AND PROSGEGRAMMENI
    ('\u{1F9E}', "\u{1F26}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH PSILI AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1F9F}', "\u{1F27}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH DASIA AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1FA0}', "\u{1F60}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH PSILI AND YPOGEGRAMMENI
    ('\u{1FA1}', "\u{1F61}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH DASIA AND YPOGEGRAMMENI
    ('\u{1FA2}', "\u{1F62}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH PSILI AND VARIA AND YPOGEGRAMMENI
    ('\u{1FA3}', "\u{1F63}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH DASIA AND VARIA AND YPOGEGRAMMENI
    ('\u{1FA4}', "\u{1F64}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH PSILI AND OXIA AND YPOGEGRAMMENI
    ('\u{1FA5}', "\u{1F65}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH DASIA AND OXIA AND YPOGEGRAMMENI
    ('\u{1FA6}', "\u{1F66}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH PSILI AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1FA7}', "\u{1F67}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH DASIA AND PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1FA8}', "\u{1F60}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH PSILI AND PROSGEGRAMMENI
    ('\u{1FA9}', "\u{1F61}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH DASIA AND PROSGEGRAMMENI
    ('\u{1FAA}', "\u{1F62}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH PSILI AND VARIA AND PROSGEGRAMMENI
    ('\u{1FAB}', "\u{1F63}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH DASIA AND VARIA AND PROSGEGRAMMENI
    ('\u{1FAC}', "\u{1F64}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH PSILI AND OXIA AND PROSGEGRAMMENI
    ('\u{1FAD}', "\u{1F65}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH DASIA AND OXIA AND PROSGEGRAMMENI
    ('\u{1FAE}', "\u{1F66}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH PSILI AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1FAF}', "\u{1F67}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH DASIA AND PERISPOMENI AND PROSGEGRAMMENI
    ('\u{1FB2}', "\u{1F70}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH VARIA AND YPOGEGRAMMENI
    ('\u{1FB3}', "\u{03B1}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH YPOGEGRAMMENI
    ('\u{1FB4}', "\u{03AC}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH OXIA AND YPOGEGRAMMENI
    ('\u{1FB6}', "\u{03B1}\u{0342}"), // GREEK SMALL LETTER ALPHA WITH PERISPOMENI
    ('\u{1FB7}', "\u{03B1}\u{0342}\u{03B9}"), // GREEK SMALL LETTER ALPHA WITH PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1FBC}', "\u{03B1}\u{03B9}"), // GREEK CAPITAL LETTER ALPHA WITH PROSGEGRAMMENI
    ('\u{1FBE}', "\u{03B9}"), // GREEK PROSGEGRAMMENI
    ('\u{1FC2}', "\u{1F74}\u{03B9}"), // GREEK SMALL LETTER ETA WITH VARIA AND YPOGEGRAMMENI
    ('\u{1FC3}', "\u{03B7}\u{03B9}"), // GREEK SMALL LETTER ETA WITH YPOGEGRAMMENI
    ('\u{1FC4}', "\u{03AE}\u{03B9}"), // GREEK SMALL LETTER ETA WITH OXIA AND YPOGEGRAMMENI
    ('\u{1FC6}', "\u{03B7}\u{0342}"), // GREEK SMALL LETTER ETA WITH PERISPOMENI
    ('\u{1FC7}', "\u{03B7}\u{0342}\u{03B9}"), // GREEK SMALL LETTER ETA WITH PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1FCC}', "\u{03B7}\u{03B9}"), // GREEK CAPITAL LETTER ETA WITH PROSGEGRAMMENI
    ('\u{1FD2}', "\u{03B9}\u{0308}\u{0300}"), // GREEK SMALL LETTER IOTA WITH DIALYTIKA AND VARIA
    ('\u{1FD3}', "\u{03B9}\u{0308}\u{0301}"), // GREEK SMALL LETTER IOTA WITH DIALYTIKA AND OXIA
    ('\u{1FD6}', "\u{03B9}\u{0342}"), // GREEK SMALL LETTER IOTA WITH PERISPOMENI
    ('\u{1FD7}', "\u{03B9}\u{0308}\u{0342}"), // GREEK SMALL LETTER IOTA WITH DIALYTIKA AND PERISPOMENI
    ('\u{1FE2}', "\u{03C5}\u{0308}\u{0300}"), // GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND VARIA
    ('\u{1FE3}', "\u{03C5}\u{0308}\u{0301}"), // GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND OXIA
    ('\u{1FE4}', "\u{03C1}\u{0313}"), // GREEK SMALL LETTER RHO WITH PSILI
    ('\u{1FE6}', "\u{03C5}\u{0342}"), // GREEK SMALL LETTER UPSILON WITH PERISPOMENI
    ('\u{1FE7}', "\u{03C5}\u{0308}\u{0342}"), // GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND PERISPOMENI
    ('\u{1FF2}', "\u{1F7C}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH VARIA AND YPOGEGRAMMENI
    ('\u{1FF3}', "\u{03C9}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH YPOGEGRAMMENI
    ('\u{1FF4}', "\u{03CE}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH OXIA AND YPOGEGRAMMENI
    ('\u{1FF6}', "\u{03C9}\u{0342}"), // GREEK SMALL LETTER OMEGA WITH PERISPOMENI
    ('\u{1FF7}', "\u{03C9}\u{0342}\u{03B9}"), // GREEK SMALL LETTER OMEGA WITH PERISPOMENI AND YPOGEGRAMMENI
    ('\u{1FFC}', "\u{03C9}\u{03B9}"), // GREEK CAPITAL LETTER OMEGA WITH PROSGEGRAMMENI
    ('\u{AB70}', "\u{13A0}"), // CHEROKEE SMALL LETTER A
    ('\u{AB71}', "\u{13A1}"), // CHEROKEE SMALL LETTER E
    ('\u{AB72}', "\u{13A2}"), // CHEROKEE SMALL LETTER I
    ('\u{AB73}', "\u{13A3}"), // CHEROKEE SMALL LETTER O
    ('\u{AB74}', "\u{13A4}"), // CHEROKEE SMALL LETTER U
    ('\u{AB75}', "\u{13A5}"), // CHEROKEE SMALL LETTER V
    ('\u{AB76}', "\u{13A6}"), // CHEROKEE SMALL LETTER GA
    ('\u{AB77}', "\u{13A7}"), // CHEROKEE SMALL LETTER KA
    ('\u{AB78}', "\u{13A8}"), // CHEROKEE SMALL LETTER GE
    ('\u{AB79}', "\u{13A9}"), // CHEROKEE SMALL LETTER GI
    ('\u{AB7A}', "\u{13AA}"), // CHEROKEE SMALL LETTER GO
    ('\u{AB7B}', "\u{13AB}"), // CHEROKEE SMALL LETTER GU
    ('\u{AB7C}', "\u{13AC}"), // CHEROKEE SMALL LETTER GV
    ('\u{AB7D}', "\u{13AD}"), // CHEROKEE SMALL LETTER HA
    ('\u{AB7E}', "\u{13AE}"), // CHEROKEE SMALL LETTER HE
    ('\u{AB7F}', "\u{13AF}"), // CHEROKEE SMALL LETTER HI
    ('\u{AB80}', "\u{13B0}"), // CHEROKEE SMALL LETTER HO
    ('\u{AB81}', "\u{13B1}"), // CHEROKEE SMALL LETTER HU
    ('\u{AB82}', "\u{13B2}"), // CHEROKEE SMALL LETTER HV
    ('\u{AB83}', "\u{13B3}"), // CHEROKEE SMALL LETTER LA
    ('\u{AB84}', "\u{13B4}"), // CHEROKEE SMALL LETTER LE
    ('\u{AB85}', "\u{13B5}"), // CHEROKEE SMALL LETTER LI
    ('\u{AB86}', "\u{13B6}"), // CHEROKEE SMALL LETTER LO
    ('\u{AB87}', "\u{13B7}"), // CHEROKEE SMALL LETTER LU
    ('\u{AB88}', "\u{13B8}"), // CHEROKEE SMALL LETTER LV
    ('\u{AB89}', "\u{13B9}"), // CHEROKEE SMALL LETTER MA
    ('\u{AB8A}', "\u{13BA}"), // CHEROKEE SMALL LETTER ME
    ('\u{AB8B}', "\u{13BB}"), // CHEROKEE SMALL LETTER MI
    ('\u{AB8C}', "\u{13BC}"), // CHEROKEE SMALL LETTER MO
    ('\u{AB8D}', "\u{13BD}"), // CHEROKEE SMALL LETTER MU
    ('\u{AB8E}', "\u{13BE}"), // CHEROKEE SMALL LETTER NA
    ('\u{AB8F}', "\u{13BF}"), // CHEROKEE SMALL LETTER HNA
    ('\u{AB90}', "\u{13C0}"), // CHEROKEE SMALL LETTER NAH
    ('\u{AB91}', "\u{13C1}"), // CHEROKEE SMALL LETTER NE
    ('\u{AB92}', "\u{13C2}"), // CHEROKEE SMALL LETTER NI
    ('\u{AB93}', "\u{13C3}"), // CHEROKEE SMALL LETTER NO
    ('\u{AB94}', "\u{13C4}"), // CHEROKEE SMALL LETTER NU
    ('\u{AB95}', "\u{13C5}"), // CHEROKEE SMALL LETTER NV
    ('\u{AB96}', "\u{13C6}"), // CHEROKEE SMALL LETTER QUA
    ('\u{AB97}', "\u{13C7}"), // CHEROKEE SMALL LETTER QUE
    ('\u{AB98}', "\u{13C8}"), // CHEROKEE SMALL LETTER QUI
    ('\u{AB99}', "\u{13C9}"), // CHEROKEE SMALL LETTER QUO
    ('\u{AB9A}', "\u{13CA}"), // CHEROKEE SMALL LETTER QUU
    ('\u{AB9B}', "\u{13CB}"), // CHEROKEE SMALL LETTER QUV
    ('\u{AB9C}', "\u{13CC}"), // CHEROKEE SMALL LETTER SA
    ('\u{AB9D}', "\u{13CD}"), // CHEROKEE SMALL LETTER S
    ('\u{AB9E}', "\u{13CE}"), // CHEROKEE SMALL LETTER SE
    ('\u{AB9F}', "\u{13CF}"), // CHEROKEE SMALL LETTER SI
    ('\u{ABA0}', "\u{13D0}"), // CHEROKEE SMALL LETTER SO
    ('\u{ABA1}', "\u{13D1}"), // CHEROKEE SMALL LETTER SU
    ('\u{ABA2}', "\u{13D2}"), // CHEROKEE SMALL LETTER SV
    ('\u{ABA3}', "\u{13D3}"), // CHEROKEE SMALL LETTER DA
    ('\u{ABA4}', "\u{13D4}"), // CHEROKEE SMALL LETTER TA
    ('\u{ABA5}', "\u{13D5}"), // CHEROKEE SMALL LETTER DE
    ('\u{ABA6}', "\u{13D6}"), // CHEROKEE SMALL LETTER TE
    ('\u{ABA7}', "\u{13D7}"), // CHEROKEE SMALL LETTER DI
    ('\u{ABA8}', "\u{13D8}"), // CHEROKEE SMALL LETTER TI
    ('\u{ABA9}', "\u{13D9}"), // CHEROKEE SMALL LETTER DO
    ('\u{ABAA}', "\u{13DA}"), // CHEROKEE SMALL LETTER DU
    ('\u{ABAB}', "\u{13DB}"), // CHEROKEE SMALL LETTER DV
    ('\u{ABAC}', "\u{13DC}"), // CHEROKEE SMALL LETTER DLA
    ('\u{ABAD}', "\u{13DD}"), // CHEROKEE SMALL LETTER TLA
    ('\u{ABAE}', "\u{13DE}"), // CHEROKEE SMALL LETTER TLE
    ('\u{ABAF}', "\u{13DF}"), // CHEROKEE SMALL LETTER TLI
    ('\u{ABB0}', "\u{13E0}"), // CHEROKEE SMALL LETTER TLO
    ('\u{ABB1}', "\u{13E1}"), // CHEROKEE SMALL LETTER TLU
    ('\u{ABB2}', "\u{13E2}"), // CHEROKEE SMALL LETTER TLV
    ('\u{ABB3}', "\u{13E3}"), // CHEROKEE SMALL LETTER TSA
    ('\u{ABB4}', "\u{13E4}"), // CHEROKEE SMALL LETTER TSE
    ('\u{ABB5}', "\u{13E5}"), // CHEROKEE SMALL LETTER TSI
    ('\u{ABB6}', "\u{13E6}"), // CHEROKEE SMALL LETTER TSO
    ('\u{ABB7}', "\u{13E7}"), // CHEROKEE SMALL LETTER TSU
    ('\u{ABB8}', "\u{13E8}"), // CHEROKEE SMALL LETTER TSV
    ('\u{ABB9}', "\u{13E9}"), // CHEROKEE SMALL LETTER WA
    ('\u{ABBA}', "\u{13EA}"), // CHEROKEE SMALL LETTER WE
    ('\u{ABBB}', "\u{13EB}"), // CHEROKEE SMALL LETTER WI
    ('\u{ABBC}', "\u{13EC}"), // CHEROKEE SMALL LETTER WO
    ('\u{ABBD}', "\u{13ED}"), // CHEROKEE SMALL LETTER WU
    ('\u{ABBE}', "\u{13EE}"), // CHEROKEE SMALL LETTER WV
    ('\u{ABBF}', "\u{13EF}"), // CHEROKEE SMALL LETTER YA
    ('\u{FB00}', "ff"), // LATIN SMALL LIGATURE FF
    ('\u{FB01}', "fi"), // LATIN SMALL LIGATURE FI
    ('\u{FB02}', "fl"), // LATIN SMALL LIGATURE FL
    ('\u{FB03}', "ffi"), // LATIN SMALL LIGATURE FFI
    ('\u{FB04}', "ffl"), // LATIN SMALL LIGATURE FFL
    ('\u{FB05}', "st"), // LATIN SMALL LIGATURE LONG S T
    ('\u{FB06}', "st"), // LATIN SMALL LIGATURE ST
    ('\u{FB13}', "\u{0574}\u{0576}"), // ARMENIAN SMALL LIGATURE MEN NOW
    ('\u{FB14}', "\u{0574}\u{0565}"), // ARMENIAN SMALL LIGATURE MEN ECH
    ('\u{FB15}', "\u{0574}\u{056B}"), // ARMENIAN SMALL LIGATURE MEN INI
    ('\u{FB16}', "\u{057E}\u{0576}"), // ARMENIAN SMALL LIGATURE VEW NOW
    ('\u{FB17}', "\u{0574}\u{056D}"), // ARMENIAN SMALL LIGATURE MEN XEH
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_that_differ_only_in_case_fold_equal() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("alice@example.com", "ALICE@Example.COM"),
            ("ÅSA@EXAMPLE.COM", "åsa@example.com"),
            ("STRASSE", "straße"),
            ("MASSE", "Maße"),
            ("ẞ", "ss"),
            ("ΣΑΣ", "σας"),
            ("ΣΑΣ", "σασ"),
            ("Ǆ", "ǆ"),                    // DŽ digraph, upper vs lower
            ("ǅ", "ǆ"),                    // and its titlecase form
            ("ﬁle", "FILE"),               // ligature fi
            ("ﬀ", "FF"),
            ("ﬃ", "ffi"),
            ("ﬆ", "st"),
            ("ﬅ", "ST"),                   // long s t
            ("և", "եւ"),                   // Armenian ech yiwn
            ("ﬓ", "մն"),                   // Armenian men now
            ("ŉ", "ʼn"),
            ("ǰ", "j\u{30C}"),
            ("ΐ", "ι\u{308}\u{301}"),
            ("ΰ", "υ\u{308}\u{301}"),
            ("ᾳ", "αι"),                   // iota subscript
            ("ᾼ", "ᾳ"),                    // prosgegrammeni vs ypogegrammeni
            ("ᾈ", "ἀι"),
            ("ſ", "s"),                    // long s
            ("ẛ", "ṡ"),
            ("\u{212A}", "k"),             // Kelvin sign
            ("\u{2126}", "ω"),             // Ohm sign
            ("\u{212B}", "å"),             // Angstrom sign
            ("µ", "μ"),                    // micro sign, Greek mu
            ("ϐ", "Β"),                    // Greek beta symbol
            ("İ", "i\u{307}"),             // dotted capital I, non-Turkic folding
            ("Ꭰ", "ꭰ"),                    // Cherokee A, capital vs small
            ("ᏸ", "Ᏸ"),                    // Cherokee YE, small vs capital
            ("ДМИТРИЙ", "дмитрий"),
            ("𐐀", "𐐨"),                    // Deseret, outside the BMP
            ("", ""),
            // Canonically equivalent (NFC and NFD), and case variants of them.
            ("é", "e\u{301}"),
            ("José", "Jose\u{301}"),
            ("JOSÉ", "jose\u{301}"),
            ("JOSE\u{301}", "josé"),
            ("Å", "A\u{30A}"),             // precomposed and combining ring
            ("\u{212B}", "A\u{30A}"),      // Angstrom sign (a singleton) and the same
            ("ṩ", "s\u{323}\u{307}"),       // two marks, in canonical order
            ("ṩ", "s\u{307}\u{323}"),       // and in the other order
            ("한", "\u{1112}\u{1161}\u{11AB}"), // a Hangul syllable and its jamo
            ("Ϊ́", "ΐ"),                   // case and composition differ at once
            ("ᾼ\u{301}", "ά\u{345}"),
        ];
        for &(a, b) in cases {
            assert_eq!(fold(a), fold(b), "{a:?} vs {b:?}");
            assert!(eq_folded(a, b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn values_that_differ_in_more_than_case_stay_apart() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("alice@example.com", "alice@example.co"),
            ("a", "á"),
            ("Å", "A"),
            ("İ", "i"),                    // no Turkic mapping
            ("ﬁ", "f"),
            ("ｊｏｓé", "josé"),            // full-width: compatibility, not canonical
            ("e\u{301}", "e"),
            ("e\u{301}", "e\u{300}"),
            ("ı", "i"),                    // dotless i folds to itself
            ("ss", "s"),
            ("ﬀ", "f"),
            ("ß", "s"),
            ("σ", "ο"),
            ("a", ""),
            ("abc", "abc "),
        ];
        for &(a, b) in cases {
            assert_ne!(fold(a), fold(b), "{a:?} vs {b:?}");
            assert!(!eq_folded(a, b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn folding_gives_the_expected_text() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("Alice@Example.COM", "alice@example.com"),
            ("ÅSA", "åsa"),
            ("Straße", "strasse"),
            ("ΣΑΣ σας", "σασ σασ"),
            ("ﬃ", "ffi"),
            ("ᾼ", "αι"),
            ("ꭰᏸ", "ᎠᏰ"),
            ("İ", "i\u{307}"),
            ("\u{212A}", "k"),
            // NFC, before and after folding.
            ("JOSE\u{301}", "josé"),
            ("A\u{30A}", "å"),
            ("\u{212B}", "å"),
            ("ǰ", "ǰ"),                      // folds to j + caron, which composes again
            ("J\u{30C}", "ǰ"),
            ("Ϊ́", "ΐ"),
        ];
        for &(input, folded) in cases {
            assert_eq!(fold(input), folded, "{input:?}");
        }
    }

    #[test]
    fn the_exception_table_is_sorted_without_duplicates() {
        for pair in FOLD_EXCEPTIONS.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{:?} before {:?}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn every_exception_row_differs_from_rusts_lowercase() {
        for &(from, to) in FOLD_EXCEPTIONS {
            let lower: String = from.to_lowercase().collect();
            assert_ne!(lower, to, "redundant row for U+{:04X}", u32::from(from));
        }
    }

    #[test]
    fn every_exception_row_is_already_folded() {
        // The table's own property, so without normalisation (which `fold` adds around it).
        for &(from, to) in FOLD_EXCEPTIONS {
            let again = case_fold(to);
            assert_eq!(again, to, "row for U+{:04X}", u32::from(from));
        }
    }

    #[test]
    fn folding_every_code_point_twice_changes_nothing_more() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let once = fold(c.encode_utf8(&mut [0; 4]));
            assert_eq!(fold(&once), once, "U+{:04X}", u32::from(c));
        }
    }

    /// Text rich in what normalisation changes: combining marks (in and out of canonical
    /// order), precomposed letters, singletons, Hangul, Greek with iota subscripts.
    const NORMALISATION_CHARS: &str =
        "[aeiosjAEIOSJ\\x{300}\\x{301}\\x{307}\\x{308}\\x{30A}\\x{30C}\\x{323}\\x{327}\\x{345}éÉåÅṩǰΐΪᾳᾼ\\x{212B}\\x{2126}\\x{1112}\\x{1161}\\x{11AB}한ßẞ]{0,12}";

    proptest! {
        #[test]
        fn canonically_equivalent_text_folds_alike(s in NORMALISATION_CHARS) {
            let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(&s).into_owned();
            let nfc = ComposingNormalizerBorrowed::new_nfc().normalize(&s).into_owned();
            prop_assert_eq!(fold(&nfd), fold(&s));
            prop_assert_eq!(fold(&nfc), fold(&s));
            // Case variants too, except around U+0345 (combining ypogegrammeni), whose upper
            // case is a letter: no caseless match (Unicode D145) makes those alike either.
            if !nfd.contains('\u{345}') {
                prop_assert_eq!(fold(&s.to_uppercase()), fold(&nfd.to_lowercase()));
            }
            prop_assert!(ComposingNormalizerBorrowed::new_nfc().is_normalized(&fold(&s)));
        }

        #[test]
        fn folding_normalisation_rich_text_is_idempotent(s in NORMALISATION_CHARS) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn folding_is_idempotent(s in any::<String>()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn eq_folded_agrees_with_comparing_folded_text(a in any::<String>(), b in any::<String>()) {
            prop_assert_eq!(eq_folded(&a, &b), fold(&a) == fold(&b));
        }

        #[test]
        fn eq_folded_agrees_with_comparing_folded_text_on_case_variants(
            s in "[a-zA-Zß-ÿÀ-Þ Σσςﬁſkİı\\x{212A}]{0,12}",
        ) {
            let upper = s.to_uppercase();
            let lower = s.to_lowercase();
            prop_assert_eq!(eq_folded(&s, &upper), fold(&s) == fold(&upper));
            prop_assert_eq!(eq_folded(&upper, &lower), fold(&upper) == fold(&lower));
            prop_assert_eq!(eq_folded(&s, &s), true);
        }

        #[test]
        fn ascii_text_folds_like_ascii_lowercase(s in "[ -~]{0,40}") {
            prop_assert_eq!(fold(&s), s.to_ascii_lowercase());
        }
    }
}
