//! `GET /metrics`: the Prometheus text format, for a scraper the operator
//! names (`OPED_METRICS_TOKEN`, `OPED_METRICS_ALLOW`), and for nobody else:
//! with neither set the route refuses everyone, so it is never public by
//! accident behind a proxy.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use ipnet::IpNet;
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::app::caller::bearer_token;
use crate::app::error::ApiError;
use crate::secret::Secret;

/// Who may scrape: registered beside the app state by `startup::app`.
#[derive(Debug, Default)]
pub struct MetricsAccess {
    /// A bearer secret.
    pub token: Option<Secret<String>>,
    /// Addresses allowed without the token, judged by the TCP peer (never
    /// `X-Forwarded-For`: a proxy in front would make everyone local).
    pub allow: Vec<IpNet>,
}

impl MetricsAccess {
    fn admits(&self, peer: Option<IpAddr>, bearer: Option<&str>) -> bool {
        if let Some(peer) = peer
            && self.allow.iter().any(|net| net.contains(&peer))
        {
            return true;
        }
        match (&self.token, bearer) {
            (Some(expected), Some(presented)) => {
                bool::from(presented.as_bytes().ct_eq(expected.expose().as_bytes()))
            }
            _ => false,
        }
    }
}

pub async fn show(
    request: HttpRequest,
    access: web::Data<MetricsAccess>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let peer = request.peer_addr().map(|address| address.ip());
    let bearer = bearer_token(&request);
    if !access.admits(peer, bearer.as_deref()) {
        return Err(ApiError::forbidden(
            "metrics are for the scraper named by OPED_METRICS_TOKEN or OPED_METRICS_ALLOW",
        ));
    }
    crate::metrics::database_waiting(state.gates.database_waiting());
    let pool = state.pool.clone();
    let text = web::block(move || crate::metrics::render(&pool))
        .await
        .map_err(|err| ApiError::internal(&err))?
        .map_err(|_| ApiError::unavailable("the database is not answering; try again later"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_is_admitted_unless_named() {
        let local = Some("127.0.0.1".parse().unwrap());
        assert!(!MetricsAccess::default().admits(local, Some("anything")));

        let by_address = MetricsAccess {
            token: None,
            allow: vec!["10.0.0.0/8".parse().unwrap()],
        };
        assert!(by_address.admits(Some("10.1.2.3".parse().unwrap()), None));
        assert!(!by_address.admits(local, None));

        let by_token = MetricsAccess {
            token: Some(Secret::new("a-metrics-token-of-enough-length-1234".into())),
            allow: Vec::new(),
        };
        assert!(by_token.admits(None, Some("a-metrics-token-of-enough-length-1234")));
        assert!(!by_token.admits(local, Some("a-metrics-token-of-enough-length-123")));
        assert!(!by_token.admits(local, None));
    }
}
