//! Where a search, newest first, starts looking.
//!
//! PostgreSQL serves a search newest first in one of two ways: it walks the
//! newest-first index and tests each piece's words until the page is full
//! (quick when most pieces match), or it takes every match from the word
//! index and sorts them (quick when few do). For a word in a few percent of
//! the pieces both are slow at scale: the walk reads each candidate's word
//! list (kilobytes, out of line) for thousands of candidates, and the sort
//! fetches thousands of matches to keep fifty. So such a search looks first
//! in a *recent slice*: the newest pieces, as many as PostgreSQL's
//! statistics say will hold a few pages of matches. Inside it PostgreSQL
//! reads one index that holds each piece's date beside its words (migration
//! …000903_search_by_date_index): the word's list of pieces is walked from
//! the slice's first piece on, the older part skipped unread, and only the
//! matches in the slice are fetched. When the slice holds less than a page
//! (the word was common once and is rare now, or other filters leave few),
//! the caller searches everything, as it would have without the slice.

mod estimate;
mod statistics;

pub use statistics::SearchStatistics;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

use crate::db::cursor::Cursor;
use crate::schema::submissions;

/// Searches longer than this are not searches (the API answers 422, the
/// desk 400): a bound on what a stranger's text costs to parse and plan.
pub const MAX_QUERY_CHARS: usize = 200;

/// The most `-` (each a "not") PostgreSQL's search syntax takes in a row:
/// with one more, `websearch_to_tsquery` fails ("tsquery stack too small").
const MAX_NOTS_IN_A_ROW: usize = 32;

/// Why `text` cannot be searched for, said for the person who typed it, or
/// `None`. Both doors (the API and the desk) ask this before searching.
pub fn query_problem(text: &str) -> Option<String> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Some(format!("a search is at most {MAX_QUERY_CHARS} characters"));
    }
    if nots_in_a_row(text) > MAX_NOTS_IN_A_ROW {
        return Some(format!(
            "a search has at most {MAX_NOTS_IN_A_ROW} '-' in a row"
        ));
    }
    None
}

/// The longest run of `-` in `text`, spaces between them not breaking it
/// (PostgreSQL reads `- -a` as two "not"s too).
fn nots_in_a_row(text: &str) -> usize {
    let (mut run, mut longest) = (0, 0);
    for c in text.chars() {
        if c == '-' {
            run += 1;
            longest = longest.max(run);
        } else if !c.is_whitespace() {
            run = 0;
        }
    }
    longest
}

/// Below this many expected matches the word index and a sort are quick
/// enough: a slice would only add work.
const FEW_MATCHES: f64 = 2_000.0;

/// How many pages of matches the slice should hold by the estimate, so that
/// an estimate somewhat too high still leaves a full page inside it.
const PAGES_OF_MARGIN: f64 = 3.0;

/// How many of the newest pieces (from the cursor on) to look in first, or
/// `None` to search everything at once because few pieces match.
pub fn recent_slice_rows(expected_matches: f64, total_rows: f64, page_rows: i64) -> Option<i64> {
    // Written so that a NaN (no statistics) is no slice too.
    let worth_a_slice = expected_matches >= FEW_MATCHES && total_rows > 0.0;
    if !worth_a_slice {
        return None;
    }
    let share = (expected_matches / total_rows).min(1.0);
    Some((PAGES_OF_MARGIN * page_rows as f64 / share).ceil() as i64)
}

/// A search's words as PostgreSQL reads them, and how many pieces there are.
#[derive(QueryableByName)]
struct Search {
    #[diesel(sql_type = Text)]
    tsquery: String,
    #[diesel(sql_type = Double)]
    pieces: f64,
}

/// How many pieces PostgreSQL would expect `query` to match, and how many
/// pieces there are, by `statistics`; `None` when there are no statistics
/// yet or the query is of a kind not reckoned (a prefix search).
pub fn expected_matches(
    conn: &mut PgConnection,
    statistics: &SearchStatistics,
    query: &str,
) -> QueryResult<Option<(f64, f64)>> {
    let Some(frequencies) = statistics.frequencies(conn)? else {
        return Ok(None);
    };
    let search: Search = diesel::sql_query(
        "SELECT search_query($1)::text AS tsquery, \
                greatest(reltuples, 0)::float8 AS pieces \
         FROM pg_class WHERE oid = 'submissions'::regclass",
    )
    .bind::<Text, _>(query)
    .get_result(conn)?;
    Ok(frequencies
        .share(&search.tsquery)
        .map(|share| (share * search.pieces, search.pieces)))
}

/// The oldest `received_at` of the recent slice for `query`, or `None` when
/// the search should look everywhere at once (few matches expected, no
/// statistics yet, or the slice would reach the oldest piece). `page_rows`
/// is how many rows the caller reads (a page and one more).
pub fn recent_slice_start(
    conn: &mut PgConnection,
    statistics: &SearchStatistics,
    query: &str,
    after: Option<Cursor>,
    page_rows: i64,
) -> QueryResult<Option<DateTime<Utc>>> {
    let Some((matches, pieces)) = expected_matches(conn, statistics, query)? else {
        return Ok(None);
    };
    let Some(rows) = recent_slice_rows(matches, pieces, page_rows) else {
        return Ok(None);
    };
    // The row `rows` places on, read from the newest-first index alone.
    let mut newest = submissions::table
        .select(submissions::received_at)
        .order((submissions::received_at.desc(), submissions::id.desc()))
        .offset(rows)
        .limit(1)
        .into_boxed();
    if let Some(cursor) = after {
        newest = newest.filter(cursor.older_pieces());
    }
    newest.first(conn).optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_bounded_in_length_and_in_nots_in_a_row() {
        assert_eq!(query_problem("tide -quay"), None);
        assert_eq!(query_problem(&"x".repeat(MAX_QUERY_CHARS)), None);
        assert!(query_problem(&"x".repeat(MAX_QUERY_CHARS + 1)).is_some());
        assert_eq!(query_problem(&format!("{}tide", "-".repeat(32))), None);
        assert!(query_problem(&format!("{}tide", "-".repeat(33))).is_some());
        assert!(query_problem(&format!("tide {}", "- ".repeat(33))).is_some());
        // Words, hyphens inside them and other marks end a run.
        assert_eq!(query_problem(&"-a ".repeat(60)), None);
        assert_eq!(query_problem(&"-,".repeat(60)), None);
        assert_eq!(query_problem(&"e-mail ".repeat(25)), None);
    }

    #[test]
    fn few_expected_matches_search_everything() {
        assert_eq!(recent_slice_rows(0.0, 1_000_000.0, 51), None);
        assert_eq!(recent_slice_rows(1_999.0, 1_000_000.0, 51), None);
        assert_eq!(recent_slice_rows(f64::NAN, 1_000_000.0, 51), None);
    }

    #[test]
    fn the_slice_holds_a_few_pages_of_matches_by_the_estimate() {
        // A word in 1% of a million pieces: 3 × 51 matches need 15,300 pieces.
        assert_eq!(recent_slice_rows(10_000.0, 1_000_000.0, 51), Some(15_300));
        // In 60% of them: a few hundred of the newest.
        assert_eq!(recent_slice_rows(600_000.0, 1_000_000.0, 51), Some(255));
    }

    #[test]
    fn an_empty_or_unanalysed_table_has_no_slice() {
        assert_eq!(recent_slice_rows(5_000.0, 0.0, 51), None);
        assert_eq!(recent_slice_rows(5_000.0, -1.0, 51), None);
        // An estimate above the count (stale statistics) is every piece.
        assert_eq!(recent_slice_rows(9_000.0, 5_000.0, 51), Some(153));
    }
}
