//! An earlier revision restored, and a piece handed to another editor,
//! through the API as an editor's client meets them: the status, the piece
//! as it then reads, its revisions and its history.

use crate::common::bearer;
use crate::common::desk::Desk;

use actix_web::http::StatusCode;
use actix_web::test;
use oped::auth::Role;
use serde_json::{Value, json};

async fn post(
    desk: &Desk,
    token: &str,
    uri: &str,
    version: Option<i64>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = test::TestRequest::post()
        .uri(uri)
        .insert_header(bearer(token));
    if let Some(version) = version {
        request = request.insert_header(("If-Match", format!("\"{version}\"")));
    }
    if let Some(body) = body {
        request = request.set_json(body);
    }
    let (status, body, _) = desk.call(request).await;
    (status, body)
}

/// The piece's history, oldest first: (action, note).
async fn history(desk: &Desk, token: &str, id: i64) -> Vec<(String, String)> {
    let (status, steps) = desk
        .get(token, &format!("/api/v1/submissions/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{steps}");
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            (
                step["action"].as_str().unwrap().to_string(),
                step["note"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn an_earlier_revision_is_restored_as_a_new_one_and_a_publisher_restores_a_live_piece() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let id = desk.ingest("01-plain.eml");
    let (_, original) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;

    let edit = test::TestRequest::patch()
        .uri(&format!("/api/v1/submissions/{id}"))
        .insert_header(bearer(&editor))
        .insert_header(("If-Match", "\"1\""))
        .set_json(json!({"title": "A shorter title", "body": "Only this paragraph is left."}));
    let (status, edited, _) = desk.call(edit).await;
    assert_eq!(status, StatusCode::OK, "{edited}");

    let restore = format!("/api/v1/submissions/{id}/revisions/1/restore");
    let (status, body) = post(&desk, &editor, &restore, None, None).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    let (status, body) = post(&desk, &editor, &restore, Some(1), None).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");

    let (status, restored) = post(&desk, &editor, &restore, Some(2), None).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["title"], original["title"]);
    assert_eq!(restored["body_text"], original["body_text"]);
    assert_eq!(restored["body_html"], original["body_html"]);
    assert_eq!(restored["word_count"], original["word_count"]);
    assert_eq!(restored["version"], 3);

    let (_, revisions) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/revisions"))
        .await;
    let numbers: Vec<(i64, &str)> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["number"].as_i64().unwrap(), r["source"].as_str().unwrap()))
        .collect();
    assert_eq!(numbers, vec![(3, "editor"), (2, "editor"), (1, "email")]);
    assert!(history(&desk, &editor, id).await.contains(&(
        "revision_restored".into(),
        "revision 1 restored as revision 3".into()
    )));

    // The text it has already: nothing changes, not even the version.
    let current = format!("/api/v1/submissions/{id}/revisions/3/restore");
    let (status, same) = post(&desk, &editor, &current, Some(3), None).await;
    assert_eq!((status, &same["version"]), (StatusCode::OK, &json!(3)));

    let missing = format!("/api/v1/submissions/{id}/revisions/9/restore");
    let (status, body) = post(&desk, &editor, &missing, Some(3), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains("revision"),
        "{body}"
    );

    // Once readers may see it, the text is a publisher's.
    desk.force_state(id, "published");
    let earlier = format!("/api/v1/submissions/{id}/revisions/2/restore");
    let (status, body) = post(&desk, &editor, &earlier, Some(3), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = post(&desk, &publisher, &earlier, Some(3), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "A shorter title");
}

#[actix_web::test]
async fn a_piece_in_review_is_handed_to_another_editor_or_to_nobody() {
    let desk = Desk::new().await;
    let (editor_id, editor) = desk.user(Role::Editor);
    let (other_id, _) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let (status, body) = desk
        .transition(&editor, id, Some(1), json!({"action": "start_review"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee"]["id"], editor_id);

    let uri = format!("/api/v1/submissions/{id}/assignee");
    let to_other = json!({"assignee": other_id});
    let (status, _) = post(&desk, &editor, &uri, None, Some(to_other.clone())).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, _) = post(&desk, &editor, &uri, Some(1), Some(to_other.clone())).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    let (status, body) = post(&desk, &editor, &uri, Some(2), Some(to_other.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee"]["id"], other_id);
    assert_eq!(body["state"], "in_review");
    assert_eq!(body["version"], 3);
    let other_name = body["assignee"]["name"].as_str().unwrap().to_string();
    assert!(
        history(&desk, &editor, id)
            .await
            .contains(&("reassigned".into(), format!("to {other_name}")))
    );

    // To whoever has it already: no change, no new version.
    let (status, body) = post(&desk, &editor, &uri, Some(3), Some(to_other)).await;
    assert_eq!((status, &body["version"]), (StatusCode::OK, &json!(3)));

    let (status, body) = post(
        &desk,
        &editor,
        &uri,
        Some(3),
        Some(json!({"assignee": 999_999})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("assignee")),
        "{body}"
    );
    let (status, body) = post(
        &desk,
        &editor,
        &uri,
        Some(3),
        Some(json!({"assignee": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["assignee"].is_null(), "{body}");

    // A piece no longer on its way to readers has nobody answering for it.
    desk.force_state(id, "rejected");
    let (status, body) = post(
        &desk,
        &editor,
        &uri,
        Some(4),
        Some(json!({"assignee": editor_id})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition")),
        "{body}"
    );
    let anonymous = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("If-Match", "\"4\""))
        .set_json(json!({"assignee": null}));
    let (status, _, _) = desk.call(anonymous).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
