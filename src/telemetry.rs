//! Logging setup: human-readable by default, JSON when `OPED_LOG_FORMAT=json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::app::AppState;
use crate::app::client::client_address;
use crate::config::LogFormat;

/// Installs the global subscriber. Logs go to stderr so that `oped ingest`
/// keeps stdout for its one JSON line. `RUST_LOG` overrides the default level.
pub fn init(format: LogFormat) {
    // lopdf reports every unreadable object of a hostile PDF: noise, not news.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,lopdf=off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: MTA and systemd logs get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    // A second call (tests) finds a subscriber already installed: that is fine.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The request logger's span (`TracingLogger<RequestSpan>`): the fields of
/// tracing-actix-web's default, except that a path holding a credential
/// (the `{token}` of an author's status link) is logged as its route
/// template (every event of the request carries this span's fields, so a
/// logged target would put the author's key in the logs), and that the
/// client's address is the one the throttles use: `X-Forwarded-For` only
/// from `OPED_TRUSTED_PROXIES`, or anyone could write who they are into
/// our logs.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let route = request.match_pattern();
        let target = logged_target(
            route.as_deref(),
            request
                .uri()
                .path_and_query()
                .map_or("", |target| target.as_str()),
        )
        .to_string();
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let client_ip = request
            .app_data::<actix_web::web::Data<AppState>>()
            .and_then(|state| client_address(request.request(), &state.trusted_proxies))
            .or_else(|| request.peer_addr().map(|peer| peer.ip()))
            .map(|address| address.to_string())
            .unwrap_or_default();
        let route = route.unwrap_or_else(|| "default".into());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {route}", request.method()),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// What the logs show of a request's path: the path and query, or the
/// route template when the route holds a `{token}`.
fn logged_target<'a>(route: Option<&'a str>, target: &'a str) -> &'a str {
    match route {
        Some(route) if route.contains("{token}") => route,
        _ => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_in_the_path_is_logged_as_its_template() {
        assert_eq!(
            logged_target(Some("/a/{token}"), "/a/secret-token?done=declared"),
            "/a/{token}"
        );
        assert_eq!(
            logged_target(
                Some("/api/v1/author/{token}/withdraw"),
                "/api/v1/author/secret-token/withdraw"
            ),
            "/api/v1/author/{token}/withdraw"
        );
        assert_eq!(
            logged_target(
                Some("/api/v1/submissions/{id}"),
                "/api/v1/submissions/7?x=1"
            ),
            "/api/v1/submissions/7?x=1"
        );
        assert_eq!(logged_target(None, "/nowhere"), "/nowhere");
    }
}
