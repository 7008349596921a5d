//! What an editor does with an inbox message, the same for both doors:
//! make a piece of it, file it with a piece by reference, dismiss it, or
//! restore it. Making and filing parse and extract the kept mail with no
//! pooled connection held, then write in one transaction.

use actix_web::web;

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::{Actor, Role};
use crate::intake::inbox::{self, InboxRow, acts};
use crate::intake::{self, subject};
use crate::submissions::store;

use super::InboxItem;

/// A piece made of an inbox message.
pub struct Promotion {
    pub record: store::SubmissionRecord,
    /// Whether the author's acknowledgement was queued (not to a sender
    /// who failed DMARC, nor past the acknowledgement limits).
    pub acknowledged: bool,
}

/// Promotes inbox message `id` for `caller`: the raw mail read, then
/// parsed and extracted with no pooled connection held, then recorded as a
/// submission and its author acknowledged, in one transaction.
pub async fn promote_message(
    state: &AppState,
    caller: Caller,
    id: i64,
) -> Result<(Actor, Promotion), ApiError> {
    let raw = raw_in_inbox(state, caller, id).await?;
    let config = state.intake.clone();
    let prepared = {
        let _turn = state.gates.intake().await?;
        web::block(move || intake::prepare_promotion(&raw, &config)).await??
    };
    let config = state.intake.clone();
    caller
        .db(state, Role::Editor, move |conn, _| {
            let promoted = acts::promote(conn, id, prepared, &config)?;
            let record = store::find(conn, promoted.submission_id)?
                .ok_or_else(|| ApiError::not_found("submission"))?;
            Ok(Promotion {
                record,
                acknowledged: promoted.acknowledged,
            })
        })
        .await
}

pub use acts::Filed;

/// Files inbox message `id` with the piece named by `reference` (as an
/// editor types it) for `caller`: as a reply of the author's would be
/// filed, the message read with no pooled connection held.
pub async fn file_message(
    state: &AppState,
    caller: Caller,
    id: i64,
    reference: &str,
) -> Result<(Actor, Filed), ApiError> {
    let reference = subject::typed_reference(reference).ok_or_else(|| {
        ApiError::invalid_field("reference", "a piece's reference, such as OE-2026-0042")
    })?;
    let raw = raw_in_inbox(state, caller, id).await?;
    let config = state.intake.clone();
    let prepared = {
        let _turn = state.gates.intake().await?;
        web::block(move || intake::prepare_filing(&raw, &config)).await??
    };
    caller
        .db(state, Role::Editor, move |conn, _| {
            Ok(acts::file_with(conn, id, &reference, prepared)?)
        })
        .await
}

/// Sets inbox message `id` aside for `caller`; it stays, listed among the
/// dismissed, until restored.
pub async fn dismiss_message(
    state: &AppState,
    caller: Caller,
    id: i64,
) -> Result<(Actor, InboxItem), ApiError> {
    item_after(state, caller, move |conn, actor| {
        inbox::dismiss(conn, id, actor.user_id)
    })
    .await
}

/// Puts dismissed message `id` back among the mail that waits.
pub async fn restore_message(
    state: &AppState,
    caller: Caller,
    id: i64,
) -> Result<(Actor, InboxItem), ApiError> {
    item_after(state, caller, move |conn, _| inbox::restore(conn, id)).await
}

async fn item_after<F>(
    state: &AppState,
    caller: Caller,
    act: F,
) -> Result<(Actor, InboxItem), ApiError>
where
    F: FnOnce(&mut diesel::PgConnection, Actor) -> Result<InboxRow, intake::InboxError>
        + Send
        + 'static,
{
    caller
        .db(state, Role::Editor, move |conn, actor| {
            Ok(InboxItem::from(act(conn, actor)?))
        })
        .await
}

async fn raw_in_inbox(state: &AppState, caller: Caller, id: i64) -> Result<Vec<u8>, ApiError> {
    let (_, raw) = caller
        .db(state, Role::Editor, move |conn, _| {
            Ok(acts::raw_in_inbox(conn, id)?)
        })
        .await?;
    Ok(raw)
}
