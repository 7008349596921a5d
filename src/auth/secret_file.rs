//! The access-token key kept in the data directory, for the embedded default:
//! `oped serve` with no `DATABASE_URL` and no `OPED_JWT_SECRET` makes one the
//! first time and reuses it after, so tokens outlive a restart and the first
//! command a newcomer types just works. With `DATABASE_URL` set the secret
//! stays an operator's setting: several servers must share it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;

use crate::secret::Secret;

/// Where the key is kept, under the data directory.
pub const FILE_NAME: &str = "jwt-secret";

/// The key, and whether it was made just now.
pub struct KeptSecret {
    pub secret: Secret<String>,
    pub path: PathBuf,
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot keep the access-token key in {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{path} may be read by other users (mode {mode:o}): `chmod 600 {path}` it, or set OPED_JWT_SECRET"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error(
        "{path} does not hold a usable key: remove it to have a new one made, or set OPED_JWT_SECRET"
    )]
    Unusable { path: PathBuf },
}

/// Reads the key kept in `data_dir`, or makes one (48 random bytes, base64,
/// mode 0600). Two servers starting at once end up with the same key: the
/// file appears whole or not at all (written aside, then linked in place).
pub fn load_or_create(data_dir: &Path) -> Result<KeptSecret, SecretFileError> {
    let path = data_dir.join(FILE_NAME);
    let io_error = |source| SecretFileError::Io {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(data_dir).map_err(io_error)?;
    let created = match create(data_dir, &path) {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => false,
        Err(err) => return Err(io_error(err)),
    };
    let mode = fs::metadata(&path).map_err(io_error)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretFileError::Exposed { path, mode });
    }
    let secret = fs::read_to_string(&path)
        .map_err(io_error)?
        .trim()
        .to_string();
    if secret.len() < 32 {
        return Err(SecretFileError::Unusable { path });
    }
    Ok(KeptSecret {
        secret: Secret::new(secret),
        path,
        created,
    })
}

fn create(data_dir: &Path, path: &Path) -> io::Result<()> {
    if path.exists() {
        return Err(io::ErrorKind::AlreadyExists.into());
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
    let aside = data_dir.join(format!(".{FILE_NAME}.{:016x}", rand::rng().next_u64()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&aside)?;
    let written = file
        .write_all(format!("{secret}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::hard_link(&aside, path));
    let _ = fs::remove_file(&aside);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_private_key_once_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let first = load_or_create(&data_dir).unwrap();
        assert!(first.created);
        assert!(first.secret.expose().len() >= 64);
        let mode = fs::metadata(&first.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        let again = load_or_create(&data_dir).unwrap();
        assert!(!again.created);
        assert_eq!(again.secret.expose(), first.secret.expose());
        let leftovers: Vec<_> = fs::read_dir(&data_dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "nothing but the key is left behind");
    }

    #[test]
    fn refuses_a_key_others_may_read_or_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "x".repeat(64)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(dir.path()).err().unwrap();
        assert!(matches!(err, SecretFileError::Exposed { mode: 0o644, .. }));
        assert!(!err.to_string().contains(&"x".repeat(64)));

        fs::write(&path, "short\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create(dir.path()).err().unwrap();
        assert!(matches!(err, SecretFileError::Unusable { .. }));
    }

    #[test]
    fn two_servers_starting_together_share_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_path_buf();
        let secrets: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| load_or_create(&data_dir).unwrap().secret.expose().clone()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(secrets.windows(2).all(|pair| pair[0] == pair[1]));
    }
}
