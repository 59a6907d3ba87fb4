//! Credentials: SCIM bearer tokens (DESIGN §3) and the operator's admin token.
//!
//! A SCIM token is `scim_` followed by 32 random bytes in unpadded URL-safe base64 (48
//! characters in all). Only its SHA-256 (hex) is stored and a request's token is looked up by
//! that hash inside the operation's own D1 batch, so checking it costs no round trip of its own.
//! A token of the wrong shape is refused before any database access. The admin token is
//! compared through SHA-256 digests in constant time. No function here logs or echoes a secret.

use super::ids::{base64url, base64url_decode, Random};
use crate::model::TokenHash;
use sha2::{Digest, Sha256};

/// The recognisable start of every SCIM token (secret scanners can match on it).
pub const TOKEN_PREFIX: &str = "scim_";
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;
/// Characters of a token shown in listings (`prefix` in the admin API, DESIGN §7).
pub const SHOWN_PREFIX_CHARS: usize = 12;

/// A freshly issued token: the secret (shown once), its hash and its shown prefix.
pub struct NewToken {
    pub secret: String,
    pub hash: TokenHash,
    pub prefix: String,
}

pub fn generate_token(random: &mut dyn Random) -> Result<NewToken, String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    random.fill(&mut bytes)?;
    let secret = format!("{TOKEN_PREFIX}{}", base64url(&bytes));
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

/// The hash to look a SCIM token up by, when the token has the shape of one.
pub fn scim_token_hash(credential: &str) -> Result<TokenHash, AuthFailure> {
    let body = credential
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(AuthFailure::Malformed)?;
    match base64url_decode(body) {
        Some(bytes) if bytes.len() == TOKEN_BYTES => Ok(TokenHash::of(credential)),
        _ => Err(AuthFailure::Malformed),
    }
}

/// Whether `presented` is the configured admin token. Compares SHA-256 digests in constant
/// time, so neither the token's length nor its content leaks through timing. An unset or empty
/// configured token matches nothing: the admin API is then closed.
pub fn admin_token_matches(presented: &str, configured: Option<&str>) -> bool {
    let Some(configured) = configured.filter(|c| !c.is_empty()) else {
        return false;
    };
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(configured.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;

    #[test]
    fn generated_tokens_have_the_prefix_length_and_alphabet() {
        let t = generate_token(&mut SeededRandom(7)).unwrap();
        assert!(t.secret.starts_with("scim_"));
        assert_eq!(t.secret.len(), 5 + 43);
        assert!(t.secret[5..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(t.prefix, &t.secret[..12]);
        assert_eq!(t.hash, TokenHash::of(&t.secret));
        assert_eq!(scim_token_hash(&t.secret), Ok(t.hash.clone()));
    }

    #[test]
    fn two_tokens_differ() {
        let mut r = SeededRandom(7);
        assert_ne!(
            generate_token(&mut r).unwrap().secret,
            generate_token(&mut r).unwrap().secret
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
        let good = generate_token(&mut SeededRandom(1)).unwrap().secret;
        let table = [
            (good.as_str(), true),
            (&good[..good.len() - 1], false),
            ("scim_", false),
            ("adm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false),
            ("scim_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", false),
        ];
        for (credential, ok) in table {
            assert_eq!(scim_token_hash(credential).is_ok(), ok, "{credential}");
        }
        let upper = good.to_uppercase();
        assert!(scim_token_hash(&upper).is_err() || upper == good);
    }

    #[test]
    fn admin_token_comparison() {
        assert!(admin_token_matches("s3cret-admin", Some("s3cret-admin")));
        assert!(!admin_token_matches("s3cret-admin", Some("s3cret-admim")));
        assert!(!admin_token_matches("s3cret", Some("s3cret-admin")));
        assert!(!admin_token_matches("", Some("")));
        assert!(!admin_token_matches("anything", None));
    }
}
