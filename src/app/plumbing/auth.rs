//! Credentials: SCIM bearer tokens (DESIGN §3) and the operator's admin token.
//!
//! SCIM tokens are issued in the credential format of [`credential`] (`scim_1_<shard>_<random>_<check>`):
//! a token whose check value does not match is refused before any database access. Tokens issued
//! before that format (`scim_` + 32 random bytes in unpadded URL-safe base64, 48 characters; no
//! version, no check value) keep working and belong to shard 0; they can only be checked in D1.
//! Only a token's SHA-256 (hex) is stored, and a request's token is looked up by that hash inside
//! the operation's own D1 batch, so checking it costs no round trip of its own. The admin token
//! is compared through SHA-256 digests in constant time. No function here logs or echoes a
//! secret.

use super::credential::{self, CredentialKey, SecretProblem, SCIM_TOKEN};
use super::ids::{base64url_decode, Random};
use crate::model::TokenHash;
use sha2::{Digest, Sha256};

/// The recognisable start of every SCIM token (secret scanners can match on it).
pub const TOKEN_PREFIX: &str = SCIM_TOKEN.prefix;
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = credential::RANDOM_BYTES;
/// Characters of a token shown in listings (`prefix` in the admin API, DESIGN §7).
pub const SHOWN_PREFIX_CHARS: usize = 12;
/// Length of a token of the format before the check value: `scim_` + 43 characters.
pub const LEGACY_TOKEN_CHARS: usize = 5 + 43;

/// A freshly issued token: the secret (shown once), its hash and its shown prefix.
pub struct NewToken {
    pub secret: String,
    pub hash: TokenHash,
    pub prefix: String,
}

/// Issues a SCIM token of the current format for a tenant of `shard`.
pub fn generate_token(
    key: &CredentialKey,
    shard: u16,
    random: &mut dyn Random,
) -> Result<NewToken, String> {
    let secret = credential::issue(SCIM_TOKEN, shard, key, random)?;
    Ok(NewToken {
        hash: TokenHash::of(&secret),
        prefix: secret[..SHOWN_PREFIX_CHARS].to_string(),
        secret,
    })
}

/// Why a request carries no usable credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`, or a token of the wrong shape.
    Malformed,
    /// The shape of a current-format token whose check value does not match: forged, altered,
    /// truncated or mistyped. Decided without the database.
    Forged,
    /// A current-format token while the deployment's credential secret is unusable: it can be
    /// neither verified nor refused (the operator must fix the secret; see the log).
    NotConfigured(SecretProblem),
    /// Well-formed, but unknown, revoked, or not the admin token.
    Invalid,
    /// A valid token of a disabled tenant.
    TenantDisabled,
}

impl AuthFailure {
    pub fn detail(self) -> &'static str {
        match self {
            AuthFailure::Missing => "Authentication required: send 'Authorization: Bearer <token>'",
            AuthFailure::Malformed => {
                "The Authorization header must be 'Bearer <token>' with a valid token"
            }
            AuthFailure::Forged => {
                "The bearer token is not valid: it was not issued by this service, or it was \
                 altered, truncated or mistyped"
            }
            AuthFailure::NotConfigured(_) => {
                "Tokens cannot be checked: this deployment's credential secret is not configured"
            }
            AuthFailure::Invalid => "The bearer token is not valid (unknown or revoked)",
            AuthFailure::TenantDisabled => "Provisioning is disabled for this tenant",
        }
    }
}

/// The credential of an `Authorization` header value: `Bearer` (any letter case), one or more
/// spaces, then the credential.
pub fn bearer(header: Option<&str>) -> Result<&str, AuthFailure> {
    let value = header.ok_or(AuthFailure::Missing)?.trim();
    let (scheme, rest) = value.split_once(' ').ok_or(AuthFailure::Malformed)?;
    let credential = rest.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || credential.is_empty() || credential.contains(' ') {
        return Err(AuthFailure::Malformed);
    }
    Ok(credential)
}

/// A SCIM token that may be live: what is left to decide needs the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimToken {
    /// Current format, check value matched: issued by this deployment (it may since have been
    /// revoked, or its tenant disabled or deleted).
    Genuine { hash: TokenHash, shard: u16 },
    /// The format before the check value: only the database can tell. Shard 0.
    Legacy { hash: TokenHash },
}

impl ScimToken {
    pub fn hash(&self) -> &TokenHash {
        match self {
            ScimToken::Genuine { hash, .. } | ScimToken::Legacy { hash } => hash,
        }
    }
}

/// Whether `credential` has the shape of a token from before the check value.
fn is_legacy_shape(credential: &str) -> bool {
    credential.len() == LEGACY_TOKEN_CHARS
        && credential.strip_prefix(TOKEN_PREFIX).is_some_and(|body| {
            base64url_decode(body).is_some_and(|bytes| bytes.len() == TOKEN_BYTES)
        })
}

/// Reads a SCIM token without the database: the hash to look it up by, or why it is refused.
/// `key` is the deployment's credential key, or why there is none.
pub fn scim_token(
    credential: &str,
    key: Result<&CredentialKey, SecretProblem>,
) -> Result<ScimToken, AuthFailure> {
    if is_legacy_shape(credential) {
        return Ok(ScimToken::Legacy {
            hash: TokenHash::of(credential),
        });
    }
    let parsed = credential::parse(SCIM_TOKEN, credential).ok_or(AuthFailure::Malformed)?;
    let key = key.map_err(AuthFailure::NotConfigured)?;
    let verified = parsed.verify(key).map_err(|_| AuthFailure::Forged)?;
    Ok(ScimToken::Genuine {
        hash: TokenHash::of(credential),
        shard: verified.shard,
    })
}

/// Whether `presented` is the configured admin token. Compares SHA-256 digests in constant
/// time, so neither the token's length nor its content leaks through timing. An unusable
/// configured token (unset, or shorter than 32 characters) matches nothing.
pub fn admin_token_matches(presented: &str, configured: Option<&str>) -> bool {
    let Ok(configured) = credential::usable_secret(configured) else {
        return false;
    };
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(configured.as_bytes());
    credential::constant_time_eq(&a, &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::{base64url, SeededRandom};

    const SECRET: &str = "auth-tests-secret-0123456789abcdefghij";

    fn key() -> CredentialKey {
        CredentialKey::from_secret(Some(SECRET)).unwrap()
    }

    fn token(seed: u64) -> NewToken {
        generate_token(&key(), 0, &mut SeededRandom(seed)).unwrap()
    }

    fn legacy(seed: u64) -> String {
        let mut bytes = [0u8; 32];
        SeededRandom(seed).fill(&mut bytes).unwrap();
        format!("scim_{}", base64url(&bytes))
    }

    #[test]
    fn generated_tokens_have_the_prefix_length_and_alphabet() {
        let t = token(7);
        assert!(t.secret.starts_with("scim_"));
        assert!(t.secret.starts_with("scim_1_0_"), "version 1, shard 0");
        assert_eq!(t.secret.len(), 5 + 4 + 43 + 1 + 16);
        assert!(t.secret[5..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(t.prefix, &t.secret[..12]);
        assert_eq!(t.hash, TokenHash::of(&t.secret));
        assert_eq!(
            scim_token(&t.secret, Ok(&key())),
            Ok(ScimToken::Genuine {
                hash: t.hash.clone(),
                shard: 0
            })
        );
    }

    #[test]
    fn two_tokens_differ() {
        let mut r = SeededRandom(7);
        assert_ne!(
            generate_token(&key(), 0, &mut r).unwrap().secret,
            generate_token(&key(), 0, &mut r).unwrap().secret
        );
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_tolerates_extra_spaces() {
        let table: [(Option<&str>, Result<&str, AuthFailure>); 10] = [
            (Some("Bearer abc"), Ok("abc")),
            (Some("bearer abc"), Ok("abc")),
            (Some("BEARER abc"), Ok("abc")),
            (Some("Bearer   abc  "), Ok("abc")),
            (None, Err(AuthFailure::Missing)),
            (Some(""), Err(AuthFailure::Malformed)),
            (Some("Bearer"), Err(AuthFailure::Malformed)),
            (Some("Basic dXNlcjpwYXNz"), Err(AuthFailure::Malformed)),
            (Some("Bearer a b"), Err(AuthFailure::Malformed)),
            (Some("Token abc"), Err(AuthFailure::Malformed)),
        ];
        for (header, expected) in table {
            assert_eq!(bearer(header), expected, "{header:?}");
        }
    }

    #[test]
    fn scim_token_shape_is_checked_before_any_lookup() {
        let good = token(1).secret;
        let old = legacy(1);
        let table = [
            (good.as_str(), true),
            (&good[..good.len() - 1], false),
            (old.as_str(), true),
            (&old[..old.len() - 1], false),
            ("scim_", false),
            ("adm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false),
            ("scim_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", false),
        ];
        for (credential, ok) in table {
            assert_eq!(
                scim_token(credential, Ok(&key())).is_ok(),
                ok,
                "{credential}"
            );
        }
        let upper = good.to_uppercase();
        assert!(scim_token(&upper, Ok(&key())).is_err() || upper == good);
    }

    #[test]
    fn a_flipped_character_is_forged_and_a_wrong_shape_malformed() {
        let good = token(2).secret;
        // The last character of the check value, changed within the alphabet.
        let last = good.as_bytes()[good.len() - 1];
        let flipped = format!(
            "{}{}",
            &good[..good.len() - 1],
            if last == b'A' { 'B' } else { 'A' }
        );
        assert_eq!(scim_token(&flipped, Ok(&key())), Err(AuthFailure::Forged));
        // Under another secret, a genuine token of ours is a forgery.
        let other = CredentialKey::from_secret(Some(&"o".repeat(40))).unwrap();
        assert_eq!(scim_token(&good, Ok(&other)), Err(AuthFailure::Forged));
        assert_eq!(
            scim_token("scim_nope", Ok(&key())),
            Err(AuthFailure::Malformed)
        );
    }

    #[test]
    fn old_format_tokens_need_no_secret_and_belong_to_shard_0() {
        let old = legacy(3);
        assert_eq!(old.len(), LEGACY_TOKEN_CHARS);
        let expected = Ok(ScimToken::Legacy {
            hash: TokenHash::of(&old),
        });
        assert_eq!(scim_token(&old, Ok(&key())), expected);
        assert_eq!(scim_token(&old, Err(SecretProblem::Missing)), expected);
        // A current-format token cannot be checked without the secret.
        assert_eq!(
            scim_token(&token(3).secret, Err(SecretProblem::TooShort)),
            Err(AuthFailure::NotConfigured(SecretProblem::TooShort))
        );
    }

    #[test]
    fn the_shard_comes_from_the_token() {
        let t = generate_token(&key(), 3, &mut SeededRandom(4)).unwrap();
        assert!(t.secret.starts_with("scim_1_3_"));
        assert_eq!(
            scim_token(&t.secret, Ok(&key())),
            Ok(ScimToken::Genuine {
                hash: t.hash,
                shard: 3
            })
        );
    }

    #[test]
    fn admin_token_comparison() {
        let admin = "s3cret-admin-0123456789abcdefghijklmnop";
        assert!(admin_token_matches(admin, Some(admin)));
        assert!(!admin_token_matches(
            admin,
            Some("s3cret-admin-0123456789abcdefghijklmnoq")
        ));
        assert!(!admin_token_matches("s3cret", Some(admin)));
        assert!(!admin_token_matches("", Some("")));
        assert!(!admin_token_matches("anything", None));
        // A configured token shorter than 32 characters matches nothing, itself included.
        assert!(!admin_token_matches("s3cret-admin", Some("s3cret-admin")));
        let short = "x".repeat(31);
        assert!(!admin_token_matches(&short, Some(&short)));
    }
}
