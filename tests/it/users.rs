//! Account administration over the API (admins only), and `oped user add`
//! run as the real binary.

use crate::common::{self, TestApp};

use std::io::Write;
use std::process::Stdio;

use actix_web::http::StatusCode;
use actix_web::test;
use oped::auth::Role;
use serde_json::{Value, json};

const ADMIN: &str = "chief@desk.example";
const EDITOR: &str = "layla@desk.example";

struct Desk {
    db: common::TestDb,
    app: TestApp,
    admin_id: i64,
    editor_id: i64,
}

impl Desk {
    /// A fresh database with an admin and an editor, both with `PASSWORD`.
    async fn new() -> Desk {
        let db = common::TestDb::new();
        let mut conn = db.conn();
        let admin_id = common::create_user(&mut conn, ADMIN, Role::Admin, Some(common::PASSWORD));
        let editor_id =
            common::create_user(&mut conn, EDITOR, Role::Editor, Some(common::PASSWORD));
        Desk {
            app: app(&db).await,
            db,
            admin_id,
            editor_id,
        }
    }

    async fn token(&self, email: &str) -> String {
        common::login(&self.app, email, common::PASSWORD).await
    }

    async fn call(&self, request: test::TestRequest) -> (StatusCode, Value, String) {
        let response = test::call_service(&self.app, request.to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        let text = String::from_utf8_lossy(&body).into_owned();
        (
            status,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
            text,
        )
    }

    async fn list(&self, token: &str) -> (StatusCode, Value, String) {
        self.call(
            test::TestRequest::get()
                .uri("/api/v1/users")
                .insert_header(common::bearer(token)),
        )
        .await
    }

    async fn create(&self, token: &str, body: Value) -> (StatusCode, Value) {
        let (status, body, _) = self
            .call(
                test::TestRequest::post()
                    .uri("/api/v1/users")
                    .insert_header(common::bearer(token))
                    .set_json(body),
            )
            .await;
        (status, body)
    }

    async fn patch(&self, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
        let (status, body, _) = self
            .call(
                test::TestRequest::patch()
                    .uri(&format!("/api/v1/users/{id}"))
                    .insert_header(common::bearer(token))
                    .set_json(body),
            )
            .await;
        (status, body)
    }

    async fn me(&self, token: &str) -> StatusCode {
        self.call(
            test::TestRequest::get()
                .uri("/api/v1/me")
                .insert_header(common::bearer(token)),
        )
        .await
        .0
    }

    async fn login_status(&self, email: &str, password: &str) -> StatusCode {
        self.call(common::login_request(email, password)).await.0
    }
}

async fn app(db: &common::TestDb) -> TestApp {
    TestApp::builder(&db.url).build().await
}

fn new_user(email: &str, role: &str, password: &str) -> Value {
    json!({ "email": email, "name": "Omar Mukhtar", "role": role, "password": password })
}

#[actix_web::test]
async fn an_admin_adds_and_lists_users_without_their_hashes() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;

    let response = test::call_service(
        &desk.app,
        test::TestRequest::post()
            .uri("/api/v1/users")
            .insert_header(common::bearer(&admin))
            .set_json(new_user(
                " Omar@Desk.Example",
                "publisher",
                common::PASSWORD,
            ))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let created: Value = test::read_body_json(response).await;
    assert_eq!(location, format!("/api/v1/users/{}", created["id"]));
    assert_eq!(created["email"], "omar@desk.example");
    assert_eq!(created["name"], "Omar Mukhtar");
    assert_eq!(created["role"], "publisher");
    assert_eq!(created["active"], true);
    assert!(created["created_at"].is_string());
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6, "{keys:?}");

    let (status, list, text) = desk.list(&admin).await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ADMIN, EDITOR, "omar@desk.example"]);
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );

    // The new account logs in with the password it was given.
    assert_eq!(
        desk.login_status("omar@desk.example", common::PASSWORD)
            .await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn an_address_holds_one_account_whatever_its_case() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    let (status, body) = desk
        .create(
            &admin,
            new_user("LAYLA@desk.example", "editor", common::PASSWORD),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "email_taken");
}

#[actix_web::test]
async fn invalid_fields_are_named() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    for (body, field) in [
        (
            new_user("not-an-address", "editor", common::PASSWORD),
            "email",
        ),
        (
            new_user("omar@desk.example", "editor", "eleven char"),
            "password",
        ),
        (
            new_user("omar@desk.example", "root", common::PASSWORD),
            "role",
        ),
        (
            json!({ "email": "omar@desk.example", "name": "  ", "role": "editor", "password": common::PASSWORD }),
            "name",
        ),
    ] {
        let (status, problem) = desk.create(&admin, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(problem["code"], "invalid_field");
        assert_eq!(problem["field"], field);
    }
    let (status, problem) = desk
        .patch(&admin, desk.editor_id, json!({ "role": "boss" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "role");
    // A misspelt field is refused rather than ignored.
    let (status, _) = desk
        .patch(&admin, desk.editor_id, json!({ "activ": false }))
        .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        desk.login_status(EDITOR, common::PASSWORD).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn only_admins_manage_accounts() {
    let desk = Desk::new().await;
    let editor = desk.token(EDITOR).await;
    let publisher_id = common::create_user(
        &mut desk.db.conn(),
        "pub@desk.example",
        Role::Publisher,
        Some(common::PASSWORD),
    );
    let publisher = desk.token("pub@desk.example").await;

    for token in [&editor, &publisher] {
        let (status, problem, _) = desk.list(token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(problem["code"], "forbidden");
        let (status, _) = desk
            .create(
                token,
                new_user("omar@desk.example", "admin", common::PASSWORD),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = desk
            .patch(token, publisher_id, json!({ "role": "admin" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // Nothing was created or promoted.
    let admin = desk.token(ADMIN).await;
    let (_, list, _) = desk.list(&admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][2]["role"], "publisher");

    let (status, _, _) = desk
        .call(test::TestRequest::get().uri("/api/v1/users"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_admin_cannot_lock_themself_out() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    for change in [json!({ "active": false }), json!({ "role": "publisher" })] {
        let (status, problem) = desk.patch(&admin, desk.admin_id, change).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(problem["code"], "self_lockout");
    }
    // Renaming oneself is fine, and the session goes on.
    let (status, body) = desk
        .patch(&admin, desk.admin_id, json!({ "name": "The Chief" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "The Chief");
    assert_eq!(body["role"], "admin");
    assert_eq!(desk.list(&admin).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn a_role_change_applies_to_the_session_in_hand() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    let editor = desk.token(EDITOR).await;
    assert_eq!(desk.list(&editor).await.0, StatusCode::FORBIDDEN);

    let (status, body) = desk
        .patch(&admin, desk.editor_id, json!({ "role": "admin" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["role"], "admin");
    assert_eq!(desk.list(&editor).await.0, StatusCode::OK);

    // And back: another admin may demote them.
    let (status, _) = desk
        .patch(&admin, desk.editor_id, json!({ "role": "editor" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(desk.list(&editor).await.0, StatusCode::FORBIDDEN);

    let (status, problem) = desk
        .patch(&admin, 999_999, json!({ "name": "Nobody" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
}

#[actix_web::test]
async fn an_admins_password_reset_ends_the_users_sessions() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    let editor = desk.token(EDITOR).await;
    let (status, problem) = desk
        .patch(&admin, desk.editor_id, json!({ "password": "too short" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "password");
    assert_eq!(desk.me(&editor).await, StatusCode::OK);

    let (status, _) = desk
        .patch(
            &admin,
            desk.editor_id,
            json!({ "password": "a temporary passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(desk.me(&editor).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        desk.login_status(EDITOR, common::PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        desk.login_status(EDITOR, "a temporary passphrase").await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_reactivated_account_logs_in_again_but_its_old_tokens_stay_dead() {
    let desk = Desk::new().await;
    let admin = desk.token(ADMIN).await;
    let editor = desk.token(EDITOR).await;
    assert_eq!(
        desk.patch(&admin, desk.editor_id, json!({ "active": false }))
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = desk
        .patch(&admin, desk.editor_id, json!({ "active": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["active"], true);
    assert_eq!(desk.me(&editor).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        desk.login_status(EDITOR, common::PASSWORD).await,
        StatusCode::OK
    );
}

/// Runs `oped user add` with `stdin`: (exit code, stdout, stderr).
fn user_add(database_url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = common::oped_command(database_url)
        .args(["user", "add"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        // A process that exits early closes the pipe: that is its answer.
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const FIRST_ADMIN: [&str; 6] = [
    "--email",
    "Founder@Desk.Example",
    "--name",
    "Founding Editor",
    "--role",
    "admin",
];

#[actix_web::test]
async fn oped_user_add_creates_an_account_that_logs_in() {
    let db = common::TestDb::new();
    // Spaces inside the password are kept; only the line break goes.
    let (code, stdout, stderr) = user_add(&db.url, &FIRST_ADMIN, "  first admin pass \r\n");
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(printed["email"], "founder@desk.example");
    assert_eq!(printed["role"], "admin");
    assert!(printed["id"].as_i64().unwrap() > 0);
    assert!(!stdout.contains("first admin pass") && !stderr.contains("first admin pass"));

    let app = app(&db).await;
    let token = common::login(&app, "founder@desk.example", "  first admin pass ").await;
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/users")
            .insert_header(common::bearer(&token))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The same address again: EX_DATAERR, and still one account.
    let (code, _, stderr) = user_add(&db.url, &FIRST_ADMIN, "another long password\n");
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("already has an account"), "{stderr}");
    assert_eq!(
        common::login_session(&app, "founder@desk.example", "  first admin pass ").await["token_type"],
        "Bearer"
    );
}

#[actix_web::test]
async fn oped_user_add_refuses_bad_input_with_ex_usage() {
    let db = common::TestDb::new();
    let with = |flag: &str, value: &str| {
        let mut args = FIRST_ADMIN.to_vec();
        let at = args.iter().position(|arg| *arg == flag).unwrap() + 1;
        args[at] = value;
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, stdin: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        user_add(&db.url, &args, stdin)
    };

    let (code, _, stderr) = run(with("--email", "admin"), "a long enough password\n");
    assert_eq!(code, 64, "{stderr}");
    let (code, _, stderr) = run(with("--role", "root"), "a long enough password\n");
    assert_eq!(code, 64, "{stderr}");
    let (code, _, stderr) = run(with("--role", "admin"), "eleven char\n");
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("12"), "{stderr}");
    let (code, _, stderr) = run(with("--role", "admin"), "");
    assert_eq!(code, 64, "{stderr}");

    // None of them created anything.
    use diesel::prelude::*;
    let count: i64 = oped::schema::users::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn oped_user_add_without_a_database_is_a_temporary_failure() {
    let (code, _, stderr) = user_add(
        "postgres://postgres@127.0.0.1:1/oped_nowhere",
        &FIRST_ADMIN,
        "a long enough password\n",
    );
    assert_eq!(code, 75, "{stderr}");
}

/// Through the API an acting admin is always an active admin, so only a
/// race (two admins demoting each other at once) can reach this guard; the
/// domain is called directly with an actor that no longer counts.
#[actix_web::test]
async fn no_change_leaves_the_desk_without_an_active_admin() {
    let desk = Desk::new().await;
    let departed = oped::auth::Actor {
        user_id: desk.editor_id,
        role: Role::Admin,
    };
    for change in [
        oped::auth::accounts::UserChanges {
            active: Some(false),
            ..Default::default()
        },
        oped::auth::accounts::UserChanges {
            role: Some("editor".into()),
            ..Default::default()
        },
    ] {
        let result = oped::auth::accounts::update_user(
            &desk.db.pool(),
            departed,
            desk.admin_id,
            change,
            chrono::Utc::now(),
        );
        assert!(
            matches!(result, Err(oped::auth::accounts::AuthError::LastAdmin)),
            "{result:?}"
        );
    }
    assert_eq!(
        desk.login_status(ADMIN, common::PASSWORD).await,
        StatusCode::OK
    );
}
