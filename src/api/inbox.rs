//! `/api/v1/inbox`: mail that is not (yet) a submission, unmatched or
//! quarantined, and its promotion to one.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extract::Caller;
use super::submissions::views::SubmissionView;
use super::{AppState, paging};
use crate::auth::Role;
use crate::intake::{self, Outcome};
use crate::schema::inbound_messages;
use crate::submissions::cursor::Cursor;
use crate::submissions::store;

const DEFAULT_LIMIT: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/inbox", web::get().to(index))
        .route("/inbox/{id}/promote", web::post().to(promote));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `unmatched` or `quarantined`; both when absent.
    #[param(pattern = r"^(unmatched|quarantined)?$")]
    outcome: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct InboxItem {
    /// The message id, for `POST /inbox/{id}/promote`.
    pub id: i64,
    pub outcome: String,
    /// Why it was quarantined.
    pub detail: Option<String>,
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub received_at: DateTime<Utc>,
    pub size: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
}

/// Unmatched and quarantined mail, newest first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(InboxQuery),
    responses((status = 200, body = InboxPage),
        (status = 422, description = "Unknown outcome, limit out of range or a foreign cursor: code `invalid_field`, `field` names it")),
    security(("bearer" = [])))]
pub async fn index(
    caller: Caller,
    query: web::Query<InboxQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let outcomes: Vec<&'static str> = match query.outcome.as_deref() {
        None | Some("") => vec![Outcome::Unmatched.as_str(), Outcome::Quarantined.as_str()],
        Some("unmatched") => vec![Outcome::Unmatched.as_str()],
        Some("quarantined") => vec![Outcome::Quarantined.as_str()],
        Some(_) => {
            return Err(ApiError::invalid_field(
                "outcome",
                "`unmatched` or `quarantined`",
            ));
        }
    };
    let limit = paging::limit(query.limit, DEFAULT_LIMIT)?;
    let after = paging::cursor(query.cursor.as_deref())?;
    let (_, mut items): (_, Vec<InboxItem>) = caller
        .db(&state, Role::Editor, move |conn, _| {
            let mut listing = inbound_messages::table
                .filter(inbound_messages::outcome.eq_any(outcomes))
                .filter(inbound_messages::submission_id.is_null())
                .select((
                    inbound_messages::id,
                    inbound_messages::outcome,
                    inbound_messages::outcome_detail,
                    inbound_messages::sender_email,
                    inbound_messages::sender_name,
                    inbound_messages::subject,
                    inbound_messages::received_at,
                    inbound_messages::raw_size,
                ))
                .into_boxed();
            if let Some(cursor) = after {
                listing = listing.filter(
                    diesel::dsl::sql::<Bool>(
                        "(inbound_messages.received_at, inbound_messages.id) < (",
                    )
                    .bind::<Timestamptz, _>(cursor.received_at)
                    .sql(", ")
                    .bind::<BigInt, _>(cursor.id)
                    .sql(")"),
                );
            }
            Ok(listing
                .order((
                    inbound_messages::received_at.desc(),
                    inbound_messages::id.desc(),
                ))
                .limit(limit + 1)
                .load(conn)?)
        })
        .await?;
    let next_cursor = paging::finish_page(&mut items, limit, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    });
    Ok(HttpResponse::Ok().json(InboxPage { items, next_cursor }))
}

/// Makes a new submission of an inbox message.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/promote", tag = "inbox", params(("id" = i64, Path)),
    responses(
        (status = 201, description = "The new submission", body = SubmissionView,
            headers(("ETag" = String, description = "Its version, quoted"))),
        (status = 404, description = "No such message: code `not_found`"),
        (status = 409, description = "The message is not in the inbox (it is a submission or was promoted): code `not_in_inbox`"),
        (status = 422, description = "The message cannot become a submission: code `unreadable_message`"),
    ),
    security(("bearer" = [])))]
pub async fn promote(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, raw) = caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(intake::promotable(conn, id)?)
        })
        .await?;
    // Parsed and extracted with no pooled connection held.
    let config = state.intake.clone();
    let prepared = {
        let _turn = state.gates.intake().await?;
        web::block(move || intake::prepare_promotion(&raw, &config)).await??
    };
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, _| {
            let submission = intake::promote(conn, id, prepared)?;
            store::find(conn, submission)?.ok_or_else(|| ApiError::not_found("submission"))
        })
        .await?;
    let version = record.row.version;
    Ok(HttpResponse::Created()
        .insert_header(super::preconditions::etag(version))
        .json(SubmissionView::new(record, actor.role, &state.site)))
}
