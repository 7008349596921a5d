//! Whom a piece is probably by, as the mail says (`byline_suggestion`): kept
//! on the message row that `store` has just written, in the same
//! transaction. The column keeps its first name, `forwarded_from`, from when
//! only a forward could say so.

use diesel::prelude::*;

use super::byline_suggestion::BylineSuggestion;
use crate::schema::inbound_messages;

/// Records `byline` on message row `message`: `{"name": …, "email": …}`,
/// either of them `null`.
pub(super) fn record(
    conn: &mut PgConnection,
    message: i64,
    byline: &BylineSuggestion,
) -> QueryResult<()> {
    diesel::update(inbound_messages::table.find(message))
        .set(inbound_messages::forwarded_from.eq(serde_json::json!({
            "name": byline.name,
            "email": byline.email,
        })))
        .execute(conn)?;
    Ok(())
}
