//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `/api/openapi.json`. It describes more than one door (the
//! API's routes, the operators' health checks, the public feed), so it sits
//! above them, beside the composition root that mounts it.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::RefOr;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{auth, author, deliveries, imap, inbound, inbox, public, submissions, users};
use crate::ops::health;
use crate::public::feed;

#[derive(OpenApi)]
#[openapi(
    info(title = "Op-Ed Desk API", description = "The editors' API of Op-Ed Desk, its intake door, and the public side the site reads."),
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
        submissions::hold,
        submissions::reassign,
        submissions::restore,
        submissions::history,
        submissions::revisions,
        submissions::proposals,
        submissions::accept,
        submissions::discard,
        submissions::notes,
        submissions::add_note,
        submissions::corrections,
        submissions::add_correction,
        submissions::download,
        submissions::correspondence,
        submissions::send_message,
        submissions::revoke,
        deliveries::index,
        deliveries::retry,
        inbox::index,
        inbox::show,
        inbox::promote,
        inbox::attach,
        inbox::dismiss,
        inbox::restore,
        imap::show,
        public::index,
        public::show,
        feed::feed,
        author::show,
        author::withdraw,
        author::declare,
        author::consent,
    ),
    components(schemas(crate::app::error::Problem)),
    modifiers(&BearerAuth, &SharedResponses),
    tags(
        (name = "auth", description = "Sessions"),
        (name = "users", description = "Accounts"),
        (name = "submissions", description = "Review and edit submissions"),
        (name = "inbox", description = "Unmatched and quarantined mail"),
        (name = "deliveries", description = "Emails and webhooks on their way"),
        (name = "intake", description = "Mail in"),
        (name = "operations", description = "Health"),
        (name = "public", description = "Published op-eds, without login"),
        (name = "author", description = "The author's status link: the token in the path is the credential"),
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

/// The answers that come from the shared machinery rather than from one
/// handler, added to every operation they can happen to (a handler's own
/// annotation keeps its description of the same status), and the
/// `application/problem+json` body of every error answer:
///
/// - a bearer-secured route (the `Actor` extractor): 401 without a valid
///   access token or session, with `WWW-Authenticate: Bearer`;
/// - a JSON body (`web::Json` with the `JsonConfig` of `api::routes`): 400,
///   413, 415 and 422 `invalid_body`;
/// - a path parameter (`PathConfig`): 404 when it does not parse;
/// - query parameters (`QueryConfig`): 422 `invalid_query`;
/// - every `/api/v1` route uses the database: 503 with `Retry-After` when it
///   is unavailable.
struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                add_shared_responses(path, operation);
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        describe_error(status, response);
                    }
                }
            }
        }
    }
}

fn add_shared_responses(path: &str, operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_parameter_in = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let (in_path, in_query) = (
        has_parameter_in(ParameterIn::Path),
        has_parameter_in(ParameterIn::Query),
    );
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    let bearer = serde_json::to_value(&operation.security)
        .ok()
        .and_then(|value| value.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .any(|requirement| requirement.get("bearer").is_some());

    let mut shared: Vec<(&str, &str, &str)> = Vec::new();
    if bearer {
        shared.push((
            "401",
            "unauthorized",
            "No valid access token, or the session has ended (deactivated account, changed password)",
        ));
    }
    if json_body {
        shared.extend([
            ("400", "invalid_json", "The body could not be read"),
            ("413", "body_too_large", "The JSON body is over 2 MiB"),
            (
                "415",
                "unsupported_media_type",
                "The body is not sent as `application/json`",
            ),
            (
                "422",
                "invalid_body",
                "The body is not JSON of the documented shape",
            ),
        ]);
    }
    if in_path {
        shared.push((
            "404",
            "not_found",
            "A path parameter is not of the documented type",
        ));
    }
    if in_query {
        shared.push((
            "422",
            "invalid_query",
            "A query parameter is not of the documented type",
        ));
    }
    if path.starts_with("/api/v1/") {
        shared.push((
            "503",
            "temporarily_unavailable",
            "The database is unavailable; retry after `Retry-After` seconds",
        ));
    }
    let responses = &mut operation.responses.responses;
    for (status, code, description) in shared {
        let line = format!("{description}: code `{code}`");
        match responses.get_mut(status) {
            None => {
                responses.insert(status.to_string(), RefOr::T(Response::new(line)));
            }
            Some(RefOr::T(response)) if !response.description.contains(code) => {
                if response.description.is_empty() {
                    response.description = line;
                } else {
                    response.description = format!("{}. Also: {line}", response.description);
                }
            }
            Some(_) => {}
        }
    }
}

/// An error answer is a `Problem`; a 401 names the scheme, a 429 or 503 says
/// when to come back.
fn describe_error(status: &str, response: &mut Response) {
    if !status.starts_with('4') && !status.starts_with('5') {
        return;
    }
    if response.content.is_empty() {
        response.content.insert(
            "application/problem+json".to_string(),
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Problem",
            )))),
        );
    }
    let header = |kind: Type, description: &str| {
        let mut header = Header::new(ObjectBuilder::new().schema_type(kind).build());
        header.description = Some(description.to_string());
        header
    };
    match status {
        "401" => {
            response
                .headers
                .entry("WWW-Authenticate".to_string())
                .or_insert_with(|| header(Type::String, "`Bearer`"));
        }
        "429" | "503" => {
            response
                .headers
                .entry("Retry-After".to_string())
                .or_insert_with(|| header(Type::Integer, "Seconds to wait before trying again"));
        }
        _ => {}
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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(&DOCUMENT).unwrap()
    }

    fn operations(document: &Value) -> Vec<(String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((format!("{} {path}", method.to_uppercase()), operation));
            }
        }
        found
    }

    #[test]
    fn every_error_answer_is_a_problem() {
        let document = document();
        for (name, operation) in operations(&document) {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{name} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_shared_machinery_answers_are_declared_where_they_happen() {
        let document = document();
        for (name, operation) in operations(&document) {
            let responses = &operation["responses"];
            let secured = operation["security"]
                .as_array()
                .is_some_and(|all| all.iter().any(|each| each.get("bearer").is_some()));
            if secured {
                assert!(
                    responses["401"]["headers"]["WWW-Authenticate"].is_object(),
                    "{name}"
                );
            }
            if name.contains(" /api/v1/") {
                assert!(
                    responses["503"]["headers"]["Retry-After"].is_object(),
                    "{name}"
                );
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses[status].is_object(), "{name} {status}");
                }
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if parameters.iter().any(|p| p["in"] == "path") {
                assert!(responses["404"].is_object(), "{name}");
            }
            if parameters.iter().any(|p| p["in"] == "query") {
                assert!(responses["422"].is_object(), "{name}");
            }
            if parameters.iter().any(|p| p["name"] == "If-Match") {
                for status in ["412", "428"] {
                    assert!(responses[status].is_object(), "{name} {status}");
                }
            }
        }
    }

    #[test]
    fn a_handler_keeps_its_own_description_of_a_shared_status() {
        let document = document();
        let patch = &document["paths"]["/api/v1/submissions/{id}"]["patch"]["responses"];
        let unprocessable = patch["422"]["description"].as_str().unwrap();
        assert!(unprocessable.contains("invalid_field"), "{unprocessable}");
        assert!(unprocessable.contains("invalid_body"), "{unprocessable}");
        let login = &document["paths"]["/api/v1/auth/login"]["post"]["responses"];
        assert!(login["429"]["headers"]["Retry-After"].is_object());
        assert!(document["paths"]["/healthz"]["get"]["responses"]["503"].is_null());
    }
}
