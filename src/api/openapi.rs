//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `/api/openapi.json`.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, health, inbound, inbox, submissions, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "Op-Ed Desk API", description = "The editors' API of Op-Ed Desk and its intake door."),
    paths(
        health::healthz,
        health::readyz,
        inbound::receive,
        auth::login,
        auth::refresh,
        auth::logout,
        users::list,
        users::create,
        users::update,
        users::me,
        users::change_password,
        submissions::index,
        submissions::show,
        submissions::update,
        submissions::transition,
        submissions::history,
        submissions::revisions,
        submissions::notes,
        submissions::add_note,
        submissions::download,
        inbox::index,
        inbox::promote,
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sessions"),
        (name = "users", description = "Accounts"),
        (name = "submissions", description = "Review and edit submissions"),
        (name = "inbox", description = "Unmatched and quarantined mail"),
        (name = "intake", description = "Mail in"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "inbound_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
});

/// `GET /api/openapi.json`: public, so that clients and tools can read it.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
}
