//! What the API's extractors refuse (a JSON body, a query string, a path
//! segment), as the problem+json every API error is.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;

use super::JSON_BODY_LIMIT;
use crate::app::error::ApiError;

/// A JSON body the extractor refused: too large, not JSON, or not the shape.
impl From<JsonPayloadError> for ApiError {
    fn from(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!("JSON bodies are limited to {JSON_BODY_LIMIT} bytes"),
                )
            }
            JsonPayloadError::ContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json",
            ),
            JsonPayloadError::Deserialize(err) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the JSON body does not fit: {err}"),
            ),
            other => ApiError::bad_request(
                "invalid_json",
                format!("the body is not valid JSON: {other}"),
            ),
        }
    }
}

impl From<QueryPayloadError> for ApiError {
    fn from(err: QueryPayloadError) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            format!("the query string does not fit: {err}"),
        )
    }
}

/// A path segment of the wrong type (`/submissions/abc`): no such resource.
impl From<PathError> for ApiError {
    fn from(err: PathError) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such resource: {err}"),
        )
    }
}
