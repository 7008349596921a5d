//! Near-duplicates in the database: a new piece's fingerprint compared with
//! those of the last 180 days' pieces, and the pairs found, kept both ways
//! for the editors' view. The fingerprint itself is `text::fingerprint`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::domain::State;
use crate::schema::{submission_fingerprints, submission_similarities, submissions};
use crate::text::fingerprint::{Fingerprint, similarity};

/// How far back a new piece is compared.
pub const WINDOW_DAYS: i64 = 180;
/// The similarity from which editors are shown a pair.
pub const SHOWN_FROM: f32 = 0.5;
/// The most pieces compared with one new piece: the latest that share a band.
/// Bounds the work a flood of copies can cause.
const MAX_CANDIDATES: i64 = 200;

/// An earlier piece found similar to a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub id: i64,
    pub reference: String,
    pub author_email: String,
    pub state: State,
    pub similarity: f32,
}

/// Earlier pieces received within [`WINDOW_DAYS`] before `at` whose text
/// is at least [`SHOWN_FROM`] similar to `print`, most similar first.
pub fn find(
    conn: &mut PgConnection,
    print: &Fingerprint,
    at: DateTime<Utc>,
) -> QueryResult<Vec<Similar>> {
    let rows: Vec<(i64, String, String, State, Vec<i32>)> = submission_fingerprints::table
        .inner_join(submissions::table)
        .filter(submission_fingerprints::bands.overlaps_with(&print.bands))
        .filter(submission_fingerprints::received_at.ge(at - Duration::days(WINDOW_DAYS)))
        .order(submission_fingerprints::received_at.desc())
        .limit(MAX_CANDIDATES)
        .select((
            submissions::id,
            submissions::reference,
            submissions::author_email,
            submissions::state,
            submission_fingerprints::signature,
        ))
        .load(conn)?;
    let mut found: Vec<Similar> = rows
        .into_iter()
        .map(|(id, reference, author_email, state, signature)| Similar {
            id,
            reference,
            author_email,
            state,
            similarity: similarity(&print.signature, &signature),
        })
        .filter(|similar| similar.similarity >= SHOWN_FROM)
        .collect();
    found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Keeps the new piece's fingerprint, and each pair with `similar` both
/// ways, so that each piece's page names the other.
pub fn remember(
    conn: &mut PgConnection,
    submission_id: i64,
    received_at: DateTime<Utc>,
    print: &Fingerprint,
    similar: &[Similar],
) -> QueryResult<()> {
    diesel::insert_into(submission_fingerprints::table)
        .values((
            submission_fingerprints::submission_id.eq(submission_id),
            submission_fingerprints::received_at.eq(received_at),
            submission_fingerprints::signature.eq(&print.signature),
            submission_fingerprints::bands.eq(&print.bands),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    let pairs: Vec<_> = similar
        .iter()
        .flat_map(|other| {
            [(submission_id, other.id), (other.id, submission_id)].map(|(from, to)| {
                (
                    submission_similarities::submission_id.eq(from),
                    submission_similarities::similar_id.eq(to),
                    submission_similarities::similarity.eq(other.similarity),
                )
            })
        })
        .collect();
    if !pairs.is_empty() {
        diesel::insert_into(submission_similarities::table)
            .values(pairs)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}
