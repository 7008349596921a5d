//! A snapshot, kept by the process, of PostgreSQL's statistics of the search
//! column, for [`super::estimate`]. They change only when the table is
//! analysed, so the snapshot is read again every few minutes, not on each
//! search.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{Array, Float4, Text};

use super::estimate::WordFrequencies;

/// How long a snapshot serves before it is read again: about as often as
/// autovacuum could have analysed a busy table.
const FRESH_FOR: Duration = Duration::from_secs(300);

/// Shared by the workers of one process, for one database.
#[derive(Debug, Default)]
pub struct SearchStatistics {
    snapshot: RwLock<Option<Snapshot>>,
}

#[derive(Debug)]
struct Snapshot {
    read_at: Instant,
    /// `None`: the column has no statistics yet (never analysed, or empty).
    frequencies: Option<Arc<WordFrequencies>>,
}

impl SearchStatistics {
    /// The word frequencies, read on `conn` when the snapshot is missing or old.
    pub fn frequencies(
        &self,
        conn: &mut PgConnection,
    ) -> QueryResult<Option<Arc<WordFrequencies>>> {
        let fresh = self
            .snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|snapshot| snapshot.read_at.elapsed() < FRESH_FOR)
            .map(|snapshot| snapshot.frequencies.clone());
        if let Some(frequencies) = fresh {
            return Ok(frequencies);
        }
        // Two searches may both read it at the turn: harmless, and no search
        // waits behind another's read.
        let frequencies = read(conn)?.map(Arc::new);
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Snapshot {
            read_at: Instant::now(),
            frequencies: frequencies.clone(),
        });
        Ok(frequencies)
    }
}

#[derive(QueryableByName)]
struct ColumnStatistics {
    #[diesel(sql_type = Array<Text>)]
    words: Vec<String>,
    #[diesel(sql_type = Array<Float4>)]
    shares: Vec<f32>,
}

/// `pg_stats` for `submissions.search` (of the schema that `submissions`
/// resolves to), when it has the most common words.
fn read(conn: &mut PgConnection) -> QueryResult<Option<WordFrequencies>> {
    let statistics = diesel::sql_query(
        "SELECT s.most_common_elems::text::text[] AS words, s.most_common_elem_freqs AS shares \
         FROM pg_stats AS s \
         JOIN pg_namespace AS n ON n.nspname = s.schemaname \
         JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = s.tablename \
         WHERE c.oid = 'submissions'::regclass AND s.attname = 'search' \
           AND s.most_common_elems IS NOT NULL AND s.most_common_elem_freqs IS NOT NULL",
    )
    .get_result::<ColumnStatistics>(conn)
    .optional()?;
    Ok(statistics.and_then(|column| WordFrequencies::new(column.words, &column.shares)))
}
