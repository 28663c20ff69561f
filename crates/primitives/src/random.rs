//! Random values from the thread's cryptographically secure generator (ChaCha, seeded and
//! reseeded from the operating system): keys, salts, nonces, `state`, codes and tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    rand::thread_rng().fill_bytes(&mut buf);
    buf
}

/// `octets` random bytes in unpadded base64url (RFC 4648 §5): a value that goes into URLs,
/// forms and headers as it is (`state`, `nonce`, codes, tokens). 16 octets give 128 bits.
pub fn url_safe(octets: usize) -> String {
    let mut buf = vec![0u8; octets];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_safe_values_have_the_length_of_their_octets_and_url_characters_only() {
        let value = url_safe(24);
        assert_eq!(value.len(), 32);
        assert!(value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(url_safe(0), "");
    }

    #[test]
    fn two_draws_differ() {
        assert_ne!(url_safe(16), url_safe(16));
        assert_ne!(bytes::<16>(), bytes::<16>());
    }
}
