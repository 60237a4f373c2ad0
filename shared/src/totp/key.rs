//! The key that seals TOTP secrets at rest, kept outside the database.
//!
//! The key file (default `/etc/wicket/totp.key`) holds 32 random bytes. It is created when
//! the first user enrols, mode 0640 like `wicket.toml`: when root creates it, it takes the
//! group of its directory or, where that is root's, of the `wicket.toml` beside it
//! (`root:wicket`), so wicketd (group `wicket`) can read it and nobody else can. A key file
//! whose mode is looser than 0640 (group-writable, or any right for others) is refused, and
//! so is one that is not exactly 32 bytes: fail closed rather than use a key others may know.
//!
//! Sealing is XChaCha20-Poly1305 with a fresh random 192-bit nonce per secret (random
//! nonces that long never collide in practice) and `backend\0user` as associated data, so a
//! sealed secret copied into another user's row does not open. Stored form:
//! `version (1) ‖ nonce (24) ‖ ciphertext ‖ tag (16)`.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

/// Bytes in a key file.
pub const KEY_LEN: usize = 32;
/// The most a key file's mode may allow.
const MAX_MODE: u32 = 0o640;
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// The sealing key: wiped on drop, never printed.
pub struct TotpKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpKey(***)")
    }
}

fn key_error(path: &Path, why: &'static str) -> Error {
    Error::TotpKey { path: path.to_path_buf(), why }
}

impl TotpKey {
    /// A key from known bytes (tests).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads the key file; refuses a missing, short, long or too-open one.
    pub fn load(path: &Path) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => key_error(path, "no such file (it is created when a user enrols)"),
            _ => Error::Io { path: path.to_path_buf(), source: e },
        })?;
        let meta = file.metadata().map_err(|e| Error::Io { path: path.to_path_buf(), source: e })?;
        if !meta.is_file() {
            return Err(key_error(path, "not a regular file"));
        }
        if meta.mode() & 0o777 & !MAX_MODE != 0 {
            return Err(key_error(path, "mode is looser than 0640 (chmod 0640 it, or 0600)"));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN + 1));
        (&mut file)
            .take(KEY_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Io { path: path.to_path_buf(), source: e })?;
        let key: [u8; KEY_LEN] =
            bytes.as_slice().try_into().map_err(|_| key_error(path, "must hold exactly 32 bytes"))?;
        Ok(Self::from_bytes(key))
    }

    /// Reads the key file, creating it first when it does not exist. Two processes creating
    /// it at once end with one key: the new file is written aside and linked into place,
    /// which fails if another got there first (then that one is read).
    pub fn load_or_create(path: &Path) -> Result<Self> {
        if path.symlink_metadata().is_ok() {
            return Self::load(path);
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.try_fill_bytes(key.as_mut()).map_err(|_| key_error(path, "no randomness"))?;
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".new.{}", std::process::id()));
        let aside = std::path::PathBuf::from(aside);
        let written = (|| {
            let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&aside)?;
            f.write_all(key.as_ref())?;
            // The umask cannot widen a mode; set 0640 explicitly, and the group if root.
            f.set_permissions(std::fs::Permissions::from_mode(MAX_MODE))?;
            adopt_group(path, &f)?;
            f.sync_all()
        })();
        let linked = written.and_then(|()| std::fs::hard_link(&aside, path));
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => Ok(Self(key)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(Error::Io { path: path.to_path_buf(), source: e }),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }

    /// Seals `secret` for one account.
    pub fn seal(&self, backend: &str, user: &str, secret: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.try_fill_bytes(&mut nonce).map_err(|_| Error::Invalid("no randomness".into()))?;
        let aad = associated_data(backend, user);
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad: &aad })
            .map_err(|_| Error::Invalid("sealing the TOTP secret failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a sealed secret; fails for another key, another account, or altered bytes.
    pub fn open(&self, backend: &str, user: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let refused = || Error::Invalid(format!("the TOTP secret of `{user}` does not open with this key file"));
        let (&version, rest) = sealed.split_first().ok_or_else(refused)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let aad = associated_data(backend, user);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| refused())
    }
}

fn associated_data(backend: &str, user: &str) -> Vec<u8> {
    let mut aad = b"wicket-totp-v1\0".to_vec();
    aad.extend_from_slice(backend.as_bytes());
    aad.push(0);
    aad.extend_from_slice(user.as_bytes());
    aad
}

/// When root creates the key, give it the group that should read it: the directory's when
/// that is not root's, else that of `wicket.toml` beside it (the package makes it
/// `root:wicket`). Otherwise the file keeps the creator's group.
fn adopt_group(path: &Path, file: &File) -> std::io::Result<()> {
    if file.metadata()?.uid() != 0 {
        return Ok(());
    }
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    let candidates = [dir.to_path_buf(), dir.join("wicket.toml")];
    let gid = candidates.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.gid()).find(|&g| g != 0);
    match gid {
        Some(g) => std::os::unix::fs::fchown(file, None, Some(g)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_is_0640_and_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("totp.key");
        let made = TotpKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(meta.mode() & 0o777, 0o640);
        assert_eq!(meta.len(), KEY_LEN as u64);
        let again = TotpKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(made.0.as_ref(), again.0.as_ref());
        assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0), 1, "nothing left aside");
    }

    #[test]
    fn loose_short_or_missing_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("totp.key");
        assert!(matches!(TotpKey::load(&path), Err(Error::TotpKey { .. })));
        std::fs::write(&path, [7u8; KEY_LEN]).unwrap_or_else(|e| panic!("{e}"));
        for mode in [0o644, 0o660, 0o604, 0o740] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap_or_else(|e| panic!("{e}"));
            let err = TotpKey::load(&path).map(|_| ()).unwrap_err();
            assert!(err.to_string().contains("looser than 0640"), "{mode:o}: {err}");
        }
        for mode in [0o640, 0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap_or_else(|e| panic!("{e}"));
            assert!(TotpKey::load(&path).is_ok(), "{mode:o}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, [7u8; KEY_LEN - 1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(TotpKey::load(&path).is_err());
        std::fs::write(&path, [7u8; KEY_LEN + 1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(TotpKey::load(&path).is_err());
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_key() {
        let key = TotpKey::from_bytes([1; KEY_LEN]);
        let secret = b"12345678901234567890";
        let sealed = key.seal("local", "alice", secret).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.open("local", "alice", &sealed).map(|s| s.to_vec()).ok(), Some(secret.to_vec()));
        assert!(key.open("local", "bob", &sealed).is_err(), "copied to another user");
        assert!(key.open("ldap", "alice", &sealed).is_err(), "copied to another backend");
        assert!(TotpKey::from_bytes([2; KEY_LEN]).open("local", "alice", &sealed).is_err(), "another key");
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(key.open("local", "alice", &altered).is_err());
        assert!(key.open("local", "alice", &[]).is_err());
        let other = key.seal("local", "alice", secret).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(sealed, other, "a fresh nonce per secret");
    }
}
