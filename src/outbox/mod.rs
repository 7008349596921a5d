//! Side effects leave through the outbox: rows written in the same
//! transaction as the change that causes them, delivered later by workers,
//! so a rolled-back change sends nothing and a committed one is never lost.

use diesel::prelude::*;
use serde_json::json;

use crate::schema::outbox;

/// An email to the submission's author, rendered from `template` when sent.
pub fn enqueue_email(
    conn: &mut PgConnection,
    submission_id: i64,
    template: &str,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq("email"),
            outbox::topic.eq(template),
            outbox::submission_id.eq(submission_id),
            outbox::payload.eq(json!({ "template": template, "note": note })),
        ))
        .execute(conn)?;
    Ok(())
}

/// A webhook event to the site about a submission.
pub fn enqueue_webhook(
    conn: &mut PgConnection,
    submission_id: i64,
    event: &str,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq("webhook"),
            outbox::topic.eq(event),
            outbox::submission_id.eq(submission_id),
            outbox::payload.eq(json!({ "event": event })),
        ))
        .execute(conn)?;
    Ok(())
}
