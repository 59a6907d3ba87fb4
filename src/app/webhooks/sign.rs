//! Standard Webhooks signatures (the specification at standardwebhooks.com, "Signature scheme"):
//! a secret is `whsec_` plus the base64 of its random bytes, and the HMAC is keyed by those
//! decoded bytes; the signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the
//! `webhook-signature` header lists space-separated `v1,<base64 of the HMAC-SHA256>`, one per
//! secret in force (during a rotation, the old one's beside the new one's).

use crate::app::plumbing::ids::{base64_std, base64_std_decode, Random};
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The prefix of a secret's text.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes of a secret (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// A new secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret(random: &mut dyn Random) -> Result<String, String> {
    let mut bytes = [0u8; SECRET_BYTES];
    random.fill(&mut bytes)?;
    Ok(format!("{SECRET_PREFIX}{}", base64_std(&bytes)))
}

/// The HMAC key of a secret's text (its decoded bytes), or `None` when it is not one.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    base64_std_decode(secret.strip_prefix(SECRET_PREFIX)?).filter(|k| !k.is_empty())
}

/// One signature, `v1,<base64>`, of a message under one secret's key.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", base64_std(&mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: a signature under each key, space-separated.
pub fn signature_header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &str) -> String {
    keys.iter()
        .map(|k| signature(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::ids::SeededRandom;

    /// The example of the Standard Webhooks reference libraries' tests (python/tests and
    /// javascript/src/index.test.ts of standard-webhooks/standard-webhooks): this secret,
    /// id, timestamp and payload give this signature.
    #[test]
    fn signs_the_reference_librarys_example() {
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signature(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_whsec_and_base64_of_32_random_bytes() {
        let s = new_secret(&mut SeededRandom(7)).unwrap();
        assert!(s.starts_with("whsec_"), "{s}");
        assert_eq!(secret_key(&s).unwrap().len(), SECRET_BYTES);
        assert_ne!(s, new_secret(&mut SeededRandom(8)).unwrap());
        for bad in [
            "",
            "whsec_",
            "whsec_***",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ] {
            assert_eq!(secret_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (a, b) = (vec![1u8; 32], vec![2u8; 32]);
        let header = signature_header(&[a.clone(), b.clone()], "evt_1", 5, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [
                signature(&a, "evt_1", 5, "{}"),
                signature(&b, "evt_1", 5, "{}")
            ]
        );
        assert_ne!(parts[0], parts[1]);
    }
}
