use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::RevisionView;
use crate::submissions::store;

/// Every text the piece has had, newest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/revisions", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RevisionView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn revisions(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, RevisionView>(&state, caller, id.into_inner(), store::revisions).await
}
