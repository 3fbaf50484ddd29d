//! Channel secrets at rest: a centre's SMTP password, SMS gateway credential, webhook
//! secret and robot tokens are stored encrypted with ChaCha20-Poly1305 under the server's
//! key, each with a fresh random nonce, bound to its centre and channel kind (the
//! associated data), so a value copied to another centre's row does not decrypt.
//!
//! The key (32 bytes, 64 hex digits) comes from `ZHIBAN_SECRET_KEY` or the file named by
//! `ZHIBAN_SECRET_KEY_FILE`; on the embedded database without either, `zhiban serve`
//! creates `<database>.key` beside it (mode 0600) on first start. Without a key, centres
//! cannot store channel secrets (the API says so) and stored ones are not used.

use ring::aead::{CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::path::Path;

/// The server's key for channel secrets.
pub struct SecretBox {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl SecretBox {
    /// A box over a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key).expect("a 32-byte key");
        Self {
            key: LessSafeKey::new(unbound),
        }
    }

    /// A box over a key written as 64 hex digits.
    pub fn from_hex(s: &str) -> anyhow::Result<Self> {
        let bytes = unhex(s.trim()).filter(|b| b.len() == 32).ok_or_else(|| {
            anyhow::anyhow!("the secret key must be 64 hex digits (32 bytes); make one with `openssl rand -hex 32`")
        })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self::new(&key))
    }

    /// The key from the environment, or from (or newly in) `default_file` when given.
    pub fn from_env(default_file: Option<&Path>) -> anyhow::Result<Option<Self>> {
        if let Ok(k) = std::env::var("ZHIBAN_SECRET_KEY") {
            return Self::from_hex(&k).map(Some);
        }
        if let Ok(path) = std::env::var("ZHIBAN_SECRET_KEY_FILE") {
            let k = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("ZHIBAN_SECRET_KEY_FILE {path}: {e}"))?;
            return Self::from_hex(&k).map(Some);
        }
        let Some(path) = default_file else {
            return Ok(None);
        };
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("random key: {e}"))?;
            write_private(path, &hex(&key))?;
        }
        let k = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("secret key file {}: {e}", path.display()))?;
        Self::from_hex(&k).map(Some)
    }

    /// `plain` encrypted for `context` (centre and kind): hex of nonce and sealed text.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the system's random source");
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("ChaCha20-Poly1305 seals any short text");
        format!("{}{}", hex(&nonce), hex(&buf))
    }

    /// The secret sealed for `context`, or `None` when it does not open (another key,
    /// another centre's row, or altered).
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let bytes = unhex(sealed)?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, ring::aead::Aad::from(context.as_bytes()), &mut body)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("secret key file {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| anyhow::anyhow!("secret key file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_open_only_with_their_key_and_context() {
        let a = SecretBox::new(&[7; 32]);
        let sealed = a.seal("GZ/email", "smtp-pass");
        assert!(!sealed.contains("smtp"));
        assert_ne!(
            sealed,
            a.seal("GZ/email", "smtp-pass"),
            "a fresh nonce each time"
        );
        assert_eq!(a.open("GZ/email", &sealed).as_deref(), Some("smtp-pass"));
        assert_eq!(a.open("SZ/email", &sealed), None, "another centre's row");
        assert_eq!(SecretBox::new(&[8; 32]).open("GZ/email", &sealed), None);
        let mut altered = sealed.clone();
        altered.replace_range(30..31, if &sealed[30..31] == "0" { "1" } else { "0" });
        assert_eq!(a.open("GZ/email", &altered), None);
        assert_eq!(a.open("GZ/email", "zz"), None);
        assert!(SecretBox::from_hex("abcd").is_err());
        assert!(SecretBox::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn a_key_file_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zhiban.db.key");
        let a = SecretBox::from_env(Some(&path)).unwrap().unwrap();
        let sealed = a.seal("c", "s");
        let b = SecretBox::from_env(Some(&path)).unwrap().unwrap();
        assert_eq!(b.open("c", &sealed).as_deref(), Some("s"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
    }
}
