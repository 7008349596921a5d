//! The editors' search finds what they mean, in English and in Arabic, each
//! word by its script; names and addresses as written; phrases; an order by
//! relevance. Through the API, against PostgreSQL's own text search.

use crate::common;

use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::desk::Desk;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use oped::auth::Role;

/// The twelve searches and the titles of the pieces an editor expects them
/// to find.
const PAIRS: &[(&str, &str)] = &[
    ("budgets", "Why Libya needs a unified budget"),
    ("elections", "The election that Libya keeps postponing"),
    ("migrants", "Migration is not a crisis for Libya alone"),
    ("central banks", "The central bank must stay neutral"),
    ("ports", "Tobruk's port sits idle"),
    ("انتخابات", "مستقبل الانتخابات في ليبيا"),
    ("الانتخابات", "والانتخابات المقبلة في ليبيا"),
    ("ميزانية", "إن توحيد الميزانية هو الخطوة الأولى"),
    ("اقتصاد", "الاقتصاد الليبي بعد الحرب"),
    ("أمن", "الامن في طرابلس"),
    ("مدرسة", "مدارس ليبيا بلا مكتبات"),
    ("نفط", "النفط والجنوب"),
];

/// A piece titled `title` with `text`, from `author` <`address`>, `n`
/// minutes after the first (headers encoded as mail programs do).
fn mail(n: u32, title: &str, text: &str, author: &str, address: &str) -> String {
    let encoded = |words: &str| format!("=?UTF-8?B?{}?=", STANDARD.encode(words));
    format!(
        "From: {} <{address}>\r\nSubject: {}\r\nMessage-ID: <search-{n}@example.org>\r\n\
         Date: Sat, 05 Dec 2026 10:{n:02}:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        encoded(author),
        encoded(&format!("Op-Ed: {title}")),
        STANDARD.encode(text),
    )
}

/// The list's address searching for `query`, encoded as a browser would.
fn search_uri(query: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("/api/v1/submissions?q={q}")
}

/// The titles a search finds, every page of it, as the API lists them.
async fn found(desk: &Desk, editor: &str, query: &str, sort: &str) -> Vec<String> {
    desk.every_item(
        editor,
        &format!("{}&sort={sort}&limit=2", search_uri(query)),
    )
    .await
    .iter()
    .map(|item| item["title"].as_str().unwrap().to_string())
    .collect()
}

/// A desk holding the twelve pieces, each with a text that shares no word
/// with the searches, and an editor's token.
async fn desk_with_the_twelve() -> (Desk, String) {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    for (n, (_, title)) in PAIRS.iter().enumerate() {
        let report = desk.ingest_raw(&mail(
            n as u32,
            title,
            &format!("Piece number {n} for the opinion pages."),
            "Staff Writer",
            &format!("writer{n}@example.org"),
        ));
        assert!(report.reference.is_some(), "{title}: {report:?}");
    }
    (desk, editor)
}

#[actix_web::test]
async fn each_of_the_twelve_searches_finds_its_piece() {
    let (desk, editor) = desk_with_the_twelve().await;
    for (query, title) in PAIRS {
        let titles = found(&desk, &editor, query, "received").await;
        assert!(
            titles.iter().any(|found| found == title),
            "{query:?} should find {title:?}, found {titles:?}"
        );
    }
    // And no more than they mean: the election pieces for the elections, the
    // oil one alone for oil, nothing for a word no piece has.
    assert_eq!(
        found(&desk, &editor, "انتخابات", "received").await,
        ["والانتخابات المقبلة في ليبيا", "مستقبل الانتخابات في ليبيا"]
    );
    assert_eq!(
        found(&desk, &editor, "نفط", "received").await,
        ["النفط والجنوب"]
    );
    assert_eq!(
        found(&desk, &editor, "budgets", "received").await,
        ["Why Libya needs a unified budget"]
    );
    assert!(
        found(&desk, &editor, "harbours", "received")
            .await
            .is_empty()
    );
    assert!(found(&desk, &editor, "مطار", "received").await.is_empty());
}

#[actix_web::test]
async fn an_exact_word_and_a_quoted_phrase_still_find_their_piece() {
    let (desk, editor) = desk_with_the_twelve().await;
    for query in [
        "neutral",
        "Tobruk's",
        "Tobruk",
        "\"central bank\"",
        "\"Tobruk port\"",
    ] {
        let titles = found(&desk, &editor, query, "received").await;
        assert_eq!(titles.len(), 1, "{query}: {titles:?}");
    }
    // A phrase is its words in order; a word left out with "-" is left out.
    assert!(
        found(&desk, &editor, "\"bank central\"", "received")
            .await
            .is_empty()
    );
    assert!(
        found(&desk, &editor, "central -neutral", "received")
            .await
            .is_empty()
    );
    // Words PostgreSQL's English configuration drops are searchable too.
    assert_eq!(
        found(&desk, &editor, "\"is not\"", "received").await,
        ["Migration is not a crisis for Libya alone"]
    );
}

#[actix_web::test]
async fn a_piece_in_two_scripts_is_found_by_either_and_marks_change_nothing() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    desk.ingest_raw(&mail(
        1,
        "Libya's municipalities and their budgets",
        "The mayor of Sabha, عبد الرحمن الطاهر, says the schools (المدارس) wait for the \
         central bank.",
        "Amal Haddad",
        "amal@example.org",
    ));
    desk.ingest_raw(&mail(
        2,
        "الأَمْنُ والاقتـــصاد في الجنوب",
        "قالت اللجنة إن the electoral commission لم تنشر النتائج بعد.",
        "سالم الورفلي",
        "salem@example.ly",
    ));
    let english = "Libya's municipalities and their budgets";
    let arabic = "الأَمْنُ والاقتـــصاد في الجنوب";
    for (query, title) in [
        ("municipality", english),
        ("الطاهر", english),
        ("مدرسة", english),
        ("electoral commissions", arabic),
        // Tashkeel and tatweel in the piece, none in the search; and the
        // other way round.
        ("أمن", arabic),
        ("اقتصاد", arabic),
        ("الاقْتِصَـاد", arabic),
        ("النَّتائـــج", arabic),
    ] {
        assert_eq!(
            found(&desk, &editor, query, "received").await,
            [title],
            "{query}"
        );
    }
}

#[actix_web::test]
async fn authors_names_and_addresses_are_found_as_written() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    desk.ingest_raw(&mail(
        1,
        "On water",
        "Rain fell.",
        "Sarah Jones",
        "s.jones@example.org",
    ));
    desk.ingest_raw(&mail(
        2,
        "على الماء",
        "هطل المطر.",
        "خالد المبروك",
        "k.mabrouk@example.ly",
    ));
    for (query, title) in [
        ("Jones", "On water"),
        ("Sarah Jones", "On water"),
        ("s.jones@example.org", "On water"),
        ("خالد المبروك", "على الماء"),
        ("المبروك", "على الماء"),
        ("k.mabrouk@example.ly", "على الماء"),
    ] {
        assert_eq!(
            found(&desk, &editor, query, "received").await,
            [title],
            "{query}"
        );
    }
}

#[actix_web::test]
async fn by_relevance_title_matches_come_first_then_the_rest_each_newest_first() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    for (n, title, text) in [
        (1, "Ports of the east", "Cranes and quays."),
        (
            2,
            "A letter from Derna",
            "The harbour and its ports are quiet.",
        ),
        (3, "The port of Misrata", "Ships wait."),
        (4, "Fishing boats", "Nothing about the sea trade."),
        (5, "Notes from Benghazi", "Three ports, one road."),
        (6, "Why ports matter", "Trade."),
    ] {
        desk.ingest_raw(&mail(
            n,
            title,
            text,
            "Staff Writer",
            &format!("w{n}@example.org"),
        ));
    }
    // Pages of two: the cursor crosses from the title matches to the rest.
    assert_eq!(
        found(&desk, &editor, "port", "relevance").await,
        [
            "Why ports matter",
            "The port of Misrata",
            "Ports of the east",
            "Notes from Benghazi",
            "A letter from Derna",
        ]
    );
    assert_eq!(
        found(&desk, &editor, "port", "received").await,
        [
            "Why ports matter",
            "Notes from Benghazi",
            "The port of Misrata",
            "A letter from Derna",
            "Ports of the east",
        ]
    );
    let (status, body) = desk
        .get(&editor, "/api/v1/submissions?sort=relevance")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "sort", "{body}");
    // A newest-first cursor is not one of this order's.
    let (_, page) = desk
        .get(&editor, "/api/v1/submissions?q=port&limit=1")
        .await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (status, body) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions?q=port&sort=relevance&cursor={cursor}"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "cursor", "{body}");
}

/// Pieces stored before the search by language are given its words by the
/// migrations (in batches) and found by it after.
#[actix_web::test]
async fn pieces_stored_before_the_migration_are_found_after_it() {
    let (desk, editor) = desk_with_the_twelve().await;
    let mut conn = desk.db.conn();
    // Back to the `simple` column, and whatever came after it up again.
    loop {
        let reverted = conn.revert_last_migration(oped::db::MIGRATIONS).unwrap();
        if reverted.to_string() == "20261206000701" {
            break;
        }
    }
    let simple: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "count(*) FROM submissions WHERE search @@ websearch_to_tsquery('simple', 'budgets')",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(simple, 0, "the simple column does not stem");
    conn.run_pending_migrations(oped::db::MIGRATIONS).unwrap();
    let unfilled: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "count(*) FROM submissions WHERE search IS NULL",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(unfilled, 0);
    for (query, title) in PAIRS {
        let titles = found(&desk, &editor, query, "received").await;
        assert!(
            titles.iter().any(|found| found == title),
            "{query}: {titles:?}"
        );
    }
}

/// What a search is read as: web-search syntax, stems, and an English noun
/// in -ant and its verb in -ate finding each other; whole words only.
#[actix_web::test]
async fn a_search_is_read_as_its_stems_with_ant_and_ate_alike() {
    let desk = Desk::new().await;
    let mut conn = desk.db.conn();
    for (typed, searched) in [
        ("migrants", "'migrat' | 'migrant'"),
        (
            "migrate migration",
            "( 'migrat' | 'migrant' ) & ( 'migrat' | 'migrant' )",
        ),
        (
            "-migrants climate",
            "!( 'migrat' | 'migrant' ) & ( 'climat' | 'climant' )",
        ),
        (
            "\"climate policy\"",
            "( 'climat' | 'climant' ) <-> 'polici'",
        ),
        (
            "vacant -\"migrant policy\"",
            "'vacant' & !( ( 'migrat' | 'migrant' ) <-> 'polici' )",
        ),
        ("Tobruk's port", "'tobruk' & 'port'"),
        ("o'brien", "'o' <-> 'brien'"),
        // Too short a root, or no -ant/-ate: as stemmed.
        ("giant cat", "'giant' & 'cat'"),
        ("immigrant", "'immigr'"),
        ("writer@example.org", "'writer@example.org'"),
        ("الانتخابات", "'انتخاب'"),
        ("\"is not\"", "'is' <-> 'not'"),
        ("!!!", ""),
    ] {
        let query: String = diesel::select(
            diesel::dsl::sql::<diesel::sql_types::Text>("search_query(")
                .bind::<diesel::sql_types::Text, _>(typed)
                .sql(")::text"),
        )
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(query, searched, "{typed:?}");
    }
}

/// Quotes, apostrophes and operators in odd places are a search like any
/// other: an answer, never an error.
#[actix_web::test]
async fn odd_searches_are_answered() {
    let (desk, editor) = desk_with_the_twelve().await;
    for query in [
        "'migrant'",
        "''migrants''",
        "\"'climate'\"",
        "o'migrant's",
        "(migrants | ports)",
        "- or \"\" -",
        "migrant:*",
        "migrants<->ports",
        "'",
    ] {
        let (status, body) = desk.get(&editor, &search_uri(query)).await;
        assert_eq!(status, StatusCode::OK, "{query:?}: {body}");
    }
    // The longest search, every word of it one that searches as two forms.
    let longest = "migrants ".repeat(22);
    assert!(longest.trim_end().chars().count() <= 200);
    let (status, body) = desk.get(&editor, &search_uri(longest.trim_end())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["items"][0]["title"],
        "Migration is not a crisis for Libya alone"
    );
    assert_eq!(
        found(&desk, &editor, "'migrants'", "received").await,
        ["Migration is not a crisis for Libya alone"]
    );
}
