//! The public side, in-process against a real database: from an emailed
//! Op-Ed to its public page, what the public may and may not see, 304 and
//! 410, slugs, the list, and the Atom feed read by a real feed parser and
//! checked against the rules of RFC 4287 that feed validators apply.

use crate::common::{self, TestApp};

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::test;
use common::bearer;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::submissions;
use serde_json::{Value, json};

/// What no public answer may ever contain, from the hostile corpus mail and
/// the authors' addresses.
const NEVER_PUBLIC: &[&str] = &[
    "<script",
    "alert(",
    "onload",
    "steal()",
    "javascript:",
    "tracker.example.com",
    "<style",
    "@example.org",
    "@example.com",
    "@example.net",
];

struct Public {
    desk: Desk,
    editor: String,
    publisher: String,
}

impl Public {
    async fn new() -> Public {
        let desk = Desk::new().await;
        let (_, editor) = desk.user(Role::Editor);
        let (_, publisher) = desk.user(Role::Publisher);
        Public {
            desk,
            editor,
            publisher,
        }
    }

    async fn act(&self, id: i64, action: &str, extra: Value) -> Value {
        let token = if matches!(action, "publish" | "unpublish" | "schedule") {
            &self.publisher
        } else {
            &self.editor
        };
        let version = self.desk.version(token, id).await;
        let mut body = json!({ "action": action });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, answer) = self.desk.transition(token, id, Some(version), body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
        answer
    }

    /// Review, approve and publish; returns the slug.
    async fn publish(&self, id: i64) -> String {
        self.act(id, "start_review", json!({})).await;
        self.act(id, "approve", json!({})).await;
        let published = self
            .act(
                id,
                "publish",
                json!({ "note": "The author confirmed exclusivity by phone." }),
            )
            .await;
        assert_eq!(published["state"], "published");
        published["slug"].as_str().unwrap().to_string()
    }

    /// A publisher's edit: what readers see changes only through one.
    async fn edit(&self, id: i64, patch: Value) -> (StatusCode, Value) {
        let version = self.desk.version(&self.publisher, id).await;
        let (status, body, _) = self
            .desk
            .call(
                test::TestRequest::patch()
                    .uri(&format!("/api/v1/submissions/{id}"))
                    .insert_header(bearer(&self.publisher))
                    .insert_header(("If-Match", format!("\"{version}\"")))
                    .set_json(patch),
            )
            .await;
        (status, body)
    }

    /// An anonymous GET: status, raw body, headers.
    async fn get(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, actix_web::http::header::HeaderMap) {
        let mut request = test::TestRequest::get().uri(uri);
        for header in headers {
            request = request.insert_header(*header);
        }
        let response = test::call_service(&self.desk.app, request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        (status, String::from_utf8(body.to_vec()).unwrap(), headers)
    }

    async fn get_json(&self, uri: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.get(uri, &[]).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
}

fn opinion_path(slug: &str) -> String {
    format!(
        "/api/v1/public/opeds/{}",
        percent_encoding::utf8_percent_encode(slug, percent_encoding::NON_ALPHANUMERIC)
    )
}

fn assert_nothing_private(what: &str, text: &str) {
    for needle in NEVER_PUBLIC {
        assert!(
            !text.contains(needle),
            "{what} contains {needle:?}:\n{text}"
        );
    }
}

#[actix_rt::test]
async fn an_emailed_op_ed_reaches_its_public_page() {
    let public = Public::new().await;
    let id = public.desk.ingest("01-plain.eml");
    // Before publication the public knows nothing of it.
    let (status, _) = public.get_json("/api/v1/public/opeds").await;
    assert_eq!(status, StatusCode::OK);

    public.act(id, "start_review", json!({})).await;
    let approved = public.act(id, "approve", json!({})).await;
    // Approval names the piece; editors may still change the name.
    assert_eq!(approved["slug"], "why-libya-needs-a-unified-budget");
    let (status, body) = public
        .edit(
            id,
            json!({"slug": "libya-unified-budget", "standfirst": "One budget, one country."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = public.get_json(&opinion_path("libya-unified-budget")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "approved is not public");

    let published = public
        .act(
            id,
            "publish",
            json!({ "note": "The author confirmed exclusivity by phone." }),
        )
        .await;
    assert_eq!(published["slug"], "libya-unified-budget");

    let (status, body, headers) = public.get(&opinion_path("libya-unified-budget"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("etag").is_some() && headers.get("last-modified").is_some());
    assert!(
        header(&headers, "cache-control").starts_with("public"),
        "{headers:?}"
    );
    let opinion: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(opinion["title"], "Why Libya needs a unified budget");
    assert_eq!(opinion["standfirst"], "One budget, one country.");
    assert_eq!(
        opinion["url"],
        "https://news.example/opinion/libya-unified-budget"
    );
    assert_eq!(opinion["author"]["name"], "Amal Haddad");
    assert!(
        opinion["body_html"]
            .as_str()
            .unwrap()
            .contains("central bank is left to improvise")
    );
    assert!(opinion["published_at"].is_string());
    // Never the address, the reference, the state or anything internal.
    assert_nothing_private("the public page", &body);
    for internal in ["reference", "state", "email", "cover_note", "version", "id"] {
        assert!(opinion.get(internal).is_none(), "{internal} in {opinion}");
    }

    let (status, list) = public.get_json("/api/v1/public/opeds").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["slug"], "libya-unified-budget");
    assert!(list["items"][0].get("body_html").is_none());

    // Published, the slug no longer changes; the rest still may.
    let (status, body) = public.edit(id, json!({"slug": "another-name"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "slug_locked");
    let (status, _) = public
        .edit(id, json!({"title": "Libya needs one budget"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, opinion) = public.get_json(&opinion_path("libya-unified-budget")).await;
    assert_eq!(opinion["title"], "Libya needs one budget");
}

#[actix_rt::test]
async fn nothing_hostile_or_private_from_the_corpus_reaches_public_output() {
    let public = Public::new().await;
    let mut slugs = Vec::new();
    for file in [
        "01-plain.eml",
        "02-gmail-docx.eml",
        "03-arabic-1256.eml",
        "04-html-hostile.eml",
        "09-en-dash.eml",
        "11-exchange-suppress.eml",
        "12-odt.eml",
    ] {
        let id = public.desk.ingest(file);
        slugs.push(public.publish(id).await);
    }
    // Slugs are readable, distinct, and Arabic titles keep their script.
    assert_eq!(slugs.iter().collect::<HashSet<_>>().len(), slugs.len());
    assert!(
        slugs.contains(&"migration-is-not-a-crisis".to_string()),
        "{slugs:?}"
    );
    let arabic = &slugs[2];
    assert!(arabic.starts_with("مستقبل"), "{arabic}");

    for slug in &slugs {
        let (status, body, _) = public.get(&opinion_path(slug), &[]).await;
        assert_eq!(status, StatusCode::OK, "{slug}: {body}");
        assert_nothing_private(slug, &body);
    }
    let (_, hostile) = public
        .get_json(&opinion_path("migration-is-not-a-crisis"))
        .await;
    assert!(
        hostile["body_html"]
            .as_str()
            .unwrap()
            .contains("Migration is not a crisis")
    );
    let (_, list, _) = public.get("/api/v1/public/opeds?limit=100", &[]).await;
    assert_nothing_private("the list", &list);
    let (_, feed, _) = public.get("/feed.atom", &[]).await;
    // In the feed, HTML travels escaped: look at it unescaped too.
    let unescaped = feed
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    assert_nothing_private("the feed", &unescaped);
    assert_eq!(feed.matches("<entry>").count(), slugs.len());
}

#[actix_rt::test]
async fn conditional_requests_get_304_until_something_changes() {
    let public = Public::new().await;
    let id = public.desk.ingest("01-plain.eml");
    let slug = public.publish(id).await;
    let path = opinion_path(&slug);

    let (_, _, headers) = public.get(&path, &[]).await;
    let etag = header(&headers, "etag");
    let modified = header(&headers, "last-modified");
    let (status, body, headers) = public.get(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), etag);
    let (status, _, _) = public.get(&path, &[("If-Modified-Since", &modified)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, _) = public
        .get(
            &path,
            &[
                ("If-None-Match", "\"nope\""),
                ("If-Modified-Since", &modified),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "If-None-Match decides when present");

    let (_, _, list_headers) = public.get("/api/v1/public/opeds", &[]).await;
    let list_etag = header(&list_headers, "etag");
    let (status, _, _) = public
        .get("/api/v1/public/opeds", &[("If-None-Match", &list_etag)])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (_, _, feed_headers) = public.get("/feed.atom", &[]).await;
    let feed_etag = header(&feed_headers, "etag");
    let (status, body, _) = public
        .get("/feed.atom", &[("If-None-Match", &feed_etag)])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    // An edit changes every representation that shows the piece.
    let (status, _) = public.edit(id, json!({"title": "A new title"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body, headers) = public.get(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("A new title"));
    assert_ne!(header(&headers, "etag"), etag);
    for (uri, old) in [
        ("/api/v1/public/opeds", &list_etag),
        ("/feed.atom", &feed_etag),
    ] {
        let (status, body, _) = public.get(uri, &[("If-None-Match", old)]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(body.contains("A new title"), "{uri}");
    }

    // So does a retraction, which leaves no row in the list to say so. (HTTP
    // dates have whole seconds: the last change is moved an hour back, as
    // it would be in real life, so the retraction is a later second.)
    diesel::update(submissions::table.find(id))
        .set(submissions::updated_at.eq(chrono::Utc::now() - chrono::Duration::hours(1)))
        .execute(&mut public.desk.db.conn())
        .unwrap();
    let (_, _, list_headers) = public.get("/api/v1/public/opeds", &[]).await;
    let list_etag = header(&list_headers, "etag");
    let list_modified = header(&list_headers, "last-modified");
    public
        .act(id, "unpublish", json!({"note": "legal complaint"}))
        .await;
    let (status, body, _) = public
        .get("/api/v1/public/opeds", &[("If-None-Match", &list_etag)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("A new title"));
    let (status, _, _) = public
        .get(
            "/api/v1/public/opeds",
            &[("If-Modified-Since", &list_modified)],
        )
        .await;
    assert_ne!(status, StatusCode::NOT_MODIFIED, "a retraction is a change");
}

#[actix_rt::test]
async fn a_retracted_piece_answers_410_and_comes_back_when_republished() {
    let public = Public::new().await;
    let id = public.desk.ingest("01-plain.eml");
    let slug = public.publish(id).await;
    let path = opinion_path(&slug);
    let (_, first) = public.get_json(&path).await;

    let unpublished = public
        .act(id, "unpublish", json!({"note": "legal complaint"}))
        .await;
    assert_eq!(unpublished["state"], "approved");
    let (status, body, headers) = public.get(&path, &[]).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(header(&headers, "content-type"), "application/problem+json");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "retracted");
    assert!(
        !body.contains("legal complaint"),
        "the reason stays internal"
    );
    // A conditional request cannot revive it either.
    let (status, _, _) = public.get(&path, &[("If-None-Match", "*")]).await;
    assert_eq!(status, StatusCode::GONE);
    let (_, list) = public.get_json("/api/v1/public/opeds").await;
    assert_eq!(list["items"], json!([]));
    let (_, feed, _) = public.get("/feed.atom", &[]).await;
    assert!(!feed.contains("<entry>"), "{feed}");

    // Still 410 after it goes back to review, and never 404.
    public.act(id, "return_to_review", json!({})).await;
    let (status, _) = public.get_json(&path).await;
    assert_eq!(status, StatusCode::GONE);
    public.act(id, "approve", json!({})).await;
    public
        .act(
            id,
            "publish",
            json!({ "note": "The author confirmed exclusivity by phone." }),
        )
        .await;
    let (status, again) = public.get_json(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["slug"], slug.as_str());
    assert_eq!(
        again["published_at"], first["published_at"],
        "the first publication date stays"
    );

    // Never published at all, or unknown: 404.
    let other = public.desk.ingest("09-en-dash.eml");
    public.act(other, "start_review", json!({})).await;
    let approved = public.act(other, "approve", json!({})).await;
    let (status, _) = public
        .get_json(&opinion_path(approved["slug"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = public.get_json(&opinion_path("no-such-piece")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
    let (status, _) = public.get_json(&opinion_path(&"x".repeat(5000))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_rt::test]
async fn slugs_are_unique_readable_and_reachable_in_any_script() {
    let public = Public::new().await;
    let mut slugs = Vec::new();
    for _ in 0..3 {
        let id = public
            .desk
            .ingest_raw(&unique_mail("The same title"))
            .reference;
        let id = id_of(&public.desk, &id.unwrap());
        slugs.push(public.publish(id).await);
    }
    assert_eq!(
        slugs,
        ["the-same-title", "the-same-title-2", "the-same-title-3"]
    );

    // An editor's slug is taken as typed; one already taken is refused.
    let id = id_of(
        &public.desk,
        &public
            .desk
            .ingest_raw(&unique_mail("Another piece"))
            .reference
            .unwrap(),
    );
    let (status, body) = public.edit(id, json!({"slug": "the-same-title"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "slug_taken");
    let (status, _) = public.edit(id, json!({"slug": "مقال-رأي"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public.publish(id).await, "مقال-رأي");
    let (status, opinion) = public.get_json(&opinion_path("مقال-رأي")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        opinion["url"],
        "https://news.example/opinion/%D9%85%D9%82%D8%A7%D9%84-%D8%B1%D8%A3%D9%8A"
    );

    // A title with no letters still gets a name.
    let id = id_of(
        &public.desk,
        &public
            .desk
            .ingest_raw(&unique_mail("?!"))
            .reference
            .unwrap(),
    );
    let slug = public.publish(id).await;
    assert!(slug.starts_with("oe-"), "{slug}");
}

#[actix_rt::test]
async fn the_public_list_pages_newest_first_without_repeats() {
    let public = Public::new().await;
    let mut published = Vec::new();
    for n in 0..5 {
        let reference = public
            .desk
            .ingest_raw(&unique_mail(&format!("Piece number {n}")))
            .reference
            .unwrap();
        published.push(public.publish(id_of(&public.desk, &reference)).await);
    }
    // Drafts and approved pieces are not listed.
    public.desk.ingest_raw(&unique_mail("Still a draft"));

    let mut seen = Vec::new();
    let mut uri = "/api/v1/public/opeds?limit=2".to_string();
    loop {
        let (status, page) = public.get_json(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            seen.push(item["slug"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/public/opeds?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    published.reverse();
    assert_eq!(seen, published, "newest publication first, each once");

    for bad in ["limit=0", "limit=101", "cursor=garbage"] {
        let (status, problem) = public
            .get_json(&format!("/api/v1/public/opeds?{bad}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(problem["code"], "invalid_field");
    }
}

#[actix_rt::test]
async fn the_feed_is_atom_that_parsers_and_validators_accept() {
    let public = Public::new().await;
    // An empty feed is still a valid feed.
    let (status, empty, headers) = public.get("/feed.atom", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("application/atom+xml"));
    check_rfc_4287(&empty);

    for file in ["01-plain.eml", "03-arabic-1256.eml", "04-html-hostile.eml"] {
        let id = public.desk.ingest(file);
        public.publish(id).await;
    }
    // A piece whose author gave no name: the feed's author stands for it.
    let nameless = id_of(
        &public.desk,
        &public
            .desk
            .ingest_raw(&unique_mail("A nameless author"))
            .reference
            .unwrap(),
    );
    diesel::update(submissions::table.find(nameless))
        .set(submissions::author_name.eq(None::<String>))
        .execute(&mut public.desk.db.conn())
        .unwrap();
    public.publish(nameless).await;

    let (_, xml, _) = public.get("/feed.atom", &[]).await;
    check_rfc_4287(&xml);

    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("a feed parser reads it");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.title.unwrap().content, "Example Opinion");
    assert_eq!(feed.entries.len(), 4);
    let newest = &feed.entries[0];
    assert_eq!(newest.title.as_ref().unwrap().content, "A nameless author");
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|entry| entry.title.as_ref().unwrap().content.clone())
        .collect();
    assert!(
        titles.contains(&"مستقبل الانتخابات في ليبيا".to_string()),
        "{titles:?}"
    );
    let plain = feed
        .entries
        .iter()
        .find(|entry| entry.title.as_ref().unwrap().content == "Why Libya needs a unified budget")
        .unwrap();
    assert_eq!(plain.authors[0].name.as_deref(), Some("Amal Haddad"));
    assert_eq!(
        plain.links[0].href,
        "https://news.example/opinion/why-libya-needs-a-unified-budget"
    );
    assert!(plain.published.is_some() && plain.updated.is_some());
    let content = plain.content.as_ref().unwrap().body.as_ref().unwrap();
    assert!(
        content.contains("central bank is left to improvise"),
        "{content}"
    );
}

/// The checks a feed validator makes (RFC 4287 §4.1): one id, title and
/// updated per feed and entry; ids are absolute IRIs and unique; dates are
/// RFC 3339; every entry has an author (its own or the feed's), an
/// alternate link, and content or a summary; the feed links to itself.
fn check_rfc_4287(xml: &str) {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let document = roxmltree::Document::parse(xml).expect("well-formed XML");
    let feed = document.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    let one_text = |node: roxmltree::Node<'_, '_>, name: &str| -> String {
        let found = children(node, name);
        assert_eq!(
            found.len(),
            1,
            "exactly one <{name}> in <{}>",
            node.tag_name().name()
        );
        found[0].text().unwrap_or_default().to_string()
    };
    let check_date = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|err| panic!("{text:?} is not RFC 3339: {err}"));
    };
    let check_iri = |text: &str| {
        let parsed = url::Url::parse(text).unwrap_or_else(|err| panic!("{text:?}: {err}"));
        assert!(!parsed.scheme().is_empty());
    };

    check_iri(&one_text(feed, "id"));
    assert!(!one_text(feed, "title").trim().is_empty());
    check_date(&one_text(feed, "updated"));
    let feed_has_author = !children(feed, "author").is_empty();
    for author in children(feed, "author") {
        assert!(!one_text(author, "name").trim().is_empty());
    }
    let links = children(feed, "link");
    assert!(
        links
            .iter()
            .any(|link| link.attribute("rel") == Some("self") && link.attribute("href").is_some()),
        "the feed links to itself"
    );

    let mut ids = HashSet::new();
    for entry in children(feed, "entry") {
        let id = one_text(entry, "id");
        check_iri(&id);
        assert!(ids.insert(id.clone()), "duplicate entry id {id}");
        assert!(!one_text(entry, "title").trim().is_empty());
        check_date(&one_text(entry, "updated"));
        for published in children(entry, "published") {
            check_date(published.text().unwrap_or_default());
        }
        let authors = children(entry, "author");
        assert!(feed_has_author || !authors.is_empty(), "{id} has no author");
        for author in authors {
            assert!(!one_text(author, "name").trim().is_empty());
        }
        let alternate: Vec<_> = children(entry, "link")
            .into_iter()
            .filter(|link| link.attribute("rel").unwrap_or("alternate") == "alternate")
            .collect();
        assert_eq!(alternate.len(), 1, "{id}: one alternate link");
        check_iri(alternate[0].attribute("href").unwrap());
        let content = children(entry, "content");
        assert!(
            !content.is_empty() || !children(entry, "summary").is_empty(),
            "{id}"
        );
        for content in content {
            assert!(matches!(
                content.attribute("type"),
                Some("html" | "text" | "xhtml")
            ));
        }
    }
}

fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(|child| child.is_element() && child.tag_name().name() == name)
        .collect()
}

fn header(headers: &actix_web::http::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .to_str()
        .unwrap()
        .to_string()
}

fn id_of(desk: &Desk, reference: &str) -> i64 {
    submissions::table
        .filter(submissions::reference.eq(reference))
        .select(submissions::id)
        .first(&mut desk.db.conn())
        .unwrap()
}

/// A new op-ed by mail, different every time it is called.
fn unique_mail(title: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "From: Writer {n} <writer{n}@example.org>\r\n\
         To: oped@news.example\r\n\
         Subject: Op-Ed: {title}\r\n\
         Message-ID: <piece-{n}-{}@example.org>\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         The argument of piece {n}, with enough words to read as an article.\r\n",
        std::process::id()
    )
}

#[actix_rt::test]
async fn browsers_on_the_configured_origins_may_read_and_others_may_not() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url)
        .with_config(|config| config.http.cors_origins = vec!["https://news.example".to_string()])
        .build()
        .await;
    let preflight = test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/v1/submissions/1")
        .insert_header(("Origin", "https://news.example"))
        .insert_header(("Access-Control-Request-Method", "PATCH"))
        .insert_header(("Access-Control-Request-Headers", "authorization, if-match"))
        .to_request();
    let response = test::call_service(&app, preflight).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        "https://news.example"
    );

    let read = |origin: &'static str| {
        test::TestRequest::get()
            .uri("/api/v1/public/opeds")
            .insert_header(("Origin", origin))
            .to_request()
    };
    let response = test::call_service(&app, read("https://news.example")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        "https://news.example"
    );
    assert!(
        header(response.headers(), "access-control-expose-headers")
            .to_lowercase()
            .contains("etag")
    );
    let response = test::call_service(&app, read("https://evil.example")).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the server still answers"
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "but the browser is not allowed to read it"
    );
}

impl Public {
    /// A publisher's correction of piece `id` at `version`, or without `If-Match`.
    async fn correct(
        &self,
        token: &str,
        id: i64,
        version: Option<i64>,
        text: &str,
    ) -> (StatusCode, Value, actix_web::http::header::HeaderMap) {
        let mut request = test::TestRequest::post()
            .uri(&format!("/api/v1/submissions/{id}/corrections"))
            .insert_header(bearer(token))
            .set_json(json!({ "text": text }));
        if let Some(version) = version {
            request = request.insert_header(("If-Match", format!("\"{version}\"")));
        }
        self.desk.call(request).await
    }
}

#[actix_rt::test]
async fn a_correction_is_appended_for_readers_the_feed_and_the_site() {
    let public = Public::new().await;
    let id = public.desk.ingest("01-plain.eml");
    let unpublished = public.desk.ingest("03-arabic-1256.eml");
    let slug = public.publish(id).await;
    let (_, before, _) = public.get(&opinion_path(&slug), &[]).await;
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["corrections"], json!([]));
    let version = public.desk.version(&public.publisher, id).await;
    let first = "An earlier version gave the deficit as 40%; it is 4% <of GDP>.";

    // Who may, on what, and how.
    let (status, body, _) = public
        .correct(&public.editor, id, Some(version), first)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body, _) = public.correct(&public.publisher, id, None, first).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    let (status, body, _) = public
        .correct(&public.publisher, id, Some(version), " \u{1b} ")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "text");
    let (status, body, _) = public
        .correct(&public.publisher, id, Some(version - 1), first)
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    let draft_version = public.desk.version(&public.publisher, unpublished).await;
    let (status, body, _) = public
        .correct(&public.publisher, unpublished, Some(draft_version), first)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "not_published");
    clear_webhooks(&public.desk);

    let (status, body, headers) = public
        .correct(&public.publisher, id, Some(version), first)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(header(&headers, "etag"), format!("\"{}\"", version + 1));
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["text"], first);
    assert!(body[0]["author"]["name"].is_string(), "{body}");

    // Readers see it under the piece, with its date and without the publisher.
    let (status, opinion) = public.get_json(&opinion_path(&slug)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(opinion["corrections"][0]["text"], first);
    assert_eq!(opinion["corrections"][0].as_object().unwrap().len(), 2);
    assert!(opinion["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(
        opinion["body_html"], before["body_html"],
        "the text is untouched"
    );

    // The feed entry carries it after the article, and its `updated` moved on.
    let (_, xml, _) = public.get("/feed.atom", &[]).await;
    check_rfc_4287(&xml);
    let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
    let entry = &feed.entries[0];
    let content = entry.content.as_ref().unwrap().body.as_deref().unwrap();
    assert!(
        content.contains("Correction, ") && content.contains("it is 4% &lt;of GDP&gt;."),
        "{content}"
    );
    assert_eq!(
        entry.updated.unwrap().to_rfc3339(),
        chrono::DateTime::parse_from_rfc3339(opinion["updated_at"].as_str().unwrap())
            .unwrap()
            .to_rfc3339()
    );

    // The site hears of it, with the correction in the piece it is sent.
    let webhooks = webhooks(&public.desk);
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0].0, "opinion.updated");
    assert_eq!(webhooks[0].1["opinion"]["corrections"][0]["text"], first);

    // A second one is appended after the first; neither can be rewritten.
    let (status, body, _) = public
        .correct(
            &public.publisher,
            id,
            Some(version + 1),
            "The author's title is professor.",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, listed) = public
        .desk
        .get(
            &public.editor,
            &format!("/api/v1/submissions/{id}/corrections"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let texts: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, [first, "The author's title is professor."]);
    let rewrite = diesel::sql_query("UPDATE submission_corrections SET body = 'nothing was wrong'")
        .execute(&mut public.desk.db.conn());
    assert!(rewrite.is_err(), "a correction is never edited");
}

fn clear_webhooks(desk: &Desk) {
    use oped::domain::OutboxKind;
    use oped::schema::outbox;
    diesel::delete(outbox::table.filter(outbox::kind.eq(OutboxKind::Webhook)))
        .execute(&mut desk.db.conn())
        .unwrap();
}

/// The webhooks waiting in the outbox: (event, body), oldest first.
fn webhooks(desk: &Desk) -> Vec<(String, Value)> {
    use oped::domain::OutboxKind;
    use oped::schema::outbox;
    outbox::table
        .filter(outbox::kind.eq(OutboxKind::Webhook))
        .order(outbox::id)
        .select((outbox::topic, outbox::payload))
        .load(&mut desk.db.conn())
        .unwrap()
}
