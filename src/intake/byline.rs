//! Who a forwarded piece is by, as the message forwarding it says: kept on
//! the message row that `store` has just written, in the same transaction.

use diesel::prelude::*;

use super::parse::Mailbox;
use crate::schema::inbound_messages;

/// Records `byline` as the sender of the piece message row `message`
/// forwards: `{"name": …, "email": …}`.
pub(super) fn record(conn: &mut PgConnection, message: i64, byline: &Mailbox) -> QueryResult<()> {
    diesel::update(inbound_messages::table.find(message))
        .set(inbound_messages::forwarded_from.eq(serde_json::json!({
            "name": byline.name,
            "email": byline.email,
        })))
        .execute(conn)?;
    Ok(())
}
