//! `POST /api/v1/inbound/messages`: the HTTP door of intake, for mail
//! gateways that deliver by webhook instead of piping into `oped ingest`.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::app::error::ApiError;
use crate::intake::{self, Outcome};

/// Records one raw RFC 5322 message; the body is the message itself.
#[utoipa::path(post, path = "/api/v1/inbound/messages", tag = "intake",
    request_body(content = String, content_type = "message/rfc822",
        description = "The raw message as the mail gateway received it (RFC 5322)"),
    responses(
        (status = 201, description = "a new submission", body = crate::intake::IngestReport),
        (status = 200, description = "recorded with another outcome", body = crate::intake::IngestReport),
        (status = 400, description = "The body is empty (`empty_body`) or could not be read (`bad_body`)",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No inbound token, a wrong one, or the server has none configured: code `unauthorized`",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than OPED_MAX_MESSAGE_BYTES: code `message_too_large`",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as `message/rfc822`: code `unsupported_media_type`",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing was stored; deliver again later: code `temporarily_unavailable`",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
    ),
    security(("inbound_token" = [])))]
pub async fn receive(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorise(&request, &state)?;
    require_rfc822(&request)?;
    let limit = state.intake.limits.max_message_bytes;
    let started = std::time::Instant::now();
    let raw = read_limited(&request, &mut payload, limit).await?;

    // Read with no pooled connection held; then recorded on one, in turn
    // with the editors' requests.
    let (prepared, raw) = {
        let _turn = state.gates.intake().await?;
        let config = state.intake.clone();
        web::block(move || (intake::prepare(&raw, &config), raw)).await?
    };
    let config = state.intake.clone();
    let report = crate::app::blocking_db(&state, move |conn| {
        Ok(intake::record(conn, &raw, prepared, &config)?)
    })
    .await?;
    crate::metrics::message_recorded("http", report.outcome.as_str(), started);

    let status = match report.outcome {
        Outcome::Submission => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(report))
}

/// `Authorization: Bearer $OPED_INBOUND_TOKEN`, compared in constant time.
fn authorise(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = &state.intake.inbound_token else {
        return Err(ApiError::unauthorized(
            "inbound delivery is disabled: the server has no OPED_INBOUND_TOKEN",
        ));
    };
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <inbound token>"))?;
    if bool::from(
        presented
            .trim()
            .as_bytes()
            .ct_eq(expected.expose().as_bytes()),
    ) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("the inbound token is not valid"))
    }
}

fn require_rfc822(request: &HttpRequest) -> Result<(), ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("message/rfc822") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the raw message with Content-Type: message/rfc822",
        ))
    }
}

/// Reads the body, refusing it with 413 as soon as it is known to be too
/// large: from `Content-Length` before reading, or while streaming.
async fn read_limited(
    request: &HttpRequest,
    payload: &mut web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_large",
            format!(
                "the message is larger than the limit of {limit} bytes (OPED_MAX_MESSAGE_BYTES)"
            ),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|err| ApiError::new(StatusCode::BAD_REQUEST, "bad_body", err.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request body holds no message",
        ));
    }
    Ok(body)
}
