//! Headers around every door's answers, mounted once by `startup::app`.

/// Headers every response carries unless its door sets its own (the desk's
/// and the author's pages name what they load): nothing may be framed,
/// sniffed into HTML, cached, or leak the referrer.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add(("Cache-Control", "no-store"))
}

/// Cross-origin access for the configured origins only (`OPED_CORS_ORIGINS`):
/// the editors' front end and the site's pages. Others get no CORS headers,
/// so browsers keep their pages out; without origins nothing changes.
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::{Method, header};
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PATCH])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
            header::LOCATION,
        ])
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}
