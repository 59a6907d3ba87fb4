//! Webhook secrets at rest: sealed with XChaCha20-Poly1305 (RFC 8439's AEAD with a 24-byte
//! nonce, drawn at random for each seal) under a key derived from the Worker secret
//! `WEBHOOK_SECRET_KEY` (HMAC-SHA256 of a fixed label under it), with the endpoint's id as
//! associated data, so that a sealed secret moved to another endpoint's row does not open. A
//! sealed secret is `v1.` and the URL-safe base64 of the nonce and the ciphertext.
//!
//! Rotating `WEBHOOK_SECRET_KEY` makes every sealed secret unreadable (the endpoints' secrets
//! must then be rotated through the admin API): keep it.

use crate::app::plumbing::credential::{usable_secret, SecretProblem};
use crate::app::plumbing::ids::{base64url, base64url_decode, Random};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The Worker secret the sealing key is derived from.
pub const WEBHOOK_SECRET_KEY: &str = "WEBHOOK_SECRET_KEY";
const LABEL: &[u8] = b"scim-edge webhook endpoint secrets v1";
const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 24;

/// The key that seals and opens endpoints' secrets.
#[derive(Clone)]
pub struct SealKey(XChaCha20Poly1305);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// From the Worker secret: at least 32 characters, as the other secrets.
    pub fn from_secret(secret: Option<&str>) -> Result<SealKey, SecretProblem> {
        let secret = usable_secret(secret)?;
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| SecretProblem::Missing)?;
        mac.update(LABEL);
        let key = mac.finalize().into_bytes();
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| SecretProblem::Missing)?;
        Ok(SealKey(cipher))
    }

    /// `secret` sealed for the endpoint `endpoint_id`.
    pub fn seal(
        &self,
        endpoint_id: &str,
        secret: &str,
        random: &mut dyn Random,
    ) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        random.fill(&mut nonce)?;
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| "sealing failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", base64url(&out)))
    }

    /// The secret sealed for `endpoint_id`, or `None` when it does not open (another key,
    /// another endpoint, altered).
    pub fn open(&self, endpoint_id: &str, sealed: &str) -> Option<String> {
        let bytes = base64url_decode(sealed.strip_prefix(VERSION)?)?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let plain = self
            .0
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: endpoint_id.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;

    const KEY: &str = "seal-tests-webhook-secret-key-0123456789";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_endpoint() {
        let key = SealKey::from_secret(Some(KEY)).unwrap();
        let sealed = key
            .seal("whe_1", "whsec_c2VjcmV0", &mut SeededRandom(3))
            .unwrap();
        assert!(sealed.starts_with("v1."), "{sealed}");
        assert!(!sealed.contains("c2VjcmV0"), "never in the clear");
        assert_eq!(
            key.open("whe_1", &sealed).as_deref(),
            Some("whsec_c2VjcmV0")
        );
        assert_eq!(key.open("whe_2", &sealed), None);
        let other = SealKey::from_secret(Some("another-webhook-secret-key-0123456789ab")).unwrap();
        assert_eq!(other.open("whe_1", &sealed), None);
        // One changed character does not open.
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            key.open("whe_1", &String::from_utf8(altered).unwrap()),
            None
        );
        // Each seal draws its own nonce.
        let again = key
            .seal("whe_1", "whsec_c2VjcmV0", &mut SeededRandom(4))
            .unwrap();
        assert_ne!(sealed, again);
    }

    #[test]
    fn a_short_or_missing_key_seals_nothing() {
        assert!(SealKey::from_secret(None).is_err());
        assert!(SealKey::from_secret(Some("short")).is_err());
    }
}
