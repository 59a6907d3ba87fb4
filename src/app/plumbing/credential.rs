//! The one credential format (DESIGN §3) of everything the service issues from now on: SCIM
//! bearer tokens today, console sign-in links and sessions later (each kind its own prefix).
//!
//! ```text
//! scim_1_0_P5oMUdLoS3qcHlttfo-QobLD1OX2BxgpOktcbX6PkBI_c0aG_9gwBwTtRykC
//! ╰─┬─╯│ │ ╰───────────────────┬─────────────────────╯ ╰──────┬───────╯
//! prefix │ shard    random: 32 bytes, base64url (43)      check: 12 bytes, base64url (16)
//!     version
//! ```
//! (issued under the secret `example-secret-do-not-use-0123456789abcdef`; a test checks it)
//!
//! - **prefix**: the kind, ending in `_` (`scim_`): secret scanners and people recognise it;
//! - **version**: decimal, `1` (the only one); a later format gets the next number;
//! - **shard**: decimal, no leading zeros, 0 to 65535: the database the credential's tenant lives
//!   in (0 until tenants are spread over several D1 databases, DESIGN §9), so a genuine
//!   credential is routed without a lookup;
//! - **random**: 32 bytes from the platform's CSPRNG, unpadded URL-safe base64 (43 characters);
//! - **check**: the first 96 bits of HMAC-SHA256, keyed with the Worker secret
//!   `CREDENTIAL_SECRET`, over everything before `_<check>` (prefix, version, shard and random,
//!   as text), in unpadded URL-safe base64 (16 characters).
//!
//! Fields are separated by `_`, which base64url also uses, so the layout is read by position
//! from the end (the check and the random part have fixed lengths) and the version and shard,
//! being digits, by splitting. Every credential has exactly one spelling: [`parse`] refuses
//! any other (leading zeros, non-canonical base64), so its SHA-256 (what is stored) is unique.
//!
//! The check value lets the worker tell a forged, truncated or mistyped credential from a
//! genuine one without any database access; it does not make a credential valid (only the
//! stored hash does: revocation, tenants). It is compared in constant time. Changing the
//! secret makes every credential issued under the old one fail its check: the secret is set
//! once per deployment and kept.
//!
//! A secret shorter than [`MIN_SECRET_CHARS`] characters (or none) is refused: credentials
//! of this format are then neither issued nor accepted, and the callers say why in the log.

use super::ids::{base64url, base64url_decode, Random};
use ctutils::CtEq;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The shortest secret accepted, in characters (for `CREDENTIAL_SECRET` and `ADMIN_TOKEN`).
pub const MIN_SECRET_CHARS: usize = 32;
/// The one format version issued and accepted.
pub const VERSION: u8 = 1;
/// Random bytes in a credential.
pub const RANDOM_BYTES: usize = 32;
/// Characters of the random part (unpadded base64url of [`RANDOM_BYTES`]).
pub const RANDOM_CHARS: usize = 43;
/// Bytes of the truncated HMAC kept as the check value (96 bits).
pub const CHECK_BYTES: usize = 12;
/// Characters of the check value (unpadded base64url of [`CHECK_BYTES`]).
pub const CHECK_CHARS: usize = 16;

/// A kind of credential: its recognisable prefix (lower-case letters, then `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub prefix: &'static str,
}

/// SCIM bearer tokens, the credential an IdP's connection uses.
pub const SCIM_TOKEN: Kind = Kind { prefix: "scim_" };
/// One-time sign-in links of company admins (valid minutes, used once).
pub const SIGN_IN_LINK: Kind = Kind { prefix: "signin_" };
/// Company admins' console sessions (the cookie).
pub const SESSION: Kind = Kind { prefix: "session_" };

/// Why a secret cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretProblem {
    Missing,
    TooShort,
}

impl SecretProblem {
    /// For the worker's log: what is wrong with the secret `name`, never its value or length.
    pub fn describe(self, name: &str) -> String {
        match self {
            SecretProblem::Missing => format!("the secret {name} is not set"),
            SecretProblem::TooShort => {
                format!("the secret {name} is shorter than {MIN_SECRET_CHARS} characters")
            }
        }
    }
}

/// The secret when it is usable: set, and at least [`MIN_SECRET_CHARS`] characters.
pub fn usable_secret(secret: Option<&str>) -> Result<&str, SecretProblem> {
    match secret {
        None | Some("") => Err(SecretProblem::Missing),
        Some(s) if s.chars().count() < MIN_SECRET_CHARS => Err(SecretProblem::TooShort),
        Some(s) => Ok(s),
    }
}

/// The HMAC key of check values, made from a usable secret.
#[derive(Clone)]
pub struct CredentialKey(HmacSha256);

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

impl CredentialKey {
    pub fn from_secret(secret: Option<&str>) -> Result<CredentialKey, SecretProblem> {
        let secret = usable_secret(secret)?;
        // HMAC takes keys of any length; this never fails.
        let mac =
            HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| SecretProblem::Missing)?;
        Ok(CredentialKey(mac))
    }

    fn mac(&self, signed: &str) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(signed.as_bytes());
        mac
    }

    /// The check value of `signed` (the credential text before `_<check>`), encoded.
    fn check_value(&self, signed: &str) -> String {
        let tag = self.mac(signed).finalize().into_bytes();
        base64url(&tag[..CHECK_BYTES])
    }
}

/// Issues a credential of `kind` for `shard`: the text, shown once to its holder.
pub fn issue(
    kind: Kind,
    shard: u16,
    key: &CredentialKey,
    random: &mut dyn Random,
) -> Result<String, String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    random.fill(&mut bytes)?;
    let signed = format!("{}{VERSION}_{shard}_{}", kind.prefix, base64url(&bytes));
    let check = key.check_value(&signed);
    Ok(format!("{signed}_{check}"))
}

/// A credential in this format, its check value not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified<'a> {
    pub version: u8,
    pub shard: u16,
    /// The text the check value covers.
    signed: &'a str,
    /// The check value as presented (decoded).
    check: Vec<u8>,
}

/// A credential whose check value matched: genuine, issued under this deployment's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub version: u8,
    pub shard: u16,
}

/// The check value did not match: the credential was forged, altered, truncated or mistyped,
/// or issued under another secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forged;

impl Unverified<'_> {
    /// Compares the check value in constant time.
    pub fn verify(&self, key: &CredentialKey) -> Result<Verified, Forged> {
        // The presented check value has CHECK_BYTES bytes (parse saw to it); the comparison
        // takes the same time wherever the first difference is.
        match key.mac(self.signed).verify_truncated_left(&self.check) {
            Ok(()) => Ok(Verified {
                version: self.version,
                shard: self.shard,
            }),
            Err(_) => Err(Forged),
        }
    }
}

/// A decimal number in its one spelling (no sign, no leading zero), at most `max`.
fn canonical_number(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse::<u32>().ok().filter(|n| *n <= max)
}

/// Reads `text` as a credential of `kind` in this format (any version number, any shard);
/// `None` when it is not one. Nothing is verified yet: see [`Unverified::verify`].
pub fn parse(kind: Kind, text: &str) -> Option<Unverified<'_>> {
    let rest = text.strip_prefix(kind.prefix)?;
    // ASCII only, so that the byte positions below are character positions.
    if !rest.is_ascii() {
        return None;
    }
    let n = rest.len();
    // "<version>_<shard>_" + random + "_" + check
    if n < 4 + RANDOM_CHARS + 1 + CHECK_CHARS {
        return None;
    }
    let (head, check) = rest.split_at(n - CHECK_CHARS);
    let head = head.strip_suffix('_')?;
    let (head, random) = head.split_at(head.len() - RANDOM_CHARS);
    let head = head.strip_suffix('_')?;
    let (version, shard) = head.split_once('_')?;
    let version = u8::try_from(canonical_number(version, u8::MAX as u32)?).ok()?;
    let shard = u16::try_from(canonical_number(shard, u16::MAX as u32)?).ok()?;
    if version == 0 {
        return None;
    }
    match base64url_decode(random) {
        Some(bytes) if bytes.len() == RANDOM_BYTES => {}
        _ => return None,
    }
    let check = base64url_decode(check).filter(|c| c.len() == CHECK_BYTES)?;
    Some(Unverified {
        version,
        shard,
        signed: &text[..text.len() - CHECK_CHARS - 1],
        check,
    })
}

/// Whether `a` and `b` are equal, in time that does not depend on where they differ (it does
/// depend on their lengths, which the callers fix: digests, check values).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).to_bool()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;

    const SECRET: &str = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

    fn key() -> CredentialKey {
        CredentialKey::from_secret(Some(SECRET)).unwrap()
    }

    fn issue_one(seed: u64, shard: u16) -> String {
        issue(SCIM_TOKEN, shard, &key(), &mut SeededRandom(seed)).unwrap()
    }

    #[test]
    fn round_trip() {
        let t = issue_one(1, 0);
        assert!(t.starts_with("scim_1_0_"), "{t}");
        assert_eq!(t.len(), 5 + 4 + RANDOM_CHARS + 1 + CHECK_CHARS, "{t}");
        assert!(t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let parsed = parse(SCIM_TOKEN, &t).expect("parses");
        assert_eq!((parsed.version, parsed.shard), (1, 0));
        assert_eq!(
            parsed.verify(&key()),
            Ok(Verified {
                version: 1,
                shard: 0
            })
        );
        // Another draw, another credential; the same key verifies both.
        let u = issue_one(2, 0);
        assert_ne!(t, u);
        assert!(parse(SCIM_TOKEN, &u).unwrap().verify(&key()).is_ok());
    }

    #[test]
    fn the_shard_is_carried_and_covered_by_the_check_value() {
        for shard in [0u16, 1, 7, 42, 65535] {
            let t = issue_one(3, shard);
            assert!(t.starts_with(&format!("scim_1_{shard}_")), "{t}");
            let v = parse(SCIM_TOKEN, &t).unwrap().verify(&key()).unwrap();
            assert_eq!(v.shard, shard);
        }
        // Moving a genuine credential to another shard breaks its check value.
        let t = issue_one(3, 0);
        let moved = t.replacen("scim_1_0_", "scim_1_1_", 1);
        assert_eq!(
            parse(SCIM_TOKEN, &moved).unwrap().verify(&key()),
            Err(Forged)
        );
        // Shards have one spelling and a bound.
        for bad in [
            "scim_1_00_",
            "scim_1_01_",
            "scim_1_65536_",
            "scim_1_-1_",
            "scim_1_+1_",
            "scim_1__",
        ] {
            let text = t.replacen("scim_1_0_", bad, 1);
            assert_eq!(parse(SCIM_TOKEN, &text), None, "{text}");
        }
    }

    #[test]
    fn a_flipped_character_anywhere_fails() {
        let t = issue_one(4, 0);
        let bytes = t.as_bytes();
        for i in 0..t.len() {
            let mut b = bytes.to_vec();
            // Another character of the base64url alphabet (or digit), so the shape may survive.
            b[i] = match b[i] {
                b'A' => b'B',
                b'0' => b'1',
                b'_' => b'-',
                b'-' => b'_',
                c if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
                c if c.is_ascii_uppercase() => c.to_ascii_lowercase(),
                c if c.is_ascii_digit() => {
                    if c == b'9' {
                        b'8'
                    } else {
                        c + 1
                    }
                }
                c => c,
            };
            let flipped = String::from_utf8(b).unwrap();
            assert_ne!(flipped, t);
            // Either the shape is wrong, or the check value does not match.
            if let Some(p) = parse(SCIM_TOKEN, &flipped) {
                assert_eq!(p.verify(&key()), Err(Forged), "position {i}: {flipped}");
            }
        }
        // Truncated or extended.
        assert_eq!(parse(SCIM_TOKEN, &t[..t.len() - 1]), None);
        assert_eq!(parse(SCIM_TOKEN, &format!("{t}A")), None);
        assert_eq!(parse(SCIM_TOKEN, &t.to_uppercase()), None);
    }

    #[test]
    fn a_wrong_secret_fails() {
        let t = issue_one(5, 0);
        let other =
            CredentialKey::from_secret(Some("another-secret-0123456789abcdefghijklmn")).unwrap();
        assert_eq!(parse(SCIM_TOKEN, &t).unwrap().verify(&other), Err(Forged));
        // A check value computed under another secret is refused under ours.
        let theirs = issue(SCIM_TOKEN, 0, &other, &mut SeededRandom(5)).unwrap();
        assert_eq!(
            &theirs[..theirs.len() - CHECK_CHARS],
            &t[..t.len() - CHECK_CHARS]
        );
        assert_eq!(
            parse(SCIM_TOKEN, &theirs).unwrap().verify(&key()),
            Err(Forged)
        );
    }

    #[test]
    fn old_format_tokens_and_other_shapes_are_not_this_format() {
        // Before this format: `scim_` + 43 characters of base64url, no version, no check value.
        let old = format!("scim_{}", base64url(&[7u8; 32]));
        assert_eq!(old.len(), 48);
        assert_eq!(parse(SCIM_TOKEN, &old), None);
        let t = issue_one(6, 0);
        for bad in [
            String::new(),
            "scim_".to_string(),
            t.replacen("scim_", "sess_", 1),
            t.replacen("scim_1_", "scim_0_", 1),
            t.replacen("scim_1_", "scim_01_", 1),
            t.replacen("scim_1_", "scim_256_", 1),
            format!("{}é{}", &t[..20], &t[21..]),
            // The random part must decode to 32 bytes in its one spelling (43rd character
            // with stray low bits).
            format!("{}B{}", &t[..9 + 42], &t[9 + 43..]),
            // The check value must decode to 12 bytes.
            format!("{}!", &t[..t.len() - 1]),
            t.replace('_', "."),
        ] {
            assert_eq!(parse(SCIM_TOKEN, &bad), None, "{bad}");
        }
        // A version this code does not issue parses (so the caller can tell it apart from a
        // foreign shape) but cannot verify.
        let v2 = t.replacen("scim_1_", "scim_2_", 1);
        let p = parse(SCIM_TOKEN, &v2).unwrap();
        assert_eq!(p.version, 2);
        assert_eq!(p.verify(&key()), Err(Forged));
    }

    #[test]
    fn other_kinds_reuse_the_format_and_never_pass_for_each_other() {
        const SESSION: Kind = Kind { prefix: "sess_" };
        let s = issue(SESSION, 0, &key(), &mut SeededRandom(8)).unwrap();
        assert!(s.starts_with("sess_1_0_"));
        assert!(parse(SESSION, &s).unwrap().verify(&key()).is_ok());
        assert_eq!(parse(SCIM_TOKEN, &s), None);
        // The prefix is covered by the check value: relabelled, it fails.
        let relabelled = s.replacen("sess_", "scim_", 1);
        assert_eq!(
            parse(SCIM_TOKEN, &relabelled).unwrap().verify(&key()),
            Err(Forged)
        );
    }

    #[test]
    fn secrets_shorter_than_32_characters_are_refused() {
        assert_eq!(usable_secret(None), Err(SecretProblem::Missing));
        assert_eq!(usable_secret(Some("")), Err(SecretProblem::Missing));
        assert_eq!(
            usable_secret(Some(&"x".repeat(31))),
            Err(SecretProblem::TooShort)
        );
        assert_eq!(
            usable_secret(Some(&"x".repeat(32))),
            Ok("x".repeat(32).as_str())
        );
        // Characters, not bytes.
        assert_eq!(
            usable_secret(Some(&"é".repeat(31))),
            Err(SecretProblem::TooShort)
        );
        assert!(CredentialKey::from_secret(Some("short")).is_err());
        let d = SecretProblem::TooShort.describe("CREDENTIAL_SECRET");
        assert!(d.contains("CREDENTIAL_SECRET") && d.contains("32"), "{d}");
        assert_eq!(format!("{:?}", key()), "CredentialKey(..)");
    }

    #[test]
    fn check_values_match_hmac_sha256_truncated() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = HmacSha256::new_from_slice(b"Jefe")
            .unwrap()
            .chain_update(b"what do ya want for nothing?")
            .finalize()
            .into_bytes();
        assert_eq!(
            crate::app::plumbing::ids::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The check value is the first 12 bytes of HMAC(secret, text before "_<check>").
        let t = issue_one(9, 0);
        let signed = &t[..t.len() - CHECK_CHARS - 1];
        let full = HmacSha256::new_from_slice(SECRET.as_bytes())
            .unwrap()
            .chain_update(signed.as_bytes())
            .finalize()
            .into_bytes();
        assert_eq!(&t[t.len() - CHECK_CHARS..], base64url(&full[..CHECK_BYTES]));
    }

    /// The example of the module's documentation (and of the README).
    #[test]
    fn the_documented_example() {
        struct Fixed;
        impl Random for Fixed {
            fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
                let raw = "3f9a0c51d2e84b7a9c1e5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012";
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).unwrap();
                }
                Ok(())
            }
        }
        let key =
            CredentialKey::from_secret(Some("example-secret-do-not-use-0123456789abcdef")).unwrap();
        let t = issue(SCIM_TOKEN, 0, &key, &mut Fixed).unwrap();
        assert_eq!(
            t,
            "scim_1_0_P5oMUdLoS3qcHlttfo-QobLD1OX2BxgpOktcbX6PkBI_c0aG_9gwBwTtRykC"
        );
        assert!(parse(SCIM_TOKEN, &t).unwrap().verify(&key).is_ok());
    }

    #[test]
    fn constant_time_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
