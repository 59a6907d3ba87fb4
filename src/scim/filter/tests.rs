//! Tests of the filter and PATCH path syntax: tables of accepted and refused input, the
//! limits at their exact boundaries, and round trips through `Display`, by table and by
//! proptest.

use proptest::prelude::*;

use super::*;

fn parse(input: &str) -> Result<Filter, FilterError> {
    parse_filter(input, &Limits::DEFAULT)
}

/// Limits that no test input reaches, for re-parsing printed trees of any shape.
const ROOMY: Limits = Limits {
    max_len: usize::MAX,
    max_depth: 64,
    max_terms: 100_000,
};

/// Filters and the trees they parse to. Every RFC 7644 §3.4.2.2 example comes first.
#[rustfmt::skip]
const PARSES: &[(&str, &str)] = &[
    // RFC 7644 §3.4.2.2, the examples after Table 3.
    (r#"userName eq "bjensen""#, r#"(eq userName "bjensen")"#),
    (r#"name.familyName co "O'Malley""#, r#"(co name.familyName "O'Malley")"#),
    (r#"userName sw "J""#, r#"(sw userName "J")"#),
    (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#, r#"(sw urn:ietf:params:scim:schemas:core:2.0:User:userName "J")"#),
    ("title pr", "(pr title)"),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, r#"(gt meta.lastModified "2011-05-13T04:42:34Z")"#),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, r#"(ge meta.lastModified "2011-05-13T04:42:34Z")"#),
    (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, r#"(lt meta.lastModified "2011-05-13T04:42:34Z")"#),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, r#"(le meta.lastModified "2011-05-13T04:42:34Z")"#),
    (r#"title pr and userType eq "Employee""#, r#"(and (pr title) (eq userType "Employee"))"#),
    (r#"title pr or userType eq "Intern""#, r#"(or (pr title) (eq userType "Intern"))"#),
    (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, r#"(eq schemas "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")"#),
    (r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#, r#"(and (eq userType "Employee") (or (co emails "example.com") (co emails.value "example.org")))"#),
    (r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#, r#"(and (ne userType "Employee") (not (or (co emails "example.com") (co emails.value "example.org"))))"#),
    (r#"userType eq "Employee" and (emails.type eq "work")"#, r#"(and (eq userType "Employee") (eq emails.type "work"))"#),
    (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, r#"(and (eq userType "Employee") (valuepath emails (and (eq type "work") (co value "@example.com"))))"#),
    (r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#, r#"(or (valuepath emails (and (eq type "work") (co value "@example.com"))) (valuepath ims (and (eq type "xmpp") (co value "@foo.com"))))"#),
    // The RFC breaks its long examples over lines; so may clients.
    ("userType eq \"Employee\" and emails[type eq \"work\" and\n  value co \"@example.com\"]", r#"(and (eq userType "Employee") (valuepath emails (and (eq type "work") (co value "@example.com"))))"#),
    // RFC 7644 §3.4.3.
    (r#"displayName sw "smith""#, r#"(sw displayName "smith")"#),
    // Every operator.
    (r#"a eq "x""#, r#"(eq a "x")"#),
    (r#"a ne "x""#, r#"(ne a "x")"#),
    (r#"a co "x""#, r#"(co a "x")"#),
    (r#"a sw "x""#, r#"(sw a "x")"#),
    (r#"a ew "x""#, r#"(ew a "x")"#),
    (r#"a gt "x""#, r#"(gt a "x")"#),
    (r#"a ge "x""#, r#"(ge a "x")"#),
    (r#"a lt "x""#, r#"(lt a "x")"#),
    (r#"a le "x""#, r#"(le a "x")"#),
    ("a pr", "(pr a)"),
    // Microsoft Entra ID.
    (r#"userName eq "AlexW@contoso.com""#, r#"(eq userName "AlexW@contoso.com")"#),
    (r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#, r#"(eq externalId "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")"#),
    (r#"id eq "5d48a0a8-e3bd-4f60-8d6f-5b9ae4f6d3f1""#, r#"(eq id "5d48a0a8-e3bd-4f60-8d6f-5b9ae4f6d3f1")"#),
    (r#"displayName eq "Sales""#, r#"(eq displayName "Sales")"#),
    (r#"emails[type eq "work"].value eq "AlexW@contoso.com""#, r#"(valuepath emails (and (eq type "work") (eq value "AlexW@contoso.com")))"#),
    (r#"emails[type eq "work"].value pr"#, r#"(valuepath emails (and (eq type "work") (pr value)))"#),
    (r#"emails[type eq "work" or primary eq true].value ew "@contoso.com""#, r#"(valuepath emails (and (or (eq type "work") (eq primary true)) (ew value "@contoso.com")))"#),
    // Microsoft's Azure AD SCIM guide prints its values unquoted; they read as strings.
    ("externalId eq jyoung", r#"(eq externalId "jyoung")"#),
    ("id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646", r#"(and (eq id "54D382A4-2050-4C03-94D1-E769F1D15682") (eq manager "2819c223-7f76-453a-919d-413861904646"))"#),
    ("userName eq jyoung@Contoso.com", r#"(eq userName "jyoung@Contoso.com")"#),
    ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq 2819c223-7f76-453a-919d-413861904646", r#"(eq urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager "2819c223-7f76-453a-919d-413861904646")"#),
    // A bare value ends at whitespace, a closing parenthesis or bracket.
    ("(externalId eq jyoung)", r#"(eq externalId "jyoung")"#),
    ("not (externalId eq jyoung)or userName eq x", r#"(or (not (eq externalId "jyoung")) (eq userName "x"))"#),
    ("emails[type eq work].value eq jyoung@contoso.com", r#"(valuepath emails (and (eq type "work") (eq value "jyoung@contoso.com")))"#),
    ("emails[type eq work]", r#"(valuepath emails (eq type "work"))"#),
    ("userName eq x\tand title pr", r#"(and (eq userName "x") (pr title))"#),
    // Text the RFC refuses as a number or a character reads as a string; keywords too.
    ("a eq 12abc", r#"(eq a "12abc")"#),
    ("a eq 01", r#"(eq a "01")"#),
    ("a eq 1.", r#"(eq a "1.")"#),
    ("a eq -", r#"(eq a "-")"#),
    ("a eq é", r#"(eq a "é")"#),
    ("a eq O'Malley", r#"(eq a "O'Malley")"#),
    ("a eq truex", r#"(eq a "truex")"#),
    ("a eq true.x", r#"(eq a "true.x")"#),
    ("a eq nullable", r#"(eq a "nullable")"#),
    ("a eq and", r#"(eq a "and")"#),
    ("a eq a%b_c\\d/e", r#"(eq a "a%b_c\\d/e")"#),
    // JSON literals stay what they are, unquoted or not.
    ("a eq 42", "(eq a 42)"),
    ("(a eq 42)", "(eq a 42)"),
    ("a eq True", "(eq a true)"),
    ("a eq NULL", "(eq a null)"),
    ("emails[primary eq true]", "(valuepath emails (eq primary true))"),
    // Okta.
    (r#"userName eq "isaac.brock@example.com""#, r#"(eq userName "isaac.brock@example.com")"#),
    // Keywords in any case.
    (r#"userName EQ "x" AND title Pr OR NOT (nickName Co "y")"#, r#"(or (and (eq userName "x") (pr title)) (not (co nickName "y")))"#),
    ("active eq TRUE and locked Eq False and manager EQ NULL", "(and (and (eq active true) (eq locked false)) (eq manager null))"),
    // Keywords are attribute names where a path is expected (all but `not`).
    ("pr pr", "(pr pr)"),
    ("or pr or and eq true", "(or (pr or) (eq and true))"),
    // Precedence: not, then and, then or; and and or associate to the left.
    ("a pr or b pr and c pr", "(or (pr a) (and (pr b) (pr c)))"),
    ("a pr and b pr or c pr", "(or (and (pr a) (pr b)) (pr c))"),
    ("a pr and b pr and c pr", "(and (and (pr a) (pr b)) (pr c))"),
    ("a pr or b pr or c pr", "(or (or (pr a) (pr b)) (pr c))"),
    ("a pr and (b pr or c pr)", "(and (pr a) (or (pr b) (pr c)))"),
    ("(a pr or b pr) and c pr", "(and (or (pr a) (pr b)) (pr c))"),
    ("a pr and (b pr and c pr)", "(and (pr a) (and (pr b) (pr c)))"),
    ("not (a pr) and b pr", "(and (not (pr a)) (pr b))"),
    ("not (a pr) or not (b pr) and c pr", "(or (not (pr a)) (and (not (pr b)) (pr c)))"),
    ("((a pr))", "(pr a)"),
    ("not (not (a pr))", "(not (not (pr a)))"),
    // Whitespace: any run, and none needed around brackets and parentheses.
    ("  userName \t eq\n\"x\"\r\n", r#"(eq userName "x")"#),
    ("(a pr)and(b pr)", "(and (pr a) (pr b))"),
    ("not(a pr)", "(not (pr a))"),
    (r#"emails [ type eq "work" ] "#, r#"(valuepath emails (eq type "work"))"#),
    // Strings: JSON escapes, raw Unicode, filter syntax inside quotes.
    (r#"a eq "say \"hi\"""#, r#"(eq a "say \"hi\"")"#),
    (r#"a eq "back\\slash""#, r#"(eq a "back\\slash")"#),
    (r#"a eq "\/ \b\f\n\r\t""#, r#"(eq a "/ \b\f\n\r\t")"#),
    (r#"a eq "\u00e9\u4E2D\u0000\u001f""#, r#"(eq a "é中\u0000\u001f")"#),
    (r#"a eq "\ud83d\ude00""#, r#"(eq a "😀")"#),
    (r#"a eq "é 中 😀 \u007f""#, "(eq a \"é 中 😀 \u{7f}\")"),
    (r#"a eq """#, r#"(eq a "")"#),
    (r#"a eq "x) or [y] and not (z""#, r#"(eq a "x) or [y] and not (z")"#),
    // Numbers: JSON grammar; integers stay integers.
    ("a eq 0", "(eq a 0)"),
    ("a eq 42", "(eq a 42)"),
    ("a gt -7", "(gt a -7)"),
    ("a lt 3.25", "(lt a 3.25)"),
    ("a ge -0.5", "(ge a -0.5)"),
    ("a eq 1e3", "(eq a 1000.0)"),
    ("a eq 2.5E-3", "(eq a 0.0025)"),
    ("a eq 1E+2", "(eq a 100.0)"),
    ("a eq 6.02214076e23", "(eq a 6.02214076e+23)"),
    ("a eq 18446744073709551615", "(eq a 18446744073709551615)"),
    ("a eq -9223372036854775808", "(eq a -9223372036854775808)"),
    ("a eq 18446744073709551616", "(eq a 1.8446744073709552e+19)"),
    ("a eq 1.0", "(eq a 1.0)"),
    // Booleans and null.
    ("active eq true", "(eq active true)"),
    ("active ne false", "(ne active false)"),
    ("manager eq null", "(eq manager null)"),
    // URNs, dots in their versions, any case for the `urn:` prefix.
    (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#, r#"(eq urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value "26118915-6090-4610-87e4-49d8ca9f808d")"#),
    (r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "Jensen""#, r#"(eq urn:ietf:params:scim:schemas:core:2.0:User:name.familyName "Jensen")"#),
    (r#"urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Employed_Since gt "2020-01-01""#, r#"(gt urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Employed_Since "2020-01-01")"#),
    (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations""#, r#"(eq urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Tour Operations")"#),
    ("URN:IETF:params:scim:schemas:core:2.0:User:userName pr", "(pr URN:IETF:params:scim:schemas:core:2.0:User:userName)"),
    (r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#, r#"(valuepath urn:ietf:params:scim:schemas:core:2.0:User:emails (eq type "work"))"#),
    // `$ref`.
    (r#"manager.$ref eq "https://example.com/Users/1""#, r#"(eq manager.$ref "https://example.com/Users/1")"#),
    ("emails.$ref pr", "(pr emails.$ref)"),
    (r#"members[$ref eq "x"]"#, r#"(valuepath members (eq $ref "x"))"#),
    // Value paths: any filter inside the brackets.
    (r#"emails[not (type eq "work")]"#, r#"(valuepath emails (not (eq type "work")))"#),
    (r#"emails[(type eq "work" or type eq "home") and primary eq true]"#, r#"(valuepath emails (and (or (eq type "work") (eq type "home")) (eq primary true)))"#),
    (r#"emails[type eq "work"] and emails[primary eq true]"#, r#"(and (valuepath emails (eq type "work")) (valuepath emails (eq primary true)))"#),
];

/// Inputs that are refused: where, and the exact message.
#[rustfmt::skip]
const REFUSED: &[(&str, usize, &str)] = &[
    ("", 0, "filter is empty"),
    ("  \t ", 0, "filter is empty"),
    (r#"userName "bjensen""#, 9, r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr", found string "bjensen""#),
    ("userName", 8, r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr", found end of input"#),
    (r#"userName eqq "bjensen""#, 9, r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr", found "eqq""#),
    ("userName eq", 11, "expected a value (a string, number, true, false or null), found end of input"),
    (r#"title pr "x""#, 9, r#""pr" takes no value, found string "x""#),
    ("title pr false", 9, r#""pr" takes no value, found "false""#),
    (r#"userName eq "bjensen"#, 12, "unterminated string"),
    (r#"userName eq "a\"#, 12, "unterminated string"),
    (r#"userName eq "a\x""#, 14, r#"invalid escape "\x" in string"#),
    (r#"a eq "\u12G4""#, 6, r#"invalid unicode escape "\u12" in string"#),
    (r#"a eq "\ud800""#, 6, r#"lone surrogate "\ud800" in string"#),
    (r#"a eq "\uDC00""#, 6, r#"lone surrogate "\udc00" in string"#),
    (r#"a eq "\ud800\u0041""#, 6, r#"lone surrogate "\ud800" in string"#),
    ("a eq \"tab\there\"", 9, "unescaped control character U+0009 in string"),
    ("(a pr", 5, r#"expected "and", "or" or ")", found end of input"#),
    ("not (a pr", 9, r#"expected "and", "or" or ")", found end of input"#),
    ("a pr)", 4, r#"expected "and", "or" or end of input, found ")""#),
    ("not a pr", 4, r#"expected "(" after "not", found "a""#),
    ("a pr b pr", 5, r#"expected "and", "or" or end of input, found "b""#),
    (r#"a eq "x" and b eq "y"]"#, 21, r#"expected "and", "or" or end of input, found "]""#),
    ("a pr and", 8, r#"expected an attribute path, "(" or "not", found end of input"#),
    (")", 0, r#"expected an attribute path, "(" or "not", found ")""#),
    ("1 eq 1", 0, r#"expected an attribute path, "(" or "not", found number 1"#),
    ("emails[type[value eq 1]]", 11, "value paths cannot be nested"),
    (r#"emails[type eq "work""#, 21, r#"expected "and", "or" or "]", found end of input"#),
    ("name.givenName[value eq 1]", 14, r#"a value filter "[...]" cannot follow the sub-attribute "name.givenName""#),
    ("emails[type.value eq 1]", 7, r#"expected a plain attribute name inside "[...]", found "type.value""#),
    ("emails[urn:a:b:type eq 1]", 7, r#"expected a plain attribute name inside "[...]", found "urn:a:b:type""#),
    ("urn:ietf:params:scim:schemas:core:2.0:User: pr", 43, r#"expected an attribute name after the schema URN "urn:ietf:params:scim:schemas:core:2.0:User""#),
    ("urn:ietf eq 1", 8, r#"expected an attribute name after the schema URN "urn:ietf""#),
    ("urn::a:b:c pr", 4, r#"schema URN "urn::a:b" has an empty segment"#),
    ("foo:bar pr", 3, r#"unexpected ":" in attribute path "foo:bar" (a schema URN starts with "urn:")"#),
    ("a.b.c pr", 3, r#"attribute path "a.b.c" has more than one sub-attribute"#),
    ("_x pr", 0, r#"invalid attribute name "_x" (a letter, then letters, digits, "-" or "_")"#),
    ("a. pr", 2, r#"missing attribute name in "a.""#),
    ("a eq 1e999", 5, "number 1e999 is out of range"),
    // Unquoted values (Microsoft's): no quote, parenthesis or bracket inside, nothing empty.
    ("userName eq (x)", 12, r#"expected a value (a string, number, true, false or null), found "(""#),
    ("userName eq [x]", 12, r#"expected a value (a string, number, true, false or null), found "[""#),
    ("(userName eq )", 13, r#"expected a value (a string, number, true, false or null), found ")""#),
    (r#"userName eq jy"oung""#, 14, r#"expected "and", "or" or end of input, found string "oung""#),
    ("userName eq jy(oung)", 14, r#"expected "and", "or" or end of input, found "(""#),
    ("userName eq jy\u{7}oung", 14, "unexpected character U+0007"),
    ("userName eq jyoung young", 19, r#"expected "and", "or" or end of input, found "young""#),
    ("title pr jyoung", 9, r#"expected "and", "or" or end of input, found "jyoung""#),
    (r#"a eq "x" # b"#, 9, r##"unexpected character "#""##),
    (r#"emails[type eq "work"].value"#, 28, r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr", found end of input"#),
    (r#"emails[type eq "work"]. value eq "x""#, 23, r#"expected a sub-attribute name right after ".", found whitespace"#),
    (r#"emails[type eq "work"].value.x eq "x""#, 23, r#"expected a sub-attribute name after ".", found "value.x""#),
    ("a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx eq 1", 2, r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr", found "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...""#),
];

/// PATCH paths and their parts: URN, attribute, its sub-attribute, the filter as an
/// S-expression, and the sub-attribute after the filter.
type PatchCase = (
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[rustfmt::skip]
const PATCH_PATHS: &[PatchCase] = &[
    ("members", None, "members", None, None, None),
    ("name.familyName", None, "name", Some("familyName"), None, None),
    (r#"emails[type eq "work"].value"#, None, "emails", None, Some(r#"(eq type "work")"#), Some("value")),
    (r#"addresses[type eq "work"]"#, None, "addresses", None, Some(r#"(eq type "work")"#), None),
    (r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#, None, "members", None, Some(r#"(eq value "2819c223-7f76-453a-919d-413861904646")"#), None),
    (r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#, None, "members", None, Some(r#"(eq value "2819c223-7f76-453a-919d-413861904646")"#), Some("displayName")),
    (r#"emails[type eq "work" and value ew "example.com"]"#, None, "emails", None, Some(r#"(and (eq type "work") (ew value "example.com"))"#), None),
    ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), "manager", None, None, None),
    ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), "manager", Some("value"), None, None),
    ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", Some("urn:ietf:params:scim:schemas:core:2.0:User"), "name", Some("givenName"), None, None),
    ("manager.$ref", None, "manager", Some("$ref"), None, None),
];

#[rustfmt::skip]
const REFUSED_PATCH_PATHS: &[(&str, usize, &str)] = &[
    ("", 0, "path is empty"),
    (" ", 0, "path is empty"),
    ("members extra", 8, r#"expected "[" or end of input, found "extra""#),
    ("a.b[x eq 1]", 3, r#"a value filter "[...]" cannot follow the sub-attribute "a.b""#),
    (r#"emails[type eq "work"] x"#, 23, r#"expected "." or end of input, found "x""#),
    (r#"emails[type eq "work"].value x"#, 29, r#"expected end of input, found "x""#),
    (r#"emails[type eq "work"]."#, 23, r#"expected a sub-attribute name after ".", found end of input"#),
    (r#"emails[type eq "work""#, 21, r#"expected "and", "or" or "]", found end of input"#),
    (r#""emails""#, 0, r#"expected an attribute path, found string "emails""#),
    ("urn:ietf:params:scim:schemas:core:2.0:User:", 43, r#"expected an attribute name after the schema URN "urn:ietf:params:scim:schemas:core:2.0:User""#),
];

#[test]
fn filters_parse_to_the_expected_trees() {
    let failures: Vec<String> = PARSES
        .iter()
        .filter_map(|&(input, expected)| match parse(input) {
            Ok(filter) if sexpr(&filter) == expected => None,
            Ok(filter) => Some(format!(
                "{input}\n  expected {expected}\n  got      {}",
                sexpr(&filter)
            )),
            Err(error) => Some(format!(
                "{input}\n  expected {expected}\n  got error {error}"
            )),
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_parsed_filter_prints_as_text_that_parses_back_to_it() {
    for &(input, _) in PARSES {
        let filter = parse(input).unwrap();
        let printed = filter.to_string();
        assert_eq!(parse(&printed), Ok(filter), "{input} printed as {printed}");
    }
}

#[test]
fn display_prints_canonical_scim_syntax() {
    let cases = [
        (
            r#"userName EQ "x" AND (title pr)"#,
            r#"userName eq "x" and title pr"#,
        ),
        ("((a pr) or (b pr)) and c pr", "(a pr or b pr) and c pr"),
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        ("(a pr and b pr) and c pr", "a pr and b pr and c pr"),
        ("a pr or (b pr and c pr)", "a pr or b pr and c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("NOT(a pr)", "not (a pr)"),
        (
            r#"emails[type eq "work"].value eq "x""#,
            r#"emails[type eq "work" and value eq "x"]"#,
        ),
        (
            r#"emails[type eq "w" or type eq "h"].value pr"#,
            r#"emails[(type eq "w" or type eq "h") and value pr]"#,
        ),
        (r#"a eq "\u00e9\/\"""#, r#"a eq "é/\"""#),
        ("a eq 1E2", "a eq 100.0"),
        ("a eq TRUE", "a eq true"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
        ),
    ];
    for (input, printed) in cases {
        assert_eq!(parse(input).unwrap().to_string(), printed, "{input}");
    }
}

#[test]
fn invalid_filters_are_refused_with_position_and_message() {
    let failures: Vec<String> = REFUSED
        .iter()
        .filter_map(|&(input, pos, message)| match parse(input) {
            Err(error)
                if error
                    == FilterError {
                        pos,
                        message: message.to_owned(),
                    } =>
            {
                None
            }
            Err(error) => Some(format!(
                "{input}\n  expected at {pos}: {message}\n  got      at {}: {}",
                error.pos, error.message
            )),
            Ok(filter) => Some(format!(
                "{input}\n  expected at {pos}: {message}\n  parsed as {}",
                sexpr(&filter)
            )),
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_display_their_position_and_message() {
    let error = parse("a pr)").unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"at character 4: expected "and", "or" or end of input, found ")""#
    );
}

#[test]
fn error_positions_count_characters_not_bytes() {
    let error = parse(r#"a eq "é中😀" b"#).unwrap_err();
    assert_eq!(error.pos, 11);
}

#[test]
fn urn_prefixes_run_to_the_last_colon_before_the_attribute() {
    let cases = [
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            "manager",
            Some("value"),
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
            Some("urn:ietf:params:scim:schemas:core:2.0:User"),
            "name",
            Some("familyName"),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Employed_Since",
            Some("urn:ietf:params:scim:schemas:extension:peakon:2.0:User"),
            "Employed_Since",
            None,
        ),
        (
            "Urn:Example:x.y:Attr",
            Some("Urn:Example:x.y"),
            "Attr",
            None,
        ),
        // Without schemas a bare URN reads as a shorter URN and an attribute; schema
        // resolution, not syntax, refuses it.
        (
            "urn:ietf:params:scim:schemas:core:2.0:User",
            Some("urn:ietf:params:scim:schemas:core:2.0"),
            "User",
            None,
        ),
        ("name.givenName", None, "name", Some("givenName")),
        ("manager.$ref", None, "manager", Some("$ref")),
        ("$ref", None, "$ref", None),
        ("userName", None, "userName", None),
    ];
    for (input, urn, name, sub) in cases {
        let expected = AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        };
        assert_eq!(
            parse(&format!("{input} pr")),
            Ok(Filter::Present(expected)),
            "{input}"
        );
    }
}

#[test]
fn compare_ops_print_as_their_keywords() {
    let printed: Vec<&str> = CompareOp::ALL.iter().map(CompareOp::as_str).collect();
    assert_eq!(
        printed,
        ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
    );
    for op in CompareOp::ALL {
        assert_eq!(
            CompareOp::from_keyword(&op.as_str().to_uppercase()),
            Some(op)
        );
    }
}

#[test]
fn values_keep_their_json_types() {
    let value = |input: &str| match parse(input).unwrap() {
        Filter::Compare { value, .. } => value,
        other => panic!("not a comparison: {other:?}"),
    };
    assert_eq!(value("a eq null"), CompValue::Null);
    assert_eq!(value("a eq False"), CompValue::Bool(false));
    assert_eq!(value("a eq 7"), CompValue::Number(7.into()));
    assert_eq!(value("a eq -7"), CompValue::Number((-7).into()));
    assert_eq!(
        value("a eq 7.5"),
        CompValue::Number(serde_json::Number::from_f64(7.5).unwrap())
    );
    assert_eq!(value(r#"a eq "7""#), CompValue::Str("7".to_owned()));
    assert_eq!(
        value(r#"a eq "2011-05-13T04:42:34Z""#),
        CompValue::Str("2011-05-13T04:42:34Z".to_owned())
    );
}

#[test]
fn input_up_to_max_len_characters_is_accepted_and_longer_is_refused() {
    let limits = Limits {
        max_len: 10,
        ..Limits::DEFAULT
    };
    assert!(parse_filter(r#"a eq "xxx""#, &limits).is_ok());
    assert!(
        parse_filter(r#"a eq "ééé""#, &limits).is_ok(),
        "ten characters, thirteen bytes"
    );
    assert_eq!(
        parse_filter(r#"a eq "xxxx""#, &limits),
        Err(FilterError {
            pos: 10,
            message: "filter is longer than 10 characters".to_owned()
        })
    );
    assert_eq!(
        parse_patch_path("abcdefghijk", &limits),
        Err(FilterError {
            pos: 10,
            message: "path is longer than 10 characters".to_owned()
        })
    );
}

#[test]
fn a_huge_input_is_refused_by_length_before_it_is_parsed() {
    let input = "(".repeat(100_000);
    assert_eq!(
        parse(&input),
        Err(FilterError {
            pos: 4096,
            message: "filter is longer than 4096 characters".to_owned()
        })
    );
}

#[test]
fn nesting_up_to_max_depth_is_accepted_and_deeper_is_refused() {
    let limits = Limits {
        max_len: usize::MAX,
        ..Limits::DEFAULT
    };
    let parens = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_filter(&parens(16), &limits).is_ok());
    assert_eq!(
        parse_filter(&parens(17), &limits),
        Err(FilterError {
            pos: 16,
            message: "filter nests deeper than 16 levels".to_owned()
        })
    );
    let nots = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
    assert!(parse_filter(&nots(16), &limits).is_ok());
    assert_eq!(
        parse_filter(&nots(17), &limits),
        Err(FilterError {
            pos: 80,
            message: "filter nests deeper than 16 levels".to_owned()
        })
    );
}

#[test]
fn value_path_brackets_count_as_a_nesting_level() {
    let limits = Limits {
        max_depth: 2,
        ..Limits::DEFAULT
    };
    assert!(parse_filter(r#"(emails[type eq "work"])"#, &limits).is_ok());
    assert_eq!(
        parse_filter(r#"((emails[type eq "work"]))"#, &limits),
        Err(FilterError {
            pos: 8,
            message: "filter nests deeper than 2 levels".to_owned()
        })
    );
    let flat = Limits {
        max_depth: 0,
        ..Limits::DEFAULT
    };
    assert!(parse_patch_path("members", &flat).is_ok());
    assert_eq!(
        parse_patch_path(r#"members[value eq "1"]"#, &flat),
        Err(FilterError {
            pos: 7,
            message: "filter nests deeper than 0 levels".to_owned()
        })
    );
}

#[test]
fn sibling_groups_do_not_add_up_to_depth() {
    let limits = Limits {
        max_depth: 1,
        ..Limits::DEFAULT
    };
    assert!(parse_filter(
        r#"(a pr) and not (b pr) or emails[type eq "work"]"#,
        &limits
    )
    .is_ok());
}

#[test]
fn a_hundred_thousand_open_parentheses_stop_at_the_depth_limit_without_overflowing_the_stack() {
    let limits = Limits {
        max_len: usize::MAX,
        ..Limits::DEFAULT
    };
    let error = parse_filter(&"(".repeat(100_000), &limits).unwrap_err();
    assert_eq!(
        error,
        FilterError {
            pos: 16,
            message: "filter nests deeper than 16 levels".to_owned()
        }
    );
}

#[test]
fn terms_up_to_max_terms_are_accepted_and_more_are_refused() {
    let terms = |n: usize| vec!["a pr"; n].join(" and ");
    assert!(parse(&terms(40)).is_ok());
    assert_eq!(
        parse(&terms(41)),
        Err(FilterError {
            pos: 360,
            message: "filter has more than 40 terms".to_owned()
        })
    );
}

#[test]
fn the_sub_attribute_comparison_after_a_value_path_counts_as_a_term() {
    let limits = Limits {
        max_terms: 2,
        ..Limits::DEFAULT
    };
    assert!(parse_filter(r#"emails[type eq "work"].value eq "x""#, &limits).is_ok());
    assert_eq!(
        parse_filter(
            r#"emails[type eq "work" and primary eq true].value eq "x""#,
            &limits
        ),
        Err(FilterError {
            pos: 43,
            message: "filter has more than 2 terms".to_owned()
        })
    );
}

#[test]
fn patch_paths_parse_into_their_parts() {
    for &(input, urn, name, attr_sub, filter, sub) in PATCH_PATHS {
        let path =
            parse_patch_path(input, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{input}: {e}"));
        let expected_attr = AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: attr_sub.map(str::to_owned),
        };
        assert_eq!(path.attr, expected_attr, "{input}");
        assert_eq!(
            path.filter.as_ref().map(sexpr).as_deref(),
            filter,
            "{input}"
        );
        assert_eq!(path.sub.as_deref(), sub, "{input}");
        assert_eq!(path.to_string(), input, "{input} prints as written");
        assert_eq!(
            parse_patch_path(&path.to_string(), &Limits::DEFAULT),
            Ok(path),
            "{input}"
        );
    }
}

#[test]
fn invalid_patch_paths_are_refused_with_position_and_message() {
    for &(input, pos, message) in REFUSED_PATCH_PATHS {
        assert_eq!(
            parse_patch_path(input, &Limits::DEFAULT),
            Err(FilterError {
                pos,
                message: message.to_owned()
            }),
            "{input}"
        );
    }
}

// Random trees: every one the parser could produce prints as text that parses back to it.

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}".prop_filter("`not` starts a negation", |n| !n.eq_ignore_ascii_case("not")),
        1 => Just("$ref".to_owned()),
    ]
}

fn arb_urn() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("urn:ietf:params:scim:schemas:core:2.0:User".to_owned()),
        Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned()),
        "[uU][rR][nN]:[a-z0-9-]{1,8}(:[A-Za-z0-9._-]{1,6}){1,3}",
    ]
}

fn arb_path() -> BoxedStrategy<AttrPath> {
    (
        proptest::option::of(arb_urn()),
        arb_name(),
        proptest::option::of(arb_name()),
    )
        .prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
        .boxed()
}

fn arb_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::Str),
        "[\"\\\\/ a-z\\x00-\\x1f\\x7féü中😀\u{2028}]{0,12}".prop_map(CompValue::Str),
    ]
}

fn arb_op() -> impl Strategy<Value = CompareOp> {
    proptest::sample::select(CompareOp::ALL.to_vec())
}

fn arb_leaf(path: BoxedStrategy<AttrPath>) -> BoxedStrategy<Filter> {
    prop_oneof![
        path.clone().prop_map(Filter::Present),
        (path, arb_op(), arb_value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value
        }),
    ]
    .boxed()
}

fn combine(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
    .boxed()
}

/// A filter inside a value path's brackets: plain names, no further value paths.
fn arb_value_filter() -> BoxedStrategy<Filter> {
    combine(arb_leaf(arb_name().prop_map(AttrPath::name).boxed()))
}

fn arb_filter() -> BoxedStrategy<Filter> {
    let value_path = (
        proptest::option::of(arb_urn()),
        arb_name(),
        arb_value_filter(),
    )
        .prop_map(|(urn, name, filter)| Filter::ValuePath {
            path: AttrPath {
                urn,
                name,
                sub: None,
            },
            filter: Box::new(filter),
        });
    combine(prop_oneof![3 => arb_leaf(arb_path()), 1 => value_path].boxed())
}

fn arb_patch_path() -> impl Strategy<Value = PatchPath> {
    let plain = arb_path().prop_map(|attr| PatchPath {
        attr,
        filter: None,
        sub: None,
    });
    let filtered = (
        proptest::option::of(arb_urn()),
        arb_name(),
        arb_value_filter(),
        proptest::option::of(arb_name()),
    )
        .prop_map(|(urn, name, filter, sub)| PatchPath {
            attr: AttrPath {
                urn,
                name,
                sub: None,
            },
            filter: Some(filter),
            sub,
        });
    prop_oneof![plain, filtered]
}

/// RFC 7644 §3.4.2.2 text for a tree, as clients may write it: `SP` where the ABNF has one
/// (`attrPath SP compareOp SP compValue`, `FILTER SP ("and" / "or") SP FILTER`), nothing
/// inside parentheses and brackets, keywords and operators in any case ("Attribute names and
/// attribute operators used in filters are case insensitive"), values as JSON text. Written
/// here, not by `Display`, and with the parentheses `and`/`or` operands need.
fn rfc_text(filter: &Filter, case: &mut impl Iterator<Item = u8>) -> String {
    let mut keyword = |k: &str| match case.next().unwrap_or(0) % 3 {
        0 => k.to_owned(),
        1 => k.to_uppercase(),
        _ => {
            let mut cs = k.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        }
    };
    let value = |v: &CompValue| match v {
        CompValue::Null => "null".to_owned(),
        CompValue::Bool(b) => b.to_string(),
        CompValue::Number(n) => n.to_string(),
        CompValue::Str(s) => serde_json::to_string(s).unwrap(),
    };
    match filter {
        Filter::Compare { path, op, value: v } => {
            format!("{path} {} {}", keyword(op.as_str()), value(v))
        }
        Filter::Present(path) => format!("{path} {}", keyword("pr")),
        Filter::And(l, r) | Filter::Or(l, r) => {
            let word = keyword(if matches!(filter, Filter::And(..)) {
                "and"
            } else {
                "or"
            });
            format!("({}) {word} ({})", rfc_text(l, case), rfc_text(r, case))
        }
        Filter::Not(inner) => format!("{}({})", keyword("not"), rfc_text(inner, case)),
        Filter::ValuePath { path, filter } => format!("{path}[{}]", rfc_text(filter, case)),
    }
}

/// The same tree with every string value that reads unquoted written unquoted: not the text
/// of a number or a literal, and free of whitespace, controls, quotes, parentheses, brackets.
fn unquoted_text(filter: &Filter) -> String {
    let bare = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_control() || "\"()[]".contains(c))
            && serde_json::from_str::<serde_json::Value>(s).is_err()
            && !["true", "false", "null"]
                .iter()
                .any(|l| s.eq_ignore_ascii_case(l))
    };
    match filter {
        Filter::Compare {
            path,
            op,
            value: CompValue::Str(s),
        } if bare(s) => format!("{path} {op} {s}"),
        Filter::Compare { .. } | Filter::Present(_) => filter.to_string(),
        Filter::And(l, r) => format!("({}) and ({})", unquoted_text(l), unquoted_text(r)),
        Filter::Or(l, r) => format!("({}) or ({})", unquoted_text(l), unquoted_text(r)),
        Filter::Not(inner) => format!("not ({})", unquoted_text(inner)),
        Filter::ValuePath { path, filter } => format!("{path}[{}]", unquoted_text(filter)),
    }
}

/// Strings as IdPs write them unquoted, and strings that must stay quoted.
fn arb_bare_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        3 => "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
        3 => "[a-zA-Z0-9._%+'-]{1,12}(@[a-z0-9.-]{1,10})?",
        1 => "(true|false|null|TRUE|Null|-?[0-9]{1,3}(\\.[0-9])?|1e9)x?",
        1 => "[a-z:/$é中\\\\]{1,6}",
    ]
    .prop_map(CompValue::Str)
}

fn arb_filter_with_bare_values() -> BoxedStrategy<Filter> {
    let leaf = (arb_path(), arb_op(), arb_bare_value())
        .prop_map(|(path, op, value)| Filter::Compare { path, op, value })
        .boxed();
    let value_path = (
        arb_name(),
        combine(
            (arb_name(), arb_op(), arb_bare_value())
                .prop_map(|(name, op, value)| Filter::Compare {
                    path: AttrPath::name(name),
                    op,
                    value,
                })
                .boxed(),
        ),
    )
        .prop_map(|(name, filter)| Filter::ValuePath {
            path: AttrPath::name(name),
            filter: Box::new(filter),
        });
    combine(prop_oneof![3 => leaf, 1 => value_path].boxed())
}

proptest! {
    /// Issue 14: the RFC grammar alone and the grammar with unquoted values read every
    /// RFC-valid filter as the same tree, the one it was written from.
    #[test]
    fn the_unquoted_leniency_never_changes_an_rfc_valid_filter(
        filter in arb_filter(),
        case in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let text = rfc_text(&filter, &mut case.into_iter().cycle());
        prop_assert_eq!(parser::parse_filter_rfc(&text, &ROOMY), Ok(filter.clone()), "RFC grammar: {}", text);
        prop_assert_eq!(parse_filter(&text, &ROOMY), Ok(filter), "with unquoted values: {}", text);
    }

    /// Whatever text the RFC grammar reads, the lenient grammar reads as the same tree.
    #[test]
    fn text_the_rfc_grammar_reads_reads_the_same_with_unquoted_values(
        input in prop_oneof![any::<String>(), "[a-z\\[\\]() \"\\\\.:$0-9eE+-]{0,40}", "[a-z]{1,3} (eq|pr|gt) ([a-z0-9\"().-]{1,6})( (and|or) [a-z]{1,3} (eq|pr) [a-z0-9\")(]{1,6})?"]
    ) {
        if let Ok(strict) = parser::parse_filter_rfc(&input, &Limits::DEFAULT) {
            prop_assert_eq!(parse(&input), Ok(strict), "{}", input);
        }
    }

    /// An unquoted string reads as the same string quoted, and takes nothing from the tokens
    /// around it.
    #[test]
    fn unquoted_values_read_as_the_strings_they_spell(filter in arb_filter_with_bare_values()) {
        let text = unquoted_text(&filter);
        prop_assert_eq!(parse_filter(&text, &ROOMY), Ok(filter), "{}", text);
    }

    #[test]
    fn random_filters_print_as_text_that_parses_back_to_them(filter in arb_filter()) {
        let printed = filter.to_string();
        prop_assert_eq!(parse_filter(&printed, &ROOMY), Ok(filter), "printed as {}", printed);
    }

    #[test]
    fn random_patch_paths_print_as_text_that_parses_back_to_them(path in arb_patch_path()) {
        let printed = path.to_string();
        prop_assert_eq!(parse_patch_path(&printed, &ROOMY), Ok(path), "printed as {}", printed);
    }

    #[test]
    fn arbitrary_text_never_panics_and_whatever_parses_prints_back(
        input in prop_oneof![any::<String>(), "[a-z\\[\\]() \"\\\\.:$0-9eE+-]{0,40}"]
    ) {
        match parse(&input) {
            Ok(filter) => {
                let printed = filter.to_string();
                prop_assert_eq!(parse_filter(&printed, &ROOMY), Ok(filter), "printed as {}", printed);
            }
            Err(error) => prop_assert!(error.pos <= input.chars().count(), "{:?}", error),
        }
        let _ = parse_patch_path(&input, &Limits::DEFAULT);
    }
}
