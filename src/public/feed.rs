//! `/feed.atom`: the Atom 1.0 feed of the latest published op-eds, for
//! feed readers and the site, without an account.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

use crate::app::error::ApiError;
use crate::app::freshness::{Validators, latest};
use crate::app::{AppState, public_db};
use crate::publishing::feed::{self, FEED_LENGTH};
use crate::publishing::store;
use crate::publishing::view::PublicOpinion;

/// The Atom 1.0 feed of the latest published op-eds.
///
/// Every reader asks for the same document, so the last one made is kept
/// (`FeedCache`) and served again while its ETag is current: a request costs
/// one small query, and the pieces are read, sanitised and rendered only
/// after something changed.
#[utoipa::path(get, path = "/feed.atom", tag = "public",
    params(("If-None-Match" = Option<String>, Header, description = "ETags the client holds; 304 when one is current"),
        ("If-Modified-Since" = Option<String>, Header, description = "An HTTP date; 304 when nothing changed since")),
    responses(
        (status = 200, content_type = "application/atom+xml", body = String,
            description = "An Atom 1.0 feed (RFC 4287) of the latest 50 published op-eds",
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "The client's copy is current", headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 503, description = "The database is unavailable; retry after `Retry-After` seconds: code `temporarily_unavailable`"),
    ))]
pub async fn feed(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let validators = public_db(&state, |conn| {
        let rows = store::latest_versions(conn, FEED_LENGTH)?;
        let retracted = store::latest_retraction(conn)?;
        Ok(feed_validators(
            rows.iter().map(|(id, version, _)| (*id, *version)),
            rows.iter().map(|(_, _, updated)| *updated),
            retracted,
        ))
    })
    .await?;
    if validators.is_fresh(&request) {
        return Ok(validators.not_modified());
    }
    if let Some(xml) = state.feed.get(&validators.etag) {
        return Ok(validators.ok().content_type(feed::CONTENT_TYPE).body(xml));
    }
    let site = state.site.clone();
    let (validators, xml) = public_db(&state, move |conn| {
        let rows = store::latest(conn, FEED_LENGTH)?;
        let retracted = store::latest_retraction(conn)?;
        let validators = feed_validators(
            rows.iter().map(|row| (row.id, row.version)),
            rows.iter().map(|row| row.updated_at),
            retracted,
        );
        let pieces: Vec<PublicOpinion> = rows
            .iter()
            .filter_map(|row| PublicOpinion::from_row(row, &site))
            .collect();
        let xml = web::Bytes::from(feed::render(&site, &pieces, validators.last_modified));
        Ok((validators, xml))
    })
    .await?;
    state.feed.put(&validators.etag, xml.clone());
    Ok(validators.ok().content_type(feed::CONTENT_TYPE).body(xml))
}

fn feed_validators(
    versions: impl Iterator<Item = (i64, i32)>,
    updated: impl Iterator<Item = DateTime<Utc>>,
    retracted: Option<DateTime<Utc>>,
) -> Validators {
    Validators::digest(
        versions
            .map(|(id, version)| format!("{id}:{version}"))
            .chain([format!("retracted:{retracted:?}")]),
        latest(updated, retracted),
    )
}
