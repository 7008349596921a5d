//! Publishing into the site's WordPress, against a real WordPress
//! (`common::wordpress`): a publication makes one post in the configured
//! category (made when missing), readable through WordPress's REST API and
//! at its public address; a correction updates that post; unpublishing
//! takes it off the site; a crash after WordPress answered makes no second
//! post; a revoked application password leaves the delivery failing with
//! the reason; `oped wordpress check` exits 0, 78 or 75.
//!
//! Plain `#[test]`s: the WordPress client blocks, and the rig starts
//! processes.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use oped::auth::{Actor, Role};
use oped::config::Config;
use oped::domain::{DeliveryState, SubmissionId, UserId};
use oped::email::{Composer, Mailer, MemoryMailbox};
use oped::outbox::JobOutcome;
use oped::outbox::deliveries::{self, DeliveryFilter};
use oped::outbox::wordpress::{self, WordpressPublisher};
use oped::publishing::Site;
use oped::schema::{correspondence, outbox, submissions, users};
use oped::workflow::service::{Initiator, apply};
use oped::workflow::{Action, TransitionRequest};
use serde_json::Value;

use common::TestDb;
use common::wordpress::WordPress;

const TITLE: &str = "Why Libya needs a unified budget";
const SLUG: &str = "why-libya-needs-a-unified-budget";

/// The desk, its database and its WordPress publisher, set up for `wp`.
struct Desk {
    _db: TestDb,
    conn: PgConnection,
    config: Config,
    site: Site,
    publisher: WordpressPublisher,
    actor: Actor,
}

impl Desk {
    fn new(wp: &WordPress, category: Option<&str>) -> Desk {
        let db = TestDb::new();
        let mut conn = db.conn();
        let mut config = common::config();
        wp.configure(&mut config, category);
        let site = Site::from_config(&config);
        assert!(site.wordpress);
        let publisher = WordpressPublisher::new(config.wordpress.as_ref().unwrap()).unwrap();
        let actor = publisher_account(&mut conn);
        Desk {
            _db: db,
            conn,
            config,
            site,
            publisher,
            actor,
        }
    }

    fn act(&mut self, id: i64, action: Action, note: Option<&str>) {
        let request = TransitionRequest {
            note: note.map(str::to_string),
            ..Default::default()
        };
        apply(
            &mut self.conn,
            id,
            None,
            action,
            request,
            Initiator::User(self.actor),
            &self.site,
            Utc::now(),
        )
        .unwrap_or_else(|err| panic!("{action}: {err}"));
    }

    /// The plain corpus piece, approved and published.
    fn published_piece(&mut self) -> i64 {
        let id = common::ingest_submission(&mut self.conn, "01-plain.eml");
        self.act(id, Action::StartReview, None);
        self.act(id, Action::Approve, None);
        self.act(id, Action::Publish, Some("Exclusivity confirmed by phone."));
        id
    }

    /// Every due WordPress delivery, made.
    fn deliver(&mut self) -> Vec<JobOutcome> {
        wordpress::drain(&mut self.conn, &self.publisher, soon()).unwrap()
    }

    fn post_id(&mut self, id: i64) -> Option<i64> {
        oped::wordpress::store::find(&mut self.conn, id)
            .unwrap()
            .map(|post| post.post_id)
    }
}

/// A moment after the rows just queued, by the database's clock too.
fn soon() -> DateTime<Utc> {
    Utc::now() + Duration::seconds(1)
}

fn publisher_account(conn: &mut PgConnection) -> Actor {
    let user_id = diesel::insert_into(users::table)
        .values((
            users::email.eq("publisher@desk.example"),
            users::name.eq("Publisher"),
            users::role.eq(Role::Publisher.as_str()),
            users::password_hash
                .eq("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
        ))
        .returning(users::id)
        .get_result(conn)
        .unwrap();
    Actor {
        user_id,
        role: Role::Publisher,
    }
}

fn sent(outcomes: &[JobOutcome]) -> bool {
    !outcomes.is_empty()
        && outcomes
            .iter()
            .all(|outcome| matches!(outcome, JobOutcome::Sent { .. }))
}

/// The desk's posts with our title: there must be exactly one.
fn the_post(wp: &WordPress) -> Value {
    let posts: Vec<Value> = wp
        .posts()
        .into_iter()
        .filter(|post| post["title"]["raw"] == TITLE)
        .collect();
    assert_eq!(posts.len(), 1, "one post per piece: {posts:#?}");
    posts[0].clone()
}

fn published_email_state(conn: &mut PgConnection) -> String {
    outbox::table
        .filter(outbox::kind.eq("email"))
        .filter(outbox::topic.eq("published"))
        .select(outbox::state)
        .first(conn)
        .unwrap()
}

#[test]
fn publishing_makes_one_post_in_its_category_and_a_correction_updates_it() {
    let Some(wp) = WordPress::start() else { return };
    let mut desk = Desk::new(&wp, Some("Opinion"));
    let (status, categories) = wp.rest("GET", "/wp/v2/categories?search=Opinion", None, None);
    assert_eq!((status, categories.as_array().unwrap().len()), (200, 0));

    let id = desk.published_piece();
    // The author's "published" email waits for the post, to link to it.
    let mailbox = MemoryMailbox::default();
    let mailer = Mailer::Memory(mailbox.clone());
    let composer = Composer::from_config(&desk.config).unwrap();
    oped::outbox::worker::drain(&mut desk.conn, &mailer, &composer, soon()).unwrap();
    assert_eq!(published_email_state(&mut desk.conn), "pending");

    assert!(sent(&desk.deliver()));
    let post = the_post(&wp);
    assert_eq!(post["status"], "publish");
    assert_eq!(post["slug"], SLUG);
    let (_, categories) = wp.rest("GET", "/wp/v2/categories?search=Opinion", None, None);
    let opinion = categories[0]["id"].as_i64().expect("the category was made");
    assert_eq!(post["categories"], serde_json::json!([opinion]));
    let content = post["content"]["raw"].as_str().unwrap();
    assert!(content.starts_with("<p class=\"byline\">By "), "{content}");
    let published_at: DateTime<Utc> = submissions::table
        .find(id)
        .select(submissions::published_at)
        .first::<Option<DateTime<Utc>>>(&mut desk.conn)
        .unwrap()
        .unwrap();
    assert_eq!(
        post["date_gmt"],
        published_at.format("%Y-%m-%dT%H:%M:%S").to_string()
    );
    let link = post["link"].as_str().unwrap().to_string();
    assert_eq!(link, format!("{}/{SLUG}/", wp.base_url));
    let (status, page) = wp.fetch_public(&link);
    assert_eq!(status, 200);
    assert!(page.contains(TITLE), "{page}");
    assert!(page.contains("class=\"byline\""), "{page}");
    let stored = oped::wordpress::store::find(&mut desk.conn, id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.post_id, stored.link.as_str(), stored.status.as_str()),
        (post["id"].as_i64().unwrap(), link.as_str(), "publish")
    );

    // Editors see the post with the piece (the API's detail, the desk's page).
    let record = oped::submissions::store::find(&mut desk.conn, id)
        .unwrap()
        .unwrap();
    assert_eq!(record.wordpress_post.as_ref(), Some(&stored));

    // Now the email goes, with the post's address.
    let emails = oped::outbox::worker::drain(&mut desk.conn, &mailer, &composer, soon()).unwrap();
    assert!(sent(&emails), "{emails:?}");
    assert_eq!(published_email_state(&mut desk.conn), "sent");
    let body: String = correspondence::table
        .filter(correspondence::submission_id.eq(id))
        .filter(correspondence::subject.like("%Published%"))
        .select(correspondence::body_text)
        .first(&mut desk.conn)
        .unwrap();
    assert!(body.contains(&link), "{body}");

    let version: i32 = submissions::table
        .find(id)
        .select(submissions::version)
        .first(&mut desk.conn)
        .unwrap();
    oped::submissions::corrections::add(
        &mut desk.conn,
        SubmissionId(id),
        version,
        "The budget law dates from 2026, not 2016.",
        UserId(desk.actor.user_id),
        &desk.site,
    )
    .unwrap();
    assert!(sent(&desk.deliver()));
    let corrected = the_post(&wp);
    assert_eq!(corrected["id"], post["id"]);
    assert!(
        corrected["content"]["raw"]
            .as_str()
            .unwrap()
            .contains("The budget law dates from 2026, not 2016."),
        "{corrected}"
    );
    let (status, page) = wp.fetch_public(&link);
    assert_eq!(status, 200);
    assert!(page.contains("The budget law dates from 2026, not 2016."));
}

#[test]
fn unpublishing_takes_the_post_off_the_public_site() {
    let Some(wp) = WordPress::start() else { return };
    let mut desk = Desk::new(&wp, None);
    let id = desk.published_piece();
    assert!(sent(&desk.deliver()));
    let link = the_post(&wp)["link"].as_str().unwrap().to_string();
    assert_eq!(wp.fetch_public(&link).0, 200);

    desk.act(id, Action::Unpublish, Some("Retracted: a factual dispute."));
    assert!(sent(&desk.deliver()));
    assert_eq!(wp.fetch_public(&link).0, 404);
    assert_eq!(the_post(&wp)["status"], "draft");

    // Published again: the same post is back up.
    desk.act(id, Action::Publish, Some("Exclusivity confirmed by phone."));
    assert!(sent(&desk.deliver()));
    assert_eq!(the_post(&wp)["status"], "publish");
    assert_eq!(wp.fetch_public(&link).0, 200);
}

#[test]
fn a_crash_after_wordpress_answered_makes_no_second_post() {
    let Some(wp) = WordPress::start() else { return };
    let mut desk = Desk::new(&wp, None);
    let id = desk.published_piece();

    // WordPress makes the post; our transaction never commits.
    let crashed = desk.conn.transaction::<(), _, _>(|conn| {
        let outcome = wordpress::run_once(conn, &desk.publisher, soon()).unwrap();
        assert!(
            matches!(outcome, Some(JobOutcome::Sent { .. })),
            "{outcome:?}"
        );
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(crashed.is_err());
    let made = the_post(&wp);
    assert_eq!(desk.post_id(id), None);

    // The retry finds that post instead of making "…-2".
    assert!(sent(&desk.deliver()));
    let post = the_post(&wp);
    assert_eq!(post["id"], made["id"]);
    assert_eq!(post["slug"], SLUG);
    assert_eq!(desk.post_id(id), post["id"].as_i64());
}

#[test]
fn a_revoked_application_password_leaves_the_delivery_failing_with_the_reason() {
    let Some(wp) = WordPress::start() else { return };
    let mut desk = Desk::new(&wp, None);
    // WordPress's own sample post is there from the start.
    let before = wp.post_count();
    wp.revoke_app_password();
    let id = desk.published_piece();

    let outcomes = desk.deliver();
    let [JobOutcome::Retry { error, .. }] = &outcomes[..] else {
        panic!("{outcomes:?}");
    };
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(error.contains("revoked"), "{error}");
    assert!(!error.contains(&wp.app_password), "{error}");
    assert_eq!(wp.post_count(), before, "no post was made");

    // What editors see in /api/v1/deliveries: failing, with the reason, and
    // not tried again before its backoff.
    let listed = deliveries::list(
        &mut desk.conn,
        &DeliveryFilter {
            submission_id: Some(id),
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let post = listed
        .iter()
        .find(|row| row.kind == oped::domain::OutboxKind::Wordpress)
        .unwrap();
    assert_eq!(post.state, DeliveryState::Pending);
    assert_eq!(post.attempts, 1);
    assert!(post.last_error.as_deref().unwrap().contains("revoked"));
    assert!(post.next_attempt_at > soon());
    assert!(desk.deliver().is_empty(), "no loop: the next try waits");
    let still: i64 = outbox::table
        .filter(outbox::kind.eq("wordpress"))
        .filter(outbox::state.eq("pending"))
        .count()
        .get_result(&mut desk.conn)
        .unwrap();
    assert_eq!(still, 1);
}

#[test]
fn wordpress_check_exits_0_when_it_can_post_78_when_refused_and_75_when_unreachable() {
    let Some(wp) = WordPress::start() else { return };
    let check = |url: &str, password: &str| {
        let output = common::oped_command("postgres://nobody@127.0.0.1:1/none")
            .args(["wordpress", "check"])
            .env("OPED_WORDPRESS_URL", url)
            .env("OPED_WORDPRESS_USER", common::wordpress::USER)
            .env("OPED_WORDPRESS_APP_PASSWORD", password)
            .env("OPED_WORDPRESS_CATEGORY", "Opinion")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !stdout.contains(password) && !stderr.contains(password),
            "the password was printed: {stdout}{stderr}"
        );
        (output.status.code(), stdout, stderr)
    };

    let (code, stdout, stderr) = check(&wp.base_url, &wp.app_password);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("logged in to"), "{stdout}");
    assert!(
        stdout.contains("may publish posts and upload files"),
        "{stdout}"
    );
    assert!(stdout.contains("\"Opinion\": missing"), "{stdout}");

    let (code, stdout, stderr) = check(&wp.base_url, "abcd efgh ijkl mnop qrst uvwx");
    assert_eq!(code, Some(78), "{stdout}{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");

    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let (code, stdout, stderr) = check(&closed, &wp.app_password);
    assert_eq!(code, Some(75), "{stdout}{stderr}");
    assert!(stderr.contains("cannot be reached"), "{stderr}");
}
