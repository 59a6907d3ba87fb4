//! Query strings: `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte), as
//! browsers and IdPs send them (Entra encodes the spaces of a filter as `+`).

/// Decodes one component; invalid `%` escapes are kept literally and invalid UTF-8 is replaced,
/// so decoding never fails (the value is then validated where it is used).
pub fn decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded pairs of a query string, in order. A bare flag (`aadOptscim062020`) has an empty
/// value.
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The value of a parameter, its name matched case-insensitively (`startIndex`, `startindex`).
/// When it is given more than once, the first counts.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_entra_and_okta_filters() {
        let p = pairs(Some(
            "aadOptscim062020&filter=userName+eq+%22a%2Bb%40x.com%22&count=10",
        ));
        assert_eq!(get(&p, "filter"), Some("userName eq \"a+b@x.com\""));
        assert_eq!(get(&p, "COUNT"), Some("10"));
        assert_eq!(get(&p, "aadoptscim062020"), Some(""));
        assert_eq!(get(&p, "startIndex"), None);
        let p = pairs(Some(
            "filter=userName%20eq%20%22isaac.brock%40example.com%22",
        ));
        assert_eq!(
            get(&p, "filter"),
            Some("userName eq \"isaac.brock@example.com\"")
        );
    }

    #[test]
    fn invalid_escapes_are_kept_literally() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A9"), "é");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }
}
