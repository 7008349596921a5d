//! The database: where it is (a server named by `DATABASE_URL`, or the private
//! cluster), creating it when missing, migrations, and the connection pool.

pub mod cursor;
pub mod embedded;
pub mod errors;
pub mod models;
pub mod replica;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseConfig;
use crate::secret::Secret;
use embedded::{EmbeddedCluster, EmbeddedError};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PooledPg = PooledConnection<ConnectionManager<PgConnection>>;

/// Held by whoever runs the migrations, so replicas starting together apply
/// them once. Any fixed number works; this one spells "oped-mig".
const MIGRATION_LOCK: i64 = 0x6f70_6564_2d6d_6967;

/// The name of the database in the private cluster.
const EMBEDDED_DATABASE: &str = "oped";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("DATABASE_URL is not a valid URL: {0}")]
    BadUrl(String),
    #[error("the private PostgreSQL cluster: {0}")]
    Embedded(#[from] EmbeddedError),
}

/// A reachable database with the product's schema. Keeps the private
/// cluster running for as long as it lives.
pub struct Database {
    pub url: Secret<String>,
    _cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// Finds or starts the database, creates it when missing and applies
    /// pending migrations.
    pub fn open(config: &DatabaseConfig) -> Result<Database, DbError> {
        let (url, cluster) = match &config.url {
            Some(url) => (Secret::new(plaintext_on_loopback(url.expose())), None),
            None => {
                let cluster = EmbeddedCluster::start(&config.data_dir)?;
                (
                    Secret::new(cluster.database_url(EMBEDDED_DATABASE)),
                    Some(cluster),
                )
            }
        };
        ensure_database(url.expose())?;
        let mut conn = PgConnection::establish(url.expose())?;
        run_migrations(&mut conn)?;
        Ok(Database {
            url,
            _cluster: cluster,
        })
    }

    /// A connection of its own, whose errors [`errors::classify`] reads.
    pub fn connect(&self) -> Result<PgConnection, DbError> {
        let mut conn = PgConnection::establish(self.url.expose())?;
        errors::pin_messages(&mut conn);
        Ok(conn)
    }
}

/// The longest any statement of the API may run: no request pattern (a
/// search for a word in no row, say) may hold a pooled connection for long.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A server on this machine's loopback is reached without TLS unless the URL
/// asks for it (`sslmode=…`): libpq's default (`prefer`) would otherwise
/// negotiate TLS to 127.0.0.1, which protects nothing and costs every query
/// an encryption on both sides.
fn plaintext_on_loopback(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    // `postgres:` is no special scheme to the url crate: its host comes as
    // text, an address included.
    let loopback = parsed.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    });
    if !loopback || parsed.query_pairs().any(|(key, _)| key == "sslmode") {
        return url.to_string();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.to_string()
}

/// A pool whose `get` gives up after `timeout`, so a dead database turns into
/// a quick "try again later" instead of a hung request; its connections stop
/// any statement after [`STATEMENT_TIMEOUT`], ask for messages
/// [`errors::classify`] can read, and reach a loopback server without TLS as
/// [`Database::open`]'s do, whoever built the URL.
pub fn pool(url: &Secret<String>, max_size: u32, timeout: Duration) -> PgPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .connection_customizer(Box::new(SessionSettings(STATEMENT_TIMEOUT)))
        .test_on_check_out(false)
        // Connecting lazily lets the service start and answer 503 while the
        // database is briefly away.
        .build_unchecked(ConnectionManager::new(plaintext_on_loopback(url.expose())))
}

#[derive(Debug)]
struct SessionSettings(Duration);

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::sql_query(format!("SET statement_timeout = {}", self.0.as_millis()))
            .execute(conn)
            .map_err(diesel::r2d2::Error::QueryError)?;
        errors::pin_messages(conn);
        Ok(())
    }
}

/// Applies pending migrations under an advisory lock.
pub fn run_migrations(conn: &mut PgConnection) -> Result<(), DbError> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| {
            for version in applied {
                tracing::info!(%version, "migration applied");
            }
        })
        .map_err(|err| DbError::Migration(err.to_string()));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    result
}

/// True when every embedded migration has been applied.
pub fn migrations_current(conn: &mut PgConnection) -> Result<bool, DbError> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(|err| DbError::Migration(err.to_string()))
}

/// Creates the database named in `url` when it does not exist yet (and the
/// role may create databases). Racing creators are fine: one wins. Whether
/// it exists is asked of `pg_database`, not read from the error, whose text
/// is in the server's language.
pub fn ensure_database(url: &str) -> Result<(), DbError> {
    let err = match PgConnection::establish(url) {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    let mut parsed = url::Url::parse(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
    let name = parsed.path().trim_start_matches('/').to_string();
    let name = percent_decode(&name);
    if name.is_empty() {
        return Err(err.into());
    }
    parsed.set_path("/postgres");
    // Neither reachable nor missing (a password, a permission): the first
    // error is the one to report.
    let Ok(mut admin) = PgConnection::establish(parsed.as_str()) else {
        return Err(err.into());
    };
    if database_exists(&mut admin, &name)? {
        return Err(err.into());
    }
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(format!("CREATE DATABASE {quoted}")).execute(&mut admin) {
        Ok(_) => {
            tracing::info!(database = %name, "database created");
            Ok(())
        }
        Err(_) if database_exists(&mut admin, &name)? => Ok(()),
        Err(err) => Err(err.into()),
    }
}

fn database_exists(admin: &mut PgConnection, name: &str) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(admin)?;
    Ok(found.found)
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::plaintext_on_loopback;

    #[test]
    fn loopback_servers_are_reached_without_tls_unless_asked() {
        assert_eq!(
            plaintext_on_loopback("postgres://oped@127.0.0.1:5432/oped"),
            "postgres://oped@127.0.0.1:5432/oped?sslmode=disable"
        );
        assert_eq!(
            plaintext_on_loopback("postgres://oped@localhost/oped?application_name=x"),
            "postgres://oped@localhost/oped?application_name=x&sslmode=disable"
        );
        assert_eq!(
            plaintext_on_loopback("postgres://[::1]/oped"),
            "postgres://[::1]/oped?sslmode=disable"
        );
        for kept in [
            "postgres://oped@127.0.0.1/oped?sslmode=require",
            "postgres://oped@db.internal/oped",
            "postgres://oped@10.0.0.5/oped",
            "host=/run/postgresql dbname=oped",
        ] {
            assert_eq!(plaintext_on_loopback(kept), kept);
        }
    }
}
