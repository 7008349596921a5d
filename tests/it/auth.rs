//! Logging in, sessions and their end, throttling and access-token checks,
//! in-process against a real database.

use crate::common::{self, TestApp};

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test;
use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use oped::auth::Role;
use oped::auth::tokens::TokenKeys;
use oped::schema::{login_failures, refresh_tokens};
use serde_json::{Value, json};

const EDITOR: &str = "layla@desk.example";
const ADMIN: &str = "chief@desk.example";

struct Desk {
    db: common::TestDb,
    app: TestApp,
}

impl Desk {
    /// A fresh database with an editor and an admin, both with `PASSWORD`.
    async fn new() -> Desk {
        let db = common::TestDb::new();
        let mut conn = db.conn();
        common::create_user(&mut conn, EDITOR, Role::Editor, Some(common::PASSWORD));
        common::create_user(&mut conn, ADMIN, Role::Admin, Some(common::PASSWORD));
        let app = TestApp::builder(&db.url).build().await;
        Desk { db, app }
    }

    async fn call(&self, request: test::TestRequest) -> Answer {
        let response = test::call_service(&self.app, request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        Answer {
            status,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            headers,
        }
    }

    async fn login(&self, email: &str, password: &str) -> Answer {
        self.call(common::login_request(email, password)).await
    }

    async fn login_from(&self, address: &str, email: &str, password: &str) -> Answer {
        self.call(common::login_request(email, password).peer_addr(address.parse().unwrap()))
            .await
    }

    async fn session(&self, email: &str) -> Value {
        common::login_session(&self.app, email, common::PASSWORD).await
    }

    async fn refresh(&self, refresh_token: &Value) -> Answer {
        self.call(
            test::TestRequest::post()
                .uri("/api/v1/auth/refresh")
                .set_json(json!({ "refresh_token": refresh_token })),
        )
        .await
    }

    async fn me(&self, access_token: &str) -> Answer {
        self.call(
            test::TestRequest::get()
                .uri("/api/v1/me")
                .insert_header(common::bearer(access_token)),
        )
        .await
    }
}

struct Answer {
    status: StatusCode,
    body: Value,
    headers: actix_web::http::header::HeaderMap,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

#[actix_web::test]
async fn a_login_gives_a_bearer_session_that_opens_protected_routes() {
    let desk = Desk::new().await;

    // Whatever case the address is typed in.
    let answer = desk.login("  Layla@Desk.EXAMPLE ", common::PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    let refresh_token = answer.body["refresh_token"].as_str().unwrap();
    assert_eq!(refresh_token.len(), 43, "32 bytes in base64url");
    // Only the hash of the refresh token is stored.
    let stored: Vec<String> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(&mut desk.db.conn())
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], refresh_token);
    assert_eq!(stored[0].len(), 64);

    let me = desk.me(answer.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], EDITOR);
    assert_eq!(me.body["role"], "editor");
    assert_eq!(me.body["active"], true);
    assert!(me.body.get("password_hash").is_none());
}

#[actix_web::test]
async fn unknown_address_wrong_password_and_deactivated_account_answer_alike() {
    let desk = Desk::new().await;
    let dormant = common::create_user(
        &mut desk.db.conn(),
        "dormant@desk.example",
        Role::Editor,
        Some(common::PASSWORD),
    );
    diesel::update(oped::schema::users::table.find(dormant))
        .set(oped::schema::users::active.eq(false))
        .execute(&mut desk.db.conn())
        .unwrap();

    let wrong_password = desk.login(EDITOR, "not the password at all").await;
    let unknown = desk
        .login("nobody@desk.example", "not the password at all")
        .await;
    let deactivated = desk.login("dormant@desk.example", common::PASSWORD).await;
    for answer in [&wrong_password, &unknown, &deactivated] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(answer.body["code"], "invalid_credentials");
    }
    assert_eq!(wrong_password.body, unknown.body);
    assert_eq!(wrong_password.body, deactivated.body);

    // The unknown address costs an argon2 verification too. The fastest of a
    // few runs is compared, so a busy machine cannot fake a difference; a
    // skipped verification would be ten times faster, not a quarter.
    let mut wrong_fastest = Duration::MAX;
    let mut unknown_fastest = Duration::MAX;
    for n in 0..3 {
        let started = Instant::now();
        desk.login_from(
            "192.0.2.1:1000",
            &format!("ghost{n}@desk.example"),
            "guess guess guess",
        )
        .await;
        unknown_fastest = unknown_fastest.min(started.elapsed());
        let started = Instant::now();
        desk.login_from("192.0.2.2:1000", ADMIN, "guess guess guess")
            .await;
        wrong_fastest = wrong_fastest.min(started.elapsed());
    }
    assert!(
        unknown_fastest * 4 > wrong_fastest,
        "unknown {unknown_fastest:?} vs wrong password {wrong_fastest:?}"
    );
}

#[actix_web::test]
async fn a_refresh_token_works_once_and_a_replay_ends_its_session() {
    let desk = Desk::new().await;
    let first = desk.session(EDITOR).await;
    let other_device = desk.session(EDITOR).await;

    let second = desk.refresh(&first["refresh_token"]).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(second.body["refresh_token"], first["refresh_token"]);
    assert_eq!(second.body["token_type"], "Bearer");
    let access = second.body["access_token"].as_str().unwrap();
    assert_eq!(desk.me(access).await.status, StatusCode::OK);

    // The used token again: refused, and the newest token of its family too.
    let replay = desk.refresh(&first["refresh_token"]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.body["code"], "invalid_refresh_token");
    let newest = desk.refresh(&second.body["refresh_token"]).await;
    assert_eq!(newest.status, StatusCode::UNAUTHORIZED);

    // Another login of the same user is another family, untouched.
    let elsewhere = desk.refresh(&other_device["refresh_token"]).await;
    assert_eq!(elsewhere.status, StatusCode::OK);

    let unknown = desk.refresh(&json!("not-a-token")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body, replay.body);
}

#[actix_web::test]
async fn an_expired_refresh_token_is_refused() {
    let desk = Desk::new().await;
    let session = desk.session(EDITOR).await;
    diesel::update(refresh_tokens::table)
        .set(refresh_tokens::expires_at.eq(Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut desk.db.conn())
        .unwrap();
    let answer = desk.refresh(&session["refresh_token"]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body["code"], "invalid_refresh_token");
}

#[actix_web::test]
async fn logout_ends_the_session_and_may_be_repeated() {
    let desk = Desk::new().await;
    let session = desk.session(EDITOR).await;
    let logout = || {
        test::TestRequest::post()
            .uri("/api/v1/auth/logout")
            .set_json(json!({ "refresh_token": session["refresh_token"] }))
    };

    assert_eq!(desk.call(logout()).await.status, StatusCode::NO_CONTENT);
    let answer = desk.refresh(&session["refresh_token"]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(desk.call(logout()).await.status, StatusCode::NO_CONTENT);
    let unknown = test::TestRequest::post()
        .uri("/api/v1/auth/logout")
        .set_json(json!({ "refresh_token": "never-issued" }));
    assert_eq!(desk.call(unknown).await.status, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn repeated_failures_make_that_client_wait_but_never_lock_out_the_editor() {
    use oped::auth::throttle::ACCOUNT_FREE_FAILURES;
    let desk = Desk::new().await;
    let stranger = "198.51.100.66:5000";
    for n in 0..ACCOUNT_FREE_FAILURES {
        let answer = desk.login_from(stranger, EDITOR, "wrong password!").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "failure {n}");
    }
    // The client that failed must wait, even with the right password...
    let waiting = desk.login_from(stranger, EDITOR, common::PASSWORD).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        waiting.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(waiting.body["code"], "too_many_attempts");
    let retry_after: u64 = waiting.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (14..=15).contains(&retry_after),
        "Retry-After {retry_after}"
    );

    // ...but the editor, from their own address, is not kept out by it.
    assert_eq!(
        desk.login_from("203.0.113.20:5000", EDITOR, common::PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    // Nor are other accounts from the stranger's address.
    assert_eq!(
        desk.login_from(stranger, ADMIN, common::PASSWORD)
            .await
            .status,
        StatusCode::OK
    );

    // Once the wait has passed, the right password gets in again.
    diesel::update(login_failures::table)
        .set(login_failures::locked_until.eq(Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut desk.db.conn())
        .unwrap();
    assert_eq!(
        desk.login_from(stranger, EDITOR, common::PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_success_forgives_the_accounts_earlier_failures() {
    let desk = Desk::new().await;
    let fail_four_times = || async {
        for _ in 1..oped::auth::throttle::ACCOUNT_FREE_FAILURES {
            let answer = desk.login(EDITOR, "wrong password!").await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        }
    };
    fail_four_times().await;
    assert_eq!(
        desk.login(EDITOR, common::PASSWORD).await.status,
        StatusCode::OK
    );
    fail_four_times().await;
    assert_eq!(
        desk.login(EDITOR, common::PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn one_address_guessing_at_many_accounts_is_made_to_wait() {
    let desk = Desk::new().await;
    let guesser = "203.0.113.9:40000";
    for n in 0..oped::auth::throttle::ADDRESS_FREE_FAILURES {
        let answer = desk
            .login_from(guesser, &format!("user{n}@desk.example"), "password123456")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }

    let waiting = desk.login_from(guesser, EDITOR, common::PASSWORD).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(waiting.body["code"], "too_many_attempts");
    assert!(waiting.header("retry-after").is_some());

    // The wait is the address's, not the account's; and a forwarded-for
    // header from a client that is no trusted proxy does not get the
    // guesser out of it.
    assert_eq!(
        desk.login_from("203.0.113.10:40000", EDITOR, common::PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    let spoofed = desk
        .call(
            common::login_request(EDITOR, common::PASSWORD)
                .peer_addr(guesser.parse().unwrap())
                .insert_header(("X-Forwarded-For", "192.0.2.77"))
                .insert_header(("Forwarded", "for=192.0.2.77")),
        )
        .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_counts_apart() {
    let db = common::TestDb::new();
    common::create_user(&mut db.conn(), EDITOR, Role::Editor, Some(common::PASSWORD));
    let app = TestApp::builder(&db.url)
        .with_config(|config| config.http.trusted_proxies = vec!["10.0.0.0/24".parse().unwrap()])
        .build()
        .await;
    let via_proxy_as = |email: &str, forwarded_for: &str, password: &str| {
        common::login_request(email, password)
            .peer_addr("10.0.0.1:443".parse().unwrap())
            .insert_header(("X-Forwarded-For", forwarded_for.to_string()))
            .to_request()
    };
    let via_proxy =
        |forwarded_for: &str, password: &str| via_proxy_as(EDITOR, forwarded_for, password);
    // One client guesses at accounts through the proxy until it must wait.
    // It writes its own X-Forwarded-For too; the proxy appends the address
    // it really saw.
    for n in 0..oped::auth::throttle::ADDRESS_FREE_FAILURES {
        let guess = via_proxy_as(
            &format!("user{n}@desk.example"),
            "192.0.2.1, 198.51.100.7",
            "wrong password!",
        );
        let answer = test::call_service(&app, guess).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let waiting = test::call_service(&app, via_proxy("198.51.100.7", common::PASSWORD)).await;
    assert_eq!(waiting.status(), StatusCode::TOO_MANY_REQUESTS);
    // Everyone else behind the same proxy logs in, whatever the guesser
    // wrote into the header.
    let other = test::call_service(&app, via_proxy("198.51.100.8", common::PASSWORD)).await;
    assert_eq!(other.status(), StatusCode::OK);
    let also = test::call_service(
        &app,
        via_proxy("198.51.100.7, 198.51.100.9, 10.0.0.2", common::PASSWORD),
    )
    .await;
    assert_eq!(
        also.status(),
        StatusCode::OK,
        "the nearest untrusted hop counts"
    );
}

#[actix_web::test]
async fn an_admin_reset_and_a_new_password_forgive_every_failure_of_the_account() {
    use oped::auth::throttle::ACCOUNT_FREE_FAILURES;
    let desk = Desk::new().await;
    let (home, cafe) = ("198.51.100.20:5000", "198.51.100.21:5000");
    for address in [home, cafe] {
        for _ in 0..ACCOUNT_FREE_FAILURES {
            desk.login_from(address, EDITOR, "wrong password!").await;
        }
        let waiting = desk.login_from(address, EDITOR, common::PASSWORD).await;
        assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    }
    let editor_id: i64 = oped::schema::users::table
        .filter(oped::schema::users::email.eq(EDITOR))
        .select(oped::schema::users::id)
        .first(&mut desk.db.conn())
        .unwrap();
    let admin = common::login(&desk.app, ADMIN, common::PASSWORD).await;
    let reset = desk
        .call(
            test::TestRequest::patch()
                .uri(&format!("/api/v1/users/{editor_id}"))
                .insert_header(common::bearer(&admin))
                .set_json(json!({ "password": "a freshly reset passphrase" })),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    for address in [home, cafe] {
        let answer = desk
            .login_from(address, EDITOR, "a freshly reset passphrase")
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{address}");
    }

    // The owner changing their password forgives failures from elsewhere.
    for _ in 0..ACCOUNT_FREE_FAILURES {
        desk.login_from(cafe, EDITOR, "wrong password!").await;
    }
    let access = desk
        .login_from(home, EDITOR, "a freshly reset passphrase")
        .await
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let changed = desk
        .call(
            test::TestRequest::post()
                .uri("/api/v1/me/password")
                .peer_addr(home.parse().unwrap())
                .insert_header(common::bearer(&access))
                .set_json(json!({
                    "current_password": "a freshly reset passphrase",
                    "new_password": "my very own passphrase"
                })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        desk.login_from(cafe, EDITOR, "my very own passphrase")
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn bad_access_tokens_are_refused() {
    let desk = Desk::new().await;
    let editor_id: i64 = oped::schema::users::table
        .filter(oped::schema::users::email.eq(EDITOR))
        .select(oped::schema::users::id)
        .first(&mut desk.db.conn())
        .unwrap();
    let keys = common::token_keys();
    // A good token first, so that the refusals below are about the token.
    let good = keys.issue(editor_id, Role::Editor, 0, Utc::now());
    assert_eq!(desk.me(&good).await.status, StatusCode::OK);

    let expired = keys.issue(
        editor_id,
        Role::Editor,
        0,
        Utc::now() - chrono::Duration::hours(1),
    );

    let mut other_secret = common::auth_config();
    other_secret.jwt_secret = Some(oped::secret::Secret::new(
        "another-secret-Xk3Lm9Qp2Rs7Tv5Wy1Za8Bc4Dd6".to_string(),
    ));
    let wrong_signature =
        TokenKeys::new(&other_secret)
            .unwrap()
            .issue(editor_id, Role::Admin, 0, Utc::now());

    let mut other_audience = common::auth_config();
    other_audience.audience = "the-site".into();
    let wrong_audience =
        TokenKeys::new(&other_audience)
            .unwrap()
            .issue(editor_id, Role::Admin, 0, Utc::now());

    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        engine.encode(br#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(
            json!({
                "sub": editor_id.to_string(), "role": "admin", "epoch": 0,
                "iss": "oped", "aud": "oped-editors",
                "iat": Utc::now().timestamp(), "exp": Utc::now().timestamp() + 600,
            })
            .to_string()
        )
    );

    for (what, token) in [
        ("expired", expired.as_str()),
        ("wrong signature", &wrong_signature),
        ("wrong audience", &wrong_audience),
        ("alg none", &unsigned),
        ("garbage", "not.a.jwt"),
    ] {
        let answer = desk.me(token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json")
        );
        let users = desk
            .call(
                test::TestRequest::get()
                    .uri("/api/v1/users")
                    .insert_header(common::bearer(token)),
            )
            .await;
        assert_eq!(users.status, StatusCode::UNAUTHORIZED, "{what} on /users");
    }
    let anonymous = desk.call(test::TestRequest::get().uri("/api/v1/me")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn deactivating_an_account_ends_its_sessions_at_once() {
    let desk = Desk::new().await;
    let editor = desk.session(EDITOR).await;
    let editor_access = editor["access_token"].as_str().unwrap();
    assert_eq!(desk.me(editor_access).await.status, StatusCode::OK);
    let editor_id = desk.me(editor_access).await.body["id"].as_i64().unwrap();

    let admin = common::login(&desk.app, ADMIN, common::PASSWORD).await;
    let answer = desk
        .call(
            test::TestRequest::patch()
                .uri(&format!("/api/v1/users/{editor_id}"))
                .insert_header(common::bearer(&admin))
                .set_json(json!({ "active": false })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["active"], false);

    // The access token is still unexpired, and refused all the same, on
    // every kind of route (the account is checked where each reads).
    assert_eq!(
        desk.me(editor_access).await.status,
        StatusCode::UNAUTHORIZED
    );
    for uri in [
        "/api/v1/submissions",
        "/api/v1/submissions/1",
        "/api/v1/submissions/1/history",
        "/api/v1/inbox",
        "/api/v1/deliveries",
    ] {
        let answer = desk
            .call(
                test::TestRequest::get()
                    .uri(uri)
                    .insert_header(common::bearer(editor_access)),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    assert_eq!(
        desk.refresh(&editor["refresh_token"]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = desk.login(EDITOR, common::PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login.body["code"], "invalid_credentials");
}

#[actix_web::test]
async fn changing_ones_password_ends_the_other_sessions_and_keeps_this_one() {
    let desk = Desk::new().await;
    let here = desk.session(EDITOR).await;
    let elsewhere = desk.session(EDITOR).await;
    let here_access = here["access_token"].as_str().unwrap();
    let change = |current: &str, new: &str| {
        test::TestRequest::post()
            .uri("/api/v1/me/password")
            .insert_header(common::bearer(here_access))
            .set_json(json!({ "current_password": current, "new_password": new }))
    };
    const NEW_PASSWORD: &str = "a brand new passphrase";

    let wrong = desk.call(change("not my password", NEW_PASSWORD)).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.body["code"], "wrong_password");
    let short = desk.call(change(common::PASSWORD, "short")).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.body["field"], "new_password");
    // Neither refusal changed anything.
    assert_eq!(desk.me(here_access).await.status, StatusCode::OK);

    let changed = desk.call(change(common::PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.header("cache-control"), Some("no-store"));
    let fresh_access = changed.body["access_token"].as_str().unwrap();
    assert_eq!(desk.me(fresh_access).await.status, StatusCode::OK);
    assert_eq!(
        desk.refresh(&changed.body["refresh_token"]).await.status,
        StatusCode::OK
    );

    // Every earlier token, of this device and the other, is refused.
    for access in [here_access, elsewhere["access_token"].as_str().unwrap()] {
        assert_eq!(desk.me(access).await.status, StatusCode::UNAUTHORIZED);
    }
    for refresh in [&here["refresh_token"], &elsewhere["refresh_token"]] {
        assert_eq!(desk.refresh(refresh).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        desk.login(EDITOR, common::PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        desk.login(EDITOR, NEW_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn wrong_current_passwords_are_throttled_like_logins() {
    let desk = Desk::new().await;
    let access = common::login(&desk.app, EDITOR, common::PASSWORD).await;
    let change = |current: &str| {
        test::TestRequest::post()
            .uri("/api/v1/me/password")
            .insert_header(common::bearer(&access))
            .set_json(
                json!({ "current_password": current, "new_password": "a brand new passphrase" }),
            )
    };
    for _ in 0..oped::auth::throttle::ACCOUNT_FREE_FAILURES {
        assert_eq!(
            desk.call(change("a wrong guess")).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let locked = desk.call(change(common::PASSWORD)).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.header("retry-after").is_some());
}

/// The series and its growing waits, walked through with a chosen clock.
#[actix_web::test]
async fn waits_grow_with_each_failure_and_a_quiet_window_ends_the_series() {
    use oped::auth::throttle::{self, ACCOUNT_FREE_FAILURES, AttemptKeys, FAILURE_WINDOW};
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let keys = AttemptKeys::new("ed@desk.example", None);
    let start = Utc::now();
    let seconds = |n: i64| chrono::Duration::seconds(n);
    let wait_at = |conn: &mut PgConnection, at| {
        throttle::check(conn, &keys, at)
            .unwrap()
            .map(|locked| locked.retry_after_secs)
    };

    for _ in 1..ACCOUNT_FREE_FAILURES {
        throttle::record_failure(&mut conn, &keys, start).unwrap();
    }
    assert_eq!(wait_at(&mut conn, start), None);
    // The free failures used, each further one doubles the wait, and a wait
    // that has passed does not start the count again.
    throttle::record_failure(&mut conn, &keys, start).unwrap();
    assert_eq!(wait_at(&mut conn, start), Some(15));
    assert_eq!(wait_at(&mut conn, start + seconds(10)), Some(5));
    let next = start + seconds(16);
    assert_eq!(wait_at(&mut conn, next), None);
    throttle::record_failure(&mut conn, &keys, next).unwrap();
    assert_eq!(wait_at(&mut conn, next), Some(30));
    let third = next + seconds(31);
    throttle::record_failure(&mut conn, &keys, third).unwrap();
    assert_eq!(wait_at(&mut conn, third), Some(60));

    // A quiet window ends the series: the next failure is the first again.
    let quiet = third + FAILURE_WINDOW + seconds(1);
    throttle::record_failure(&mut conn, &keys, quiet).unwrap();
    assert_eq!(wait_at(&mut conn, quiet), None);

    // Finished series are pruned; a live one is kept.
    assert_eq!(throttle::prune(&mut conn, quiet).unwrap(), 0);
    assert_eq!(
        throttle::prune(&mut conn, quiet + FAILURE_WINDOW + seconds(1)).unwrap(),
        1
    );
}
