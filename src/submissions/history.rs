//! What happens to a piece without moving its state (a proposal filed or
//! decided, a reassignment, a restored revision) goes into its history
//! beside the transitions: a row from the state to itself.

use diesel::prelude::*;

use crate::domain::{HistoryAction, PieceEvent, State, SubmissionId, UserId};
use crate::schema::submission_history;

/// Records `event` on the piece, now in `state`, by `actor` (`None`: the
/// author's mail), with a note for editors.
pub fn record_event(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    event: PieceEvent,
    state: State,
    actor: Option<UserId>,
    note: &str,
) -> QueryResult<()> {
    diesel::insert_into(submission_history::table)
        .values((
            submission_history::submission_id.eq(submission_id),
            submission_history::action.eq(HistoryAction::Event(event)),
            submission_history::from_state.eq(state),
            submission_history::to_state.eq(state),
            submission_history::actor_id.eq(actor),
            submission_history::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}
