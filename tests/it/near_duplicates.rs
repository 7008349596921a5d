//! Near-duplicates: the same piece arriving twice under different
//! Message-IDs, from its author or from someone else, and a different piece
//! on the same subject, seen the way editors see them in the API.

use crate::common::desk::Desk;

use actix_web::http::StatusCode;
use diesel::prelude::*;
use oped::auth::Role;
use oped::intake::Outcome;
use oped::schema::{correspondence, submissions};
use serde_json::Value;

const PIECE: &str = "Libya's central bank and its two rival governments have spent a decade \
arguing over who controls the country's oil revenue. Meanwhile salaries go unpaid, hospitals \
run short of medicine and the dinar loses value every month. A unified budget, agreed by both \
chambers and audited in public, would end the quarrel. It would let municipalities plan, \
reassure lenders and give citizens a reason to trust the state again. The parliament should \
vote on it before the summer recess, and the central bank should publish every transfer.";

const OTHER_PIECE: &str = "The quarrel over Libya's oil revenue is not a technical problem \
that a budget can solve. It is a contest between armed coalitions, each of which needs the \
money to pay its fighters. Until the militias are disarmed, any budget will be a ceasefire on \
paper. Donors should fund demobilisation first, and only then ask the two governments to \
agree on spending, audited or not, by the central bank, before the summer recess.";

fn mail(from: &str, message_id: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: oped@news.example\r\nSubject: Op-Ed: A unified budget for Libya\r\n\
         Message-ID: <{message_id}>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn id_of(desk: &Desk, reference: &str) -> i64 {
    submissions::table
        .filter(submissions::reference.eq(reference))
        .select(submissions::id)
        .first(&mut desk.db.conn())
        .unwrap()
}

async fn similar_to(desk: &Desk, token: &str, id: i64) -> Vec<(String, u64)> {
    let (status, piece) = desk.get(token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{piece}");
    piece["similar_to"]
        .as_array()
        .unwrap_or_else(|| panic!("no similar_to in {piece}"))
        .iter()
        .map(|similar: &Value| {
            (
                similar["reference"].as_str().unwrap().to_string(),
                similar["percent"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[actix_rt::test]
async fn a_copy_from_someone_else_is_flagged_on_both_pieces_and_a_different_piece_is_not() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let original = desk.ingest_raw(&mail("Amal <amal@example.net>", "one@example.net", PIECE));
    let original_ref = original.reference.unwrap();

    // The same text, lightly edited, from another sender: a new piece.
    let copied = PIECE.replace("a decade", "ten years");
    let copy = desk.ingest_raw(&mail("Sami <sami@example.org>", "two@example.org", &copied));
    assert_eq!(copy.outcome, Outcome::Submission);
    let copy_ref = copy.reference.unwrap();

    let on_copy = similar_to(&desk, &editor, id_of(&desk, &copy_ref)).await;
    assert_eq!(on_copy.len(), 1, "{on_copy:?}");
    assert_eq!(on_copy[0].0, original_ref);
    assert!((60..100).contains(&on_copy[0].1), "{on_copy:?}");
    let on_original = similar_to(&desk, &editor, id_of(&desk, &original_ref)).await;
    assert_eq!(on_original, vec![(copy_ref.clone(), on_copy[0].1)]);

    // A different argument on the same subject, even from the same author,
    // is its own piece and nobody's twin.
    let other = desk.ingest_raw(&mail(
        "Amal <amal@example.net>",
        "three@example.net",
        OTHER_PIECE,
    ));
    assert_eq!(other.outcome, Outcome::Submission);
    let other_id = id_of(&desk, &other.reference.unwrap());
    assert_eq!(similar_to(&desk, &editor, other_id).await, vec![]);
}

#[actix_rt::test]
async fn a_resend_by_the_author_of_an_open_piece_is_filed_with_it_not_reviewed_twice() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let first = desk.ingest_raw(&mail("Amal <amal@example.net>", "first@example.net", PIECE));
    let first_ref = first.reference.unwrap();
    let first_id = id_of(&desk, &first_ref);

    // A second mail client sends it again, a new Message-ID and a new layout.
    let resent = PIECE.replace(". ", ".\r\n\r\n");
    let resend = desk.ingest_raw(&mail("amal@example.net", "again@example.net", &resent));
    assert_eq!(resend.outcome, Outcome::Reply, "{resend:?}");
    assert_eq!(resend.reference.as_deref(), Some(first_ref.as_str()));
    assert!(
        resend.detail.as_deref().unwrap().contains("resend"),
        "{resend:?}"
    );
    let pieces: i64 = submissions::table
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert_eq!(pieces, 1, "not a second piece to review");
    let filed: i64 = correspondence::table
        .filter(correspondence::submission_id.eq(first_id))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert!(filed >= 1, "the resend is in the piece's correspondence");

    // Once the piece is decided, a resend is a new piece, flagged.
    let version = desk.version(&editor, first_id).await;
    let (status, body) = desk
        .transition(
            &editor,
            first_id,
            Some(version),
            serde_json::json!({"action": "reject", "note": "not for us"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let later = desk.ingest_raw(&mail("amal@example.net", "later@example.net", PIECE));
    assert_eq!(later.outcome, Outcome::Submission, "{later:?}");
    let later_id = id_of(&desk, &later.reference.unwrap());
    assert_eq!(
        similar_to(&desk, &editor, later_id).await,
        vec![(first_ref, 100)]
    );
}

#[actix_rt::test]
async fn pieces_received_before_fingerprints_existed_are_fingerprinted_by_the_workers() {
    use oped::schema::submission_fingerprints;
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let old = desk.ingest_raw(&mail("Amal <amal@example.net>", "old@example.net", PIECE));
    let old_ref = old.reference.unwrap();
    let short = desk.ingest_raw(&mail(
        "Sami <sami@example.org>",
        "short@example.org",
        "Too short.",
    ));
    assert_eq!(short.outcome, Outcome::Submission);
    // As an upgrade finds them: no fingerprint at all.
    diesel::delete(submission_fingerprints::table)
        .execute(&mut desk.db.conn())
        .unwrap();

    desk.app.run_pending_jobs();
    let kept: Vec<(i64, usize)> = submission_fingerprints::table
        .select((
            submission_fingerprints::submission_id,
            submission_fingerprints::signature,
        ))
        .load::<(i64, Vec<i32>)>(&mut desk.db.conn())
        .unwrap()
        .into_iter()
        .map(|(id, signature)| (id, signature.len()))
        .collect();
    assert_eq!(kept.len(), 2, "both read once: {kept:?}");
    assert!(kept.contains(&(id_of(&desk, &old_ref), 64)), "{kept:?}");
    assert_eq!(
        oped::submissions::near_duplicates::backfill(&mut desk.db.conn(), chrono::Utc::now())
            .unwrap(),
        0,
        "nothing is read twice"
    );

    // A copy arriving now is compared with the old piece.
    let copy = desk.ingest_raw(&mail("Rami <rami@example.com>", "copy@example.com", PIECE));
    let copy_id = id_of(&desk, &copy.reference.unwrap());
    assert_eq!(
        similar_to(&desk, &editor, copy_id).await,
        vec![(old_ref, 100)]
    );
}

#[actix_rt::test]
async fn a_flood_of_copies_writes_and_shows_a_bounded_number_of_pairs() {
    use oped::schema::submission_similarities;
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let original = desk.ingest_raw(&mail("amal@example.net", "flood-0@example.net", PIECE));
    let original_id = id_of(&desk, &original.reference.unwrap());
    let mut last = 0;
    for n in 1..=25 {
        let copy = desk.ingest_raw(&mail(
            &format!("copier{n}@example.org"),
            &format!("flood-{n}@example.org"),
            PIECE,
        ));
        assert_eq!(copy.outcome, Outcome::Submission);
        last = id_of(&desk, &copy.reference.unwrap());
    }
    let pairs_of_last: i64 = submission_similarities::table
        .filter(submission_similarities::submission_id.eq(last))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert_eq!(pairs_of_last, 10, "the closest ten, not one per copy");
    // Every copy names the original among its closest (ties go to the
    // earliest piece), so the original has 25 pairs and shows 20.
    let shown = similar_to(&desk, &editor, original_id).await;
    assert_eq!(shown.len(), 20, "{shown:?}");
}
