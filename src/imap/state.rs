//! The mailbox's row in `imap_mailboxes`: (mailbox, UIDVALIDITY, last UID),
//! advanced in the transaction that records each message, and the poller's
//! status for editors (`GET /api/v1/mailbox`) and `/metrics`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::schema::imap_mailboxes;

/// The first key of the two-key advisory locks taken on pollers'
/// connections ("imap" in ASCII); the second is the mailbox row's id.
const LOCK_CLASS: i32 = 0x696d_6170;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imap_mailboxes)]
pub struct MailboxRow {
    pub id: i64,
    pub mailbox: String,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub resyncs: i32,
    pub active_poller: Option<String>,
    pub active_since: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub backlog: i32,
    pub updated_at: DateTime<Utc>,
}

impl MailboxRow {
    /// The last attempt failed: no success since the last error.
    pub fn failing(&self) -> bool {
        match (self.last_error_at, self.last_success_at) {
            (Some(error), Some(success)) => error > success,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// The mailbox's row id, creating the row on first sight.
pub fn register(conn: &mut PgConnection, mailbox: &str) -> QueryResult<i64> {
    diesel::insert_into(imap_mailboxes::table)
        .values(imap_mailboxes::mailbox.eq(mailbox))
        .on_conflict(imap_mailboxes::mailbox)
        .do_update()
        .set(imap_mailboxes::mailbox.eq(mailbox))
        .returning(imap_mailboxes::id)
        .get_result(conn)
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Tries the mailbox's session advisory lock on `conn`: held until `conn`
/// closes, so a poller that dies (process killed, network gone) frees the
/// mailbox for another without anyone cleaning up.
pub fn try_lock(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_try_advisory_lock($1, $2::integer) AS locked")
        .bind::<diesel::sql_types::Integer, _>(LOCK_CLASS)
        .bind::<BigInt, _>(id)
        .get_result::<Locked>(conn)
        .map(|row| row.locked)
}

pub fn load(conn: &mut PgConnection, id: i64) -> QueryResult<MailboxRow> {
    imap_mailboxes::table
        .find(id)
        .select(MailboxRow::as_select())
        .first(conn)
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<MailboxRow>> {
    imap_mailboxes::table
        .order(imap_mailboxes::id)
        .select(MailboxRow::as_select())
        .load(conn)
}

/// Records who polls now.
pub fn claim(conn: &mut PgConnection, id: i64, poller: &str) -> QueryResult<()> {
    diesel::update(imap_mailboxes::table.find(id))
        .set((
            imap_mailboxes::active_poller.eq(poller),
            imap_mailboxes::active_since.eq(Utc::now()),
            imap_mailboxes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// Takes the server's UIDVALIDITY. When it differs from the stored one, the
/// UIDs we knew mean nothing any more: the last UID starts again from 0.
/// Returns the row and, when a known validity changed, the previous one.
pub fn observe_validity(
    conn: &mut PgConnection,
    id: i64,
    validity: u32,
) -> QueryResult<(MailboxRow, Option<i64>)> {
    conn.transaction(|conn| {
        let row: MailboxRow = imap_mailboxes::table
            .find(id)
            .select(MailboxRow::as_select())
            .for_update()
            .first(conn)?;
        if row.uid_validity == Some(i64::from(validity)) {
            return Ok((row, None));
        }
        let updated = diesel::update(imap_mailboxes::table.find(id))
            .set((
                imap_mailboxes::uid_validity.eq(i64::from(validity)),
                imap_mailboxes::last_uid.eq(0),
                imap_mailboxes::resyncs
                    .eq(imap_mailboxes::resyncs + i32::from(row.uid_validity.is_some())),
                imap_mailboxes::updated_at.eq(Utc::now()),
            ))
            .returning(MailboxRow::as_returning())
            .get_result(conn)?;
        Ok((updated, row.uid_validity))
    })
}

/// Called inside the transaction that records message `uid`: moves the last
/// UID forward (never back: a redelivered older message leaves it alone)
/// and counts the message off the backlog. Fails when the stored validity
/// is no longer the one the message was read under.
pub fn advance(conn: &mut PgConnection, id: i64, validity: u32, uid: u32) -> QueryResult<()> {
    let updated = diesel::update(
        imap_mailboxes::table
            .find(id)
            .filter(imap_mailboxes::uid_validity.eq(i64::from(validity))),
    )
    .set((
        imap_mailboxes::last_uid.eq(diesel::dsl::sql::<BigInt>(&format!(
            "GREATEST(last_uid, {uid})"
        ))),
        imap_mailboxes::backlog.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(
            "GREATEST(backlog - 1, 0)",
        )),
        imap_mailboxes::updated_at.eq(Utc::now()),
    ))
    .execute(conn)?;
    if updated == 1 {
        Ok(())
    } else {
        Err(diesel::result::Error::NotFound)
    }
}

pub fn set_backlog(conn: &mut PgConnection, id: i64, backlog: usize) -> QueryResult<()> {
    diesel::update(imap_mailboxes::table.find(id))
        .set((
            imap_mailboxes::backlog.eq(i32::try_from(backlog).unwrap_or(i32::MAX)),
            imap_mailboxes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// A pass read the whole folder.
pub fn succeeded(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(imap_mailboxes::table.find(id))
        .set((
            imap_mailboxes::last_success_at.eq(Utc::now()),
            imap_mailboxes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .map(drop)
}

pub fn failed(conn: &mut PgConnection, id: i64, error: &str) -> QueryResult<()> {
    diesel::update(imap_mailboxes::table.find(id))
        .set((
            imap_mailboxes::last_error.eq(error),
            imap_mailboxes::last_error_at.eq(Utc::now()),
            imap_mailboxes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .map(drop)
}
