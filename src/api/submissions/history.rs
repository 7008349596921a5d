use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::HistoryView;
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
    super::list_under::<_, HistoryView>(&state, caller, id.into_inner(), store::history).await
}
