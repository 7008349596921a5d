//! Keyset cursors for newest-first lists: the (received_at, id) of the last
//! item shown. New mail sorts before every cursor, so paging neither repeats
//! nor skips items while mail keeps arriving. Lists in deadline order (the
//! soonest `respond_by` first) page by (respond_by, id) with a
//! [`DeadlineCursor`], and searches by relevance (title matches first, then
//! the rest, each newest first) with a [`RelevanceCursor`]: each kind is
//! written differently so that none is taken for another.

use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Timestamptz};

use crate::schema::{inbound_messages, submissions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at: DateTime<Utc>,
    pub id: i64,
}

impl Cursor {
    /// The pieces after this one, newest first: a row comparison, so that
    /// PostgreSQL walks the (…, received_at, id) indexes.
    pub fn older_pieces(
        self,
    ) -> Box<dyn BoxableExpression<submissions::table, Pg, SqlType = Bool>> {
        Box::new(RowComparison::new(
            "(submissions.received_at, submissions.id) < (",
            self.received_at,
            self.id,
        ))
    }

    /// The same for the inbox's messages: the (received_at, id) index of
    /// `inbound_messages` serves it.
    pub fn older_messages(
        self,
    ) -> Box<dyn BoxableExpression<inbound_messages::table, Pg, SqlType = Bool>> {
        Box::new(RowComparison::new(
            "(inbound_messages.received_at, inbound_messages.id) < (",
            self.received_at,
            self.id,
        ))
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.received_at.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything that is not a cursor this server wrote.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (received_at, id) = decode_position(text, "")?;
        Some(Cursor { received_at, id })
    }
}

/// The (respond_by, id) of the last item of a page in deadline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineCursor {
    pub respond_by: DateTime<Utc>,
    pub id: i64,
}

const DEADLINE_TAG: &str = "d";

impl DeadlineCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{DEADLINE_TAG}{}.{}",
            self.respond_by.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything that is not a deadline cursor this server wrote.
    pub fn decode(text: &str) -> Option<DeadlineCursor> {
        let (respond_by, id) = decode_position(text, DEADLINE_TAG)?;
        Some(DeadlineCursor { respond_by, id })
    }

    /// The open pieces due after this one: the (respond_by, id) index of
    /// open pieces serves it.
    pub fn due_later(self) -> Box<dyn BoxableExpression<submissions::table, Pg, SqlType = Bool>> {
        Box::new(RowComparison::new(
            "(submissions.respond_by, submissions.id) > (",
            self.respond_by,
            self.id,
        ))
    }
}

/// The last item of a page of a search by relevance: whether it was among
/// the pieces whose title matches, and its place newest first among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelevanceCursor {
    pub title_match: bool,
    pub received_at: DateTime<Utc>,
    pub id: i64,
}

const TITLE_MATCH_TAG: &str = "rt";
const ELSEWHERE_MATCH_TAG: &str = "re";

impl RelevanceCursor {
    pub fn encode(&self) -> String {
        let tag = if self.title_match {
            TITLE_MATCH_TAG
        } else {
            ELSEWHERE_MATCH_TAG
        };
        URL_SAFE_NO_PAD.encode(format!(
            "{tag}{}.{}",
            self.received_at.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything that is not a relevance cursor this server wrote.
    pub fn decode(text: &str) -> Option<RelevanceCursor> {
        let (title_match, (received_at, id)) = decode_position(text, TITLE_MATCH_TAG)
            .map(|position| (true, position))
            .or_else(|| {
                decode_position(text, ELSEWHERE_MATCH_TAG).map(|position| (false, position))
            })?;
        Some(RelevanceCursor {
            title_match,
            received_at,
            id,
        })
    }

    /// Where to go on newest first within the cursor's own part.
    pub fn within_part(self) -> Cursor {
        Cursor {
            received_at: self.received_at,
            id: self.id,
        }
    }
}

/// `<row_is>$1, $2)`: a cursor's row comparison on the table `T`, which
/// diesel's query builder has no words for. Written as a fragment of its own
/// rather than with `sql()`, because a `sql()` literal makes diesel send the
/// whole statement unprepared, parsed and planned again for every page.
#[derive(Debug, Clone, Copy)]
struct RowComparison<T> {
    /// Up to the opening parenthesis of the values: fixed text, never input.
    row_is: &'static str,
    at: DateTime<Utc>,
    id: i64,
    table: PhantomData<T>,
}

impl<T> RowComparison<T> {
    fn new(row_is: &'static str, at: DateTime<Utc>, id: i64) -> Self {
        RowComparison {
            row_is,
            at,
            id,
            table: PhantomData,
        }
    }
}

impl<T> Expression for RowComparison<T> {
    type SqlType = Bool;
}

impl<T: Table> AppearsOnTable<T> for RowComparison<T> {}

impl<T: Table> SelectableExpression<T> for RowComparison<T> {}

impl<T> ValidGrouping<()> for RowComparison<T> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<T> QueryId for RowComparison<T> {
    type QueryId = ();
    // The text differs by `row_is`: the statement is known by its SQL.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T> QueryFragment<Pg> for RowComparison<T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.row_is);
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.id)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Where a page ends, written for the next request.
pub trait Position {
    fn encode(&self) -> String;
}

impl Position for Cursor {
    fn encode(&self) -> String {
        Cursor::encode(self)
    }
}

impl Position for DeadlineCursor {
    fn encode(&self) -> String {
        DeadlineCursor::encode(self)
    }
}

impl Position for RelevanceCursor {
    fn encode(&self) -> String {
        RelevanceCursor::encode(self)
    }
}

/// `<tag><micros>.<id>`, base64url, back to its parts.
fn decode_position(text: &str, tag: &str) -> Option<(DateTime<Utc>, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?.strip_prefix(tag)?;
    let (micros, id) = text.split_once('.')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    // Only dates PostgreSQL can compare with: this server never wrote others.
    if !(1970..=9999).contains(&at.year()) {
        return None;
    }
    Some((at, id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            received_at: "2026-11-26T10:00:00.123456Z".parse().unwrap(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "!!!",
            "MTIz",
            &URL_SAFE_NO_PAD.encode("x.y"),
            &URL_SAFE_NO_PAD.encode("-400000000000000000.1"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn deadline_cursors_are_not_taken_for_received_ones() {
        let at = "2026-12-08T15:00:00Z".parse().unwrap();
        let deadline = DeadlineCursor {
            respond_by: at,
            id: 7,
        };
        assert_eq!(DeadlineCursor::decode(&deadline.encode()), Some(deadline));
        assert_eq!(Cursor::decode(&deadline.encode()), None);
        let received = Cursor {
            received_at: at,
            id: 7,
        };
        assert_eq!(DeadlineCursor::decode(&received.encode()), None);
    }

    #[test]
    fn relevance_cursors_keep_their_part_and_are_no_other_kind() {
        let at = "2026-12-08T15:00:00Z".parse().unwrap();
        for title_match in [true, false] {
            let cursor = RelevanceCursor {
                title_match,
                received_at: at,
                id: 9,
            };
            assert_eq!(RelevanceCursor::decode(&cursor.encode()), Some(cursor));
            assert_eq!(Cursor::decode(&cursor.encode()), None);
            assert_eq!(DeadlineCursor::decode(&cursor.encode()), None);
        }
        let received = Cursor {
            received_at: at,
            id: 9,
        };
        assert_eq!(RelevanceCursor::decode(&received.encode()), None);
    }
}
