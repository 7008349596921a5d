//! Every migration runs up, down, and up again on an empty database.

use crate::common;

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use oped::db::MIGRATIONS;

#[test]
fn migrations_go_up_down_and_up_again() {
    let db = common::TestDb::empty();
    let mut conn = db.conn();
    let applied = conn.run_pending_migrations(MIGRATIONS).unwrap().len();
    assert!(applied > 0);
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    let tables: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(tables, 0, "down migrations remove every table");
    assert_eq!(
        conn.run_pending_migrations(MIGRATIONS).unwrap().len(),
        applied
    );
    assert!(oped::db::migrations_current(&mut conn).unwrap());
}

#[test]
fn a_missing_database_is_created() {
    let db = common::TestDb::empty();
    let url = format!("{}_created", db.url);
    oped::db::ensure_database(&url).unwrap();
    oped::db::ensure_database(&url).unwrap();
    let mut conn = PgConnection::establish(&url).unwrap();
    oped::db::run_migrations(&mut conn).unwrap();
    drop(conn);
    let mut admin = PgConnection::establish(&format!("{}/postgres", common::server_url())).unwrap();
    diesel::sql_query(format!("DROP DATABASE {}_created WITH (FORCE)", db.name))
        .execute(&mut admin)
        .unwrap();
}
