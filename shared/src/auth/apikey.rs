//! API key format: `hx_live_` + 34 random base62 chars + 6-char base62 checksum = 48 chars.
//! The checksum lets us reject typos and garbage before any store read; only an HMAC-SHA256 of
//! the key under a server-side pepper is ever stored.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "hx_live_";
/// Total key length.
pub const KEY_LEN: usize = 48;
const RANDOM_LEN: usize = 34;
const CHECK_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated key, shown once.
pub struct NewKey {
    pub secret: String,
}

/// Generate a new random key with a valid checksum.
pub fn generate() -> NewKey {
    let mut rng = rand::rng();
    let random: String = (0..RANDOM_LEN)
        .map(|_| BASE62[rng.random_range(0..62)] as char)
        .collect();
    let check = checksum(&random);
    NewKey {
        secret: format!("{KEY_PREFIX}{random}{check}"),
    }
}

/// Generate a random base62 string (ids, device codes).
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..62)] as char)
        .collect()
}

fn checksum(random: &str) -> String {
    let digest = Sha256::digest(format!("{KEY_PREFIX}{random}").as_bytes());
    let mut n = u64::from_be_bytes([
        0, 0, 0, digest[0], digest[1], digest[2], digest[3], digest[4],
    ]);
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `s` has the key's shape and a valid checksum. Cheap; no store access.
pub fn is_well_formed(s: &str) -> bool {
    if s.len() != KEY_LEN || !s.starts_with(KEY_PREFIX) {
        return false;
    }
    let body = &s[KEY_PREFIX.len()..];
    if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    checksum(random) == check
}

/// HMAC-SHA256 of the key under the pepper, hex-encoded: the only form that is stored.
pub fn hash(pepper: &str, key: &str) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac = match Hmac::<Sha256>::new_from_slice(pepper.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The displayable prefix of a key (`hx_live_` + 4 chars), safe to show in lists.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX.len() + 4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_48_chars() {
        for _ in 0..200 {
            let k = generate().secret;
            assert_eq!(k.len(), 48);
            assert!(k.starts_with("hx_live_"));
            assert!(is_well_formed(&k), "{k}");
        }
    }

    #[test]
    fn checksum_catches_single_char_typos() {
        let k = generate().secret;
        let mut bytes = k.clone().into_bytes();
        let i = 20;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed(&k[..47]));
        assert!(!is_well_formed(&format!("{k}x")));
        assert!(!is_well_formed(&k.replace("hx_live_", "hx_test_")));
    }

    #[test]
    fn hash_depends_on_pepper_and_hides_key() {
        let k = generate().secret;
        let a = hash("pepper-one-0123456", &k);
        let b = hash("pepper-two-0123456", &k);
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(!a.contains(&k[8..]));
    }
}
