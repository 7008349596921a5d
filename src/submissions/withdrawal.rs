//! Who withdrew a withdrawn piece. A withdrawal through the author's status
//! link is final for the desk: the piece is reopened only once the author
//! has said again that it may be considered, through the same link (an
//! `author_consented` event in the history) or by a new mail on the piece
//! (a reply attached to it after the withdrawal, which the editor reads
//! before reopening). A withdrawal by an editor, on the author's emailed
//! request, may be reopened as before.

use diesel::prelude::*;

use crate::domain::{Action, HistoryAction, Outcome, PieceEvent, State};
use crate::schema::{inbound_messages, submission_history};

/// How a withdrawn piece came to be withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// By an editor (`withdraw`), on the author's request by mail.
    ByDesk,
    /// By the author through their status link (`author_withdraw`), and
    /// whether they have since consented to the piece being considered again.
    ByAuthor { consented_again: bool },
}

impl Withdrawal {
    /// Reopening waits for the author: they withdrew it and have not said
    /// otherwise since.
    pub fn awaits_author(self) -> bool {
        self == Withdrawal::ByAuthor {
            consented_again: false,
        }
    }
}

/// How piece `submission_id` was last withdrawn; `None` when it never was.
/// Call it for a piece that is `withdrawn` now: of any other, the answer
/// is history.
pub fn last(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Option<Withdrawal>> {
    let withdrawn: Option<(i64, HistoryAction, chrono::DateTime<chrono::Utc>)> =
        submission_history::table
            .filter(submission_history::submission_id.eq(submission_id))
            .filter(submission_history::to_state.eq(State::Withdrawn))
            .filter(submission_history::from_state.ne(State::Withdrawn))
            .order(submission_history::id.desc())
            .select((
                submission_history::id,
                submission_history::action,
                submission_history::created_at,
            ))
            .first(conn)
            .optional()?;
    let Some((history_id, action, at)) = withdrawn else {
        return Ok(None);
    };
    if action != HistoryAction::Transition(Action::AuthorWithdraw) {
        return Ok(Some(Withdrawal::ByDesk));
    }
    let consented_on_the_link = diesel::select(diesel::dsl::exists(
        submission_history::table
            .filter(submission_history::submission_id.eq(submission_id))
            .filter(submission_history::id.gt(history_id))
            .filter(
                submission_history::action.eq(HistoryAction::Event(PieceEvent::AuthorConsented)),
            ),
    ))
    .get_result::<bool>(conn)?;
    let wrote_since = consented_on_the_link
        || diesel::select(diesel::dsl::exists(
            inbound_messages::table
                .filter(inbound_messages::submission_id.eq(submission_id))
                .filter(inbound_messages::outcome.eq(Outcome::Reply))
                .filter(inbound_messages::received_at.gt(at)),
        ))
        .get_result::<bool>(conn)?;
    Ok(Some(Withdrawal::ByAuthor {
        consented_again: wrote_since,
    }))
}
