//! Reading an inbox message: its row, then its kept bytes parsed by the
//! intake's own parser (`intake::inbox::read`) with no pooled connection
//! held, as promotion does.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::InboxItem;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::{Actor, Role};
use crate::intake::inbox::{self, read};

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxMessage {
    #[serde(flatten)]
    pub message: InboxItem,
    /// The body as plain text (an HTML-only mail's text), at most 100,000
    /// characters; absent when it has none or cannot be read.
    pub text: Option<String>,
    /// The text was cut at 100,000 characters.
    pub text_truncated: bool,
    /// Why the intake cannot read the message (a quarantined one).
    pub unreadable: Option<String>,
    pub attachments: Vec<AttachmentFacts>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentFacts {
    pub filename: Option<String>,
    pub content_type: String,
    /// In bytes, decoded.
    pub size: i64,
}

impl From<read::AttachedFile> for AttachmentFacts {
    fn from(file: read::AttachedFile) -> Self {
        AttachmentFacts {
            filename: file.filename,
            content_type: file.content_type,
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
        }
    }
}

/// Inbox message `id` as `caller` reads it: in the inbox now, dismissed,
/// or since made into or filed with a piece.
pub async fn read_message(
    state: &AppState,
    caller: Caller,
    id: i64,
) -> Result<(Actor, InboxMessage), ApiError> {
    let (actor, (row, raw)) = caller
        .db(state, Role::Editor, move |conn, _| {
            Ok(inbox::find(conn, id)?)
        })
        .await?;
    // Parsed with no pooled connection held, in the intake's turn: a
    // message can be as large as any the intake takes.
    let limits = state.intake.limits.clone();
    let reading = {
        let _turn = state.gates.intake().await?;
        web::block(move || read::read(&raw, &limits)).await?
    };
    Ok((
        actor,
        InboxMessage {
            message: InboxItem::from(row),
            text: reading.text,
            text_truncated: reading.truncated,
            unreadable: reading.unreadable,
            attachments: reading
                .attachments
                .into_iter()
                .map(AttachmentFacts::from)
                .collect(),
        },
    ))
}
