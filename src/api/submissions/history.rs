use actix_web::{HttpResponse, web};

use super::views::HistoryView;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Caller;
use crate::submissions::store;

/// Every transition, oldest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/history", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn history(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rows = super::with_submission(&state, caller, id, move |conn| {
        Ok(store::history(conn, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(HistoryView::from).collect::<Vec<_>>()))
}
