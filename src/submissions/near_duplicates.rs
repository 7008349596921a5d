//! Near-duplicates in the database: a new piece's fingerprint compared with
//! those of the last 180 days' pieces, and the pairs found, kept both ways
//! for the editors' view. The fingerprint itself is `text::fingerprint`.
//!
//! The database keeps its first names (`submission_similarities`,
//! `submission_similar()`, `similar_candidates()`): they speak of the
//! similarity measured, which is not wrong, and a rename would be a
//! migration for no reader's gain.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamptz};

use crate::domain::State;
use crate::jobs::Task;
use crate::schema::{submission_fingerprints, submission_similarities, submissions};
use crate::text::fingerprint::{Fingerprint, fingerprint, similarity};

/// How far back a new piece is compared.
pub const LOOKBACK_DAYS: i64 = 180;
/// The similarity from which editors are shown a pair.
pub const SHOWN_FROM: f32 = 0.5;
/// The most pieces compared with one new piece: the latest that share a band.
/// Bounds the work a flood of copies can cause.
const MAX_CANDIDATES: i32 = 200;
/// The most pairs kept for one new piece: its closest. Editors need the
/// nearest few, and a flood of copies must not write a pair per copy.
const MAX_PAIRS: usize = 10;

/// An earlier piece found to be a near-duplicate of a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDuplicate {
    pub id: i64,
    pub reference: String,
    pub author_email: String,
    pub state: State,
    pub similarity: f32,
}

/// A piece that shares a band with the new one (`similar_candidates`).
#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Text)]
    author_email: String,
    #[diesel(sql_type = Text)]
    state: State,
    #[diesel(sql_type = Array<Integer>)]
    signature: Vec<i32>,
}

/// Earlier pieces received within [`LOOKBACK_DAYS`] before `at` whose text
/// is at least [`SHOWN_FROM`] similar to `print`, most similar first.
pub fn find(
    conn: &mut PgConnection,
    print: &Fingerprint,
    at: DateTime<Utc>,
) -> QueryResult<Vec<NearDuplicate>> {
    // The SQL function keeps to the bands' index (see its migration).
    let rows: Vec<Candidate> = diesel::sql_query(
        "SELECT id, reference, author_email, state, signature \
         FROM similar_candidates($1, $2, $3)",
    )
    .bind::<Array<BigInt>, _>(&print.bands)
    .bind::<Timestamptz, _>(at - Duration::days(LOOKBACK_DAYS))
    .bind::<Integer, _>(MAX_CANDIDATES)
    .load(conn)?;
    let mut found: Vec<NearDuplicate> = rows
        .into_iter()
        .map(|candidate| NearDuplicate {
            similarity: similarity(&print.signature, &candidate.signature),
            id: candidate.id,
            reference: candidate.reference,
            author_email: candidate.author_email,
            state: candidate.state,
        })
        .filter(|found| found.similarity >= SHOWN_FROM)
        .collect();
    found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Keeps the new piece's fingerprint, and its pairs with the
/// [`MAX_PAIRS`] first of `near_duplicates` (most similar first, as [`find`] gives
/// them) both ways, so that each piece's page names the other.
pub fn remember(
    conn: &mut PgConnection,
    submission_id: i64,
    received_at: DateTime<Utc>,
    print: &Fingerprint,
    near_duplicates: &[NearDuplicate],
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
    let pairs: Vec<_> = near_duplicates
        .iter()
        .take(MAX_PAIRS)
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

/// Pieces fingerprinted in one transaction of [`backfill`].
const BACKFILL_BATCH: i64 = 200;

/// Fingerprints up to [`BACKFILL_BATCH`] pieces of the last [`LOOKBACK_DAYS`] before `now`
/// that have none: those received before near-duplicates were looked for,
/// so that new pieces are compared with them too. A text too short to
/// compare gets an empty fingerprint (it matches nothing), so it is read
/// once. Returns how many it did.
pub fn backfill(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let pieces: Vec<(i64, DateTime<Utc>, String)> = submissions::table
            .left_join(submission_fingerprints::table)
            .filter(submission_fingerprints::submission_id.nullable().is_null())
            .filter(submissions::received_at.ge(now - Duration::days(LOOKBACK_DAYS)))
            .order(submissions::received_at.desc())
            .limit(BACKFILL_BATCH)
            .select((
                submissions::id,
                submissions::received_at,
                submissions::body_text,
            ))
            .load(conn)?;
        // No row lock: two workers starting at once may fingerprint one
        // piece twice, and the second insert does nothing.
        for (id, received_at, text) in &pieces {
            let print = fingerprint(text).unwrap_or(Fingerprint {
                signature: Vec::new(),
                bands: Vec::new(),
            });
            remember(conn, *id, *received_at, &print, &[])?;
        }
        Ok(pieces.len())
    })
}

/// Runs [`backfill`] in the workers until nothing is left, then stays idle
/// without asking again: pieces received from now on are fingerprinted by
/// intake itself.
#[derive(Debug, Default)]
pub struct BackfillTask {
    done: AtomicBool,
}

impl Task for BackfillTask {
    fn name(&self) -> &'static str {
        "fingerprints"
    }

    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool> {
        if self.done.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let done = backfill(conn, now)?;
        if done > 0 {
            tracing::info!(pieces = done, "fingerprinted for near-duplicates");
        } else {
            self.done.store(true, Ordering::Relaxed);
        }
        Ok(done > 0)
    }
}
