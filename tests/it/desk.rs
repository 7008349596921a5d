//! The desk's rules that need no browser (`tests/browser/` drives the rest
//! in chromium): sign-in through the API's accounts and throttle, the
//! session cookie, CSRF refusals, sessions ending with a password change,
//! and the workflow's roles.

use actix_web::http::StatusCode;
use actix_web::test;
use diesel::prelude::*;
use oped::auth::Role;

use crate::common::desk::Desk;
use crate::common::{PASSWORD, TestApp, TestDb, bearer, create_user, login};

/// A browser's view of the desk: the session cookie it holds.
struct Browser {
    cookie: Option<String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    headers: actix_web::http::header::HeaderMap,
    body: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    fn csrf(&self) -> String {
        let start = self.body.find(r#"name="csrf" value=""#).expect("a form") + 19;
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_string()
    }
}

impl Browser {
    fn new() -> Browser {
        Browser { cookie: None }
    }

    async fn send(&mut self, app: &TestApp, mut request: test::TestRequest) -> Page {
        if let Some(cookie) = &self.cookie {
            request = request.insert_header(("Cookie", cookie.clone()));
        }
        let response = test::call_service(app, request.to_request()).await;
        let headers = response.headers().clone();
        for set in headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            self.cookie = (!pair.ends_with('=')).then(|| pair.to_string());
        }
        let status = response.status();
        let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
        Page {
            status,
            location: headers
                .get("location")
                .map(|value| value.to_str().unwrap().to_string()),
            headers,
            body,
        }
    }

    async fn get(&mut self, app: &TestApp, uri: &str) -> Page {
        self.send(app, test::TestRequest::get().uri(uri)).await
    }

    async fn post(&mut self, app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = test::TestRequest::post()
            .uri(uri)
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body);
        self.send(app, request).await
    }

    async fn sign_in(&mut self, app: &TestApp, email: &str, password: &str) -> Page {
        let form = self.get(app, "/desk/signin").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            app,
            "/desk/signin",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

async fn signed_in(desk: &Desk, role: Role) -> (Browser, String) {
    let email = format!("{}@desk.example", role.as_str());
    create_user(&mut desk.db.conn(), &email, role, Some(PASSWORD));
    let mut browser = Browser::new();
    let signed = browser.sign_in(&desk.app, &email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/desk/queue"));
    (browser, email)
}

/// The `Set-Cookie` of the desk's sign-in page on an app with `edit`ed
/// settings.
async fn signin_cookie(edit: impl FnOnce(&mut oped::config::Config)) -> String {
    let db = TestDb::new();
    let app = TestApp::builder(&db.url).with_config(edit).build().await;
    let response = test::call_service(
        &app,
        test::TestRequest::get().uri("/desk/signin").to_request(),
    )
    .await;
    response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_lax_for_the_desk_and_secure_unless_local_and_plain() {
    let desk = Desk::new().await;
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    let queue = browser.get(&desk.app, "/desk/queue").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("<h1>Queue</h1>"));
    let csp = queue
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));

    let public = signin_cookie(|config| config.http.bind = "0.0.0.0:8080".parse().unwrap()).await;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/desk", "Secure"] {
        assert!(public.contains(attribute), "{attribute} in {public}");
    }
    // On loopback behind a TLS proxy: the browser talks https, so Secure.
    let proxied = signin_cookie(|config| {
        config.http.bind = "127.0.0.1:8080".parse().unwrap();
        config.publishing.public_url = "https://desk.news.example".into();
    })
    .await;
    assert!(
        proxied.contains("HttpOnly") && proxied.contains("Secure"),
        "{proxied}"
    );
    let local = signin_cookie(|config| {
        config.http.bind = "127.0.0.1:8080".parse().unwrap();
        config.publishing.public_url = "http://127.0.0.1:8080".into();
    })
    .await;
    assert!(
        local.contains("HttpOnly") && !local.contains("Secure"),
        "{local}"
    );
}

/// The desk's search box has the API's bounds, and says which one was met.
#[actix_web::test]
async fn a_search_the_desk_cannot_run_is_refused_with_a_page_saying_why() {
    let desk = Desk::new().await;
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    let fine = browser
        .get(&desk.app, &format!("/desk/queue?q={}tide", "-".repeat(32)))
        .await;
    assert_eq!(fine.status, StatusCode::OK);
    let refused = browser
        .get(&desk.app, &format!("/desk/queue?q={}tide", "-+".repeat(33)))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("in a row"), "{}", refused.body);
    let long = browser
        .get(&desk.app, &format!("/desk/queue?q={}", "x".repeat(201)))
        .await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(
        long.body.contains("at most 200 characters"),
        "{}",
        long.body
    );
}

/// The queue's search orders by relevance when asked: title matches first,
/// and its next page goes on in that order.
#[actix_web::test]
async fn the_queue_searches_by_relevance_title_matches_first() {
    let desk = Desk::new().await;
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    for (n, title, text) in [
        (1, "Ports of the east", "Cranes."),
        (2, "A letter from Derna", "Its ports are quiet."),
        (3, "Why ports matter", "Trade."),
    ] {
        desk.ingest_raw(&format!(
            "From: w{n}@example.org\r\nSubject: Op-Ed: {title}\r\nMessage-ID: <rel-{n}@example.org>\r\n\r\n{text}\r\n"
        ));
    }
    let place = |body: &str, title: &str| body.find(title).unwrap_or_else(|| panic!("{title}"));
    let newest = browser.get(&desk.app, "/desk/queue?q=port").await;
    assert_eq!(newest.status, StatusCode::OK);
    assert!(place(&newest.body, "A letter from Derna") < place(&newest.body, "Ports of the east"));
    let ranked = browser
        .get(&desk.app, "/desk/queue?q=port&sort=relevance")
        .await;
    assert_eq!(ranked.status, StatusCode::OK);
    assert!(
        ranked
            .body
            .contains(r#"<option value="relevance" selected>"#)
    );
    let order = [
        place(&ranked.body, "Why ports matter"),
        place(&ranked.body, "Ports of the east"),
        place(&ranked.body, "A letter from Derna"),
    ];
    assert!(order.is_sorted(), "{order:?}");
    let unknown = browser
        .get(&desk.app, "/desk/queue?q=port&sort=loudest")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_is_refused_with_a_page() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let uri = format!("/desk/pieces/{id}/notes");

    let refused = browser.post(&desk.app, &uri, &[("body", "no token")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("This form has expired"),
        "{}",
        refused.body
    );
    let forged = browser
        .post(
            &desk.app,
            &uri,
            &[("body", "a forged token"), ("csrf", "AAAA")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A token of another session is no better.
    let mut other = Browser::new();
    let stranger = other.get(&desk.app, "/desk/signin").await.csrf();
    let foreign = browser
        .post(
            &desk.app,
            &uri,
            &[("body", "a stranger's token"), ("csrf", &stranger)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);

    let token = login(&desk.app, &email, PASSWORD).await;
    let (_, notes) = desk
        .get(&token, &format!("/api/v1/submissions/{id}/notes"))
        .await;
    assert_eq!(notes, serde_json::json!([]), "nothing was written");

    let csrf = browser
        .get(&desk.app, &format!("/desk/pieces/{id}"))
        .await
        .csrf();
    let added = browser
        .post(
            &desk.app,
            &uri,
            &[("body", "with its token"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let (_, notes) = desk
        .get(&token, &format!("/api/v1/submissions/{id}/notes"))
        .await;
    assert_eq!(notes[0]["body"], "with its token");

    // Signing in needs the sign-in page's token too.
    let mut fresh = Browser::new();
    let blind = fresh
        .post(
            &desk.app,
            "/desk/signin",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(blind.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_password_change_ends_the_desk_session() {
    let desk = Desk::new().await;
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    assert_eq!(
        browser.get(&desk.app, "/desk/queue").await.status,
        StatusCode::OK
    );

    let token = login(&desk.app, &email, PASSWORD).await;
    let (status, _, _) = desk
        .call(
            test::TestRequest::post()
                .uri("/api/v1/me/password")
                .insert_header(bearer(&token))
                .set_json(serde_json::json!({
                    "current_password": PASSWORD,
                    "new_password": "an entirely new passphrase",
                })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let after = browser.get(&desk.app, "/desk/queue").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/desk/signin"));
    let old = browser.sign_in(&desk.app, &email, PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert!(old.body.contains("not correct"));
    let new = browser
        .sign_in(&desk.app, &email, "an entirely new passphrase")
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
}

/// A copy of a browser's session cookie, as someone who took it holds it.
fn copy_of(browser: &Browser) -> Browser {
    Browser {
        cookie: browser.cookie.clone(),
    }
}

/// Notes with `body` on the piece `id`.
fn notes_saying(desk: &Desk, id: i64, body: &str) -> i64 {
    use oped::schema::submission_notes;
    submission_notes::table
        .filter(submission_notes::submission_id.eq(id))
        .filter(submission_notes::body.eq(body))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap()
}

/// `copy` reads the queue and the piece and adds a note with `csrf`.
async fn the_session_works(desk: &Desk, copy: &mut Browser, id: i64, csrf: &str) {
    for uri in ["/desk/queue".to_string(), format!("/desk/pieces/{id}")] {
        assert_eq!(
            copy.get(&desk.app, &uri).await.status,
            StatusCode::OK,
            "{uri}"
        );
    }
    let note = copy
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/notes"),
            &[("body", "while signed in"), ("csrf", csrf)],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER);
    assert_eq!(notes_saying(desk, id, "while signed in"), 1);
}

/// Every read and write of `copy` is sent to sign in, and nothing is written.
async fn the_session_has_ended(desk: &Desk, copy: &mut Browser, id: i64, csrf: &str) {
    for uri in ["/desk/queue".to_string(), format!("/desk/pieces/{id}")] {
        let read = copy.get(&desk.app, &uri).await;
        assert_eq!(read.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(read.location.as_deref(), Some("/desk/signin"), "{uri}");
        assert!(!read.body.contains("Libya"), "{uri}: {}", read.body);
    }
    let note = copy
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/notes"),
            &[("body", "after it ended"), ("csrf", csrf)],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER);
    assert_eq!(note.location.as_deref(), Some("/desk/signin"));
    assert_eq!(notes_saying(desk, id, "after it ended"), 0);
    // The sign-in form is shown to it, not the queue.
    assert_eq!(
        copy.get(&desk.app, "/desk/signin").await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_cookie_copied_before_signing_out_is_refused_after() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    let csrf = browser
        .get(&desk.app, &format!("/desk/pieces/{id}"))
        .await
        .csrf();
    let mut copy = copy_of(&browser);
    the_session_works(&desk, &mut copy, id, &csrf).await;

    let out = browser
        .post(&desk.app, "/desk/signout", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/desk/signin"));
    assert!(browser.cookie.is_none(), "the browser's cookie is removed");
    the_session_has_ended(&desk, &mut copy, id, &csrf).await;
}

/// A new password (the editor's own, on the desk or through the API, or an
/// admin's reset) and a deactivation end every desk session of the account:
/// a copy of its cookie reads and writes nothing after.
#[actix_web::test]
async fn a_cookie_copied_before_a_password_change_or_deactivation_is_refused_after() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut admin, _) = signed_in(&desk, Role::Admin).await;
    let admin_csrf = admin.get(&desk.app, "/desk/accounts").await.csrf();
    for way in ["desk", "api", "reset", "deactivation"] {
        let email = format!("{way}@desk.example");
        let user_id = create_user(&mut desk.db.conn(), &email, Role::Editor, Some(PASSWORD));
        let mut browser = Browser::new();
        let signed = browser.sign_in(&desk.app, &email, PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{way}");
        let csrf = browser
            .get(&desk.app, &format!("/desk/pieces/{id}"))
            .await
            .csrf();
        let mut copy = copy_of(&browser);
        the_session_works(&desk, &mut copy, id, &csrf).await;
        diesel::delete(oped::schema::submission_notes::table)
            .execute(&mut desk.db.conn())
            .unwrap();

        let account = format!("/desk/accounts/{user_id}");
        let status = match way {
            "desk" => {
                browser
                    .post(
                        &desk.app,
                        "/desk/password",
                        &[
                            ("csrf", &csrf),
                            ("current_password", PASSWORD),
                            ("new_password", "a brand new passphrase"),
                        ],
                    )
                    .await
                    .status
            }
            "api" => {
                let token = login(&desk.app, &email, PASSWORD).await;
                desk.call(
                    test::TestRequest::post()
                        .uri("/api/v1/me/password")
                        .insert_header(bearer(&token))
                        .set_json(serde_json::json!({
                            "current_password": PASSWORD,
                            "new_password": "a brand new passphrase",
                        })),
                )
                .await
                .0
            }
            "reset" => {
                admin
                    .post(
                        &desk.app,
                        &account,
                        &[
                            ("csrf", &admin_csrf),
                            ("role", "editor"),
                            ("standing", "active"),
                            ("password", "a brand new passphrase"),
                        ],
                    )
                    .await
                    .status
            }
            _ => {
                admin
                    .post(
                        &desk.app,
                        &account,
                        &[
                            ("csrf", &admin_csrf),
                            ("role", "editor"),
                            ("standing", "inactive"),
                        ],
                    )
                    .await
                    .status
            }
        };
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::OK,
            "{way}: {status}"
        );
        the_session_has_ended(&desk, &mut copy, id, &csrf).await;
    }
}

#[actix_web::test]
async fn failed_desk_sign_ins_lock_the_account_for_the_api_too() {
    let desk = Desk::new().await;
    let email = "editor@desk.example";
    create_user(&mut desk.db.conn(), email, Role::Editor, Some(PASSWORD));
    let mut browser = Browser::new();
    let first = browser.sign_in(&desk.app, email, "a wrong password!").await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert!(
        first
            .body
            .contains("The email address or password is not correct.")
    );
    for _ in 0..4 {
        browser.sign_in(&desk.app, email, "a wrong password!").await;
    }
    let locked = browser.sign_in(&desk.app, email, PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .body
            .contains("Too many failed attempts; try again in"),
        "{}",
        locked.body
    );
    let (status, body, _) = desk
        .call(crate::common::login_request(email, PASSWORD))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[actix_web::test]
async fn an_editor_is_refused_a_publisher_action() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    desk.force_state(id, "approved");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let page = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    assert!(page.body.contains(r#"data-action="withdraw""#));
    assert!(!page.body.contains(r#"data-action="publish""#));
    assert!(!page.body.contains(r#"data-action="schedule""#));
    let csrf = page.csrf();
    let token = login(&desk.app, &email, PASSWORD).await;
    let version = desk.version(&token, id).await.to_string();

    let refused = browser
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/actions"),
            &[
                ("csrf", &csrf),
                ("action", "publish"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Not allowed"), "{}", refused.body);
    assert!(refused.body.contains("publisher"), "{}", refused.body);
    let (_, piece) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(piece["state"], "approved");
}

#[actix_web::test]
async fn the_accounts_page_is_for_admins_only() {
    let desk = Desk::new().await;
    let (mut editor, _) = signed_in(&desk, Role::Editor).await;
    let refused = editor.get(&desk.app, "/desk/accounts").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("this needs the admin role"),
        "{}",
        refused.body
    );
    assert!(
        !editor
            .get(&desk.app, "/desk/queue")
            .await
            .body
            .contains("/desk/accounts")
    );

    let (mut admin, _) = signed_in(&desk, Role::Admin).await;
    let page = admin.get(&desk.app, "/desk/accounts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("editor@desk.example"));
    let csrf = page.csrf();
    let added = admin
        .post(
            &desk.app,
            "/desk/accounts",
            &[
                ("csrf", &csrf),
                ("email", "New.Writer@Desk.Example"),
                ("name", "New Writer"),
                ("role", "publisher"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let mut newcomer = Browser::new();
    let signed = newcomer
        .sign_in(
            &desk.app,
            "new.writer@desk.example",
            "a long enough passphrase",
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let again = admin
        .post(
            &desk.app,
            "/desk/accounts",
            &[
                ("csrf", &csrf),
                ("email", "new.writer@desk.example"),
                ("name", "Twice"),
                ("role", "editor"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already exists"), "{}", again.body);
}

#[actix_web::test]
async fn an_admin_changes_a_role_deactivates_an_account_and_cannot_lock_themself_out() {
    let desk = Desk::new().await;
    let (mut editor, _) = signed_in(&desk, Role::Editor).await;
    let (mut admin, _) = signed_in(&desk, Role::Admin).await;
    let id_of = |email: &str| -> i64 {
        oped::schema::users::table
            .filter(oped::schema::users::email.eq(email))
            .select(oped::schema::users::id)
            .first(&mut desk.db.conn())
            .unwrap()
    };
    let (editor_id, admin_id) = (id_of("editor@desk.example"), id_of("admin@desk.example"));
    let page = admin.get(&desk.app, "/desk/accounts").await;
    assert!(
        page.body
            .contains(&format!(r#"action="/desk/accounts/{editor_id}""#)),
        "{}",
        page.body
    );
    let csrf = page.csrf();

    let editors_form = format!("/desk/accounts/{editor_id}");
    let promoted = admin
        .post(
            &desk.app,
            &editors_form,
            &[
                ("csrf", &csrf),
                ("role", "publisher"),
                ("standing", "active"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    let role: Role = oped::schema::users::table
        .find(editor_id)
        .select(oped::schema::users::role)
        .first(&mut desk.db.conn())
        .unwrap();
    assert_eq!(role, Role::Publisher);
    // The promotion keeps the editor's session: roles are read per request.
    assert_eq!(
        editor.get(&desk.app, "/desk/queue").await.status,
        StatusCode::OK
    );

    let deactivated = admin
        .post(
            &desk.app,
            &editors_form,
            &[
                ("csrf", &csrf),
                ("role", "publisher"),
                ("standing", "inactive"),
            ],
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::SEE_OTHER);
    let after = editor.get(&desk.app, "/desk/queue").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/desk/signin"));
    let listed = admin.get(&desk.app, "/desk/accounts").await;
    assert!(
        listed
            .body
            .contains("<td>editor@desk.example</td><td>publisher</td><td>no</td>"),
        "{}",
        listed.body
    );

    let own_form = format!("/desk/accounts/{admin_id}");
    let lockout = admin
        .post(
            &desk.app,
            &own_form,
            &[("csrf", &csrf), ("role", "editor"), ("standing", "active")],
        )
        .await;
    assert_eq!(lockout.status, StatusCode::CONFLICT);
    assert!(lockout.body.contains("role=\"alert\""), "{}", lockout.body);
    let role: Role = oped::schema::users::table
        .find(admin_id)
        .select(oped::schema::users::role)
        .first(&mut desk.db.conn())
        .unwrap();
    assert_eq!(role, Role::Admin);

    let unknown = admin
        .post(
            &desk.app,
            &editors_form,
            &[("csrf", &csrf), ("role", "owner"), ("standing", "active")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let without_token = admin
        .post(
            &desk.app,
            &editors_form,
            &[("role", "editor"), ("standing", "active")],
        )
        .await;
    assert_eq!(without_token.status, StatusCode::FORBIDDEN);
    let (mut publisher, _) = signed_in(&desk, Role::Publisher).await;
    let csrf = publisher.get(&desk.app, "/desk/password").await.csrf();
    let not_admin = publisher
        .post(
            &desk.app,
            &format!("/desk/accounts/{admin_id}"),
            &[
                ("csrf", &csrf),
                ("role", "editor"),
                ("standing", "inactive"),
            ],
        )
        .await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    let active: bool = oped::schema::users::table
        .find(admin_id)
        .select(oped::schema::users::active)
        .first(&mut desk.db.conn())
        .unwrap();
    assert!(active);
}

#[actix_web::test]
async fn a_new_password_from_the_desk_keeps_this_browser_and_ends_the_others() {
    let desk = Desk::new().await;
    let (mut here, email) = signed_in(&desk, Role::Editor).await;
    let mut elsewhere = Browser::new();
    elsewhere.sign_in(&desk.app, &email, PASSWORD).await;
    let csrf = here.get(&desk.app, "/desk/password").await.csrf();

    let wrong = here
        .post(
            &desk.app,
            "/desk/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not it at all"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(
        wrong.body.contains("current password is not correct"),
        "{}",
        wrong.body
    );

    let changed = here
        .post(
            &desk.app,
            "/desk/password",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        here.get(&desk.app, "/desk/queue").await.status,
        StatusCode::OK
    );
    let ended = elsewhere.get(&desk.app, "/desk/queue").await;
    assert_eq!(ended.location.as_deref(), Some("/desk/signin"));
}

#[actix_web::test]
async fn unmatched_mail_is_promoted_from_the_inbox() {
    let desk = Desk::new().await;
    let report = desk
        .ingest_raw(&String::from_utf8(crate::common::corpus_file("08-no-marker.eml")).unwrap());
    assert!(report.reference.is_none());
    let (mut editor, _) = signed_in(&desk, Role::Editor).await;
    let inbox = editor.get(&desk.app, "/desk/inbox").await;
    assert!(
        inbox.body.contains("Opinion piece for your site"),
        "{}",
        inbox.body
    );
    let start = inbox.body.find("action=\"/desk/inbox/").unwrap() + "action=\"".len();
    let end = start + inbox.body[start..].find('"').unwrap();
    let action = inbox.body[start..end].to_string();
    assert!(action.ends_with("/promote"), "{action}");

    let promoted = editor
        .post(&desk.app, &action, &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    let piece = editor
        .get(&desk.app, promoted.location.as_deref().unwrap())
        .await;
    assert_eq!(piece.status, StatusCode::OK);
    assert!(piece.body.contains("OE-"));
    let again = editor
        .post(&desk.app, &action, &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        !editor
            .get(&desk.app, "/desk/inbox")
            .await
            .body
            .contains("Opinion piece for your site")
    );
}

#[actix_web::test]
async fn an_inbox_message_is_read_attached_by_reference_and_dismissed_on_the_desk() {
    let desk = Desk::new().await;
    let piece = desk.ingest("01-plain.eml");
    let reference: String = oped::schema::submissions::table
        .find(piece)
        .select(oped::schema::submissions::reference)
        .first(&mut desk.db.conn())
        .unwrap();
    let letter = desk.ingest_raw(
        &String::from_utf8(crate::common::corpus_file("16-no-marker-letter.eml")).unwrap(),
    );
    let advert = desk.ingest_raw(
        &String::from_utf8(crate::common::corpus_file("15-no-marker-advert.eml")).unwrap(),
    );
    let (mut editor, _) = signed_in(&desk, Role::Editor).await;

    let inbox = editor.get(&desk.app, "/desk/inbox").await;
    assert!(
        inbox.body.contains("yusuf.benali@example.org"),
        "{}",
        inbox.body
    );
    assert!(
        inbox
            .body
            .contains(&format!("href=\"/desk/inbox/{}\"", letter.message))
    );
    let uri = format!("/desk/inbox/{}", letter.message);
    let read = editor.get(&desk.app, &uri).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(
        read.body.contains("leaves out the municipalities"),
        "{}",
        read.body
    );

    // An unknown reference: the page again, the error beside the field, as typed.
    let refused = editor
        .post(
            &desk.app,
            &format!("{uri}/attach"),
            &[("csrf", &read.csrf()), ("reference", "OE-2099-9999")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(
        refused.body.contains(r#"id="error-reference""#),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="OE-2099-9999""#),
        "{}",
        refused.body
    );
    // Without the form's token, nothing is filed.
    let forged = editor
        .post(
            &desk.app,
            &format!("{uri}/attach"),
            &[("reference", reference.as_str())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let attached = editor
        .post(
            &desk.app,
            &format!("{uri}/attach"),
            &[("csrf", &read.csrf()), ("reference", reference.as_str())],
        )
        .await;
    assert_eq!(attached.status, StatusCode::SEE_OTHER);
    let location = attached.location.unwrap();
    assert_eq!(
        location,
        format!("/desk/pieces/{piece}?done=attached-{reference}#correspondence")
    );
    let piece_page = editor.get(&desk.app, &location).await;
    assert!(
        piece_page.body.contains(&format!(
            "Attached to {reference} — it is on the piece&#x27;s correspondence"
        )) || piece_page.body.contains(&format!(
            "Attached to {reference} — it is on the piece's correspondence"
        )),
        "{}",
        piece_page.body
    );
    assert!(piece_page.body.contains("leaves out the municipalities"));

    let advert_uri = format!("/desk/inbox/{}", advert.message);
    let dismissed = editor
        .post(
            &desk.app,
            &format!("{advert_uri}/dismiss"),
            &[("csrf", &read.csrf())],
        )
        .await;
    assert_eq!(
        dismissed.location.as_deref(),
        Some("/desk/inbox?done=dismissed")
    );
    let after = editor.get(&desk.app, "/desk/inbox?done=dismissed").await;
    assert!(
        after.body.contains("Dismissed — it is kept"),
        "{}",
        after.body
    );
    assert!(!after.body.contains("Advertising on your opinion pages"));
    let tab = editor.get(&desk.app, "/desk/inbox?dismissed=1").await;
    assert!(tab.body.contains("Advertising on your opinion pages"));
    let restored = editor
        .post(
            &desk.app,
            &format!("{advert_uri}/restore"),
            &[("csrf", &read.csrf())],
        )
        .await;
    assert_eq!(
        restored.location,
        Some(format!("{advert_uri}?done=restored"))
    );
    assert!(
        editor
            .get(&desk.app, "/desk/inbox")
            .await
            .body
            .contains("Advertising on your opinion pages")
    );
}

#[actix_web::test]
async fn a_stale_edit_shows_the_piece_as_it_is_and_saves_nothing() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let uri = format!("/desk/pieces/{id}/edit");
    let form = browser.get(&desk.app, &uri).await;
    let version = desk
        .version(&login(&desk.app, &email, PASSWORD).await, id)
        .await
        .to_string();
    assert!(
        form.body
            .contains(&format!(r#"name="version" value="{version}""#))
    );
    let csrf = form.csrf();
    let edit = |title: &'static str, text: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("title", title.to_string()),
            ("standfirst", String::new()),
            ("body_text", text.to_string()),
        ]
    };
    let mut first = edit("A unified budget for Libya", "The first tab's text.");
    first.push(("tags", "economy, Libya".to_string()));
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = browser.post(&desk.app, &uri, &first).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    let second = edit("The budget Libya needs", "The second tab's text.");
    let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stale = browser.post(&desk.app, &uri, &second).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("Someone else changed this piece"));
    assert!(
        stale.body.contains("A unified budget for Libya"),
        "the title now"
    );
    assert!(
        stale.body.contains("The budget Libya needs"),
        "the title sent"
    );
    assert!(
        stale.body.contains("The second tab&#x27;s text.")
            || stale.body.contains("The second tab's text.")
    );

    let token = login(&desk.app, &email, PASSWORD).await;
    // The page's form edits the piece as it is now, every field of it.
    let current = desk.version(&token, id).await;
    assert!(
        stale
            .body
            .contains(&format!(r#"name="version" value="{current}""#)),
        "{}",
        stale.body
    );
    assert!(stale.body.contains(r#"name="author_bio""#));
    assert!(
        stale.body.contains(r#"value="economy, Libya""#),
        "the tags now: {}",
        stale.body
    );
    let (_, piece) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(piece["title"], "A unified budget for Libya");
    assert_eq!(piece["body_text"], "The first tab's text.");
    assert_eq!(piece["tags"], serde_json::json!(["economy", "Libya"]));
}

#[actix_web::test]
async fn attachments_download_from_the_desk_and_never_render() {
    let desk = Desk::new().await;
    let id = desk.ingest("02-gmail-docx.eml");
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    let piece = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    let link = format!("/desk/pieces/{id}/attachments/1");
    assert!(piece.body.contains(&link), "{}", piece.body);
    let file = browser.get(&desk.app, &link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.starts_with("PK"), "the .docx as it came");
    let disposition = file
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let csp = file
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("sandbox"), "{csp}");
    let missing = browser
        .get(&desk.app, &format!("/desk/pieces/{id}/attachments/9"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_edit_form_sets_the_bio_address_and_tags_and_leaves_a_published_address_alone() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let uri = format!("/desk/pieces/{id}/edit");
    let form = browser.get(&desk.app, &uri).await;
    assert!(
        form.body.contains(r#"<label for="tags">"#),
        "every field labelled"
    );
    assert!(form.body.contains(r#"name="slug""#));
    let token = login(&desk.app, &email, PASSWORD).await;
    let version = desk.version(&token, id).await.to_string();
    let csrf = form.csrf();
    let saved = browser
        .post(
            &desk.app,
            &uri,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("title", "Why Libya needs a unified budget"),
                ("standfirst", ""),
                ("body_text", "A budget, agreed and audited."),
                ("author_bio", "Economist in Tripoli."),
                ("slug", "libya-budget"),
                ("tags", "economy, Libya ,, budget"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, piece) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(piece["author"]["bio"], "Economist in Tripoli.");
    assert_eq!(piece["slug"], "libya-budget");
    assert_eq!(
        piece["tags"],
        serde_json::json!(["economy", "Libya", "budget"])
    );
    let page = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    assert!(
        page.body.contains("economy, Libya, budget"),
        "the tags are shown"
    );

    // Once published, the address is shown, not offered: links keep working.
    diesel::update(oped::schema::submissions::table.find(id))
        .set(oped::schema::submissions::published_at.eq(chrono::Utc::now()))
        .execute(&mut desk.db.conn())
        .unwrap();
    let form = browser.get(&desk.app, &uri).await;
    assert!(!form.body.contains(r#"name="slug""#), "{}", form.body);
    assert!(form.body.contains("libya-budget"));
}

#[actix_web::test]
async fn a_text_from_the_authors_mail_is_used_or_set_aside_from_the_desk() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let reference: String = oped::schema::submissions::table
        .find(id)
        .select(oped::schema::submissions::reference)
        .first(&mut desk.db.conn())
        .unwrap();
    let reply = |n: u32, text: &str| {
        crate::common::mail_with_attachment(
            &format!(
                "From: Amal Haddad <amal.haddad@example.org>\r\nSubject: Re: [{reference}] the piece\r\nMessage-ID: <desk-reply-{n}@example.org>\r\n"
            ),
            "Here is my new version.",
            "piece-v2.txt",
            "text/plain; charset=utf-8",
            text.as_bytes(),
        )
    };
    // No trusted receiving server is configured: a reply's text waits.
    for (n, text) in [(1, "The second version, shorter."), (2, "A third try.")] {
        let report = oped::intake::ingest(
            &mut desk.db.conn(),
            &reply(n, text),
            &crate::common::intake_config(),
        )
        .unwrap();
        assert_eq!(report.outcome, oped::intake::Outcome::Reply);
    }
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let piece = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    assert!(
        piece.body.contains("Texts from the author"),
        "{}",
        piece.body
    );
    assert_eq!(piece.body.matches("Use this text").count(), 2);
    let csrf = piece.csrf();
    let token = login(&desk.app, &email, PASSWORD).await;
    let (_, proposals) = desk
        .get(&token, &format!("/api/v1/submissions/{id}/proposals"))
        .await;
    let id_of = |text: &str| {
        proposals
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["body_text"].as_str().unwrap().contains(text))
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (second, third) = (id_of("second version"), id_of("third try"));

    // A stale version is refused and nothing changes.
    let stale = browser
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/proposals/{second}/accept"),
            &[("csrf", &csrf), ("version", "0")],
        )
        .await;
    assert_ne!(stale.status, StatusCode::SEE_OTHER, "{}", stale.body);
    let version = desk.version(&token, id).await.to_string();
    let used = browser
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/proposals/{second}/accept"),
            &[("csrf", &csrf), ("version", &version)],
        )
        .await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    let aside = browser
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/proposals/{third}/discard"),
            &[("csrf", &csrf), ("version", &version)],
        )
        .await;
    assert_eq!(aside.status, StatusCode::SEE_OTHER, "{}", aside.body);

    let (_, now) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(now["body_text"], "The second version, shorter.");
    assert_eq!(now["pending_proposals"], 0);
    let page = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    assert!(page.body.contains("as revision 2"), "{}", page.body);
    assert!(page.body.contains("set aside by"));
    assert!(page.body.contains("Revision 1"), "the revisions are listed");
    let without_token = browser
        .post(
            &desk.app,
            &format!("/desk/pieces/{id}/proposals/{third}/accept"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(without_token.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_queue_filters_by_assignee_and_by_the_days_pieces_arrived() {
    let desk = Desk::new().await;
    let mine = desk.ingest("01-plain.eml");
    let _other = desk.ingest("02-gmail-docx.eml");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let token = login(&desk.app, &email, PASSWORD).await;
    let version = desk.version(&token, mine).await;
    let (status, _) = desk
        .transition(
            &token,
            mine,
            Some(version),
            serde_json::json!({"action": "start_review"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = |page: &Page| page.body.matches(r#"class="piece-row""#).count();

    let all = browser.get(&desk.app, "/desk/queue").await;
    assert_eq!(rows(&all), 2);
    assert!(all.body.contains(r#"<label for="assignee">"#));
    let me = browser.get(&desk.app, "/desk/queue?assignee=me").await;
    assert_eq!(rows(&me), 1);
    assert!(me.body.contains("Why Libya needs a unified budget"));
    let nobody = browser.get(&desk.app, "/desk/queue?assignee=nobody").await;
    assert_eq!(rows(&nobody), 1);
    assert!(!nobody.body.contains("Why Libya needs a unified budget"));

    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let day = browser
        .get(&desk.app, &format!("/desk/queue?from={today}&to={today}"))
        .await;
    assert_eq!(rows(&day), 2, "a day runs to its end");
    let later = browser
        .get(&desk.app, &format!("/desk/queue?from={tomorrow}"))
        .await;
    assert_eq!(rows(&later), 0);
    for bad in [
        "/desk/queue?from=yesterday",
        "/desk/queue?assignee=someone",
        &format!("/desk/queue?from={tomorrow}&to={today}"),
        // Days a date field never sends, beyond what PostgreSQL can store.
        "/desk/queue?from=-200000-01-01",
        "/desk/queue?to=262143-12-31",
    ] {
        let refused = browser.get(&desk.app, bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let last_day = browser.get(&desk.app, "/desk/queue?to=9999-12-31").await;
    assert_eq!(last_day.status, StatusCode::OK);
}

#[actix_web::test]
async fn an_editor_is_neither_offered_nor_allowed_the_edit_of_a_published_piece() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (_, publisher) = desk.user(Role::Publisher);
    for step in [
        serde_json::json!({"action": "start_review"}),
        serde_json::json!({"action": "approve"}),
        serde_json::json!({"action": "publish", "note": "Exclusivity confirmed by phone."}),
    ] {
        let version = desk.version(&publisher, id).await;
        let (status, body) = desk.transition(&publisher, id, Some(version), step).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, before) = desk
        .get(&publisher, &format!("/api/v1/submissions/{id}"))
        .await;
    let (mut browser, _) = signed_in(&desk, Role::Editor).await;
    let uri = format!("/desk/pieces/{id}/edit");
    let piece = browser.get(&desk.app, &format!("/desk/pieces/{id}")).await;
    assert_eq!(piece.status, StatusCode::OK);
    assert!(
        !piece.body.contains(&uri),
        "no edit offered: {}",
        piece.body
    );
    assert!(piece.body.contains("only through a publisher"));

    let form = browser.get(&desk.app, &uri).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{}", form.body);
    assert!(form.body.contains("only a publisher"), "{}", form.body);

    // A form sent all the same (an old tab) is refused, and shown again as typed.
    let version = before["version"].to_string();
    let sent = browser
        .post(
            &desk.app,
            &uri,
            &[
                ("csrf", &piece.csrf()),
                ("version", &version),
                ("title", "A title no publisher saw"),
                ("standfirst", ""),
                ("body_text", "Words readers were never meant to get."),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::FORBIDDEN, "{}", sent.body);
    assert!(sent.body.contains("only a publisher"), "{}", sent.body);
    assert!(sent.body.contains("A title no publisher saw"), "input kept");
    assert!(sent.body.contains("Words readers were never meant to get."));
    let (_, after) = desk
        .get(&publisher, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["title"], before["title"]);
}

/// The queue row of the piece titled `title`, up to the row's end.
fn queue_row<'a>(page: &'a Page, title: &str) -> &'a str {
    let at = page
        .body
        .find(title)
        .unwrap_or_else(|| panic!("{title:?} not in the queue: {}", page.body));
    let end = at + page.body[at..].find("</tr>").unwrap();
    &page.body[at..end]
}

#[actix_web::test]
async fn the_queue_marks_mail_from_the_author_and_what_came_in_since_the_last_visit() {
    let desk = Desk::new().await;
    desk.ingest("01-plain.eml");
    // The author's reply: news on their piece until the desk acts on it.
    desk.ingest_raw(&String::from_utf8(crate::common::corpus_file("10-reply-to-01.eml")).unwrap());
    let (mut first_visit, email) = signed_in(&desk, Role::Editor).await;
    let queue = first_visit.get(&desk.app, "/desk/queue").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(
        queue.body.contains("<table class=\"queue\">"),
        "{}",
        queue.body
    );
    let row = queue_row(&queue, "Why Libya needs a unified budget");
    assert!(row.contains("new mail from the author"), "{row}");
    // A first visit: everything is new.
    assert!(row.contains("new since your last visit"), "{row}");

    // Mail that comes in after that look is what the next visit calls new.
    desk.ingest("02-gmail-docx.eml");
    let mut next_visit = Browser::new();
    let signed = next_visit.sign_in(&desk.app, &email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let new_only = next_visit.get(&desk.app, "/desk/queue?new=yes").await;
    assert_eq!(new_only.status, StatusCode::OK);
    let rows = new_only.body.matches("<tr class=\"piece-row").count();
    assert_eq!(rows, 1, "{}", new_only.body);
    assert!(!new_only.body.contains("Why Libya needs a unified budget"));
    let all = next_visit.get(&desk.app, "/desk/queue").await;
    let old = queue_row(&all, "Why Libya needs a unified budget");
    assert!(!old.contains("new since your last visit"), "{old}");
    assert_eq!(all.body.matches("mark-new").count(), 1, "{}", all.body);
    assert!(old.contains("new mail from the author"), "{old}");

    // Once the desk acts on the piece, the author's letter is no longer news.
    let token = login(&desk.app, &email, PASSWORD).await;
    let id: i64 = row_piece_id(&all, "Why Libya needs a unified budget");
    let (status, _) = desk
        .transition(
            &token,
            id,
            Some(1),
            serde_json::json!({"action": "start_review"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = next_visit.get(&desk.app, "/desk/queue").await;
    let acted = queue_row(&after, "Why Libya needs a unified budget");
    assert!(!acted.contains("new mail from the author"), "{acted}");
}

/// The id in the link of the queue row titled `title`.
fn row_piece_id(page: &Page, title: &str) -> i64 {
    let at = page.body.find(title).unwrap();
    let link = page.body[..at].rfind("/desk/pieces/").unwrap() + "/desk/pieces/".len();
    let end = link + page.body[link..].find('"').unwrap();
    page.body[link..end].parse().unwrap()
}

#[actix_web::test]
async fn the_desk_reassigns_a_piece_compares_two_revisions_and_restores_one() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    let (mut browser, email) = signed_in(&desk, Role::Editor).await;
    let (other_id, _) = desk.user(Role::Editor);
    let token = login(&desk.app, &email, PASSWORD).await;
    let (status, _) = desk
        .transition(
            &token,
            id,
            Some(1),
            serde_json::json!({"action": "start_review"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let piece_url = format!("/desk/pieces/{id}");

    let page = browser.get(&desk.app, &piece_url).await;
    let reassigned = browser
        .post(
            &desk.app,
            &format!("{piece_url}/assignee"),
            &[
                ("csrf", &page.csrf()),
                ("version", "2"),
                ("assignee", &other_id.to_string()),
            ],
        )
        .await;
    assert_eq!(reassigned.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reassigned.location.as_deref(),
        Some(format!("{piece_url}?done=reassigned").as_str())
    );
    let (_, detail) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(detail["assignee"]["id"], other_id);

    let edit = test::TestRequest::patch()
        .uri(&format!("/api/v1/submissions/{id}"))
        .insert_header(bearer(&token))
        .insert_header(("If-Match", "\"3\""))
        .set_json(serde_json::json!({"body": "A new first paragraph.\n\nThe rest is gone."}));
    let (status, _, _) = desk.call(edit).await;
    assert_eq!(status, StatusCode::OK);

    let compared = browser
        .get(&desk.app, &format!("{piece_url}/compare?from=1&to=2"))
        .await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    assert!(compared.body.contains("<ins>"), "{}", compared.body);
    assert!(compared.body.contains("<del>"), "{}", compared.body);
    let missing = browser
        .get(&desk.app, &format!("{piece_url}/compare?from=7&to=2"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let restored = browser
        .post(
            &desk.app,
            &format!("{piece_url}/revisions/1/restore"),
            &[("csrf", &compared.csrf()), ("version", "4")],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER, "{}", restored.body);
    let (_, detail) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert!(
        detail["body_text"]
            .as_str()
            .unwrap()
            .contains("unified budget"),
        "{detail}"
    );
    let page = browser
        .get(&desk.app, restored.location.as_deref().unwrap())
        .await;
    assert!(page.body.contains("Revision restored"), "{}", page.body);
}
