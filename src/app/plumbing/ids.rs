//! Identifiers and secrets made from randomness that comes in from outside (the edge draws it
//! from `getrandom`; tests pass a seeded generator so that ids are exact).

/// A source of random bytes. The core never draws randomness itself.
pub trait Random {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String>;
}

/// A deterministic generator (SplitMix64) for tests and tools: the same seed gives the same
/// ids. Not for secrets.
pub struct SeededRandom(pub u64);

impl Random for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
        for chunk in buf.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Padded standard base64 (RFC 4648 §4), as Standard Webhooks writes secrets and signatures.
pub fn base64_std(bytes: &[u8]) -> String {
    let mut s: String = base64url(bytes)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

/// The inverse of [`base64_std`]; `None` for anything else (wrong padding included).
pub fn base64_std_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(4) || s.contains(['-', '_']) {
        return None;
    }
    let body = s
        .strip_suffix("==")
        .or_else(|| s.strip_suffix('='))
        .unwrap_or(s);
    let url: String = body
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = base64url_decode(&url)?;
    (base64_std(&bytes) == s).then_some(bytes)
}

/// Unpadded URL-safe base64 (RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            s.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

/// The inverse of [`base64url`]; `None` for anything that is not unpadded URL-safe base64.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    // Reject non-canonical encodings (stray low bits), so that decode(encode(x)) is a bijection.
    (base64url(&out) == s).then_some(out)
}

/// A random version-4 UUID (RFC 9562 §5.4), the form of SCIM resource ids.
pub fn uuid_v4(random: &mut dyn Random) -> Result<String, String> {
    let mut b = [0u8; 16];
    random.fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A random id with a readable prefix, e.g. `tnt_3f9a…` (80 random bits, 20 hex digits).
pub fn prefixed_id(prefix: &str, random: &mut dyn Random) -> Result<String, String> {
    let mut b = [0u8; 10];
    random.fill(&mut b)?;
    Ok(format!("{prefix}_{}", hex(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_test_vectors() {
        // RFC 4648 §10, without padding.
        let table = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in table {
            assert_eq!(base64url(raw.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).as_deref(), Some(raw.as_bytes()));
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn base64_std_matches_rfc4648_test_vectors_and_round_trips() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_std(raw.as_bytes()), encoded);
            assert_eq!(base64_std_decode(encoded).unwrap(), raw.as_bytes());
        }
        assert_eq!(base64_std(&[0xfb, 0xff]), "+/8=");
        for bad in ["Zg", "Zg=", "-_8=", "Zm9v=", "Zh=="] {
            assert_eq!(base64_std_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64url_decode_refuses_other_alphabets_and_padding() {
        for bad in ["Zg==", "Z", "Zh", "a+b/", "ab c", "Zm9v\n"] {
            assert_eq!(base64url_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn uuid_v4_has_version_and_variant_bits() {
        let mut r = SeededRandom(1);
        let id = uuid_v4(&mut r).unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(uuid_v4(&mut r).unwrap(), id);
    }

    #[test]
    fn seeded_random_is_deterministic() {
        let (mut a, mut b) = (SeededRandom(42), SeededRandom(42));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn prefixed_ids_carry_their_prefix_and_20_hex_digits() {
        let id = prefixed_id("tnt", &mut SeededRandom(3)).unwrap();
        assert!(id.starts_with("tnt_"));
        assert_eq!(id.len(), 24);
        assert!(id[4..].bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
