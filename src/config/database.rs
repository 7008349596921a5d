//! The database: which server, which replica, how many connections.

use std::path::PathBuf;

use super::Reader;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: the PostgreSQL server to use. Unset: a private cluster
    /// under `data_dir` (the embedded default).
    pub url: Option<Secret<String>>,
    /// `OPED_READ_DATABASE_URL`: a streaming replica of that server for the
    /// public reads (opinions, feed), passed over while down or behind.
    pub read_url: Option<Secret<String>>,
    /// `OPED_DATA_DIR` (default `./data`): the private cluster and outgoing mail files.
    pub data_dir: PathBuf,
    /// `OPED_DB_POOL_SIZE` (default twice the CPUs, from 2 to 200): database
    /// connections of `serve`'s API. Small on purpose: requests beyond it
    /// wait in a fair queue instead of crowding the CPUs; raise it when the
    /// database is far away (each query then spends longer waiting on the
    /// network).
    pub pool_size: u32,
}

/// More connections than this per process only queue inside PostgreSQL.
const MAX_POOL_SIZE: u32 = 200;

pub(super) fn read(read: &mut Reader) -> DatabaseConfig {
    let default_pool = std::thread::available_parallelism()
        .map_or(4, |cpus| u32::try_from(cpus.get() * 2).unwrap_or(u32::MAX))
        .clamp(2, MAX_POOL_SIZE);
    DatabaseConfig {
        url: read.optional("DATABASE_URL").map(Secret::new),
        read_url: read.optional("OPED_READ_DATABASE_URL").map(Secret::new),
        data_dir: read
            .optional("OPED_DATA_DIR")
            .map_or_else(|| PathBuf::from("./data"), PathBuf::from),
        pool_size: read.number("OPED_DB_POOL_SIZE", default_pool, 2..=MAX_POOL_SIZE, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;
    use super::MAX_POOL_SIZE;

    #[test]
    fn the_pool_size_is_bounded() {
        let size = config(&[]).unwrap().database.pool_size;
        assert!((2..=MAX_POOL_SIZE).contains(&size));
        assert_eq!(
            config(&[("OPED_DB_POOL_SIZE", "12")])
                .unwrap()
                .database
                .pool_size,
            12
        );
        for bad in ["1", "0", "many", "100000"] {
            let err = config(&[("OPED_DB_POOL_SIZE", bad)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("OPED_DB_POOL_SIZE") && err.contains("from 2 to 200"),
                "{err}"
            );
        }
    }

    #[test]
    fn database_urls_are_secrets() {
        let read = config(&[
            ("DATABASE_URL", "postgres://oped:pa55word@db.example/oped"),
            (
                "OPED_READ_DATABASE_URL",
                "postgres://oped:pa55word@replica/oped",
            ),
        ])
        .unwrap();
        assert!(read.database.read_url.is_some());
        assert!(!format!("{read:?}").contains("pa55word"));
    }
}
